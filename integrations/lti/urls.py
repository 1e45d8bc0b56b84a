app_name = "integrations_lti"
urlpatterns: list = []
