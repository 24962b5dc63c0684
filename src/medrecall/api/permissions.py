"""API permissions: Django model permissions, including ``view`` for reads, and the checks that
must answer before a request's body is read (a role without the permission gets 403, not a
complaint about its input)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission, DjangoModelPermissions
from rest_framework.request import Request


class ModelPermissions(DjangoModelPermissions):
    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": [],
    }


class _AnyOf(BasePermission):
    """Unsafe methods need one of ``permissions`` (which one the action needs is decided after
    the body is read; a user with none of them is refused first)."""

    permissions: tuple[str, ...] = ()

    def needed(self) -> tuple[str, ...]:
        return self.permissions

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        user = request.user
        return bool(user.is_authenticated) and any(
            user.has_perm(permission) for permission in self.needed()
        )


def any_of(*permissions: str) -> type[BasePermission]:
    """A permission class: unsafe methods need one of ``permissions``."""
    return type("AnyOf", (_AnyOf,), {"permissions": permissions})


class MayImport(_AnyOf):
    """Starting an import needs the permission of at least one import kind (the kind's own
    permission is checked once the body names it)."""

    def needed(self) -> tuple[str, ...]:
        from medrecall.core.registry import IMPORTERS

        return tuple({entry.permission for _kind, entry in IMPORTERS.items()})
