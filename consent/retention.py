"""Consent's personal data and the retention engine (docs/POLICY.md, retention).

Consent decisions and the bases a recording rests on are evidence that a recording was lawful
(the controller must be able to prove consent). They are declared here with that reason; a
proof-period rule that reduces them to their pseudonymous subject reference once their
recordings are gone is listed in docs/POLICY.md as not yet enforced.
"""

from retention.registry import declare_personal_data

declare_personal_data(
    "consent.consentdecision",
    "Evidence of consent: who decided is kept as a pseudonymous subject reference; the link "
    "to the account is cleared when the account goes (SET_NULL).",
)
declare_personal_data(
    "consent.recordingconsentbasis",
    "Evidence of the consents a recording rests on; deleted with its recording session, "
    "which goes with the meeting (category meetings) once the recordings are gone.",
)
