"""Budget, forecast assumptions and alerts of a recall."""

from __future__ import annotations
