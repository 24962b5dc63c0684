"""The Django admin is no way around the audit trail: regulated records cannot be deleted
there, and every change that remains possible is audited with old → new."""

from __future__ import annotations

from typing import Any, cast

import pytest
from django.contrib import admin
from django.test import Client

from medrecall.accounts.models import User
from medrecall.audit.admin import AuditedAdmin
from medrecall.audit.models import AuditEntry
from medrecall.parties.models import Contact, Party
from medrecall.recalls.models import ApprovalStep
from tests.factories import ContactFactory, PartyFactory

pytestmark = pytest.mark.django_db

REGULATED = {
    "accounts.signature",
    "audit.auditentry",
    "catalog.lot",
    "catalog.serial",
    "core.importrun",
    "execution.hold",
    "recalls.approvalstep",
    "recalls.recallcase",
    "traceability.traceevent",
}


@pytest.fixture
def root(client: Client) -> User:
    user = User.objects.create_superuser("root", "root@example.com", "pw-root-123")
    client.force_login(user)
    return user


def form_data(response: Any) -> dict[str, Any]:
    """What the browser would send back for an admin change page, unchanged."""
    data: dict[str, Any] = {}

    def add(form: Any) -> None:
        for bound in form:
            value = bound.value()
            if value is None or value is False:
                continue
            data[bound.html_name] = value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data


def ours() -> dict[str, Any]:
    admin.autodiscover()  # as the URL conf does when it loads (medrecall/web/apps.py)
    return {
        model._meta.label_lower: model_admin
        for model, model_admin in admin.site._registry.items()
        if model.__module__.startswith("medrecall.")
    }


def test_every_admin_of_ours_is_audited_or_read_only() -> None:
    for label, model_admin in ours().items():
        audited = isinstance(model_admin, AuditedAdmin)
        read_only = label in {
            "core.importrun",
            "core.taskworker",
        }  # core sits below audit: read-only instead
        assert audited or read_only, label


@pytest.mark.parametrize("label", sorted(REGULATED))
def test_regulated_records_cannot_be_deleted_in_the_admin(label: str, root: User, rf: Any) -> None:
    model_admin = ours()[label]
    request = rf.get("/")
    request.user = root
    assert model_admin.has_delete_permission(request) is False
    assert "delete_selected" not in model_admin.get_actions(request)


def test_deleting_an_approval_step_is_refused_and_leaves_it(root: User, client: Client) -> None:
    step = ApprovalStep.objects.order_by("pk").first()
    assert step is not None
    count, entries = ApprovalStep.objects.count(), AuditEntry.objects.count()
    response = client.post(f"/admin/recalls/approvalstep/{step.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    bulk = client.post(
        "/admin/recalls/approvalstep/",
        {"action": "delete_selected", "_selected_action": [step.pk], "post": "yes"},
    )
    assert bulk.status_code == 200  # "no such action": the list page again, nothing deleted
    assert ApprovalStep.objects.count() == count
    assert AuditEntry.objects.count() == entries


def test_changing_an_approval_step_in_the_admin_is_audited(root: User, client: Client) -> None:
    step = ApprovalStep.objects.get(regime="nmpa", recall_class="I", step="ra_head")
    url = f"/admin/recalls/approvalstep/{step.pk}/change/"
    data = form_data(client.get(url))
    data["label"] = "RA director"
    data.pop("distinct_signer", None)  # unticked
    assert client.post(url, data).status_code == 302
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor_name, entry.target_type, entry.target_id) == (
        "admin.recalls.approvalstep.changed",
        "root",
        "recalls.approvalstep",
        str(step.pk),
    )
    assert entry.changes == {"label": ["RA head", "RA director"], "distinct_signer": [True, False]}


def test_adding_changing_and_deleting_in_the_admin_is_audited(root: User, client: Client) -> None:
    party = cast(Party, PartyFactory(code="HOSP-X", name="旧医院"))
    contact = cast(Contact, ContactFactory(party=party, name="Wang Li", email="wang@example.com"))
    url = f"/admin/parties/party/{party.pk}/change/"
    data = form_data(client.get(url))
    data["name"] = "新医院"
    prefix = "contacts"
    data[f"{prefix}-0-email"] = "wang.li@example.com"
    assert client.post(url, data).status_code == 302
    changes = {e.action: (e.target_id, e.changes) for e in AuditEntry.objects.order_by("sequence")}
    assert changes == {
        "admin.parties.party.changed": (str(party.pk), {"name": ["旧医院", "新医院"]}),
        "admin.parties.contact.changed": (
            str(contact.pk),
            {"email": ["wang@example.com", "wang.li@example.com"]},
        ),
    }
    data = form_data(client.get(url))
    data[f"{prefix}-0-DELETE"] = "on"
    assert client.post(url, data).status_code == 302
    deleted = AuditEntry.objects.order_by("-sequence").first()
    assert deleted is not None
    assert (deleted.action, deleted.target_id, deleted.changes["email"]) == (
        "admin.parties.contact.deleted",
        str(contact.pk),
        ["wang.li@example.com", None],
    )
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert (
        client.post(f"/admin/parties/party/{party.pk}/delete/", {"post": "yes"}).status_code == 302
    )
    gone = AuditEntry.objects.order_by("-sequence").first()
    assert gone is not None
    assert (gone.action, gone.target_id, gone.changes["code"]) == (
        "admin.parties.party.deleted",
        str(party.pk),
        ["HOSP-X", None],
    )
    assert not Party.objects.filter(pk=party.pk).exists()


def test_bulk_delete_in_the_admin_is_audited_row_by_row(root: User, client: Client) -> None:
    parties = [cast(Party, PartyFactory()), cast(Party, PartyFactory())]
    response = client.post(
        "/admin/parties/party/",
        {"action": "delete_selected", "post": "yes", "_selected_action": [p.pk for p in parties]},
    )
    assert response.status_code == 302
    assert sorted(
        AuditEntry.objects.filter(action="admin.parties.party.deleted").values_list(
            "target_id", flat=True
        )
    ) == sorted(str(p.pk) for p in parties)
    assert Party.objects.filter(pk__in=[p.pk for p in parties]).count() == 0
