"""Meeting IDs and passcodes: random, never sequential, never stored in plain text.

Policy (docs/POLICY.md, security baseline): every meeting has a passcode; a generated one carries at
least 40 bits (8 characters from a 32-symbol alphabet without look-alikes = 40 bits). The
passcode is stored encrypted with ``PASSCODE_ENCRYPTION_KEY`` so that the host can still read
and send it. Tokens made under an old key (``PASSCODE_ENCRYPTION_OLD_KEYS``) stay readable until
``manage.py rotate_keys`` re-encrypted them (docs/OPERATIONS.md, key rotation).
"""

import hmac
import math
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# 32 symbols without look-alikes (no 0/O, 1/I): 8 characters = 40 bits.
PASSCODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
GENERATED_PASSCODE_LENGTH = 8
MEETING_ID_DIGITS = 11


def generate_passcode() -> str:
    return "".join(secrets.choice(PASSCODE_ALPHABET) for _ in range(GENERATED_PASSCODE_LENGTH))


def generate_meeting_id() -> str:
    """A random 11-digit meeting ID (no leading zero); uniqueness is the caller's to check."""
    return str(secrets.randbelow(9 * 10 ** (MEETING_ID_DIGITS - 1)) + 10 ** (MEETING_ID_DIGITS - 1))


def _fernet() -> MultiFernet:
    """The current key first (it encrypts), then the old ones (they only decrypt)."""
    if not settings.PASSCODE_ENCRYPTION_KEY:
        raise ImproperlyConfigured("PASSCODE_ENCRYPTION_KEY is not set (manage.py check --deploy)")
    keys = [settings.PASSCODE_ENCRYPTION_KEY, *settings.PASSCODE_ENCRYPTION_OLD_KEYS]
    return MultiFernet([Fernet(key.strip().encode()) for key in keys if key.strip()])


def fernet_key_problem(key: str) -> str | None:
    """Why ``key`` is no Fernet key (for the system check), or None."""
    try:
        Fernet(key.encode())
    except (ValueError, TypeError):
        return "not a Fernet key (32 url-safe base64-encoded bytes; Fernet.generate_key())"
    return None


def rotate_token(token: str) -> str:
    """``token`` re-encrypted under the current key (unchanged plaintext)."""
    return _fernet().rotate(token.encode()).decode()


def is_under_current_key(token: str) -> bool:
    """Whether the current key alone decrypts ``token`` (no rotation needed)."""
    try:
        Fernet(settings.PASSCODE_ENCRYPTION_KEY.encode()).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def encrypt_passcode(passcode: str) -> str:
    return _fernet().encrypt(passcode.encode()).decode()


def decrypt_passcode(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def passcode_matches(token: str, candidate: str) -> bool:
    """Compare in constant time; a token that does not decrypt never matches."""
    try:
        stored = decrypt_passcode(token)
    except InvalidToken:
        return False
    return hmac.compare_digest(stored.encode(), candidate.strip().encode())


# --- strength of a host's own passcode -------------------------------------------------------
# A host's passcode guards the meeting as much as a generated one, so it must not be guessable
# with a short list (docs/POLICY.md, security baseline: the 2020 meeting raids guessed short and
# common passcodes). A list-and-pattern check in the way of zxcvbn, small enough to read.

#: The most common passwords and words of German- and English-speaking users, lower case.
COMMON_PASSCODES = frozenset(
    """
    password passwort kennwort geheim secret letmein welcome willkommen hallo hello admin
    administrator login master monkey dragon football fussball soccer baseball sunshine princess
    qwerty qwertz azerty iloveyou trustno1 starwars whatever freedom shadow michael superman
    batman computer internet schule school student studium uni universitaet university meeting
    meetings zoom konferenz conference seminar vorlesung lecture lehrer teacher test testing
    changeme default guest gast sommer summer winter herbst fruehling schatz hase baby love
    liebe berlin hamburg muenchen deutschland germany passcode pass pw mypassword meinpasswort
    abc abcd abc123 geheimnis sicherheit security
    """.split()  # noqa: SIM905 -- a list to read, not to edit word by word
)
_LEET = str.maketrans("0134578@$|+", "oieastbasit")
_KEYBOARD_ROWS = (
    "1234567890",
    "qwertyuiop",
    "qwertzuiop",
    "asdfghjkl",
    "yxcvbnm",
    "zxcvbnm",
    "abcdefghijklmnopqrstuvwxyz",
)
#: Bits a host's passcode must carry at least by its length and kinds of characters: about
#: those of a generated one (12 digits, the numeric form, carry 39.9).
MINIMUM_PASSCODE_BITS = 39.5


def _is_sequence(text: str) -> bool:
    """Consecutive characters (abcd, 4321) or a stretch of a keyboard row (qwertz, 7890123)."""
    if len(text) < 4:
        return False
    steps = {ord(b) - ord(a) for a, b in zip(text, text[1:], strict=False)}
    if len(steps) == 1 and steps <= {1, -1}:
        return True
    return any(text in row * 2 or text in (row * 2)[::-1] for row in _KEYBOARD_ROWS)


def _repeats_short_unit(text: str) -> bool:
    for size in range(1, min(4, len(text) // 2) + 1):
        unit = text[:size]
        if (unit * (len(text) // size + 1))[: len(text)] == text:
            return True
    return False


def _character_pool(text: str) -> int:
    pool = 0
    pool += 10 if any(c.isdigit() for c in text) else 0
    pool += 26 if any(c.islower() for c in text) else 0
    pool += 26 if any(c.isupper() for c in text) else 0
    pool += 33 if any(not c.isalnum() for c in text) else 0
    return pool


def estimated_bits(passcode: str) -> float:
    """The passcode's strength by length and kinds of characters (before patterns)."""
    pool = _character_pool(passcode)
    return len(passcode) * math.log2(pool) if pool else 0.0


_AFFIXES = "0123456789!?.,;:-_+*#/&%$§()[]{}=~^'\"<> "


def passcode_weakness(passcode: str) -> str | None:
    """Why ``passcode`` is easy to guess, or None: "common" (a common password or word, also
    with look-alike characters and up to five digits or signs around it), "pattern" (a
    sequence, a keyboard row or a repeated short part, also with such affixes) or "short"
    (fewer than :data:`MINIMUM_PASSCODE_BITS` by length and kinds of characters)."""
    lowered = passcode.lower()
    core = lowered.strip(_AFFIXES)
    short_affixes = len(lowered) - len(core) <= 5
    if lowered.translate(_LEET) in COMMON_PASSCODES or (
        short_affixes and core.translate(_LEET) in COMMON_PASSCODES
    ):
        return "common"
    if (
        _is_sequence(lowered)
        or _repeats_short_unit(lowered)
        or (short_affixes and len(core) >= 4 and (_is_sequence(core) or _repeats_short_unit(core)))
    ):
        return "pattern"
    if estimated_bits(passcode) < MINIMUM_PASSCODE_BITS:
        return "short"
    return None
