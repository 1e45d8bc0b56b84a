from django.urls import URLPattern, URLResolver, include, path

app_name = "meetings"

urlpatterns: list[URLPattern | URLResolver] = [
    path("<int:meeting_pk>/polls/", include("meetings.polls.urls")),
]
