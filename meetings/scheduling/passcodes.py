"""Meeting IDs and passcodes: random, never sequential, never stored in plain text.

Policy (docs/POLICY.md, security baseline): every meeting has a passcode; a generated one carries at
least 40 bits (8 characters from a 32-symbol alphabet without look-alikes = 40 bits). The
passcode is stored encrypted with ``PASSCODE_ENCRYPTION_KEY`` so that the host can still read
and send it.
"""

import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

# 32 symbols without look-alikes (no 0/O, 1/I): 8 characters = 40 bits.
PASSCODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
GENERATED_PASSCODE_LENGTH = 8
MEETING_ID_DIGITS = 11


def generate_passcode() -> str:
    return "".join(secrets.choice(PASSCODE_ALPHABET) for _ in range(GENERATED_PASSCODE_LENGTH))


def generate_meeting_id() -> str:
    """A random 11-digit meeting ID (no leading zero); uniqueness is the caller's to check."""
    return str(secrets.randbelow(9 * 10 ** (MEETING_ID_DIGITS - 1)) + 10 ** (MEETING_ID_DIGITS - 1))


def _fernet() -> Fernet:
    return Fernet(settings.PASSCODE_ENCRYPTION_KEY.encode())


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
