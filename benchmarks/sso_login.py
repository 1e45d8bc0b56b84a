"""Benchmark: a complete SSO login, from the IdP's signed response to the logged-in page.

For N demo members it builds a signed response with the development IdP (pysaml2, not
timed), then times the browser's part: POST to allauth's ACS, the ``/acs/finish/`` step
(python3-saml validation, allauth, our replay check, stable identifier, age check, role and
licence assignment) and the landing page. It reports the median for first logins (account
created) and for later logins, and splits the time into python3-saml's validation (of which
the XML signature check), our own code and the rest (allauth, Django, sessions, database).

    uv run python benchmarks/sso_login.py [N]        # default N=50; SQLite in memory
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_sso uv run python benchmarks/sso_login.py

Loopback only, bounded: N logins twice plus setup (about 20 s for N=50).
"""

import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("STATIC_MANIFEST", "false")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_databases,
    setup_test_environment,
    teardown_databases,
)

SP_HOST = "sp.example.test"
timings: dict[str, list[float]] = defaultdict(list)
ORDER = [
    "python3-saml is_valid",
    "  of which signature check (xmlsec)",
    "ours: assertion facts (decrypted)",
    "ours: stable identifier",
    "ours: replay lookup",
    "ours: pre_social_login (age, replay)",
    "  of which replay insert",
    "ours: login receiver (profile, role, licence)",
    "  of which role and licence",
]


def timed(label, function):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            timings[label].append(time.perf_counter() - start)

    return wrapper


def instrument() -> None:
    """Wrap python3-saml's validation and our own steps with timers (measurement only)."""
    from onelogin.saml2.response import OneLogin_Saml2_Response
    from onelogin.saml2.utils import OneLogin_Saml2_Utils

    from portal.identity import services
    from portal.identity.sso import adapters, idp, replay

    OneLogin_Saml2_Response.is_valid = timed(
        "python3-saml is_valid", OneLogin_Saml2_Response.is_valid
    )
    OneLogin_Saml2_Utils.validate_sign = staticmethod(
        timed("  of which signature check (xmlsec)", OneLogin_Saml2_Utils.validate_sign)
    )
    replay.facts_from = timed("ours: assertion facts (decrypted)", replay.facts_from)
    idp.stable_identifier = timed("ours: stable identifier", idp.stable_identifier)
    replay.was_seen = timed("ours: replay lookup", replay.was_seen)
    replay.remember = timed("  of which replay insert", replay.remember)
    services.apply_sso_login = timed("  of which role and licence", services.apply_sso_login)
    cls = adapters.PortalSocialAccountAdapter
    cls.pre_social_login = timed("ours: pre_social_login (age, replay)", cls.pre_social_login)
    # the login receiver is connected by reference: reconnect a timed one under the same uid
    from allauth.account.signals import user_logged_in

    from portal.identity.sso import receivers

    user_logged_in.disconnect(dispatch_uid="portal.identity.sso.assign_on_login")
    user_logged_in.connect(
        timed("ours: login receiver (profile, role, licence)", receivers.assign_on_login),
        dispatch_uid="portal.identity.sso.assign_on_login",
        weak=False,
    )


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    setup_test_environment()
    settings.ALLOWED_HOSTS = [SP_HOST]
    settings.DEBUG = True
    settings.DEV_IDP_KEY_DIR = tempfile.mkdtemp(prefix="bench-idp-")
    settings.SAML_SP_KEY_DIR = tempfile.mkdtemp(prefix="bench-sp-")
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        run(count)
    finally:
        teardown_databases(old_config, verbosity=0)


def run(count: int) -> None:
    import base64
    import zlib
    from urllib.parse import parse_qs, urlsplit

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from portal.identity.demo import DemoPerson
    from portal.identity.models import LicencePool, TermsVersion
    from portal.identity.sso import dev_idp
    from portal.identity.sso.idp import register_idp, sp_entity_id, sp_metadata_xml

    call_command("demo_data", verbosity=0)
    TermsVersion.objects.all().delete()  # land on the logged-in page, not the terms page
    LicencePool.objects.update(quota=10**6)
    register_idp(slug="uni", name="Uni", metadata=dev_idp.metadata_xml())
    metadata = (sp_metadata_xml("uni"),)
    acs_url = f"http://{SP_HOST}/accounts/saml/uni/acs/"
    people = [
        DemoPerson(f"bench{i}", "Given", f"Surname{i}", ["employee", "member"], "1980-01-01")
        for i in range(count)
    ]
    instrument()

    def one_login(person) -> tuple[float, float, int]:
        client = Client(HTTP_HOST=SP_HOST)
        redirect = client.post("/accounts/saml/uni/login/")["Location"]
        saml_request = parse_qs(urlsplit(redirect).query)["SAMLRequest"][0]
        xml = zlib.decompress(base64.b64decode(saml_request), -15).decode()
        request_id = xml.split(' ID="', 1)[1].split('"', 1)[0]
        build_start = time.perf_counter()
        response_xml = dev_idp.build_response(
            person=person,
            in_response_to=request_id,
            destination=acs_url,
            sp_entity_id=sp_entity_id("uni"),
            sp_metadata=metadata,
        )
        build = time.perf_counter() - build_start
        encoded = base64.b64encode(response_xml.encode()).decode()
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            acs = client.post("/accounts/saml/uni/acs/", {"SAMLResponse": encoded})
            finish = client.get(acs["Location"])
            page = client.get(finish["Location"])
            elapsed = time.perf_counter() - start
        assert page.status_code == 200 and "_auth_user_id" in client.session, page.status_code
        return elapsed, build, len(queries)

    results = {}
    for phase in ("first login", "later login"):
        timings.clear()
        totals, builds, query_counts = [], [], []
        for person in people:
            elapsed, build, queries = one_login(person)
            totals.append(elapsed)
            builds.append(build)
            query_counts.append(queries)
        results[phase] = (totals, builds, query_counts, dict(timings))

    database = connection.vendor
    print(f"SSO login benchmark: {count} logins per phase, database {database}, in-process")
    for phase, (totals, builds, query_counts, phase_timings) in results.items():
        total = statistics.median(totals)
        print(
            f"\n{phase}: median {total * 1000:.1f} ms (IdP response → logged-in page), "
            f"{statistics.median(query_counts):.0f} queries"
        )
        for label in ORDER:
            values = phase_timings.get(label, [])
            per_login = sum(values) / count
            print(f"  {label:48s} {per_login * 1000:7.2f} ms  {per_login / total:6.1%}")
        ours = sum(
            sum(values) / count
            for label, values in phase_timings.items()
            if label.startswith("ours:")
        )
        validation = sum(phase_timings.get("python3-saml is_valid", [])) / count
        rest = total - validation - ours
        print(
            f"  => python3-saml validation {validation / total:.1%} (signature check included), "
            f"our code {ours / total:.1%}, "
            f"allauth + Django + sessions + database {rest / total:.1%}"
        )
        print(
            f"  (not timed) pysaml2 building and signing the response: median "
            f"{statistics.median(builds) * 1000:.1f} ms"
        )


if __name__ == "__main__":
    main()
