from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = _("Recording consent")

    def ready(self) -> None:
        from consent import retention, signals  # noqa: F401 - declarations, receivers
        from consent.gate import ConsentRecordingGate
        from meetings.recordings.gate import register_recording_gate

        register_recording_gate(ConsentRecordingGate())
