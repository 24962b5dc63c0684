"""0002_chain_anchor: a chain written before the keyed hash keeps verifying, and the first
keyed entry seals it."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from medrecall.audit import services as audit
from medrecall.audit.models import AuditEntry

BEFORE = [("audit", "0001_initial")]
AFTER = [("audit", "0002_chain_anchor")]


def legacy_entry(sequence: int, previous_hash: str) -> dict[str, object]:
    """An entry as the old ``record`` wrote it: plain SHA-256, no chain version."""
    fields = {
        "sequence": sequence,
        "recorded_at": datetime(2026, 1, sequence, tzinfo=UTC).isoformat(),
        "actor_id": None,
        "actor_name": "system",
        "action": "parties.party.changed",
        "target_type": "parties.party",
        "target_id": "1",
        "target_label": "P",
        "changes": {"n": [sequence]},
        "reason": "",
    }
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.sha256((previous_hash + canonical).encode()).hexdigest()
    return {
        **{k: v for k, v in fields.items() if k != "actor_id"},
        "recorded_at": datetime(2026, 1, sequence, tzinfo=UTC),
        "previous_hash": previous_hash,
        "entry_hash": digest,
    }


@pytest.mark.django_db(transaction=True)
def test_an_old_chain_still_verifies_after_the_migration() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_entry = executor.loader.project_state(BEFORE).apps.get_model("audit", "AuditEntry")
    previous = audit.GENESIS_HASH
    for sequence in (1, 2, 3):
        row = old_entry.objects.create(**legacy_entry(sequence, previous))
        previous = row.entry_hash
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert list(AuditEntry.objects.values_list("sequence", "chain_version")) == [
        (1, 1),
        (2, 1),
        (3, 1),
    ]
    assert audit.verify_chain() is None
    new = audit.record(
        actor=None, action="parties.party.changed", target_type="parties.party", target_id="1"
    )
    assert (new.sequence, new.chain_version, new.previous_hash) == (4, audit.KEYED, previous)
    assert audit.verify_chain() is None
    # The keyed entry seals the legacy ones: editing one and recomputing the SHA-256 chain
    # breaks the link into the first keyed entry.
    entry = AuditEntry.objects.get(sequence=2)
    entry.reason = "forged"
    entry.entry_hash = audit.entry_digest(
        previous_hash=entry.previous_hash, fields=audit.hashed_fields(entry)
    )
    entry.save()
    third = AuditEntry.objects.get(sequence=3)
    third.previous_hash = entry.entry_hash
    third.entry_hash = audit.entry_digest(
        previous_hash=third.previous_hash, fields=audit.hashed_fields(third)
    )
    third.save()
    assert audit.verify_chain() == audit.ChainBreak(4, "previous_hash")
