"""The integrations app: what other systems use to reach the portal (docs/ARCHITECTURE.md).

It sits above ``consent`` and calls the same services and forms as the web pages, so a rule
exists once: ``api/`` is the REST API with its tokens, ``lti/`` the LTI 1.3 tool for learning
platforms. Like ``meetings`` it is one Django app (label ``integrations``) made of features.
"""

from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

FEATURES = ("api", "lti")


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Integrations")

    def import_models(self) -> None:
        """Import every feature's models: Django looks only for ``integrations.models``."""
        self.models = self.apps.all_models[self.label]
        modules = [import_module(f"integrations.{feature}.models") for feature in FEATURES]
        self.models_module = modules[0]

    def ready(self) -> None:
        # retention categories and kinds of personal data (data-subject rights, in
        # ``retention.subjects``) register themselves when imported
        for feature in FEATURES:
            import_module(f"integrations.{feature}.retention")
            import_module(f"integrations.{feature}.subjects")
