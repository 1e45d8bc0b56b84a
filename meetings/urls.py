from django.urls import URLPattern, URLResolver, include, path, re_path

from meetings import views_live
from meetings.scheduling import views as scheduling
from meetings.urls_recording import urlpatterns as recording_urlpatterns

app_name = "meetings"

MEETING = r"^(?P<meeting_id>[0-9]{10,11})/"

urlpatterns: list[URLPattern | URLResolver] = [
    # scheduling (issue 4)
    path("", scheduling.my_meetings, name="my_meetings"),
    path("new/", scheduling.create_meeting, name="create"),
    re_path(MEETING + r"$", scheduling.meeting_detail, name="detail"),
    re_path(MEETING + r"edit/$", scheduling.edit_meeting, name="edit"),
    re_path(MEETING + r"edit-series/$", scheduling.edit_series, name="edit_series"),
    re_path(MEETING + r"delete/$", scheduling.delete_meeting, name="delete"),
    re_path(MEETING + r"invite/$", scheduling.invite, name="invite"),
    re_path(MEETING + r"calendar\.ics$", scheduling.calendar_file, name="calendar"),
    # polls (issue 7)
    re_path(MEETING + r"polls/", include("meetings.polls.urls")),
    # join flow and live room (issue 5)
    path("join/", views_live.join, name="join"),
    path("join/<str:meeting_id>/", views_live.join, name="join_meeting"),
    path("live/ended/", views_live.live_ended, name="live_ended"),
    path("live/<str:meeting_id>/", views_live.live_room, name="live_room"),
    path("live/<str:meeting_id>/start/", views_live.live_start, name="live_start"),
    path("live/<str:meeting_id>/leave/", views_live.live_leave, name="live_leave"),
    # recordings and their consent gate (issue 6)
    *recording_urlpatterns,
]
