"""Password rules, checked on the server whatever the browser's meter said."""

from __future__ import annotations

from functools import lru_cache

MIN_LENGTH = 12
MAX_LENGTH = 256


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    # zxcvbn ships a ranked list of ~30,000 passwords seen most often in breaches.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def is_common(password: str) -> bool:
    lowered = password.lower()
    common = _common_passwords()
    if lowered in common:
        return True
    # "password1234" and "qwerty123456!" are common words with digits or symbols stuck on.
    stripped = lowered.rstrip("0123456789!@#$%^&*.?-_ ")
    suffix = lowered[len(stripped) :]
    digits = suffix.strip("!@#$%^&*.?-_ ")
    simple = len(set(suffix)) <= 4 or (digits.isdigit() and (digits in "1234567890" or digits in "0987654321"))
    return len(stripped) >= 4 and stripped in common and simple


def password_problems(password: str, *, email: str = "", name: str = "") -> list[str]:
    """Return what is wrong with ``password``, in words a person understands; [] if fine."""
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        problems.append(f"Use at most {MAX_LENGTH} characters.")
    lowered = password.lower()
    email = (email or "").strip().lower()
    if email and (lowered == email or lowered == email.split("@")[0]):
        problems.append("Don't use your email address as your password.")
    if name and lowered.replace(" ", "") == name.lower().replace(" ", ""):
        problems.append("Don't use your name as your password.")
    if len(set(password)) <= 2 and password:
        problems.append("Use more than one or two different characters.")
    if not problems and is_common(password):
        problems.append("This password is on a list of commonly used passwords; choose another.")
    return problems
