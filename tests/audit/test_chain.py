"""The audit chain: appended in order, verified intact, and the first tampered entry found."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from medrecall.audit import services as audit
from medrecall.audit.models import AuditEntry
from tests.factories import PartyFactory

pytestmark = pytest.mark.django_db


def make_entries(actor: object, count: int = 3) -> list[AuditEntry]:
    party = PartyFactory()
    return [audit.record(actor=actor, action="parties.party.changed", target=party, changes={"name": [str(i), str(i + 1)]},
                         reason=f"step {i}") for i in range(count)]


def test_entries_chain_to_each_other(manager: object) -> None:
    first, second, third = make_entries(manager)
    assert [e.sequence for e in (first, second, third)] == [1, 2, 3]
    assert first.previous_hash == audit.GENESIS_HASH
    assert second.previous_hash == first.entry_hash
    assert third.previous_hash == second.entry_hash
    assert audit.verify_chain() is None


@pytest.mark.parametrize(("field", "value"), [
    pytest.param("reason", "rewritten", id="reason"), pytest.param("changes", {"name": ["x", "y"]}, id="changes"),
    pytest.param("actor_name", "someone-else", id="actor"),
])
def test_a_changed_entry_is_found(manager: object, field: str, value: object) -> None:
    make_entries(manager, 4)
    AuditEntry.objects.filter(sequence=2).update(**{field: value})
    broken = audit.verify_chain()
    assert broken is not None
    assert (broken.sequence, broken.problem) == (2, "content")


def test_a_deleted_entry_is_found(manager: object) -> None:
    make_entries(manager, 4)
    AuditEntry.objects.filter(sequence=3).delete()
    broken = audit.verify_chain()
    assert broken is not None
    assert (broken.sequence, broken.problem) == (3, "missing")


def test_verify_command_exit_codes(manager: object, capsys: pytest.CaptureFixture[str]) -> None:
    make_entries(manager, 2)
    call_command("audit", "verify")
    assert "intact: 2 entries" in capsys.readouterr().out
    AuditEntry.objects.filter(sequence=1).update(reason="forged")
    with pytest.raises(SystemExit) as exited:
        call_command("audit", "verify")
    assert exited.value.code == 1
    assert "BROKEN at entry #1" in capsys.readouterr().out


def test_audited_save_records_old_and_new(manager: object) -> None:
    party = PartyFactory(name="旧名称")
    party.name = "新名称"
    audit.audited_save(instance=party, actor=manager, action="parties.party", reason="renamed")
    entry = AuditEntry.objects.get()
    assert entry.action == "parties.party.changed"
    assert entry.changes == {"name": ["旧名称", "新名称"]}
    assert (entry.reason, entry.actor_name, entry.target_id) == ("renamed", manager.username, str(party.pk))


def test_admin_verify_page_points_at_the_tampered_entry(manager: object, client: object) -> None:
    from medrecall.accounts.models import User

    admin = User.objects.create_superuser("root", "root@example.com", "pw-root-123")
    client.force_login(admin)  # type: ignore[attr-defined]
    make_entries(manager, 3)
    intact = client.get("/admin/audit/auditentry/verify/").content.decode()  # type: ignore[attr-defined]
    assert "intact: 3 entries" in intact
    AuditEntry.objects.filter(sequence=2).update(reason="forged")
    broken = client.get("/admin/audit/auditentry/verify/").content.decode()  # type: ignore[attr-defined]
    assert "broken at entry #2" in broken
    listing = client.get("/admin/audit/auditentry/").content.decode()  # type: ignore[attr-defined]
    assert "Verify the hash chain" in listing
