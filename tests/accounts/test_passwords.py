"""Password rules, as plain functions."""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from app.accounts.passwords import MAX_LENGTH, MIN_LENGTH, is_common, password_problems

SHORT = f"Use at least {MIN_LENGTH} characters."
LONG = f"Use at most {MAX_LENGTH} characters."
EMAIL = "Don't use your email address as your password."
NAME = "Don't use your name as your password."
MONOTONOUS = "Use more than one or two different characters."
COMMON = "This password is on a list of commonly used passwords; choose another."

# Letters of several scripts: a large alphabet, as a password manager or a multilingual person might use.
LARGE_ALPHABET = string.ascii_letters + string.digits + "äöüßéèçñåøæłžšđğışαβγδεζηθλμπσφψωабвгдежзийклмн"

# Autouse fixtures of the harness (a rolled-back transaction) are harmless to share between examples.
property_settings = settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)


@pytest.mark.parametrize(
    "password",
    ["password", "PASSWORD", "Password", "password1234", "qwerty123456!", "qwertyuiop123", "sunshine!!!!", "iloveyou"],
)
def test_common_passwords_are_recognised(password):
    assert is_common(password)


@pytest.mark.parametrize("password", ["password12345", "password!123456", "monkey0987654321", "dragon2024"])
def test_common_words_with_simple_endings_are_recognised(password):
    assert is_common(password)


@pytest.mark.parametrize(
    "password",
    ["lantern-orchid-velvet-42", "Correct Horse Battery Staple", "dragon83920174", "zq7!Lm2#Rv9$"],
)
def test_uncommon_passwords_are_not_flagged(password):
    assert not is_common(password)


def test_good_password_has_no_problems():
    assert password_problems("lantern-orchid-velvet-42", email="ada@example.com", name="Ada Admin") == []


def test_short_password_is_a_problem():
    assert password_problems("a1b2c3d4e5f", email="ada@example.com") == [SHORT]


def test_twelve_characters_are_enough():
    assert password_problems("a1b2c3d4e5f6", email="ada@example.com") == []


def test_overlong_password_is_a_problem():
    assert password_problems("ab3" * 86, email="ada@example.com") == [LONG]
    assert password_problems("ab3" * 85 + "x", email="ada@example.com") == []


@pytest.mark.parametrize("password", ["someone.long@example.com", "SOMEONE.LONG@EXAMPLE.COM", "someone.long"])
def test_password_equal_to_the_email_or_its_name_part_is_a_problem(password):
    assert EMAIL in password_problems(password, email=" Someone.Long@Example.com ")


@pytest.mark.parametrize("password", ["bartholomewquince", "Bartholomew Quince", "BARTHOLOMEW  QUINCE"])
def test_password_equal_to_the_name_is_a_problem(password):
    assert password_problems(password, email="bq@example.com", name="Bartholomew Quince") == [NAME]


@pytest.mark.parametrize("password", ["aaaaaaaaaaaaaa", "abababababababab"])
def test_one_or_two_repeated_characters_are_a_problem(password):
    assert password_problems(password) == [MONOTONOUS]


def test_common_password_is_a_problem():
    assert password_problems("password1234", email="ada@example.com") == [COMMON]


def test_every_problem_is_reported_together():
    problems = password_problems("aaaa", email="aaaa@example.com")

    assert problems == [SHORT, EMAIL, MONOTONOUS]


def test_empty_password_is_short():
    assert password_problems("") == [SHORT]


@property_settings
@given(
    password=st.text(alphabet=LARGE_ALPHABET, min_size=MIN_LENGTH, max_size=MAX_LENGTH),
    local_part=st.text(alphabet=string.ascii_lowercase + ".", min_size=1, max_size=20),
    name=st.text(alphabet=string.ascii_letters + " ", min_size=1, max_size=40),
)
def test_long_varied_password_that_is_not_email_name_or_common_has_no_problems(password, local_part, name):
    email = f"{local_part}@example.com"
    lowered = password.lower()
    assume(lowered not in (email, local_part))
    assume(lowered != name.lower().replace(" ", ""))
    assume(len(set(password)) > 2)
    assume(not is_common(password))

    assert password_problems(password, email=email, name=name) == []


@property_settings
@given(password=st.text(max_size=MIN_LENGTH - 1), email=st.emails(), name=st.text(max_size=40))
def test_password_shorter_than_the_minimum_always_has_a_problem(password, email, name):
    problems = password_problems(password, email=email, name=name)

    assert SHORT in problems


@property_settings
@given(password=st.text(min_size=MAX_LENGTH + 1, max_size=MAX_LENGTH + 50))
def test_password_longer_than_the_maximum_always_has_a_problem(password):
    assert LONG in password_problems(password)


@property_settings
@given(password=st.text(max_size=300), email=st.emails(), name=st.text(max_size=40))
def test_problems_are_known_sentences_and_never_repeat(password, email, name):
    # Messages are shown as they are: fixed sentences, never an echo of the password.
    problems = password_problems(password, email=email, name=name)

    assert set(problems) <= {SHORT, LONG, EMAIL, NAME, MONOTONOUS, COMMON}
    assert len(problems) == len(set(problems))
