"""Parties, their contacts and their locations."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from medrecall.core.models import TimeStampedModel


class PartyType(models.TextChoices):
    OWN_SITE = "own_site", _("Own site")
    DISTRIBUTOR = "distributor", _("Distributor")
    HOSPITAL = "hospital", _("Hospital")
    END_USER = "end_user", _("End user")
    SERVICE_PARTNER = "service_partner", _("Service partner")
    CARRIER = "carrier", _("Carrier")
    SUPPLIER = "supplier", _("Supplier")


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    LETTER = "letter", _("Letter")
    PORTAL = "portal", _("Portal")


class Language(models.TextChoices):
    """The language a holder reads: Chinese, English and the EU's other official languages
    (field safety notices go out in the language of the Member State, MDR Art. 89(8))."""

    ZH_HANS = "zh-hans", _("Simplified Chinese")
    EN = "en", _("English")
    BG = "bg", _("Bulgarian")
    CS = "cs", _("Czech")
    DA = "da", _("Danish")
    DE = "de", _("German")
    EL = "el", _("Greek")
    ES = "es", _("Spanish")
    ET = "et", _("Estonian")
    FI = "fi", _("Finnish")
    FR = "fr", _("French")
    GA = "ga", _("Irish")
    HR = "hr", _("Croatian")
    HU = "hu", _("Hungarian")
    IT = "it", _("Italian")
    LT = "lt", _("Lithuanian")
    LV = "lv", _("Latvian")
    MT = "mt", _("Maltese")
    NL = "nl", _("Dutch")
    PL = "pl", _("Polish")
    PT = "pt", _("Portuguese")
    RO = "ro", _("Romanian")
    SK = "sk", _("Slovak")
    SL = "sl", _("Slovenian")
    SV = "sv", _("Swedish")


class LocationType(models.TextChoices):
    WAREHOUSE = "warehouse", _("Warehouse")
    QUARANTINE = "quarantine", _("Quarantine")
    DISTRIBUTOR_STOCK = "distributor_stock", _("Distributor stock")
    CUSTOMER_SITE = "customer_site", _("Customer site")


class Review(models.TextChoices):
    """Where a party stands with staff. Parties entered by staff or imported are ``established``;
    a sub-consignee typed on a holder's reply form is ``unverified`` until staff verify it as a
    party of its own or merge it into the existing party it really is (``merged``)."""

    ESTABLISHED = "established", _("Established")
    UNVERIFIED = "unverified", _("Reported, unverified")
    VERIFIED = "verified", _("Reported, verified")
    MERGED = "merged", _("Reported, merged")


# Holders a sub-consignee can be (reported ones and what they may be merged into).
HOLDER_TYPES = ("distributor", "hospital", "end_user", "service_partner")


class Address(models.Model):
    """Postal address with ISO country and province/state codes and coordinates."""

    country = models.CharField(
        _("country"), max_length=2, blank=True, help_text=_("ISO 3166-1 alpha-2")
    )
    province = models.CharField(_("province/state"), max_length=100, blank=True)
    province_code = models.CharField(
        _("province/state code"), max_length=10, blank=True, help_text=_("ISO 3166-2")
    )
    city = models.CharField(_("city"), max_length=100, blank=True)
    address = models.CharField(_("street address"), max_length=255, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )

    class Meta:
        abstract = True


class Party(Address, TimeStampedModel):
    """A company, institution or person that holds, moves, services or supplies devices."""

    code = models.CharField(_("party code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=255)
    name_en = models.CharField(_("English name"), max_length=255, blank=True)
    # The street address as English documents print it (the FDA 806 consignee list): a Chinese
    # party's ``address`` is in Chinese. Province and country are named from their codes.
    address_en = models.CharField(
        _("English street address"),
        max_length=255,
        blank=True,
        help_text=_("Street, district and city in English, for English documents (optional)."),
    )
    party_type = models.CharField(_("party type"), max_length=20, choices=PartyType.choices)
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS
    )
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=10, choices=Channel.choices, default=Channel.EMAIL
    )
    is_active = models.BooleanField(_("active"), default=True)
    notes = models.TextField(_("notes"), blank=True)
    # A sub-consignee reported on a holder's reply: who reported it, and the staff review.
    review = models.CharField(
        _("review"), max_length=12, choices=Review.choices, default=Review.ESTABLISHED
    )
    reported_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reported_parties",
        verbose_name=_("reported by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_parties",
        verbose_name=_("merged into"),
    )

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["party_type"]),
            models.Index(fields=["country", "province_code"]),
            models.Index(fields=["review"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(party_type__in=PartyType.values), name="party_type_known"
            ),
            models.CheckConstraint(
                condition=models.Q(review__in=Review.values), name="party_review_known"
            ),
            # Only a reported party is under review; a merged one names where it went.
            models.CheckConstraint(
                condition=models.Q(review="established", reported_by__isnull=True)
                | (~models.Q(review="established") & models.Q(reported_by__isnull=False)),
                name="party_review_reported",
            ),
            models.CheckConstraint(
                condition=models.Q(review="merged", merged_into__isnull=False)
                | (~models.Q(review="merged") & models.Q(merged_into__isnull=True)),
                name="party_merged_names_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_unverified(self) -> bool:
        return self.review == Review.UNVERIFIED


class Contact(TimeStampedModel):
    """A person at a party whom notices go to."""

    party = models.ForeignKey(
        Party, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("party")
    )
    name = models.CharField(_("name"), max_length=150)
    title = models.CharField(_("job title"), max_length=150, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=10, choices=Channel.choices, default=Channel.EMAIL
    )
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS
    )
    is_primary = models.BooleanField(_("primary contact"), default=False)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["party__code", "-is_primary", "name"]
        constraints = [
            models.UniqueConstraint(fields=["party", "name"], name="contact_unique_name_per_party"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.party.code})"


class Location(Address, TimeStampedModel):
    """A place that holds stock: where events arrive and leave."""

    code = models.CharField(_("location code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=255)
    location_type = models.CharField(
        _("location type"), max_length=20, choices=LocationType.choices
    )
    party = models.ForeignKey(
        Party, on_delete=models.PROTECT, related_name="locations", verbose_name=_("party")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(location_type__in=LocationType.values),
                name="location_type_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
