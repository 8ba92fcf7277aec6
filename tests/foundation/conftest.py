"""The whole-house checks start each test from an empty job queue, as the platform tests do
(test_i18n.py's email to a Spanish speaker reads the last message its jobs sent)."""

from tests.platform.conftest import _empty_job_queue  # noqa: F401  (fixture)
