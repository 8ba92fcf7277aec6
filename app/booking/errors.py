from app.errors import Conflict, ValidationFailed


class SlotUnavailable(Conflict):
    """The time is no longer free (someone else took it, or it closed)."""


class CartItemInvalid(ValidationFailed):
    pass
