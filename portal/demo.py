"""The demo institution: roles, licence types, pools, affiliation rules and demo people.

Used by ``manage.py demo_data`` (portal side) and by the development identity provider, which
asserts the attributes below for each demo person.
"""

from dataclasses import dataclass, field

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
    DemoPerson("it.admin", "Ida", "Admin", ["staff", "employee", "member"], "1980-01-01", True),
]

# Password of the local break-glass admin account on a development machine only.
DEMO_ADMIN_USERNAME = "admin"
DEMO_PASSWORD = "demo-password"  # noqa: S105 (development IdP and break-glass demo only)
