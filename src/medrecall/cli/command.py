"""The base of the product's own commands.

Django runs its system checks before every command; the checks import every URL conf, view
and API module (about half a second), which a script calling ``medrecall trace`` or
``medrecall udi parse`` hundreds of times pays each time. The product's commands skip them;
``medrecall check``, ``migrate`` and the server still run them.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand


class ProductCommand(BaseCommand):
    requires_system_checks: list[str] = []
