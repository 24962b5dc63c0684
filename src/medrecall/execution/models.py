"""Holds, carriers and their rates, return authorisations and receipts, dispositions and
destruction certificates, service providers, work orders and their evidence."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from medrecall.catalog.models import DeviceModel, Lot, Serial
from medrecall.parties.models import Location, Party
from medrecall.recalls.models import RecallCase

from .lifecycle import DispositionKind, FieldAction, ReturnStatus, TaskStatus, UnitResult

USER = settings.AUTH_USER_MODEL


def once_per_lot_and_serial(owner: str, *, name: str) -> list[models.BaseConstraint]:
    """A row that names a lot, and a serial for serial-tracked units, stands once per ``owner``:
    a serial once (``<name>_serial_once``), a lot without serial once (``<name>_lot_once``).
    One rule for holds per recall and lines per return authorisation."""
    return [
        models.UniqueConstraint(
            fields=[owner, "lot", "serial"],
            condition=Q(serial__isnull=False),
            name=f"{name}_serial_once",
        ),
        models.UniqueConstraint(
            fields=[owner, "lot"], condition=Q(serial__isnull=True), name=f"{name}_lot_once"
        ),
    ]


class Hold(models.Model):
    """Affected stock of one lot (or one serial) that may not leave our custody while active.

    Enforced by the custody guard at our own locations only (``holds.HOLD_GUARD``)."""

    recall = models.ForeignKey(
        RecallCase, on_delete=models.PROTECT, related_name="holds", verbose_name=_("recall")
    )
    lot = models.ForeignKey(
        Lot, on_delete=models.PROTECT, related_name="holds", verbose_name=_("lot")
    )
    serial = models.ForeignKey(
        Serial,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="holds",
        verbose_name=_("serial number"),
    )
    placed_at = models.DateTimeField(_("placed at"), auto_now_add=True)
    placed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("placed by")
    )
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    released_by = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("released by"),
    )
    release_reason = models.TextField(_("reason for release"), blank=True)

    class Meta:
        verbose_name = _("stock hold")
        verbose_name_plural = _("stock holds")
        ordering = ["recall", "lot", "serial"]
        indexes = [models.Index(fields=["lot", "released_at"], name="hold_lot_active")]
        constraints = once_per_lot_and_serial("recall", name="hold")

    def __str__(self) -> str:
        return f"hold {self.recall_id} lot {self.lot_id} serial {self.serial_id or '-'}"

    @property
    def active(self) -> bool:
        return self.released_at is None


class Carrier(models.Model):
    """A carrier we can book returns with; its rates per region are in ``CarrierRate``."""

    party = models.ForeignKey(
        Party, on_delete=models.PROTECT, related_name="+", verbose_name=_("party")
    )
    code = models.CharField(_("carrier code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=255)
    max_weight_kg = models.DecimalField(
        _("maximum weight per shipment (kg)"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("carrier")
        verbose_name_plural = _("carriers")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class CarrierRate(models.Model):
    """One line of a carrier's rate table: a region (country, optional province), a fee."""

    carrier = models.ForeignKey(
        Carrier, on_delete=models.CASCADE, related_name="rates", verbose_name=_("carrier")
    )
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166-1 alpha-2"))
    province_code = models.CharField(
        _("province/state code"), max_length=10, blank=True, help_text=_("Empty: the whole country")
    )
    base_fee = models.DecimalField(_("base fee"), max_digits=10, decimal_places=2)
    per_kg = models.DecimalField(_("fee per kg"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    transit_days = models.PositiveSmallIntegerField(_("transit days"))

    class Meta:
        verbose_name = _("carrier rate")
        verbose_name_plural = _("carrier rates")
        ordering = ["carrier", "country", "province_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["carrier", "country", "province_code"], name="carrier_rate_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.carrier_id} {self.country}-{self.province_code or '*'}"


class CarrierRule(models.Model):
    """A rule that names the carrier for matching returns (first match by priority wins);
    without a match the cheapest eligible rate is chosen."""

    class Urgency(models.TextChoices):
        ANY = "", _("Any")
        URGENT = "urgent", _("Urgent (Class I / 一级)")
        STANDARD = "standard", _("Standard")

    priority = models.PositiveSmallIntegerField(_("priority"), default=100)
    name = models.CharField(_("name"), max_length=100)
    country = models.CharField(_("country"), max_length=2, blank=True)
    province_code = models.CharField(_("province/state code"), max_length=10, blank=True)
    min_weight_kg = models.DecimalField(
        _("from weight (kg)"), max_digits=9, decimal_places=2, default=0
    )
    max_weight_kg = models.DecimalField(
        _("up to weight (kg)"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, blank=True, default=""
    )
    carrier = models.ForeignKey(
        Carrier, on_delete=models.CASCADE, related_name="rules", verbose_name=_("carrier")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("carrier rule")
        verbose_name_plural = _("carrier rules")
        ordering = ["priority", "pk"]

    def __str__(self) -> str:
        return f"{self.priority} {self.name}"


class ReturnAuthorisation(models.Model):
    """What one holder is to send back for one recall, and how."""

    class Source(models.TextChoices):
        STAFF = "staff", _("Created by staff")
        REPLY = "reply", _("From the holder's reply")

    number = models.CharField(_("RA number"), max_length=32, unique=True)
    recall = models.ForeignKey(
        RecallCase, on_delete=models.PROTECT, related_name="returns", verbose_name=_("recall")
    )
    party = models.ForeignKey(
        Party, on_delete=models.PROTECT, related_name="+", verbose_name=_("holder")
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="+", verbose_name=_("pick-up location")
    )
    quarantine = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="+", verbose_name=_("quarantine location")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ReturnStatus.choices, default=ReturnStatus.AUTHORISED
    )
    source = models.CharField(
        _("source"), max_length=8, choices=Source.choices, default=Source.STAFF
    )
    reply_ref = models.CharField(_("reply reference"), max_length=64, blank=True)
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=9, decimal_places=2)
    volume_l = models.DecimalField(_("volume (litres)"), max_digits=9, decimal_places=2, default=0)
    urgent = models.BooleanField(_("urgent"), default=False)
    carrier = models.ForeignKey(
        Carrier,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("carrier"),
    )
    carrier_reason = models.CharField(_("why this carrier"), max_length=255, blank=True)
    expected_cost = models.DecimalField(
        _("expected cost"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    waybill_number = models.CharField(_("waybill number"), max_length=40, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("return authorisation")
        verbose_name_plural = _("return authorisations")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ReturnStatus.values), name="ra_status_known"
            )
        ]

    def __str__(self) -> str:
        return self.number


class ReturnLine(models.Model):
    """Expected units of one lot (and serial) on a return; ``received`` is kept under the RA's row lock
    and may exceed ``expected`` (an "over" line: the holder sent more than authorised)."""

    ra = models.ForeignKey(ReturnAuthorisation, on_delete=models.CASCADE, related_name="lines")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="+", verbose_name=_("lot"))
    serial = models.ForeignKey(
        Serial,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("serial number"),
    )
    expected = models.PositiveIntegerField(_("expected"))
    received = models.PositiveIntegerField(_("received"), default=0)

    class Meta:
        ordering = ["ra", "lot", "serial"]
        constraints = once_per_lot_and_serial("ra", name="ra_line")

    def __str__(self) -> str:
        return f"{self.ra_id}: lot {self.lot_id} {self.received}/{self.expected}"


class Receipt(models.Model):
    """Units received against a return (one scan, or a lot and quantity); posted as a ``returned`` event."""

    recall = models.ForeignKey(RecallCase, on_delete=models.PROTECT, related_name="+")
    ra = models.ForeignKey(ReturnAuthorisation, on_delete=models.PROTECT, related_name="receipts")
    line = models.ForeignKey(ReturnLine, on_delete=models.PROTECT, related_name="receipts")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="+", verbose_name=_("lot"))
    serial = models.ForeignKey(
        Serial,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("serial number"),
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="+", verbose_name=_("quarantine location")
    )
    event_id = models.CharField(_("event id"), max_length=200, unique=True)
    scanned = models.CharField(_("scanned barcode"), max_length=200, blank=True)
    received_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("received by")
    )
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["-received_at", "-pk"]
        constraints = [
            # Two warehouse users scanning the same unit at once: the second insert fails here.
            models.UniqueConstraint(
                fields=["recall", "serial"],
                condition=Q(serial__isnull=False),
                name="receipt_serial_once_per_recall",
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="receipt_quantity_positive"),
        ]
        # The cockpit asks on every request whether a unit was received lately (its live
        # refresh): one index step, not a walk over every receipt of the recall.
        indexes = [models.Index(fields=["recall", "received_at"], name="receipt_recall_received")]

    def __str__(self) -> str:
        return f"{self.ra_id}: {self.quantity} x lot {self.lot_id}"


class Disposition(models.Model):
    """What happens to a quarantined unit or lot quantity; a task tracked to done."""

    number = models.CharField(_("disposition number"), max_length=32, unique=True)
    recall = models.ForeignKey(RecallCase, on_delete=models.PROTECT, related_name="dispositions")
    kind = models.CharField(_("disposition"), max_length=20, choices=DispositionKind.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="+", verbose_name=_("lot"))
    serial = models.ForeignKey(
        Serial,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("serial number"),
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="+", verbose_name=_("quarantine location")
    )
    target = models.ForeignKey(
        Location,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("goes to"),
        help_text=_("Own warehouse (repair, replace, release) or supplier location"),
    )
    replacement_lot = models.ForeignKey(
        Lot,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("replacement lot"),
    )
    replacement_serial = models.ForeignKey(
        Serial,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("replacement serial"),
    )
    replacement_from = models.ForeignKey(
        Location,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("replacement ships from"),
    )
    replacement_to = models.ForeignKey(
        Location,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("replacement ships to"),
    )
    reason = models.TextField(_("reason"), blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    signature = models.ForeignKey(
        "accounts.Signature",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("signature"),
    )
    assigned_to = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    done_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("disposition")
        verbose_name_plural = _("dispositions")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="disposition_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=DispositionKind.values), name="disposition_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(status__in=TaskStatus.values), name="disposition_status_known"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class DestructionCertificate(models.Model):
    """Who destroyed what, where, when, how, witnessed by whom; its PDF is kept."""

    disposition = models.OneToOneField(
        Disposition, on_delete=models.PROTECT, related_name="certificate"
    )
    number = models.CharField(_("certificate number"), max_length=32, unique=True)
    destroyed_at = models.DateTimeField(_("destroyed at"))
    place = models.CharField(_("place"), max_length=255)
    method = models.CharField(_("method"), max_length=255)
    performed_by = models.CharField(_("performed by"), max_length=255)
    witnesses = models.JSONField(_("witnesses"), default=list)
    pdf = models.FileField(_("PDF"), upload_to="execution/certificates/", blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("destruction certificate")
        verbose_name_plural = _("destruction certificates")

    def __str__(self) -> str:
        return self.number


class ServiceProvider(models.Model):
    """Who can do field work: a service partner's team or one of our own technicians."""

    name = models.CharField(_("name"), max_length=255)
    party = models.ForeignKey(
        Party,
        on_delete=models.PROTECT,
        related_name="service_providers",
        verbose_name=_("party"),
        help_text=_("The service partner, or our own site"),
    )
    technician = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("own technician"),
    )
    skills = models.JSONField(
        _("field actions"), default=list, help_text=_("e.g. software_update, inspection")
    )
    device_models = models.ManyToManyField(
        DeviceModel, related_name="+", verbose_name=_("qualified for")
    )
    capacity = models.PositiveSmallIntegerField(_("open work orders at most"), default=5)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service provider")
        verbose_name_plural = _("service providers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        unknown = (
            [s for s in (self.skills or []) if s not in FieldAction.values]
            if isinstance(self.skills, list)
            else [self.skills]
        )
        if unknown:
            raise ValidationError(
                {
                    "skills": _("Unknown field action(s): %(codes)s. Choose from %(known)s.")
                    % {
                        "codes": ", ".join(map(str, unknown)),
                        "known": ", ".join(FieldAction.values),
                    }
                }
            )

    def get_skills_display(self) -> str:
        """The field actions by their names in the reader's language, not their codes."""
        labels = dict(FieldAction.choices)
        return ", ".join(str(labels.get(skill, skill)) for skill in self.skills)


class WorkOrder(models.Model):
    """A correction done on site at one holder, by one provider, due by a date set from the recall's class."""

    number = models.CharField(_("work order number"), max_length=32, unique=True)
    recall = models.ForeignKey(RecallCase, on_delete=models.PROTECT, related_name="work_orders")
    party = models.ForeignKey(
        Party, on_delete=models.PROTECT, related_name="+", verbose_name=_("holder")
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="+", verbose_name=_("site")
    )
    action = models.CharField(_("field action"), max_length=20, choices=FieldAction.choices)
    provider = models.ForeignKey(
        ServiceProvider,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="work_orders",
        verbose_name=_("assigned to"),
    )
    distance_km = models.DecimalField(
        _("distance (km)"), max_digits=8, decimal_places=1, null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=12, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    due_at = models.DateTimeField(_("due at"))
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    instructions = models.TextField(_("instructions"), blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        ordering = ["due_at", "pk"]
        indexes = [models.Index(fields=["status", "due_at"], name="work_order_due")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=TaskStatus.values), name="work_order_status_known"
            )
        ]

    def __str__(self) -> str:
        return self.number


class WorkOrderUnit(models.Model):
    """One unit (serial) or lot quantity to correct on a work order, with its result."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="units")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="+", verbose_name=_("lot"))
    serial = models.ForeignKey(
        Serial,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("serial number"),
    )
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    result = models.CharField(
        _("result"), max_length=16, choices=UnitResult.choices, default=UnitResult.PENDING
    )
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["work_order", "lot", "serial"]

    def __str__(self) -> str:
        return (
            f"{self.work_order_id}: lot {self.lot_id} serial {self.serial_id or '-'} {self.result}"
        )


class Evidence(models.Model):
    """A photo, scan or document proving the work on a unit; type checked by content, stored under a
    generated name with the detected extension (``original_name`` is the client's, for display), size by setting."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="evidence")
    unit = models.ForeignKey(
        WorkOrderUnit, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence"
    )
    file = models.FileField(_("file"), upload_to="execution/evidence/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name
