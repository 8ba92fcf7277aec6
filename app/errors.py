"""Domain errors: things a person can cause, with a message that person understands."""


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ValidationFailed(DomainError):
    status_code = 422


class LimitReached(DomainError):
    status_code = 409


class InvalidTransition(DomainError):
    status_code = 409


class TooManyAttempts(DomainError):
    status_code = 429
