from app.errors import DomainError


class SlotUnavailable(DomainError):
    """The time is no longer free (someone else took it, or it closed)."""

    status_code = 409


class CartItemInvalid(DomainError):
    status_code = 422
