"""The user: staff in a role, or a portal user who belongs to exactly one party."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from medrecall.parties.models import Party


class User(AbstractUser):
    language = models.CharField(
        _("language"), max_length=10, blank=True,
        choices=[("en", _("English")), ("zh-hans", _("Simplified Chinese"))],
        help_text=_("Empty: follow the browser."),
    )
    party = models.ForeignKey(
        Party, null=True, blank=True, on_delete=models.PROTECT, related_name="portal_users",
        verbose_name=_("portal party"),
        help_text=_("Set for portal users: they see only this party's records."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def is_portal(self) -> bool:
        return self.party_id is not None
