from django.urls import path

from consent import views

app_name = "consent"

urlpatterns = [
    path("", views.my_consents, name="mine"),
    path("decisions/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("withdraw/<str:key>/", views.withdraw_by_link, name="withdraw_by_link"),
    path("meetings/<str:meeting_id>/", views.meeting_consent, name="meeting"),
    path("text/<int:version>/", views.consent_text, name="text"),
]
