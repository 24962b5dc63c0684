"""Requests for quotes and quotes; refund and compensation requests, approvals and payments."""

from __future__ import annotations
