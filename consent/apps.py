from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = _("Recording consent")

    def ready(self) -> None:
        # its kinds of personal data, for data-subject rights (retention.subjects)
        from consent import (
            signals,  # noqa: F401 - connects the receivers
            subjects,  # noqa: F401
        )
        from consent.gate import ConsentRecordingGate
        from meetings.recordings.gate import register_recording_gate

        register_recording_gate(ConsentRecordingGate())
