"""Recall intelligence: models."""

from __future__ import annotations
