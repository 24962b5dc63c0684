"""The refusals of reporting: a work queue that does not exist, or is not the viewer's."""

from __future__ import annotations

from medrecall.core.errors import DomainError, NotFound


class QueueUnknown(NotFound):
    """A work queue by a name that is no role's queue."""

    code = "queue_unknown"


class QueueNotYours(DomainError):
    """A role's work queue asked for by someone who does not hold the role."""

    code = "queue_not_yours"
    status = 403
