"""Registries: how a lower context calls code of the contexts above it without importing them.

Contexts depend downward only (``lint-imports``), yet a lower context sometimes has to run
something an upper one owns: traceability runs execution's custody guards, recalls runs the
hooks of notices and execution, the import runner in core runs every context's importers. The
lower context defines a :class:`Registry` next to the code that calls it; the upper context
registers its item in its ``AppConfig.ready()``; the lower one iterates the registry. Nothing
imports upward and no context touches another's module-level list.

A registry keeps its items by name, in the order they were registered (``INSTALLED_APPS``
order, since registration happens in ``ready()``). Registering the same item under the same
name again does nothing, so a second ``ready()`` registers nothing twice; registering a
different item under a name already taken is a configuration error, as is asking for a name
nobody registered.

An item whose module is heavy (mail, documents, the accounting selectors) is registered as
``Lazy("dotted.path.to.function")``: it imports its function when first called, so a command
that never runs the hook does not pay for the import at start-up.

This module also holds the importer registry (``IMPORTERS``): which importer handles which kind
of file. Contexts register a dotted path, so the importer's module (and its parsers) loads the
first time a kind is asked for, not with every ``medrecall`` command."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Generic, TypeVar

from django.utils.functional import Promise
from django.utils.module_loading import import_string

T = TypeVar("T")


class RegistryError(LookupError):
    """A registry used wrongly: a name registered twice with different items, or asked for
    without having been registered. A programming error, never a user's input."""


class Registry(Generic[T]):
    """Named items registered by upper contexts, kept in registration order.

    ``what`` names one item in error messages ("custody guard", "timeline source")."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._items: dict[str, T] = {}

    def register(self, name: str, item: T) -> None:
        """Add ``item`` under ``name``; call from an ``AppConfig.ready()``. Registering the
        same item under the same name again does nothing (its place in the order is kept)."""
        if name in self._items:
            if self._items[name] == item:
                return
            raise RegistryError(
                f"A {self.what} named {name!r} is already registered ({self._items[name]!r}); "
                f"refusing to replace it with {item!r}."
            )
        self._items[name] = item

    def get(self, name: str) -> T:
        """The item registered under ``name``; :class:`RegistryError` names the known ones."""
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(self._items) or "none"
            raise RegistryError(
                f"No {self.what} is registered as {name!r}; registered: {known}."
            ) from None

    def find(self, name: str) -> T | None:
        """The item registered under ``name``, or None (for a name that comes from outside,
        e.g. a task path read from the queue)."""
        return self._items.get(name)

    def names(self) -> tuple[str, ...]:
        return tuple(self._items)

    def items(self) -> list[tuple[str, T]]:
        return list(self._items.items())

    def __iter__(self) -> Iterator[T]:
        return iter(tuple(self._items.values()))

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"<Registry of {self.what}: {', '.join(self._items) or 'empty'}>"


@dataclass(frozen=True)
class Lazy:
    """A registered function named by its dotted path, imported when first called (each call
    looks it up again: cheap once imported, and a test may replace the function). Equal by path,
    so a second ``ready()`` registering it again changes nothing."""

    path: str

    @property
    def target(self) -> Any:
        return import_string(self.path)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.target(*args, **kwargs)


# --- importers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ImporterKind:
    """One kind of file the import runner accepts. ``importer``: the importer class's dotted
    path (loaded on first use) or the class; ``permission``: what a user needs to run it, e.g.
    ``catalog.add_devicemodel``."""

    importer: str | type[Any]
    label: Promise | str
    permission: str

    @cached_property
    def importer_class(self) -> type[Any]:
        if isinstance(self.importer, str):
            loaded: type[Any] = import_string(self.importer)
            return loaded
        return self.importer


IMPORTERS: Registry[ImporterKind] = Registry("importer")


def importer_for(kind: str) -> type[Any] | None:
    entry = IMPORTERS.find(kind)
    return entry.importer_class if entry is not None else None


def importer_kinds() -> dict[str, tuple[type[Any], Promise | str, str]]:
    """Every kind with its (loaded) importer class, label and permission, in registration order."""
    return {
        kind: (entry.importer_class, entry.label, entry.permission)
        for kind, entry in IMPORTERS.items()
    }


def keeps_good_rows(kind: str) -> bool:
    """Whether the importer of ``kind`` honours "keep the good rows" (its ``offers_keep_good``);
    all-or-nothing imports (trace events, EPCIS) do not, and the option is refused for them."""
    importer = importer_for(kind)
    return bool(importer is not None and getattr(importer, "offers_keep_good", False))


def keep_good_refusal(kind: str) -> str:
    """The message that refuses "keep the good rows" for an all-or-nothing kind."""
    from django.utils.translation import gettext as _

    entry = IMPORTERS.find(kind)
    label = entry.label if entry is not None else kind
    return _(
        "%(kind)s are imported whole or not at all (a trace with holes is worse than no trace): "
        '"keep the good rows" is not available for them. Correct the bad rows and import the file '
        "again."
    ) % {"kind": label}
