from django.urls import URLPattern, URLResolver

from meetings.urls_recording import urlpatterns as recording_urlpatterns

app_name = "meetings"

urlpatterns: list[URLPattern | URLResolver] = [*recording_urlpatterns]
