"""Domain errors: things a person can cause, with a message that person understands.

Each says what kind of refusal it is, never an HTTP status: the web layer maps the kinds to
statuses in one table (``app.ops.errors.http_status``), and a caller without a request (a
job, the CLI, the API) reads the same kinds. A domain's own error subclasses the kind it is.
"""


class DomainError(Exception):
    """The request can't be done as asked (bad input that isn't a form field's)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ValidationFailed(DomainError):
    """What was given breaks a rule: the person can correct it and try again. ``field`` names
    the argument at fault when one is (the JSON API lists it under ``errors``; a page shows the
    message where it shows a form's)."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class Conflict(DomainError):
    """The thing's present state doesn't allow it (taken, already done, changed meanwhile)."""


class LimitReached(Conflict):
    """A limit would be passed (five team members, a promo code's uses)."""


class InvalidTransition(Conflict):
    """A lifecycle step that isn't allowed from where the thing stands."""


class TooManyAttempts(DomainError):
    """Too many tries in too short a time; try again later."""


class NotFound(DomainError):
    """Nothing of that kind is there for this person."""


class NotAllowed(DomainError):
    """It exists, but this person may not do that."""


class UpstreamFailed(DomainError):
    """A service we rely on (a payment gateway, a sign-in provider) refused or can't be reached."""


class OutOfSpace(DomainError):
    """Storage is full: nothing can be saved until space is freed."""
