from django.urls import path

from portal.identity.rights import views

urlpatterns = [
    path("age/", views.confirm_age, name="portal_confirm_age"),
    path("privacy/", views.privacy_notice, name="portal_privacy_notice"),
    path("privacy/record/", views.processing_record, name="portal_processing_record"),
    path("my-data/", views.my_data, name="portal_my_data"),
    path("my-data/export/", views.start_export, name="portal_start_export"),
    path("my-data/export/<str:token>/", views.export_status, name="portal_export_status"),
    path(
        "my-data/export/<str:token>/download/",
        views.download_export,
        name="portal_download_export",
    ),
    path("my-data/erasure/", views.ask_erasure, name="portal_ask_erasure"),
    path("my-data/delete-account/", views.delete_account, name="portal_delete_account"),
    path("privacy/erasure-requests/", views.erasure_queue, name="portal_erasure_queue"),
    path(
        "privacy/erasure-requests/<int:pk>/",
        views.erasure_request,
        name="portal_erasure_request",
    ),
]
