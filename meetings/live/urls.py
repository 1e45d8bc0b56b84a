from django.urls import URLPattern, path

from meetings.live import records, views

urlpatterns: list[URLPattern] = [
    path("join/", views.join, name="join"),
    path("join/<str:meeting_id>/", views.join, name="join_meeting"),
    path("join/<str:meeting_id>/started/", views.join_started, name="join_started"),
    path("live/ended/", views.live_ended, name="live_ended"),
    path("live/removed/", views.live_removed, name="live_removed"),
    path("live/<str:meeting_id>/", views.live_room, name="live_room"),
    path("live/<str:meeting_id>/start/", views.live_start, name="live_start"),
    path("live/<str:meeting_id>/leave/", views.live_leave, name="live_leave"),
    path("live/<str:meeting_id>/attendance/", records.attendance, name="live_attendance"),
    path("live/<str:meeting_id>/chat/", records.chat_download, name="live_chat_download"),
]
