"""What the cockpit's world map can show. The countries' shapes (``vendor/maps/world.json``,
@surbowl/world-geo-json-zh) draw a small country as a sliver of a degree (Singapore is a
triangle a third of a degree wide: under a pixel on the page) or not at all (Hong Kong, Macao,
Gibraltar …). Every such country with units is drawn as a point at its position from
``vendor/maps/country-points.json`` (the ``latlng`` of the npm package world-countries,
ODbL-1.0), and the page names them."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

MAPS = Path(__file__).resolve().parent / "static" / "vendor" / "maps"
# A country whose largest part spans less than this (longitude or latitude, in degrees) is too
# small to see or click on the world map at the page's size (about 2 pixels a degree).
SMALLEST_SHAPE_DEGREES = 2.0


def _positions(coordinates: Any) -> Iterator[tuple[float, float]]:
    if coordinates and isinstance(coordinates[0], (int, float)):
        yield float(coordinates[0]), float(coordinates[1])
        return
    for part in coordinates:
        yield from _positions(part)


def _span(ring_sets: Iterable[Any]) -> float:
    """The extent, in degrees, of the largest of a shape's parts (polygons)."""
    largest = 0.0
    for polygon in ring_sets:
        points = list(_positions(polygon))
        if points:
            longitudes = [p[0] for p in points]
            latitudes = [p[1] for p in points]
            largest = max(
                largest,
                max(longitudes) - min(longitudes),
                max(latitudes) - min(latitudes),
            )
    return largest


@functools.cache
def drawn_countries() -> frozenset[str]:
    """ISO 3166-1 codes of the countries the world map draws large enough to see."""
    world = json.loads((MAPS / "world.json").read_text(encoding="utf-8"))
    found = set()
    for feature in world["features"]:
        geometry = feature.get("geometry") or {}
        polygons = (
            geometry.get("coordinates", [])
            if geometry.get("type") == "MultiPolygon"
            else [geometry.get("coordinates", [])]
        )
        if _span(polygons) >= SMALLEST_SHAPE_DEGREES:
            found.add(str(feature["properties"].get("iso_a2", "")))
    return frozenset(found)


@functools.cache
def country_positions() -> Mapping[str, tuple[float, float]]:
    """Each country's position, ``(longitude, latitude)``, by ISO 3166-1 code."""
    points = json.loads((MAPS / "country-points.json").read_text(encoding="utf-8"))["points"]
    return {code: (float(at[0]), float(at[1])) for code, at in points.items()}


def country_points(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The map's rows (``code``, ``name``, ``value``) of the countries drawn as a point: those
    with units whose shape the world map does not draw large enough to see, with their
    position (``coord``: longitude, latitude). A code with no known position (an unknown
    country) stays in the ranked bars only."""
    drawn, positions = drawn_countries(), country_positions()
    return [
        {**row, "coord": list(positions[row["code"]])}
        for row in rows
        if row["value"] and row["code"] not in drawn and row["code"] in positions
    ]
