"""The integrations' URLs: each feature's own (included from portal/urls.py)."""

from django.urls import include, path

from integrations.api.endpoints import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("api/", include("integrations.api.urls")),
    path("lti/", include("integrations.lti.urls")),
]
