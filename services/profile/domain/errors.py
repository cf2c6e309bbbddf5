"""Errors raised by the profile domain rules.

DomainError and InvalidField are the mesh's own (mesh.errors, pure), re-exported so that
mesh.rpc maps an InvalidField raised here to INVALID_ARGUMENT naming its `field`
(str() is f"{field}: {message}"). RuleDataError means a shipped rule file is broken: a
deployment bug, not the caller's fault, so it is deliberately not a DomainError and surfaces
as INTERNAL.
"""

from mesh.errors import DomainError, InvalidField

__all__ = ["DomainError", "InvalidField", "RuleDataError"]


class RuleDataError(Exception):
    """A rule data file (questionnaire, thresholds, mapping) is malformed."""
