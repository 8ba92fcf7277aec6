"""Password hashes: Argon2id at OWASP's baseline, and the older scrypt hashes still accepted.

New hashes are Argon2id with 19 MiB of memory, 2 passes and 1 lane, the first of the
equivalent settings OWASP's Password Storage Cheat Sheet lists. It costs about 23 ms of one
core per hash or check here, against about 95 ms for the scrypt hashes (Werkzeug's
``scrypt:32768:8:1``, 32 MiB) every account had before; docs/security.md says why the cut is
safe and docs/benchmarks.md what it changed under load.

A password checked against an older hash (scrypt, or any Werkzeug method) is right or wrong
as before; when it is right, ``needs_rehash`` says so, and the caller stores a new hash in the
same transaction (``User.check_password`` does), so accounts move over as their owners sign in.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from werkzeug.security import check_password_hash

MEMORY_KIB = 19 * 1024
PASSES = 2
LANES = 1

_hasher = PasswordHasher(time_cost=PASSES, memory_cost=MEMORY_KIB, parallelism=LANES)
_ARGON2 = "$argon2"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    """Is ``password`` the one ``stored`` was made from? Never raises for a malformed hash."""
    if stored.startswith(_ARGON2):
        try:
            return _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
    try:
        return check_password_hash(stored, password)
    except ValueError:  # not a hash Werkzeug knows
        return False


def needs_rehash(stored: str) -> bool:
    """A hash made another way or with other settings than ``hash_password`` makes today."""
    if not stored.startswith(_ARGON2):
        return True
    try:
        return _hasher.check_needs_rehash(stored)
    except InvalidHashError:
        return True
