"""The admin pages are tested the way the accounts pages are: real sign-ins through the form,
a second browser, and a fresh look at the database. The fixtures are the accounts tests' own."""

from tests.accounts.conftest import new_browser, sign_in, store  # noqa: F401  (fixtures)
