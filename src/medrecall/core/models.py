"""Abstract base model shared by every context."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """Created/updated stamps; every regulated record carries them."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    ACCEPTED = "accepted", _("Accepted")
    PARTIAL = "partial", _("Accepted in part")
    REJECTED = "rejected", _("Rejected")
    FAILED = "failed", _("Failed")


class ImportRun(TimeStampedModel):
    """One uploaded file on its way in: what it is, how far it got, and what went wrong.

    The web page and the API poll ``percent``. While the run is running, the worker writes how
    far it got to ``progress_path``, a small file beside the uploads: an import writes its rows
    in one transaction, and progress written to the database inside it would only be seen at
    the end (SQLite: a second connection could not write it at all while the import holds the
    write lock). ``progress_done/progress_total`` keep the last figure once the run is over.
    """

    kind = models.CharField(_("kind"), max_length=30)
    file_name = models.CharField(_("file name"), max_length=255)
    source = models.FileField(_("uploaded file"), upload_to="imports/%Y/%m/")
    policy = models.CharField(_("policy"), max_length=20, default="reject")
    status = models.CharField(
        _("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=100)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    rejected_count = models.PositiveIntegerField(_("rejected rows"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    rejected_rows = models.FileField(
        _("rejected rows file"), upload_to="imports/rejected/%Y/%m/", blank=True
    )
    message = models.TextField(_("message"), blank=True)
    # The message in each of the site's languages ({"en": …, "zh-hans": …}), so that it is shown
    # in the reader's language, not the uploader's (``shown_message``); empty on older runs.
    messages = models.JSONField(_("message in each language"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("imported by"),
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.file_name}"

    @property
    def progress_path(self) -> Path:
        return Path(settings.MEDIA_ROOT) / "imports" / "progress" / f"{self.pk}.txt"

    @property
    def percent(self) -> int:
        done, total = self.progress_done, self.progress_total
        if self.status == ImportStatus.RUNNING:
            # Not written yet, or gone because the run has just ended: the stored figure.
            with contextlib.suppress(OSError, ValueError):
                done, total = (int(n) for n in self.progress_path.read_text().split())
        return min(100, int(100 * done / total)) if total else 0

    @property
    def shown_message(self) -> str:
        """The message in the reader's (the active) language, else as it was written."""
        return self.messages.get(translation.get_language() or "", "") or self.message

    @property
    def shown_errors(self) -> list[dict[str, Any]]:
        """The row errors, each message in the reader's language where the run has it."""
        language = translation.get_language() or ""
        return [
            {**error, "message": error.get("messages", {}).get(language) or error["message"]}
            for error in self.errors
        ]

    @property
    def is_finished(self) -> bool:
        return self.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING)


# ---------------------------------------------------------------------------------------------
# Working-day calendars the company maintains (services and selectors: ``core/calendars.py``;
# the pure look-up the compliance clock reads: ``core/workdays.py``).


class WorkingDayCalendar(models.TextChoices):
    """Whose working days: the regulator's country. Open to more (EU member states ...)."""

    CN = "CN", _("China (State Council holiday arrangement)")
    US = "US", _("United States (federal holidays)")


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday (no work)")
    WORKDAY = "workday", _("Make-up working day (调休)")


class WorkingDayEntry(TimeStampedModel):
    """One dated day of a calendar as an administrator entered it; it overrides the package."""

    calendar = models.CharField(_("calendar"), max_length=8, choices=WorkingDayCalendar.choices)
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=DayKind.choices)
    name = models.CharField(_("name"), max_length=100)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("entered by"),
    )

    class Meta:
        verbose_name = _("working-day calendar entry")
        verbose_name_plural = _("working-day calendar entries")
        ordering = ["calendar", "date"]
        constraints = [
            models.UniqueConstraint(
                fields=["calendar", "date"], name="core_workingday_calendar_date"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["holiday", "workday"]),
                name="core_workingday_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.calendar} {self.date.isoformat()} {self.kind} {self.name}"


class CalendarYear(TimeStampedModel):
    """An administrator's statement that a calendar's year is entered whole (the State
    Council's arrangement for the year is published, typically in late autumn)."""

    calendar = models.CharField(_("calendar"), max_length=8, choices=WorkingDayCalendar.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("marked entered by"),
    )
    note = models.CharField(_("source"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("calendar year entered")
        verbose_name_plural = _("calendar years entered")
        ordering = ["calendar", "year"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "year"], name="core_calendaryear_unique")
        ]

    def __str__(self) -> str:
        return f"{self.calendar} {self.year}"


class CalendarEndAlert(TimeStampedModel):
    """Administrators were told that a calendar's known data ends with ``end_year``: once each."""

    calendar = models.CharField(_("calendar"), max_length=8, choices=WorkingDayCalendar.choices)
    end_year = models.PositiveSmallIntegerField(_("last covered year"))
    recipients = models.PositiveIntegerField(_("recipients"), default=0)

    class Meta:
        verbose_name = _("calendar end alert")
        verbose_name_plural = _("calendar end alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["calendar", "end_year"], name="core_calendarendalert_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.calendar} ends {self.end_year}"


class TaskWorker(models.Model):
    """A task worker as it last reported itself (``medrecall tasks worker``): which process on
    which machine, and when it last wrote its heartbeat. A task left running by a worker that is
    gone is *stale* (``core/workers.py``); the database queue has no heartbeat of its own."""

    worker_id = models.CharField(_("worker"), max_length=64, unique=True)
    hostname = models.CharField(_("machine"), max_length=255)
    pid = models.PositiveIntegerField(_("process id"))
    started_at = models.DateTimeField(_("started at"))
    seen_at = models.DateTimeField(_("last heartbeat"))
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)

    class Meta:
        verbose_name = _("task worker")
        verbose_name_plural = _("task workers")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["hostname", "pid"], name="core_taskworker_host_pid")]

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.hostname}:{self.pid})"


class NumberSequence(models.Model):
    """The last number handed out in one series (a model's document numbers) for one year
    (``0``: a series whose numbers carry no year). ``core/numbering.py`` locks the row while it
    counts on, so two writers never get the same number; the first number of a series and year
    continues from the highest one already stored."""

    series = models.CharField(_("series"), max_length=100)
    year = models.PositiveSmallIntegerField(_("year"))
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")
        constraints = [
            models.UniqueConstraint(fields=["series", "year"], name="core_numbersequence_unique")
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.year}: {self.last}"
