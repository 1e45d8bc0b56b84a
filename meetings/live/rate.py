"""One token bucket, used for the room socket's frames and for a participant's chat."""

from __future__ import annotations

Bucket = tuple[float, float]  # (tokens left, when they were counted)


def take_token(
    bucket: Bucket | None, *, now: float, burst: int, per_second: float
) -> tuple[bool, Bucket]:
    """Refill ``bucket`` (a full one if None) for the time since it was counted and take one
    token; return whether there was one and the bucket to keep."""
    tokens, last = bucket or (float(burst), now)
    tokens = min(float(burst), tokens + (now - last) * per_second)
    if tokens < 1:
        return False, (tokens, now)
    return True, (tokens - 1, now)
