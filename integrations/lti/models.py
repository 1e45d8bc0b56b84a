"""LTI 1.3: registered learning platforms, the tool's key, courses and resource links mapped
to series and meetings, and which platform account is which portal account."""

from django.conf import settings
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _


class LtiPlatform(models.Model):
    """A learning platform (Moodle, ILIAS, Stud.IP, OpenOlat) registered by an administrator
    or by dynamic registration. Launches from any other issuer are refused."""

    name = models.CharField(_("name"), max_length=100)
    issuer = models.URLField(_("issuer"), max_length=300)
    client_id = models.CharField(_("client ID"), max_length=200)
    deployment_ids = models.JSONField(
        _("deployment IDs"), default=list, help_text=_("The platform's deployments of this tool.")
    )
    auth_login_url = models.URLField(_("authentication request URL"), max_length=500)
    auth_token_url = models.URLField(_("access token URL"), max_length=500)
    key_set_url = models.URLField(_("key set URL (JWKS)"), max_length=500)
    instructor_role = models.ForeignKey(
        "portal.Role",
        verbose_name=_("role of new instructors"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Given to an instructor who has no account in the portal yet."),
    )
    learner_role = models.ForeignKey(
        "portal.Role",
        verbose_name=_("role of new learners"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Given to a learner who has no account in the portal yet."),
    )
    members_are_institution_members = models.BooleanField(
        _("its users are members of the institution"),
        default=True,
        help_text=_("True for the institution's own platform: its users get its licences."),
    )
    match_accounts_by_email = models.BooleanField(
        _("match existing accounts by e-mail address"),
        default=False,
        help_text=_(
            "Only for a platform whose addresses are verified by the institution: a first "
            "launch then continues the account of the same address."
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=now, editable=False)

    class Meta:
        verbose_name = _("LTI platform")
        verbose_name_plural = _("LTI platforms")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "client_id"], name="lti_platform_unique")
        ]

    def __str__(self) -> str:
        return self.name


class LtiToolKey(models.Model):
    """The tool's signing key (deep-linking answers, service tokens); its public half is
    published at /lti/jwks/. The newest active key signs."""

    private_key = models.TextField(editable=False)
    public_key = models.TextField(editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=now, editable=False)

    class Meta:
        verbose_name = _("LTI tool key")
        verbose_name_plural = _("LTI tool keys")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"


class LtiAccount(models.Model):
    """Which portal account a platform's user is (the platform's opaque subject)."""

    platform = models.ForeignKey(LtiPlatform, on_delete=models.CASCADE, related_name="accounts")
    subject = models.CharField(
        _("subject on the platform"), max_length=255, help_text=_("Personal data.")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="lti_accounts",
        help_text=_("Personal data."),
    )
    last_launch_at = models.DateTimeField(_("last launch"), default=now)

    class Meta:
        verbose_name = _("LTI account")
        verbose_name_plural = _("LTI accounts")
        constraints = [
            models.UniqueConstraint(fields=["platform", "subject"], name="lti_account_unique")
        ]

    def __str__(self) -> str:
        return f"{self.platform} #{self.pk}"


class LtiCourse(models.Model):
    """A course (LTI context) of a platform; it maps to one series of meetings."""

    platform = models.ForeignKey(LtiPlatform, on_delete=models.CASCADE, related_name="courses")
    context_id = models.CharField(_("context ID"), max_length=255)
    title = models.CharField(_("title"), max_length=255, blank=True)
    series = models.ForeignKey(
        "meetings.MeetingSeries",
        verbose_name=_("series"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    meeting = models.ForeignKey(
        "meetings.Meeting",
        verbose_name=_("meeting"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("A single meeting, where the course has no series."),
    )

    class Meta:
        verbose_name = _("LTI course")
        verbose_name_plural = _("LTI courses")
        constraints = [
            models.UniqueConstraint(fields=["platform", "context_id"], name="lti_course_unique")
        ]

    def __str__(self) -> str:
        return self.title or self.context_id
