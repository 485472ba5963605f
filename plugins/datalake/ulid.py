"""ULIDs as epilot's activity ids are written: 48-bit millisecond timestamp + 80 random bits in
Crockford base32 (the smoke's synthetic events and the sample producer in dev/ use it)."""

from __future__ import annotations

import random
from datetime import datetime

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def ulid(t: datetime, rng: random.Random) -> str:
    """26-char ULID: 48-bit ms timestamp + 80 random bits, Crockford base32."""
    value = (int(t.timestamp() * 1000) << 80) | rng.getrandbits(80)
    return "".join(CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))
