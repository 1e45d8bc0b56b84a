from django.urls import path

from meetings.recordings import views

urlpatterns = [
    path("<str:meeting_id>/recording/", views.recording_status, name="recording_status"),
    path(
        "<str:meeting_id>/recording/console/",
        views.recording_console,
        name="recording_console",
    ),
    path("<str:meeting_id>/recording/start/", views.start_recording_view, name="recording_start"),
    path("<str:meeting_id>/recording/stop/", views.stop_recording_view, name="recording_stop"),
    path("<str:meeting_id>/recording/ask-again/", views.ask_again_view, name="recording_ask_again"),
    path("<str:meeting_id>/recordings/", views.meeting_recordings, name="meeting_recordings"),
    path("recordings/<int:pk>/", views.recording_detail, name="recording_detail"),
    path("recordings/<int:pk>/download/", views.recording_download, name="recording_download"),
    path("recordings/<int:pk>/viewers/", views.recording_viewers, name="recording_viewers"),
    path("recordings/<int:pk>/retention/", views.recording_retention, name="recording_retention"),
    path("recordings/<int:pk>/delete/", views.recording_delete, name="recording_delete"),
    path("api/recordings/ingest/", views.ingest_api, name="recording_ingest_api"),
]
