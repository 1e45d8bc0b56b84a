"""LTI 1.3 endpoints (docs/ARCHITECTURE.md, integrations)."""

from django.urls import path

from integrations.lti import views

app_name = "integrations_lti"

urlpatterns = [
    path("login/", views.oidc_login, name="login"),
    path("launch/", views.launch, name="launch"),
    path("jwks/", views.jwks, name="jwks"),
    path("register/", views.dynamic_registration, name="register"),
    path("courses/<str:launch_id>/", views.course_page, name="course"),
    path("courses/<str:launch_id>/invite/", views.invite_members, name="invite"),
    path("courses/<str:launch_id>/deep-link/", views.deep_link, name="deep_link"),
]
