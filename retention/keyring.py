"""Versioned keys for keyed references (HMAC) that must survive a key rotation.

A keyed reference (the pseudonymous subject of a consent decision, the item digests of the
deletion log) cannot be recomputed from the stored value, and often not at all: the deleted
item or the guest it names is gone. Rotation therefore *wraps*: a reference made under key 1
becomes ``HMAC(key 2, reference)`` and remembers its chain of key versions ("1,2"). Whoever
holds the original message (a user id, an item key) recomputes the reference along the chain.
After ``manage.py rotate_keys`` no stored reference depends on the new key's secrecy being
shared with the old one: a leaked old key alone no longer lets anyone test a guess against the
stored values. The old key stays configured (as an "old key") for as long as references under
a chain that starts with it exist, which is every chain made before the rotation.

Keys are written ``<version>:<secret>``; a key without a version is version 1 (the form every
installation had before versions existed, so its stored references stay valid). The current
key's version must be higher than every old key's (docs/OPERATIONS.md, key rotation).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.checks import Error, Warning
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import QuerySet

_VERSIONED = re.compile(r"^(\d{1,6}):(.+)$", re.DOTALL)


def parse_key(text: str) -> tuple[int, str]:
    """``"3:secret"`` → (3, "secret"); a key without a version is version 1."""
    match = _VERSIONED.match(text.strip())
    if match:
        return int(match.group(1)), match.group(2)
    return 1, text.strip()


class HmacSha256:
    """HMAC-SHA256 under one key for many messages, the same bytes as ``hmac.digest(key, m,
    "sha256")`` (RFC 2104) at less than half the cost: the padded key's inner and outer hash
    states are computed once and copied per message, where ``hmac.digest`` sets up OpenSSL's
    HMAC afresh each time (measured: benchmarks/purge_chat.py, a purge hashes every row)."""

    BLOCK_SIZE = 64

    def __init__(self, key: bytes) -> None:
        if len(key) > self.BLOCK_SIZE:
            key = hashlib.sha256(key).digest()
        key = key.ljust(self.BLOCK_SIZE, b"\0")
        self._inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in key))
        self._outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in key))

    def digest(self, message: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()

    def digests(self, messages: Iterable[bytes], size: int = 32) -> bytes:
        """The first ``size`` bytes of each message's digest, concatenated: one loop without
        a call per message (a purge batch has thousands)."""
        inner_copy, outer_copy = self._inner.copy, self._outer.copy
        parts = []
        append = parts.append
        for message in messages:
            inner = inner_copy()
            inner.update(message)
            outer = outer_copy()
            outer.update(inner.digest())
            append(outer.digest()[:size])
        return b"".join(parts)


@dataclass(frozen=True)
class Keyring:
    """The current key and the old ones of one purpose, by version, as derived key bytes."""

    setting: str
    current: int
    keys: dict[int, bytes] = field(repr=False)

    @classmethod
    def from_settings(
        cls, setting: str, old_setting: str, derive: Callable[[str], bytes]
    ) -> Keyring:
        """The keyring configured by ``setting`` (current) and ``old_setting`` (a list)."""
        current_text = getattr(settings, setting, "")
        if not current_text:
            raise ImproperlyConfigured(f"{setting} is not set (manage.py check --deploy)")
        version, secret = parse_key(current_text)
        keys = {version: derive(secret)}
        for old in getattr(settings, old_setting, []) or []:
            if not old.strip():
                continue
            old_version, old_secret = parse_key(old)
            keys.setdefault(old_version, derive(old_secret))
        return cls(setting=setting, current=version, keys=keys)

    @property
    def current_chain(self) -> str:
        return str(self.current)

    def knows(self, chain: str) -> bool:
        return all(int(part) in self.keys for part in chain.split(","))

    def digest(self, message: bytes, chain: str | None = None) -> bytes:
        """The raw reference of ``message`` along ``chain`` (default: the current key)."""
        versions = [int(part) for part in (chain or self.current_chain).split(",")]
        value = hmac.digest(self.keys[versions[0]], message, "sha256")
        for version in versions[1:]:
            value = hmac.digest(self.keys[version], value, "sha256")
        return value

    def digests(self, messages: Iterable[bytes]) -> bytes:
        """The raw references of ``messages`` under the current key, concatenated: the key is
        looked up once, not per message (a purge batch has thousands)."""
        return HmacSha256(self.keys[self.current]).digests(messages)

    def wrap(self, value: bytes, chain: str) -> tuple[bytes, str]:
        """``value`` (a reference along ``chain``) wrapped under the current key."""
        if self.is_current(chain):
            return value, chain
        return hmac.digest(self.keys[self.current], value, "sha256"), f"{chain},{self.current}"

    def is_current(self, chain: str) -> bool:
        return chain.split(",")[-1] == self.current_chain

    def lookup_chains(self, in_use: Iterable[str]) -> list[str]:
        """Every chain a stored reference may have while a rotation runs: the chains in use,
        each one as the rotation will wrap it, and the current key alone; the current key's
        first. Chains with a key no longer configured are left out (their references cannot
        be recomputed)."""
        chains = [self.current_chain]
        for chain in in_use:
            for candidate in (chain, self.wrap(b"", chain)[1]):
                if candidate not in chains and self.knows(candidate):
                    chains.append(candidate)
        return chains


def check_secret(
    *,
    setting: str,
    old_setting: str,
    error_id: str,
    purpose: str,
    validate: Callable[[str], str | None] | None = None,
    versioned: bool = True,
) -> list[Error | Warning]:
    """System-check messages for one secret: required when DEBUG is off, not SECRET_KEY,
    well-formed, old keys with lower versions. Used by each app for the secret it owns."""
    value = getattr(settings, setting, "")
    messages: list[Error | Warning] = []
    if not value:
        if not settings.DEBUG or getattr(settings, "SECRETS_REQUIRED", False):
            messages.append(
                Error(
                    f"{setting} is not set ({purpose}).",
                    hint=f"Set {setting} in the environment; docs/OPERATIONS.md, secrets.",
                    id=error_id,
                )
            )
        return messages
    prefix, number = error_id.rsplit(".E", 1)
    version, secret = parse_key(value) if versioned else (1, value)
    if secret == settings.SECRET_KEY and not settings.DEBUG:
        messages.append(
            Warning(
                f"{setting} equals SECRET_KEY: rotating SECRET_KEY would change it.",
                hint="Give each secret its own value (docs/OPERATIONS.md, secrets).",
                id=f"{prefix}.W{number}",
            )
        )
    olds: Sequence[str] = [v for v in getattr(settings, old_setting, []) or [] if v.strip()]
    for text in [value, *olds]:
        problem = validate(parse_key(text)[1] if versioned else text) if validate else None
        if problem:
            messages.append(Error(f"{setting}: {problem}", id=f"{prefix}.E{int(number) + 1}"))
    if versioned and any(parse_key(old)[0] >= version for old in olds):
        messages.append(
            Error(
                f"{old_setting} holds a key whose version is not lower than {setting}'s "
                f"({version}).",
                hint="Write keys as <version>:<secret>; the new key gets the next version.",
                id=f"{prefix}.E{int(number) + 2}",
            )
        )
    return messages


# -- rotation: each app registers how its stored values move to the current key -------------
@dataclass
class RotationReport:
    """What one rotation did: values rewritten, values already current, values left (their
    key is no longer configured, or they changed while being rewritten: run again)."""

    name: str
    rewritten: int = 0
    current: int = 0
    left: int = 0

    def __str__(self) -> str:
        return (
            f"{self.name}: {self.rewritten} rewritten, {self.current} already current, "
            f"{self.left} left"
        )


_rotations: dict[str, Callable[[int], RotationReport]] = {}


def register_rotation(name: str, rotate: Callable[[int], RotationReport]) -> None:
    """Register ``rotate(batch_size)``, run by ``manage.py rotate_keys`` (an app's ``ready``)."""
    _rotations[name] = rotate


def registered_rotations() -> dict[str, Callable[[int], RotationReport]]:
    return dict(_rotations)


def rotate_field(
    *,
    name: str,
    queryset: QuerySet,
    fields: Sequence[str],
    rewrite: Callable[[dict[str, Any]], dict[str, Any] | None],
    batch_size: int,
) -> RotationReport:
    """Rewrite ``fields`` of every row of ``queryset`` in batches of ``batch_size``.

    ``rewrite(values)`` returns the new values, or None when the row is already current. Rows
    are read by ascending primary key without OFFSET, and each row is written only if it still
    holds the values read (compare and set), so that a passcode a host changes meanwhile is
    never overwritten with the rotated old one; each batch is one short transaction.
    """
    report = RotationReport(name=name)
    last_pk = None
    while True:
        page = queryset.order_by("pk")
        if last_pk is not None:
            page = page.filter(pk__gt=last_pk)
        rows = [
            {
                key: bytes(value) if isinstance(value, memoryview) else value
                for key, value in row.items()
            }
            for row in page.values("pk", *fields)[:batch_size]
        ]
        if not rows:
            return report
        last_pk = rows[-1]["pk"]
        with transaction.atomic():
            for row in rows:
                pk = row.pop("pk")
                try:
                    new = rewrite(row)
                except (KeyError, ValueError, InvalidToken):
                    report.left += 1  # made under a key no longer configured
                    continue
                if new is None:
                    report.current += 1
                elif queryset.filter(pk=pk, **row).update(**new):
                    report.rewritten += 1
                else:
                    report.left += 1
