from django.contrib import admin

from meetings.admin_scheduling import register_scheduling

register_scheduling(admin.site)
