"""The meetings app, made of one subpackage per feature (see docs/ARCHITECTURE.md).

Each feature keeps its own models, services, views, urls, consumers, tasks, admin, retention
categories, templates and static files. This module only wires them into Django.
"""

from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

#: The features, in the order their models are imported (a model's foreign keys name models of
#: the features before it).
FEATURES = ("scheduling", "live", "recordings", "polls")
#: Features with models but no retention category (the placement of media rooms).
MODEL_ONLY_FEATURES = ("backends",)


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = _("Meetings")

    def import_models(self) -> None:
        """Import every feature's models: Django looks only for ``meetings.models``.

        The app label stays "meetings" for all of them (tables, permissions and admin URLs).
        """
        self.models = self.apps.all_models[self.label]
        modules = [
            import_module(f"meetings.{feature}.models")
            for feature in (*FEATURES, *MODEL_ONLY_FEATURES)
        ]
        import_module("meetings.backends.zoom.models")  # tables exist; Zoom runs only if chosen
        self.models_module = modules[0]

    def ready(self) -> None:
        # the Zoom account's nightly reconciliation (a no-op unless Zoom is the backend)
        from django.db.models.signals import post_migrate

        from meetings.backends.zoom.schedule import ensure_zoom_tasks

        post_migrate.connect(ensure_zoom_tasks, sender=self, dispatch_uid="meetings-zoom-nightly")
        # the licences' time limits, swept every minute beside each meeting's own task
        from meetings.live.schedule import ensure_live_tasks

        post_migrate.connect(ensure_live_tasks, sender=self, dispatch_uid="meetings-live-sweep")

        # the passcode key: required in production, rotated by manage.py rotate_keys
        from django.core import checks

        from meetings.backends.zoom.services import rotate_join_link_encryption
        from meetings.scheduling.services import apply_policy_setup, rotate_passcode_encryption
        from portal.identity.setup import register_setup_section
        from retention.keyring import register_rotation

        register_setup_section("policy", apply_policy_setup)

        checks.register(passcode_key_check, checks.Tags.security)
        register_rotation("meeting passcodes", rotate_passcode_encryption)
        register_rotation("Zoom join links", rotate_join_link_encryption)

        # Celery tasks and retention categories register themselves when imported.
        for feature in FEATURES:
            import_module(f"meetings.{feature}.retention")
        # each feature's kinds of personal data, for data-subject rights (retention.subjects)
        for feature in (*FEATURES, *MODEL_ONLY_FEATURES):
            import_module(f"meetings.{feature}.subjects")
        import_module("meetings.live.tasks")
        import_module("meetings.polls.tasks")
        import_module("meetings.recordings.tasks")
        import_module("meetings.scheduling.tasks")

        # The features that know the others register into them here, so that scheduling and
        # the live room import no feature above them: while a recording runs the room holds
        # back whoever has not consented; calendar entries announce a planned recording.
        from meetings.backends.presence import register_presence_hook
        from meetings.live.admission import register_admission_rule
        from meetings.live.lifecycle import register_on_meeting_end
        from meetings.live.services import record_backend_presence
        from meetings.recordings.admission import RecordingConsentRule, stop_at_meeting_end
        from meetings.recordings.gate import calendar_announcement
        from meetings.recordings.services import delete_recordings_of_meetings
        from meetings.scheduling.announcements import calendar_announcements
        from meetings.scheduling.calendar import register_description_part
        from meetings.scheduling.services import register_before_meeting_deletion

        # Legal holds name these objects the way the portal shows them (retention/holds.py).
        from retention.registry import HoldTarget, hold_targets

        hold_targets.register(
            HoldTarget("meetings.meeting", _("meeting"), "meeting_id", ("meeting",))
        )
        hold_targets.register(HoldTarget("meetings.meetingseries", _("series"), "pk", ("series",)))
        hold_targets.register(
            HoldTarget("meetings.recording", _("recording"), "pk", ("recording",))
        )

        register_presence_hook(record_backend_presence)
        register_admission_rule(RecordingConsentRule())
        register_before_meeting_deletion(delete_recordings_of_meetings)
        register_on_meeting_end(stop_at_meeting_end)
        register_description_part(calendar_announcement)
        register_description_part(calendar_announcements)

        # Backends hand finished recordings to the recordings feature (consent checked there);
        # the Zoom backend follows scheduling and identity's licence decisions. Its receivers
        # do nothing unless MEETINGS_BACKEND names it (meetings/backends/zoom/).
        from meetings.backends.delivery import register_recording_sink
        from meetings.backends.zoom import receivers as zoom_receivers
        from meetings.recordings.backend_sink import BackendRecordingSink
        from meetings.scheduling.status import register_meeting_notice
        from portal.identity.reports import register_licence_report_section

        register_recording_sink(BackendRecordingSink())
        import_module("meetings.backends.zoom.tasks")
        zoom_receivers.connect()
        register_meeting_notice(zoom_receivers.meeting_notice)
        register_licence_report_section(zoom_receivers.licence_report_section)


def passcode_key_check(**_kwargs: object) -> list:
    """PASSCODE_ENCRYPTION_KEY: required when DEBUG is off, a Fernet key (docs/OPERATIONS.md)."""
    from meetings.scheduling.passcodes import fernet_key_problem
    from retention.keyring import check_secret

    return check_secret(
        setting="PASSCODE_ENCRYPTION_KEY",
        old_setting="PASSCODE_ENCRYPTION_OLD_KEYS",
        error_id="meetings.E101",
        purpose="the encryption key of stored passcodes",
        validate=fernet_key_problem,
        versioned=False,
    )
