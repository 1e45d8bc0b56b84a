from django.urls import path

from meetings.backends.zoom import views

urlpatterns = [path("zoom/webhook/", views.webhook, name="zoom_webhook")]
