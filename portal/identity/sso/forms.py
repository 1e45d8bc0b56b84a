"""The local login form: only break-glass admins and, when enabled, external guests."""

from allauth.account.forms import LoginForm
from django import forms
from django.utils.translation import gettext_lazy as _

from portal.identity.sso.adapters import is_institution_address, may_log_in_locally

SSO_ONLY = _("Members of the institution log in with single sign-on, not with a password.")


class LocalLoginForm(LoginForm):
    def clean(self) -> dict:
        login = (self.data.get("login") or "").strip()
        if is_institution_address(login):
            raise forms.ValidationError(SSO_ONLY)
        cleaned_data = super().clean()
        if self.user is not None and not may_log_in_locally(self.user):
            self.user = None
            raise forms.ValidationError(SSO_ONLY)
        return cleaned_data
