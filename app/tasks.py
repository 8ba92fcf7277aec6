"""Imports every module that defines jobs, so a worker knows all task names."""

import app.email  # noqa: F401
