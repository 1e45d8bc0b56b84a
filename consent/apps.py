from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = _("Recording consent")

    def ready(self) -> None:
        # its kinds of personal data, for data-subject rights (retention.subjects)
        from consent import (
            retention,  # noqa: F401 - declarations
            signals,  # noqa: F401 - connects the receivers
            subjects,  # noqa: F401
        )
        from consent.gate import ConsentRecordingGate
        from meetings.recordings.gate import register_recording_gate

        register_recording_gate(ConsentRecordingGate())

        from django.core import checks

        from consent.services import (
            apply_consent_text_setup,
            create_demo_consent_text,
            rotate_subject_references,
        )
        from portal.identity.demo import register_demo_data
        from portal.identity.setup import register_setup_section
        from retention.keyring import register_rotation

        register_setup_section("consent_text", apply_consent_text_setup)
        register_demo_data("consent_text", create_demo_consent_text)

        checks.register(subject_key_check, checks.Tags.security)
        register_rotation("consent subject references", rotate_subject_references)


def subject_key_check(**_kwargs: object) -> list:
    """CONSENT_SUBJECT_KEY: required when DEBUG is off (docs/OPERATIONS.md, secrets)."""
    from retention.keyring import check_secret

    return check_secret(
        setting="CONSENT_SUBJECT_KEY",
        old_setting="CONSENT_SUBJECT_OLD_KEYS",
        error_id="consent.E101",
        purpose="the key of the pseudonymous subjects in consent evidence",
    )
