from django.urls import path

from meetings.polls import views

app_name = "polls"

urlpatterns = [
    path("", views.manage, name="manage"),
    path("room/", views.room, name="room"),
    path("panel/", views.panel, name="panel"),
    path("console/", views.console, name="console"),
    path("quick/", views.quick, name="quick"),
    path("<int:poll_pk>/", views.edit, name="edit"),
    path(
        "<int:poll_pk>/questions/<int:question_pk>/delete/",
        views.delete_question,
        name="delete_question",
    ),
    path("<int:poll_pk>/launch/", views.launch, name="launch"),
    path("<int:poll_pk>/close/", views.close, name="close"),
    path("<int:poll_pk>/vote/", views.vote, name="vote"),
    path("<int:poll_pk>/card/", views.card, name="card"),
    path("<int:poll_pk>/results/", views.results, name="results"),
    path("<int:poll_pk>/results.csv", views.export, name="export"),
]
