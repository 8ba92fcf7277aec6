"""Short, human-readable booking references: CW-7K4P-Q2MX (no 0/O, 1/I/L)."""

import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_reference() -> str:
    chars = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"CW-{chars[:4]}-{chars[4:]}"
