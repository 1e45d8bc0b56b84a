"""The dynamic registration form (what the platform's link does not say)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.identity.models import Role


class DynamicRegistrationForm(forms.Form):
    openid_configuration = forms.URLField(label=_("Platform configuration URL"), max_length=500)
    registration_token = forms.CharField(
        label=_("Registration token"), required=False, max_length=2000, widget=forms.HiddenInput
    )
    name = forms.CharField(label=_("Name of the platform"), max_length=100)
    instructor_role = forms.ModelChoiceField(
        label=_("Role of new instructors"), queryset=Role.objects.all()
    )
    learner_role = forms.ModelChoiceField(
        label=_("Role of new learners"), queryset=Role.objects.all()
    )
