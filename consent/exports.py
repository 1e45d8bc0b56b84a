"""Export of consent records for the data-protection officer (CSV and JSON).

Holds the pseudonymous subject reference, never names or addresses beyond the display name
the participant chose for the meeting.
"""

import csv
import io
import json

from consent.selectors import consent_record_of
from meetings.recordings.models import Recording

FIELDS = [
    "recording",
    "meeting_id",
    "recording_created_at",
    "recording_sha256",
    "deletion_due_at",
    "decision",
    "subject_ref",
    "display_name",
    "text_version",
    "scope",
    "audience",
    "given",
    "decided_at",
    "method",
    "withdrawn_at",
    "relied_on_at",
]


def _iso(value) -> str:  # noqa: ANN001
    return value.isoformat() if value else ""


def consent_record_rows(recordings: list[Recording]) -> list[dict]:
    rows = []
    for recording in recordings:
        for basis in consent_record_of(recording):
            decision = basis.decision
            rows.append(
                {
                    "recording": recording.pk,
                    "meeting_id": recording.meeting.meeting_id,
                    "recording_created_at": _iso(recording.created_at),
                    "recording_sha256": recording.sha256,
                    "deletion_due_at": _iso(recording.deletion_due_at),
                    "decision": decision.pk,
                    "subject_ref": decision.subject_ref,
                    "display_name": basis.display_name,
                    "text_version": decision.text.version,
                    "scope": decision.scope,
                    "audience": decision.audience,
                    "given": decision.given,
                    "decided_at": _iso(decision.decided_at),
                    "method": decision.method,
                    "withdrawn_at": _iso(decision.withdrawn_at),
                    "relied_on_at": _iso(basis.added_at),
                }
            )
    return rows


def export_csv(recordings: list[Recording]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS)
    writer.writeheader()
    for row in consent_record_rows(recordings):
        # a display name is free text: keep spreadsheet programs from running it as a formula
        if row["display_name"][:1] in ("=", "+", "-", "@"):
            row["display_name"] = "'" + row["display_name"]
        writer.writerow(row)
    return buffer.getvalue()


def export_json(recordings: list[Recording]) -> str:
    return json.dumps({"consent_records": consent_record_rows(recordings)}, indent=2)
