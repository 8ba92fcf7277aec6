"""Password hashes: Argon2id for new ones, older scrypt hashes accepted and replaced at sign-in."""

from __future__ import annotations

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app.accounts.hashing import hash_password, needs_rehash, verify_password
from app.accounts.models import User
from app.platform.extensions import db
from tests.factories import PASSWORD


def stored_hash(user_id: int) -> str:
    return db.session.scalar(select(User.password_hash).where(User.id == user_id))


def test_a_new_hash_is_argon2id_at_owasps_baseline():
    made = hash_password("a long enough passphrase")

    assert made.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_password(made, "a long enough passphrase")
    assert not verify_password(made, "a long enough passphrasE")
    assert not needs_rehash(made)


def test_two_hashes_of_one_password_differ():
    assert hash_password("same words every time") != hash_password("same words every time")


def test_an_older_scrypt_hash_is_still_checked_and_marked_for_rehashing():
    old = generate_password_hash("an older passphrase", method="scrypt")

    assert verify_password(old, "an older passphrase")
    assert not verify_password(old, "a different passphrase")
    assert needs_rehash(old)


def test_argon2_with_other_settings_is_marked_for_rehashing():
    weaker = "$argon2id$v=19$m=8192,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$" + "A" * 43
    assert needs_rehash(weaker)


def test_a_malformed_hash_is_a_wrong_password_not_an_error():
    for stored in ("", "garbage", "$argon2id$v=19$broken", "scrypt:1:2:3$salt$nothex"):
        assert not verify_password(stored, "anything at all")


def test_signing_in_replaces_an_old_hash_and_keeps_the_session(app, web, sign_in, customer):
    old = generate_password_hash(PASSWORD, method="scrypt")
    customer.password_hash = old
    token = customer.session_token
    db.session.commit()

    response = sign_in(customer.email)

    assert response.status_code == 302
    db.session.expire_all()
    now = stored_hash(customer.id)
    assert now.startswith("$argon2id$")
    assert verify_password(now, PASSWORD)
    assert db.session.get(User, customer.id).session_token == token


def test_a_wrong_password_leaves_an_old_hash_alone(app, web, sign_in, customer):
    old = generate_password_hash(PASSWORD, method="scrypt")
    customer.password_hash = old
    db.session.commit()

    response = sign_in(customer.email, "not the password at all")

    assert response.status_code == 401
    db.session.expire_all()
    assert stored_hash(customer.id) == old
