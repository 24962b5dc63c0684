"""Trace events (the source of truth for where units went) and positions derived from them."""

from __future__ import annotations

from django.db import models
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from medrecall.catalog.models import Lot, Serial
from medrecall.core.models import ImportRun
from medrecall.parties.models import Location


class EventType(models.TextChoices):
    PRODUCED = "produced", _("Produced")
    SHIPPED = "shipped", _("Shipped")
    RECEIVED = "received", _("Received")
    INSTALLED = "installed", _("Installed")
    CONSUMED = "consumed", _("Consumed / implanted")
    RETURNED = "returned", _("Returned")
    DESTROYED = "destroyed", _("Destroyed")
    TRANSFORMED = "transformed", _("Transformed (component into finished lot)")


ARRIVALS = (EventType.PRODUCED, EventType.RECEIVED, EventType.RETURNED)
DEPARTURES = (EventType.SHIPPED, EventType.CONSUMED, EventType.DESTROYED, EventType.TRANSFORMED)


class TraceEvent(models.Model):
    """One EPCIS-like event. Append-only: corrections come as new events, and an EPCIS
    ``errorDeclaration`` marks an event retracted (kept, but left out of every trace)."""

    event_id = models.CharField(_("event id"), max_length=200)  # unique: see Meta.constraints
    event_type = models.CharField(_("event type"), max_length=12, choices=EventType.choices)
    event_time = models.DateTimeField(_("event time"))
    # No database-level foreign keys: the import resolves every reference by a join in its
    # checks before a row is written, and a per-row FK trigger costs about half as much as the
    # insert itself on large files; the ORM still refuses to delete a referenced row
    # (docs/adr/0003-event-table-constraints.md, docs/adr/0004-no-event-foreign-keys.md).
    lot = models.ForeignKey(
        Lot,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=_("lot"),
        db_index=False,
        db_constraint=False,
    )  # the (lot, serial) index serves lot look-ups
    serial = models.ForeignKey(
        Serial,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=_("serial number"),
        db_constraint=False,
        db_index=False,
    )  # a serial's events are found through its lot: (lot, serial)
    quantity = models.PositiveIntegerField(_("quantity"))
    from_location = models.ForeignKey(
        Location,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("from location"),
        db_constraint=False,
        db_index=False,
    )
    to_location = models.ForeignKey(
        Location,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("to location"),
        db_constraint=False,
        db_index=False,
    )
    document_ref = models.CharField(_("business document"), max_length=100, blank=True, default="")
    into_lot = models.ForeignKey(
        Lot,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="component_events",
        verbose_name=_("into lot"),
        db_constraint=False,
        db_index=False,
    )
    import_run = models.ForeignKey(
        ImportRun,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("import"),
        db_constraint=False,
        db_index=False,
    )
    retracted = models.BooleanField(_("retracted"), default=False)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("trace event")
        verbose_name_plural = _("trace events")
        indexes = [
            models.Index(fields=["lot", "serial"], name="event_lot_serial"),
            # Genealogy, both ways (component lot -> finished lot and back), reads only these
            # few rows, so its cost does not grow with the rest of the history.
            models.Index(
                fields=["lot", "into_lot"],
                name="event_transformed_lot",
                condition=models.Q(event_type="transformed"),
            ),
            models.Index(
                fields=["into_lot"],
                name="event_into_lot",
                condition=models.Q(event_type="transformed"),
            ),
            models.Index(fields=["to_location"], name="event_to_location"),
        ]
        constraints = [
            # A unique index of its own rather than ``unique=True``: on PostgreSQL the latter
            # also builds a second, ``varchar_pattern_ops`` index that no query uses, and on
            # SQLite either ``unique=True`` or ``fields=`` puts the constraint in the table's
            # definition, where a bulk load cannot drop it (written row by row in file order,
            # it took a third of a 10M-event load). An expression makes Django create it as
            # ``CREATE UNIQUE INDEX`` on both databases.
            models.UniqueConstraint(F("event_id"), name="event_id_unique"),
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="event_quantity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(event_type__in=EventType.values), name="event_type_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} {self.event_type}"


class Position(models.Model):
    """On-hand quantity of a lot (and serial) at a location, derived from the events.

    Recomputed for the affected lots after every import, never edited by hand. ``serial`` is
    NULL for lot-level quantities."""

    lot = models.ForeignKey(
        Lot, on_delete=models.CASCADE, related_name="positions", db_constraint=False, db_index=False
    )
    serial = models.ForeignKey(
        Serial,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="positions",
        db_constraint=False,
        db_index=False,
    )
    location = models.ForeignKey(
        Location,
        on_delete=models.CASCADE,
        related_name="positions",
        db_constraint=False,
        db_index=False,
    )
    on_hand = models.IntegerField(_("on hand"), default=0)
    in_transit = models.IntegerField(_("in transit to here"), default=0)

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        indexes = [
            models.Index(fields=["lot", "location"], name="position_lot_location"),
            models.Index(fields=["location"], name="position_location"),
        ]

    def __str__(self) -> str:
        return f"lot {self.lot_id} @ {self.location_id}: {self.on_hand} (+{self.in_transit} in transit)"
