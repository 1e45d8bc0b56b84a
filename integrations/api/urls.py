"""The API's pages: the token pages and the reference (the REST API itself is
``endpoints.api``, routed at /api/v1/ by ``integrations/urls.py`` in its own namespace)."""

from django.urls import path

from integrations.api import views

app_name = "integrations_api"

urlpatterns = [
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.revoke, name="revoke"),
    path("reference/", views.api_reference, name="reference"),
]
