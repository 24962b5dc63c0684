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
    return [
        audit.record(
            actor=actor,
            action="parties.party.changed",
            target=party,
            changes={"name": [str(i), str(i + 1)]},
            reason=f"step {i}",
        )
        for i in range(count)
    ]


def test_entries_chain_to_each_other(manager: object) -> None:
    first, second, third = make_entries(manager)
    assert [e.sequence for e in (first, second, third)] == [1, 2, 3]
    assert first.previous_hash == audit.GENESIS_HASH
    assert second.previous_hash == first.entry_hash
    assert third.previous_hash == second.entry_hash
    assert audit.verify_chain() is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("reason", "rewritten", id="reason"),
        pytest.param("changes", {"name": ["x", "y"]}, id="changes"),
        pytest.param("actor_name", "someone-else", id="actor"),
    ],
)
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
    assert (entry.reason, entry.actor_name, entry.target_id) == (
        "renamed",
        manager.username,
        str(party.pk),
    )


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


def recompute_from(sequence: int, *, version: int, key: bytes | None = None) -> None:
    """What an attacker with write access to the table does after editing an entry: recompute
    the hash of that entry and every later one, so the chain links up again."""
    previous = (
        AuditEntry.objects.filter(sequence=sequence - 1)
        .values_list("entry_hash", flat=True)
        .first()
    )
    previous = previous or audit.GENESIS_HASH
    for entry in AuditEntry.objects.filter(sequence__gte=sequence).order_by("sequence"):
        entry.previous_hash = previous
        entry.chain_version = version
        entry.entry_hash = audit.entry_digest(
            previous_hash=previous, fields=audit.hashed_fields(entry), version=version, key=key
        )
        entry.save(update_fields=["previous_hash", "chain_version", "entry_hash"])
        previous = entry.entry_hash


def test_new_entries_are_keyed_hmacs(manager: object) -> None:
    import hashlib
    import hmac
    import json

    from medrecall.audit import anchors

    first, _second = make_entries(manager, 2)
    canonical = json.dumps(
        audit.hashed_fields(first), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    text = (audit.GENESIS_HASH + canonical).encode()
    assert first.chain_version == audit.KEYED
    assert first.entry_hash == hmac.new(anchors.audit_key(), text, hashlib.sha256).hexdigest()
    assert first.entry_hash != hashlib.sha256(text).hexdigest()


def test_deleting_the_newest_entries_is_found_as_truncation(manager: object) -> None:
    make_entries(manager, 5)
    assert audit.checkpoint_write() is not None
    AuditEntry.objects.filter(sequence__gte=4).delete()
    broken = audit.verify_chain()
    assert broken == audit.ChainBreak(4, "truncated")


def test_entries_after_the_last_checkpoint_verify(manager: object) -> None:
    make_entries(manager, 2)
    audit.checkpoint_write()
    make_entries(manager, 2)
    assert audit.verify_chain() is None


@pytest.mark.parametrize(
    ("version", "problem"),
    [
        pytest.param(1, "downgrade", id="sha256-as-legacy"),
        pytest.param(2, "content", id="hmac-without-the-key"),
    ],
)
def test_editing_and_recomputing_every_later_hash_is_found(
    manager: object, version: int, problem: str
) -> None:
    make_entries(manager, 5)
    AuditEntry.objects.filter(sequence=3).update(reason="forged")
    recompute_from(3, version=version, key=b"a guess, not the audit key")
    broken = audit.verify_chain()
    assert broken is not None
    assert (broken.sequence, broken.problem) == (3, problem)


def test_rewriting_the_whole_chain_unkeyed_contradicts_the_checkpoint(manager: object) -> None:
    make_entries(manager, 4)
    audit.checkpoint_write()
    AuditEntry.objects.filter(sequence=2).update(reason="forged")
    recompute_from(1, version=audit.LEGACY)
    assert audit.verify_chain() == audit.ChainBreak(4, "checkpoint_mismatch")


def test_a_forged_checkpoint_is_found(manager: object) -> None:
    import json

    from medrecall.audit import anchors

    make_entries(manager, 2)
    audit.checkpoint_write()
    path = anchors.checkpoint_path()
    line = json.loads(path.read_text())
    path.write_text(json.dumps({**line, "sequence": 1}) + "\n")
    assert audit.verify_chain() == audit.ChainBreak(1, "checkpoint_forged")
    path.write_text("not json\n")
    assert audit.verify_chain() == audit.ChainBreak(1, "checkpoint_forged")


def test_checkpoints_are_written_every_n_entries_after_commit(
    manager: object,
    settings: object,
    django_capture_on_commit_callbacks: object,
) -> None:
    import json

    from medrecall.audit import anchors

    settings.MEDRECALL_AUDIT_CHECKPOINT_EVERY = 3  # type: ignore[attr-defined]
    settings.MEDRECALL_AUDIT_CHECKPOINT_SECONDS = 0  # type: ignore[attr-defined]
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        entries = make_entries(manager, 7)
    lines = [json.loads(line) for line in anchors.checkpoint_path().read_text().splitlines()]
    # The first keyed entry, then every third.
    assert [(c["sequence"], c["head_hash"], c["count"]) for c in lines] == [
        (n, entries[n - 1].entry_hash, n) for n in (1, 3, 6)
    ]
    AuditEntry.objects.filter(sequence=7).delete()
    assert audit.verify_chain() is None  # after the last checkpoint: the documented window
    AuditEntry.objects.filter(sequence=6).delete()
    assert audit.verify_chain() == audit.ChainBreak(6, "truncated")


def test_an_entry_rolled_back_is_not_anchored(
    manager: object, django_capture_on_commit_callbacks: object
) -> None:
    from django.db import transaction

    from medrecall.audit import anchors

    def failing_change() -> None:
        with transaction.atomic():
            make_entries(manager, 1)
            raise RuntimeError("the business change failed")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):  # type: ignore[operator]
        failing_change()
    assert not anchors.checkpoint_path().exists()
    assert AuditEntry.objects.count() == 0


def test_verify_and_checkpoint_commands_anchor_the_head(
    manager: object, capsys: pytest.CaptureFixture[str]
) -> None:
    from medrecall.audit import anchors

    make_entries(manager, 3)
    call_command("audit", "checkpoint")
    assert (
        f"Checkpoint written at entry #3 to {anchors.checkpoint_path()}" in capsys.readouterr().out
    )
    make_entries(manager, 1)
    call_command("audit", "verify")
    assert "intact: 4 entries" in capsys.readouterr().out
    AuditEntry.objects.filter(sequence=4).delete()
    with pytest.raises(SystemExit) as exited:
        call_command("audit", "verify")
    assert exited.value.code == 1
    assert "BROKEN at entry #4 (truncated)" in capsys.readouterr().out


def test_the_key_is_generated_once_outside_the_database(settings: object, tmp_path: object) -> None:
    from pathlib import Path

    from medrecall.audit import anchors

    key_file = Path(str(tmp_path)) / "keys" / "audit.key"
    settings.MEDRECALL_AUDIT_KEY = ""  # type: ignore[attr-defined]
    settings.MEDRECALL_AUDIT_KEY_FILE = str(key_file)  # type: ignore[attr-defined]
    first = anchors.audit_key()
    assert len(first) == 64
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert anchors.audit_key() == first
    settings.MEDRECALL_AUDIT_KEY = "from-the-environment"  # type: ignore[attr-defined]
    assert anchors.audit_key() == b"from-the-environment"


def test_record_makes_no_more_queries_than_before(
    manager: object, django_assert_num_queries: object
) -> None:
    make_entries(manager, 1)
    party = PartyFactory()
    # Savepoint, lock and read the head, insert, release: the keyed hash and the checkpoint
    # decision add none (checkpoints are written after commit, from values in memory).
    with django_assert_num_queries(4):  # type: ignore[operator]
        audit.record(
            actor=manager,
            action="parties.party.changed",
            target=party,
            changes={"name": ["a", "b"]},
        )
