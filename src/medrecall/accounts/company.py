"""The company's identifiers as the documents print them: the FDA establishment registration
number (the 806 report number), the EU SRN (every field safety notice), the registrant's name
and address as registered with NMPA. Stored in the database (``CompanyIdentity``), set from
Administration → Company, the API or ``medrecall company``; the environment's ``MEDRECALL_COMPANY_*``
values are the default until the first change."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from medrecall.audit import services as audit
from medrecall.core.errors import ValidationFailed

from .models import CompanyIdentity, User

CHANGE = "accounts.change_companyidentity"
# What the form, the API and the command set, with its label.
FIELDS = {
    "fda_registration": gettext_lazy("FDA establishment registration number"),
    "srn": gettext_lazy("EU single registration number (SRN)"),
    "name_zh": gettext_lazy("Registrant name (Chinese, as registered with NMPA)"),
    "address_zh": gettext_lazy("Registrant address (Chinese, as registered with NMPA)"),
}
FDA_REGISTRATION = re.compile(r"\d{7,10}")


class CompanyIdentityInvalid(ValidationFailed):
    code = "company_identity_invalid"


def company_identity() -> dict[str, Any]:
    """The company as the documents print it: the settings' values, with what is stored over
    them (one query)."""
    found = dict(settings.MEDRECALL_COMPANY)
    stored = CompanyIdentity.objects.filter(pk=1).values(*FIELDS).first()
    if stored is not None:
        found.update(stored)
    return found


@transaction.atomic
def company_identity_set(*, actor: User, values: Mapping[str, str]) -> dict[str, Any]:
    """Change some of the company's identifiers (a key left out is kept); audited with what
    changed. The FDA registration number is 7 to 10 digits."""
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        raise CompanyIdentityInvalid(
            _("Unknown company field(s): %(fields)s.") % {"fields": ", ".join(unknown)}
        )
    cleaned = {key: str(value).strip() for key, value in values.items()}
    number = cleaned.get("fda_registration", "")
    if number and not FDA_REGISTRATION.fullmatch(number):
        raise CompanyIdentityInvalid(
            _("The FDA establishment registration number is 7 to 10 digits (e.g. 3001234567)."),
            where="fda_registration",
        )
    current = company_identity()
    row, _created = CompanyIdentity.objects.select_for_update().get_or_create(
        pk=1, defaults={key: str(current.get(key, "")) for key in FIELDS}
    )
    changes = {
        key: [getattr(row, key), value]
        for key, value in cleaned.items()
        if getattr(row, key) != value
    }
    if changes:
        for key, (_before, value) in changes.items():
            setattr(row, key, value)
        row.save()
        audit.record(
            actor=actor, action="accounts.company_identity_changed", target=row, changes=changes
        )
    return company_identity()
