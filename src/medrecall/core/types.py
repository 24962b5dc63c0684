"""Shared types."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


class Viewer(Protocol):
    """Who is looking: lower contexts scope their reads by this without importing accounts."""

    @property
    def pk(self) -> Any: ...

    @property
    def party_id(self) -> int | None: ...

    def has_perm(self, perm: str, obj: Any = None) -> bool: ...


@runtime_checkable
class Actor(Protocol):
    """Who performs an action: a signed-in user. Services check the actor's permissions and the
    audit log names them; contexts below ``accounts`` type their ``actor`` with this protocol
    rather than importing the user model."""

    @property
    def pk(self) -> Any: ...

    @property
    def is_superuser(self) -> bool: ...

    def get_username(self) -> str: ...

    def has_perm(self, perm: str, obj: Any = None) -> bool: ...


# Work no person started (a demo build, a worker's retry, a holder's reply link) is recorded
# under a label ("medrecall demo") or as the system (None).
ActorOrSystem = Actor | str | None
