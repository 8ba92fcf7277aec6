"""factory_boy factories bound to the test session, and fixtures that make one user per role."""

from __future__ import annotations

from datetime import UTC, datetime

import factory
import pytest

from app.accounts.hashing import hash_password
from app.accounts.models import Role, User
from app.platform.extensions import db

PASSWORD = "lantern-orchid-velvet-42"


class UserFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        model = User
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    name = factory.Faker("name")
    role = Role.CUSTOMER
    email_verified_at = factory.LazyFunction(lambda: datetime.now(UTC))
    password_hash = factory.LazyFunction(lambda: _hashed_password())
    # Administrators must use two-factor sign-in; test admins have it on with a known key.
    totp_secret = factory.LazyAttribute(lambda o: _encrypted_totp_secret() if o.role == Role.ADMIN else None)
    totp_enabled_at = factory.LazyAttribute(lambda o: datetime.now(UTC) if o.role == Role.ADMIN else None)


_HASH_CACHE: dict[str, str] = {}
ADMIN_TOTP_SECRET = "TESTADMINAUTHENTICATORKEYABCDEFG"


def _encrypted_totp_secret() -> str:
    from app.accounts.two_factor import _fernet

    return _fernet().encrypt(ADMIN_TOTP_SECRET.encode()).decode()


def _hashed_password() -> str:
    # Hashing is slow on purpose; one hash of the shared test password serves every user.
    if PASSWORD not in _HASH_CACHE:
        _HASH_CACHE[PASSWORD] = hash_password(PASSWORD)
    return _HASH_CACHE[PASSWORD]


@pytest.fixture
def make_user(app):
    # Runs in the test's own app context (pushed by the _transaction fixture): a nested
    # context would close its session on exit and roll back what the factory flushed.
    def make(**kwargs) -> User:
        return UserFactory(**kwargs)

    return make


@pytest.fixture
def customer(make_user):
    return make_user(role=Role.CUSTOMER, name="Chloe Customer")


@pytest.fixture
def provider(make_user):
    return make_user(role=Role.PROVIDER, name="Priya Provider")


@pytest.fixture
def admin(make_user):
    return make_user(role=Role.ADMIN, name="Ada Admin")
