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

        # Celery tasks and retention categories register themselves when imported.
        for feature in FEATURES:
            import_module(f"meetings.{feature}.retention")
        import_module("meetings.live.tasks")
        import_module("meetings.polls.tasks")
        import_module("meetings.recordings.tasks")

        # The features that know the others register into them here, so that scheduling and
        # the live room import no feature above them: while a recording runs the room holds
        # back whoever has not consented; calendar entries announce a planned recording.
        from meetings.live.admission import register_admission_rule
        from meetings.live.lifecycle import register_on_meeting_end
        from meetings.recordings.admission import RecordingConsentRule, stop_at_meeting_end
        from meetings.recordings.gate import calendar_announcement
        from meetings.recordings.services import delete_recordings_of_meetings
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

        register_admission_rule(RecordingConsentRule())
        register_before_meeting_deletion(delete_recordings_of_meetings)
        register_on_meeting_end(stop_at_meeting_end)
        register_description_part(calendar_announcement)

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
