"""django-rq, installed only with Redis (``REDIS_URL``, settings), under names our readers
understand in both languages: the admin index showed "Django_Rq" and "Django-RQ" on a Chinese
page. A module of its own so that without Redis nothing imports django-rq."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_rq.apps import DjangoRqAdminConfig


class RedisTaskQueueConfig(DjangoRqAdminConfig):
    """django-rq's admin: the Redis queues of background tasks (``docs/architecture.md``)."""

    verbose_name = _("Background task queue (Redis)")

    def ready(self) -> None:
        from django_rq.models import Dashboard

        # django-rq names its one model with a plain string, which no catalogue translates.
        Dashboard._meta.verbose_name = _("Queue dashboard")
        Dashboard._meta.verbose_name_plural = _("Queue dashboards")
