from django.urls import URLPattern, path, re_path

from meetings.scheduling import views

MEETING = r"^(?P<meeting_id>[0-9]{10,11})/"

urlpatterns: list[URLPattern] = [
    path("", views.my_meetings, name="my_meetings"),
    path("new/", views.create_meeting, name="create"),
    re_path(MEETING + r"$", views.meeting_detail, name="detail"),
    re_path(MEETING + r"edit/$", views.edit_meeting, name="edit"),
    re_path(MEETING + r"edit-series/$", views.edit_series, name="edit_series"),
    re_path(MEETING + r"delete/$", views.delete_meeting, name="delete"),
    re_path(MEETING + r"invite/$", views.invite, name="invite"),
    re_path(MEETING + r"calendar\.ics$", views.calendar_file, name="calendar"),
]
