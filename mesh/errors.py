"""Errors the domain and service layers raise. Pure: the gRPC edge maps them to status codes
(see mesh.rpc), so domain code never imports grpc."""


class DomainError(Exception):
    """Base of every error that is the caller's to fix, not a server fault."""


class InvalidField(DomainError):
    """A request field is missing, malformed or out of range."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotFound(DomainError):
    def __init__(self, what: str, key: str) -> None:
        super().__init__(f"{what} {key!r} not found")
        self.what = what
        self.key = key


class AlreadyExists(DomainError):
    def __init__(self, what: str, key: str) -> None:
        super().__init__(f"{what} {key!r} already exists")
        self.what = what
        self.key = key


class FailedPrecondition(DomainError):
    """The request is well-formed but the system is not in a state to accept it."""
