"""The gRPC edge: turning domain errors into status codes, and request fields into values.

Handlers are wrapped with @unary or @server_stream; a DomainError becomes its status code with
a message naming the field, anything else becomes INTERNAL without a stack trace on the wire
(the trace goes to the log, with the trace id)."""

import functools
import logging
import re
from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Any

import grpc

from mesh.errors import AlreadyExists, DomainError, FailedPrecondition, InvalidField, NotFound

log = logging.getLogger(__name__)

_STATUS = {
    InvalidField: grpc.StatusCode.INVALID_ARGUMENT,
    NotFound: grpc.StatusCode.NOT_FOUND,
    AlreadyExists: grpc.StatusCode.ALREADY_EXISTS,
    FailedPrecondition: grpc.StatusCode.FAILED_PRECONDITION,
}


def _status_of(exc: Exception) -> tuple[grpc.StatusCode, str]:
    if isinstance(exc, DomainError):
        for kind, code in _STATUS.items():
            if isinstance(exc, kind):
                return code, str(exc)
        return grpc.StatusCode.FAILED_PRECONDITION, str(exc)
    log.exception("unhandled error in RPC handler")
    return grpc.StatusCode.INTERNAL, "internal error; the server log has the details"


def unary(handler: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(handler)
    async def wrapper(self: object, request: Any, context: grpc.aio.ServicerContext) -> Any:
        try:
            return await handler(self, request, context)
        except grpc.aio.AbortError:
            raise
        except Exception as exc:
            code, message = _status_of(exc)
        await context.abort(code, message)

    return wrapper


def server_stream(handler: Callable[..., AsyncIterator[Any]]) -> Callable[..., Any]:
    @functools.wraps(handler)
    async def wrapper(
        self: object, request: Any, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[Any]:
        try:
            async for item in handler(self, request, context):
                yield item
            return
        except grpc.aio.AbortError:
            raise
        except Exception as exc:
            code, message = _status_of(exc)
        await context.abort(code, message)

    return wrapper


ROLE_METADATA_KEY = "x-clienttier-role"


def caller_role(context: grpc.aio.ServicerContext) -> str:
    """The caller's role from call metadata (set by the gateway); '' when absent."""
    for key, value in context.invocation_metadata() or ():
        if key == ROLE_METADATA_KEY:
            return value if isinstance(value, str) else value.decode()
    return ""


_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def required_id(value: str, field: str) -> str:
    if not value:
        raise InvalidField(field, "is required")
    if not _ID.fullmatch(value):
        raise InvalidField(field, f"{value!r} is not an id (1-64 letters, digits, '_', '-', '.')")
    return value


def required_text(value: str, field: str, max_length: int = 200) -> str:
    value = value.strip()
    if not value:
        raise InvalidField(field, "is required")
    if len(value) > max_length:
        raise InvalidField(field, f"is longer than {max_length} characters")
    return value


def parse_date(value: str, field: str, *, required: bool = True) -> date | None:
    if not value:
        if required:
            raise InvalidField(field, "is required (YYYY-MM-DD)")
        return None
    if not _DATE.fullmatch(value):
        raise InvalidField(field, f"{value!r} is not a date in the format YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidField(field, f"{value!r} is not a valid date: {exc}") from None


def required_date(value: str, field: str) -> date:
    parsed = parse_date(value, field)
    assert parsed is not None
    return parsed


def money_fen(message: Any, has_field: bool, field: str, *, allow_negative: bool = False) -> int:
    """A clienttier.common.v1.Money field; `has_field` is request.HasField(name)."""
    if not has_field:
        raise InvalidField(field, "is required")
    if message.fen < 0 and not allow_negative:
        raise InvalidField(field, f"must not be negative, got {message.fen} fen")
    return int(message.fen)


def enum_member(value: int, enum: Any, field: str) -> str:
    """The name of a known, specified proto enum value (e.g. CUSTOMER_KIND_RETAIL)."""
    names = [n for n in enum.keys() if not n.endswith("_UNSPECIFIED")]
    if value not in enum.values():
        raise InvalidField(field, f"unknown value {value}; expected one of {', '.join(names)}")
    name = enum.Name(value)
    if name.endswith("_UNSPECIFIED"):
        raise InvalidField(field, f"is required; expected one of {', '.join(names)}")
    return name
