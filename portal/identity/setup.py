"""The first day of an institution: ``manage.py setup_institution <config file>``.

One small configuration file (TOML, or YAML) creates what ``demo_data`` creates for a demo, but
with the institution's own values and with ``DEBUG`` off: the institution, licence types and
their pools, roles, affiliation rules, terms of use, and the first administrator; the apps
above this one register their own sections (the meeting policy, the consent text), so that
identity names none of them (docs/ARCHITECTURE.md: the lower app defines the hook).

Running it again with the same file changes nothing; a changed value is updated where the row
may change (names, limits, quotas, positions, the policy). Published texts are never edited:
terms of use are keyed by their version (the same version with other text is refused), and a
consent text that differs from the newest one is published as a new version. An existing
administrator is never touched (their password belongs to them). Everything happens in one
transaction: a bad file changes nothing. docs/OPERATIONS.md starts with it.

The first administrator gets a second factor at once (``administrator_second_factor``): an
authenticator app (TOTP) and recovery codes, whose secret the command hands to the operator
once, so that the first visit to the admin asks for a code instead of sending an account that
can already do everything to a setup page first (portal/identity/second_factor.py). A rerun
never replaces an enrolled device; only an explicit rotation does.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from portal.identity.models import (
    AffiliationRule,
    Institution,
    LicencePool,
    LicenceType,
    Role,
    TermsVersion,
    User,
)

#: the environment variable the first administrator's password is read from (never the file)
ADMIN_PASSWORD_VARIABLE = "SETUP_ADMIN_PASSWORD"  # noqa: S105 -- a variable's name


class SetupError(Exception):
    """The configuration cannot be applied; the message says where and why."""


Section = Callable[[Any], list[str]]
_sections: dict[str, Section] = {}


def register_setup_section(name: str, apply: Section) -> None:
    """Register ``apply(value) -> changes`` for the top-level key ``name`` (an app's ready)."""
    _sections[name] = apply


def load_config(path: Path) -> dict[str, Any]:
    """The file's contents: TOML, or YAML for ``.yaml``/``.yml``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SetupError(f"{path}: {error.strerror}") from None
    if path.suffix in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise SetupError(f"{path}: not valid YAML ({error})") from None
    else:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise SetupError(f"{path}: not valid TOML ({error})") from None
    if not isinstance(data, dict):
        raise SetupError(f"{path}: expected a table of sections")
    return data


def require(section: str, entry: Any, key: str, kind: type | tuple[type, ...] = str) -> Any:
    if not isinstance(entry, dict) or key not in entry:
        raise SetupError(f"[{section}]: '{key}' is missing")
    value = entry[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise SetupError(f"[{section}]: '{key}' has the wrong type")
    return value


def update_or_create(model: type, section: str, keys: dict, values: dict) -> str | None:
    """Create the row or update its differing fields (validated); the change made, or None."""
    row = model.objects.filter(**keys).first()
    created = row is None
    if created:
        row = model(**keys)
        changed = list(values)
    else:
        changed = [name for name, value in values.items() if getattr(row, name) != value]
        if not changed:
            return None
    for name in changed:
        setattr(row, name, values[name])
    try:
        row.full_clean()
    except ValidationError as error:
        raise SetupError(f"[{section}] {keys}: {'; '.join(error.messages)}") from None
    row.save()
    label = ", ".join(f"{k}={v}" for k, v in keys.items())
    return f"{model._meta.verbose_name} {label} " + ("created" if created else "updated")


def _institution(entry: Any) -> list[str]:
    values = {
        "name": require("institution", entry, "name"),
        "mail_domains": list(require("institution", entry, "mail_domains", list)),
        "external_domains": list(entry.get("external_domains", [])),
    }
    row = Institution.objects.order_by("pk").first()
    if row is None:
        Institution.objects.create(**values)
        return ["institution created"]
    if all(getattr(row, key) == value for key, value in values.items()):
        return []
    Institution.objects.filter(pk=row.pk).update(**values)
    return ["institution updated"]


def _licence_types(entries: Any) -> list[str]:
    changes = []
    for entry in _list("licence_types", entries):
        limit = entry.get("time_limit_minutes")
        if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool)):
            raise SetupError("[licence_types]: 'time_limit_minutes' has the wrong type")
        slug = require("licence_types", entry, "slug")
        changes.append(
            update_or_create(
                LicenceType,
                "licence_types",
                {"slug": slug},
                {
                    "name": require("licence_types", entry, "name"),
                    "max_participants": require("licence_types", entry, "max_participants", int),
                    "time_limit_minutes": limit,
                },
            )
        )
        changes.append(
            update_or_create(
                LicencePool,
                "licence_types",
                {"licence_type": LicenceType.objects.get(slug=slug)},
                {"quota": require("licence_types", entry, "quota", int)},
            )
        )
    return [change for change in changes if change]


def _roles(entries: Any) -> list[str]:
    changes = []
    for entry in _list("roles", entries):
        licence = require("roles", entry, "licence_type")
        licence_type = LicenceType.objects.filter(slug=licence).first()
        if licence_type is None:
            raise SetupError(f"[roles]: unknown licence type '{licence}'")
        changes.append(
            update_or_create(
                Role,
                "roles",
                {"slug": require("roles", entry, "slug")},
                {
                    "name": require("roles", entry, "name"),
                    "licence_type": licence_type,
                    "may_host": bool(entry.get("may_host", False)),
                },
            )
        )
    return [change for change in changes if change]


def _affiliation_rules(entries: Any) -> list[str]:
    changes = []
    for entry in _list("affiliation_rules", entries):
        slug = require("affiliation_rules", entry, "role")
        role = Role.objects.filter(slug=slug).first()
        if role is None:
            raise SetupError(f"[affiliation_rules]: unknown role '{slug}'")
        changes.append(
            update_or_create(
                AffiliationRule,
                "affiliation_rules",
                {"affiliation": require("affiliation_rules", entry, "affiliation")},
                {"position": require("affiliation_rules", entry, "position", int), "role": role},
            )
        )
    return [change for change in changes if change]


def _terms(entry: Any) -> list[str]:
    values = {key: require("terms", entry, key) for key in ("title_de", "title_en")}
    for key in ("text_de", "text_en"):
        values[key] = text_or_file("terms", entry, key)
    version = require("terms", entry, "version")
    existing = TermsVersion.objects.filter(version=version).first()
    if existing is None:
        TermsVersion.objects.create(version=version, **values)
        return [f"terms of use {version} published"]
    if any(getattr(existing, key) != value for key, value in values.items()):
        raise SetupError(
            f"[terms]: version {version} is published with another text; give the new text a "
            "new version"
        )
    return []


def _administrator(entry: Any) -> list[str]:
    username = require("administrator", entry, "username")
    if User.objects.filter(username=username).exists():
        return []
    password = os.environ.get(ADMIN_PASSWORD_VARIABLE, "")
    if not password:
        raise SetupError(
            f"[administrator]: set {ADMIN_PASSWORD_VARIABLE} in the environment for the first "
            f"login of '{username}' (the password is never read from the file)"
        )
    user = User(
        username=username,
        email=entry.get("email", ""),
        display_name=entry.get("display_name", ""),
        is_staff=True,
        is_superuser=True,
    )
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise SetupError(f"[administrator]: {' '.join(error.messages)}") from None
    user.set_password(password)
    user.save()
    return [f"administrator {username} created"]


def text_or_file(section: str, entry: Any, key: str) -> str:
    """``key`` itself, or the contents of the file named by ``<key>_file``."""
    if isinstance(entry, dict) and f"{key}_file" in entry:
        try:
            return Path(entry[f"{key}_file"]).read_text(encoding="utf-8")
        except (OSError, TypeError) as error:
            raise SetupError(f"[{section}]: {key}_file cannot be read ({error})") from None
    return require(section, entry, key)


def _list(section: str, entries: Any) -> list[dict]:
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise SetupError(f"[[{section}]]: expected a list of tables")
    return entries


register_setup_section("institution", _institution)
register_setup_section("licence_types", _licence_types)
register_setup_section("roles", _roles)
register_setup_section("affiliation_rules", _affiliation_rules)
register_setup_section("terms", _terms)
register_setup_section("administrator", _administrator)

#: the order sections are applied in (roles name licence types, rules name roles)
ORDER = [
    "institution",
    "licence_types",
    "roles",
    "affiliation_rules",
    "terms",
    "consent_text",
    "policy",
    "administrator",
]


@dataclass
class AdministratorSecondFactor:
    """What the operator needs once to log in as the first administrator."""

    username: str
    secret: str  # base32, for typing into an authenticator app by hand
    provisioning_uri: str  # otpauth://totp/…, for a QR code
    recovery_codes: list[str] = field(default_factory=list)

    def for_operator(self) -> str:
        codes = "\n".join(f"  {code}" for code in self.recovery_codes)
        return (
            f"Second factor of the administrator '{self.username}' (shown this once):\n"
            f"authenticator app URI: {self.provisioning_uri}\n"
            f"secret (to type in): {self.secret}\n"
            f"recovery codes (each works once):\n{codes}\n"
        )


def administrator_second_factor(
    entry: Any, *, rotate: bool = False
) -> AdministratorSecondFactor | None:
    """Enrol the first administrator's authenticator app, unless one is enrolled already.

    An administrator with any second factor (an app or a security key they added themselves)
    keeps it; ``rotate`` replaces the authenticator app's secret (a lost phone) and the
    recovery codes, and keeps security keys. None when nothing was enrolled.
    """
    from allauth.mfa.adapter import get_adapter
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    username = require("administrator", entry, "username")
    user = User.objects.filter(username=username).first()
    if user is None:
        return None
    enrolled = Authenticator.objects.filter(user=user)
    if enrolled.exists() and not rotate:
        return None
    enrolled.filter(type__in=[Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES]).delete()
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    codes = RecoveryCodes.activate(user).generate_codes()
    return AdministratorSecondFactor(
        username=username,
        secret=secret,
        provisioning_uri=get_adapter().build_totp_url(user, secret),
        recovery_codes=codes,
    )


@dataclass
class SetupResult:
    changes: list[str]
    second_factor: AdministratorSecondFactor | None = None


def setup_institution(
    config: dict[str, Any],
    *,
    rotate_admin_second_factor: bool = False,
    hand_over: Callable[[AdministratorSecondFactor], None] | None = None,
) -> SetupResult:
    """Apply ``config`` in one transaction; return the changes made (empty: nothing to do).

    ``hand_over`` receives the administrator's new second factor inside the transaction: if
    it fails (the file for the operator cannot be written), nothing is enrolled, so a
    secret nobody received never guards the account.
    """
    unknown = set(config) - set(_sections)
    if unknown:
        raise SetupError(
            f"unknown section(s): {', '.join(sorted(unknown))}; known: "
            f"{', '.join(sorted(_sections))}"
        )
    names = [name for name in ORDER if name in config] + sorted(
        name for name in config if name not in ORDER
    )
    changes: list[str] = []
    second_factor = None
    with transaction.atomic():
        for name in names:
            changes.extend(_sections[name](config[name]))
        if "administrator" in config:
            second_factor = administrator_second_factor(
                config["administrator"], rotate=rotate_admin_second_factor
            )
        if second_factor is not None:
            changes.append(
                f"administrator {second_factor.username}: authenticator app and recovery "
                "codes enrolled"
            )
            if hand_over is not None:
                hand_over(second_factor)
    return SetupResult(changes, second_factor)
