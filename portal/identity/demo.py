"""The demo institution: roles, licence types, pools, affiliation rules and demo people.

Used by ``manage.py demo_data`` (portal side) and by the development identity provider, which
asserts the attributes below for each demo person.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

#: Demo rows of the apps above identity (a consent text, ...): ``name → create()`` returning
#: the number of rows made; registered in their ``AppConfig.ready`` (identity cannot import
#: them), run by ``manage.py demo_data`` after the institution.
DEMO_DATA_SECTIONS: dict[str, Callable[[], int]] = {}


def register_demo_data(name: str, create: Callable[[], int]) -> None:
    DEMO_DATA_SECTIONS[name] = create


LICENCE_TYPES = [
    # slug, name, max participants, time limit (minutes), pool quota
    ("business", "Business", 300, None, 500),
    ("basic", "Basic", 100, 40, 5000),
]

ROLES = [
    # slug, name, licence type, may host meetings
    ("staff", "Staff", "business", True),
    ("student", "Student", "basic", True),
    ("guest", "Guest", "basic", False),
]

AFFILIATION_RULES = [
    # position, affiliation, role
    (10, "employee", "staff"),
    (20, "staff", "staff"),
    (30, "faculty", "staff"),
    (40, "student", "student"),
]


@dataclass(frozen=True)
class DemoPerson:
    username: str
    given_name: str
    surname: str
    affiliations: list[str] = field(default_factory=list)
    date_of_birth: str = ""  # YYYY-MM-DD, released by the IdP where it knows it
    is_admin: bool = False
    groups: list[str] = field(default_factory=list)  # released as isMemberOf

    @property
    def email(self) -> str:
        return f"{self.username}@uni.example"

    @property
    def eppn(self) -> str:
        return f"{self.username}@uni.example"


DEMO_PEOPLE = [
    DemoPerson("prof.mueller", "Hanna", "Müller", ["faculty", "employee", "member"], "1975-03-14"),
    DemoPerson("a.schmidt", "Anton", "Schmidt", ["staff", "employee", "member"], "1988-07-02"),
    DemoPerson("s.yilmaz", "Selin", "Yılmaz", ["student", "member"], "2003-11-30"),
    DemoPerson(
        "p.jung", "Paul", "Jung", ["student", "member"], "2011-05-20"
    ),  # a 15-year-old pupil
    DemoPerson(
        "it.admin",
        "Ida",
        "Admin",
        ["staff", "employee", "member"],
        "1980-01-01",
        is_admin=True,
        groups=["it-admins"],
    ),
]

# The IdP group whose members administer the portal (AdminGroupRule), the permission group it
# grants and the apps whose permissions that group holds.
ADMIN_IDP_GROUP = "it-admins"
ADMIN_PERMISSION_GROUP = "IT administrators"
ADMIN_PERMISSION_APPS = [
    "portal", "meetings", "consent", "retention", "integrations", "django_celery_beat",
    "socialaccount",
]  # fmt: skip

# Password of the local break-glass admin account on a development machine only.
DEMO_ADMIN_USERNAME = "admin"
DEMO_PASSWORD = "demo-password"  # noqa: S105 (development IdP and break-glass demo only)

# The first version of the terms of use and privacy notice (German and English).
TERMS_VERSION = "2026-1"
TERMS_TITLE_DE = "Nutzungsbedingungen und Datenschutzhinweise"
TERMS_TITLE_EN = "Terms of use and privacy notice"
TERMS_TEXT_DE = "\n\n".join(
    [
        (
            "Das Portal dient der Durchführung von Online-Besprechungen, "
            "Lehrveranstaltungen und Gremiensitzungen der Hochschule."
        ),
        (
            "Verarbeitet werden Ihr Name, Ihre dienstliche E-Mail-Adresse, Ihre Rolle und "
            "Ihre Lizenz, die der Identitätsanbieter der Hochschule bei jeder Anmeldung "
            "übermittelt. Ein Geburtsdatum wird nur geprüft (Mindestalter 16 Jahre) und "
            "nicht gespeichert."
        ),
        (
            "Aufzeichnungen entstehen nur mit der ausdrücklichen Einwilligung der "
            "Betroffenen. Es gibt keine personenbezogenen Nutzungsstatistiken. Ihr Konto "
            "wird gelöscht, wenn es nicht mehr benötigt wird, spätestens wenn Sie die "
            "Hochschule verlassen."
        ),
        (
            "Die Nutzung ist freiwillig. Sie können diese Zustimmung ablehnen; Ihr Konto "
            "bleibt dann inaktiv."
        ),
    ]
)
TERMS_TEXT_EN = "\n\n".join(
    [
        (
            "The portal is used for the institution's online meetings, lectures and "
            "committee sessions."
        ),
        (
            "It processes your name, your institutional e-mail address, your role and your "
            "licence, which the institution's identity provider sends at every login. A "
            "date of birth is only checked (minimum age 16) and never stored."
        ),
        (
            "Recordings are made only with the express consent of those concerned. There "
            "are no per-person usage statistics. Your account is deleted when it is no "
            "longer needed, at the latest when you leave the institution."
        ),
        ("Using the service is voluntary. You may decline; your account then stays inactive."),
    ]
)
