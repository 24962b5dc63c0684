"""The registry mechanism (``core/registry.py``) on registries of its own: order, idempotent
registration, refusal of a taken name, unknown names, importers loaded on first use."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from medrecall.core.registry import ImporterKind, Lazy, Registry, RegistryError


def first() -> str:
    return "first"


def second() -> str:
    return "second"


def third() -> str:
    return "third"


def test_items_come_back_in_registration_order() -> None:
    registry: Registry[object] = Registry("hook")
    registry.register("b", second)
    registry.register("a", first)
    registry.register("c", third)

    assert registry.names() == ("b", "a", "c")
    assert list(registry) == [second, first, third]
    assert registry.items() == [("b", second), ("a", first), ("c", third)]
    assert len(registry) == 3


def test_registering_the_same_item_again_changes_nothing() -> None:
    registry: Registry[object] = Registry("hook")
    registry.register("a", first)
    registry.register("b", second)

    registry.register("a", first)

    assert registry.items() == [("a", first), ("b", second)]


def test_another_item_under_a_taken_name_is_refused_and_the_first_kept() -> None:
    registry: Registry[object] = Registry("hook")
    registry.register("a", first)

    with pytest.raises(RegistryError) as refused:
        registry.register("a", second)

    assert str(refused.value) == (
        f"A hook named 'a' is already registered ({first!r}); refusing to replace it with "
        f"{second!r}."
    )
    assert registry.items() == [("a", first)]


def test_an_unknown_name_is_an_error_naming_the_registered_ones() -> None:
    registry: Registry[object] = Registry("timeline source")
    registry.register("notices", first)
    registry.register("execution", second)

    with pytest.raises(RegistryError) as unknown:
        registry.get("returns")

    assert str(unknown.value) == (
        "No timeline source is registered as 'returns'; registered: notices, execution."
    )
    assert isinstance(unknown.value, LookupError)


def test_an_unknown_name_in_an_empty_registry_says_none_is_registered() -> None:
    registry: Registry[object] = Registry("custody guard")

    with pytest.raises(RegistryError) as unknown:
        registry.get("stock_on_hold")

    assert str(unknown.value) == (
        "No custody guard is registered as 'stock_on_hold'; registered: none."
    )
    assert not registry
    assert registry.names() == ()


def test_find_answers_the_item_or_none() -> None:
    registry: Registry[object] = Registry("hook")
    registry.register("a", first)

    assert registry.find("a") is first
    assert registry.find("b") is None
    assert registry.get("a") is first
    assert "a" in registry
    assert "b" not in registry


def test_iterating_while_registering_sees_the_items_of_when_it_started() -> None:
    registry: Registry[object] = Registry("hook")
    registry.register("a", first)

    seen = []
    for item in registry:
        seen.append(item)
        registry.register("b", second)

    assert seen == [first]
    assert registry.names() == ("a", "b")


def test_an_importer_kind_loads_its_class_on_first_use() -> None:
    sys.modules.pop("tests.core.lazy_importer", None)
    registry: Registry[ImporterKind] = Registry("importer")
    registry.register(
        "lazy",
        ImporterKind("tests.core.lazy_importer.LazyImporter", label="Lazy", permission="x.y"),
    )

    assert "tests.core.lazy_importer" not in sys.modules

    loaded = registry.get("lazy").importer_class

    assert "tests.core.lazy_importer" in sys.modules
    assert loaded is sys.modules["tests.core.lazy_importer"].LazyImporter
    assert registry.get("lazy").importer_class is loaded


def test_an_importer_kind_registered_again_with_equal_values_changes_nothing() -> None:
    registry: Registry[ImporterKind] = Registry("importer")
    registry.register("lazy", ImporterKind("a.B", label="Lazy", permission="x.y"))

    registry.register("lazy", ImporterKind("a.B", label="Lazy", permission="x.y"))
    with pytest.raises(RegistryError):
        registry.register("lazy", ImporterKind("a.C", label="Lazy", permission="x.y"))

    assert registry.items() == [("lazy", ImporterKind("a.B", label="Lazy", permission="x.y"))]


def test_a_lazy_item_imports_its_function_when_called_and_not_before() -> None:
    sys.modules.pop("tests.core.lazy_importer", None)
    item = Lazy("tests.core.lazy_importer.LazyImporter")

    assert "tests.core.lazy_importer" not in sys.modules
    assert item().__class__.__name__ == "LazyImporter"
    assert "tests.core.lazy_importer" in sys.modules


def test_a_lazy_item_registered_again_by_the_same_path_changes_nothing() -> None:
    registry: Registry[Any] = Registry("hook")
    registry.register("x", Lazy("os.path.join"))
    registry.register("x", Lazy("os.path.join"))

    assert registry.items() == [("x", Lazy("os.path.join"))]
    assert registry.get("x")("a", "b") == "a/b"
