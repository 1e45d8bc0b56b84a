from django.urls import URLPattern, path

from meetings import views_live

app_name = "meetings"

urlpatterns: list[URLPattern] = [
    # join flow and live room
    path("join/", views_live.join, name="join"),
    path("join/<str:meeting_id>/", views_live.join, name="join_meeting"),
    path("live/ended/", views_live.live_ended, name="live_ended"),
    path("live/<str:meeting_id>/", views_live.live_room, name="live_room"),
    path("live/<str:meeting_id>/start/", views_live.live_start, name="live_start"),
    path("live/<str:meeting_id>/leave/", views_live.live_leave, name="live_leave"),
]
