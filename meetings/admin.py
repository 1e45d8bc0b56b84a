from django.contrib import admin

from meetings.admin_artefacts import register_artefacts
from meetings.admin_scheduling import register_scheduling

register_scheduling(admin.site)
register_artefacts(admin.site)
