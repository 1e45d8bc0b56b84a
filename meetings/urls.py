"""The meetings app's URLs: each feature's own, under the same paths as ever."""

from django.urls import URLPattern, URLResolver, include, path, re_path

from meetings.scheduling.urls import MEETING

app_name = "meetings"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("meetings.scheduling.urls")),
    re_path(MEETING + r"polls/", include("meetings.polls.urls")),
    path("", include("meetings.live.urls")),
    path("", include("meetings.recordings.urls")),
    # answers 404 unless MEETINGS_BACKEND names the Zoom backend
    path("", include("meetings.backends.zoom.urls")),
]
