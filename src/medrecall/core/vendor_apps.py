"""Third-party apps under names our readers understand, in both languages: the admin's index
showed "AXES", "Tasks Database Backend" and "Task Results" on a Chinese page. Settings install
these configurations instead of the apps' own (same name and label: nothing else changes).

The apps' model names are marked for translation in their own code, but neither ships a Chinese
catalogue: ``MODEL_NAMES`` repeats those messages so that ours carries them (makemessages keeps a
message only while our code names it)."""

from __future__ import annotations

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _
from django_tasks_db.apps import TasksAppConfig


class LoginLockoutsConfig(AxesAppConfig):  # type: ignore[misc]  # axes ships no types
    """django-axes: failed log-ins and the lock-outs they cause (``accounts/lockout.py``)."""

    verbose_name = _("Log-in lock-outs")


class BackgroundTasksConfig(TasksAppConfig):
    """django-tasks' database backend: the queue and results of background tasks."""

    # django-tasks declares a plain str; Django takes a lazy translation, as for our own apps.
    verbose_name = _("Background tasks")  # type: ignore[assignment]


MODEL_NAMES = (
    _("access attempt"),
    _("access attempts"),
    _("Task Result"),
    _("Task Results"),
)
