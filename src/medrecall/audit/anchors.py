"""The key the chain is hashed with and the signed checkpoints that anchor its head.

Both live outside the database on purpose (see ``docs/audit.md``):

- The *audit key* (``MEDRECALL_AUDIT_KEY``, else ``audit.key`` generated once in the data
  directory, mode 0600) makes each entry's hash an HMAC: someone who can write the audit
  table but not read the key cannot recompute the chain after editing an entry.
- A *checkpoint* is one JSON line appended to ``MEDRECALL_AUDIT_CHECKPOINT_FILE`` (default
  ``audit-checkpoints.jsonl`` in the data directory): the head's sequence and hash, the
  entry count, the time and an HMAC over them. Deleting the newest entries leaves the table
  behind the last checkpoint, which ``verify_chain`` reports as truncation.

Checkpoints are written after the transaction that recorded the entry commits (a rolled-back
entry is never anchored), every ``MEDRECALL_AUDIT_CHECKPOINT_EVERY`` entries, at the first
keyed entry, once per ``MEDRECALL_AUDIT_CHECKPOINT_SECONDS`` per process, and by
``medrecall audit checkpoint`` / ``audit verify``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

# re-exported: ``verify_chain`` catches it here
from .errors import CheckpointUnreadable as CheckpointUnreadable

KEY_FILE_NAME = "audit.key"
CHECKPOINT_FILE_NAME = "audit-checkpoints.jsonl"
DEFAULT_EVERY = 1000
DEFAULT_SECONDS = 3600

_last_written: float | None = None  # monotonic time of this process's last checkpoint


def _data_dir() -> Path:
    return Path(getattr(settings, "DATA_DIR", ".")).resolve()


@lru_cache(maxsize=8)
def _load_key(configured: str, key_file: str) -> bytes:
    if configured:
        return configured.encode("utf-8")
    path = Path(key_file)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # O_EXCL: two processes starting at once cannot both write a different key.
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write(secrets.token_hex(32) + "\n")
    key = path.read_text(encoding="ascii").strip()
    if not key:
        raise RuntimeError(f"The audit key file {path} is empty; restore it from the backup.")
    return key.encode("ascii")


def audit_key() -> bytes:
    """The HMAC key of the chain: the setting, else the data directory's key file (made once)."""
    configured = str(getattr(settings, "MEDRECALL_AUDIT_KEY", "") or "")
    key_file = str(getattr(settings, "MEDRECALL_AUDIT_KEY_FILE", "") or _data_dir() / KEY_FILE_NAME)
    return _load_key(configured, key_file)


def key_id(key: bytes | None = None) -> str:
    """A fingerprint that names the key without revealing it (shown in checkpoints)."""
    return hmac.new(key or audit_key(), b"medrecall-audit-key-id", hashlib.sha256).hexdigest()[:16]


def checkpoint_path() -> Path:
    configured = getattr(settings, "MEDRECALL_AUDIT_CHECKPOINT_FILE", "")
    return Path(configured) if configured else _data_dir() / CHECKPOINT_FILE_NAME


@dataclass(frozen=True)
class Checkpoint:
    sequence: int
    head_hash: str
    count: int
    at: str
    key_id: str
    mac: str

    def signed_part(self) -> dict[str, Any]:
        return {
            "sequence": self.sequence,
            "head_hash": self.head_hash,
            "count": self.count,
            "at": self.at,
            "key_id": self.key_id,
        }


def _mac(fields: dict[str, Any], key: bytes) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def checkpoint_is_authentic(checkpoint: Checkpoint) -> bool:
    """Whether the line was written by a holder of the audit key and not edited since."""
    return hmac.compare_digest(checkpoint.mac, _mac(checkpoint.signed_part(), audit_key()))


def checkpoint_append(
    *, sequence: int, head_hash: str, count: int, at: datetime | None = None
) -> Checkpoint:
    """Append one signed checkpoint line (one ``write`` on an ``O_APPEND`` file, then fsync)."""
    global _last_written  # the one piece of process state: when this process last anchored
    key = audit_key()
    unsigned = Checkpoint(
        sequence=sequence,
        head_hash=head_hash,
        count=count,
        at=(at or timezone.now()).isoformat(),
        key_id=key_id(key),
        mac="",
    )
    fields = unsigned.signed_part()
    checkpoint = Checkpoint(**{**fields, "mac": _mac(fields, key)})
    path = checkpoint_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (
        json.dumps({**fields, "mac": checkpoint.mac}, sort_keys=True, separators=(",", ":")) + "\n"
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(descriptor, line.encode("utf-8"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    _last_written = time.monotonic()
    return checkpoint


def checkpoints() -> Iterator[Checkpoint]:
    """Every checkpoint in the file, in the order written; none if the file does not exist."""
    path = checkpoint_path()
    if not path.exists():
        return
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                yield Checkpoint(
                    sequence=int(raw["sequence"]),
                    head_hash=str(raw["head_hash"]),
                    count=int(raw["count"]),
                    at=str(raw["at"]),
                    key_id=str(raw["key_id"]),
                    mac=str(raw["mac"]),
                )
            except (ValueError, KeyError, TypeError) as error:
                raise CheckpointUnreadable(number) from error


def checkpoint_due(sequence: int, *, first_keyed: bool) -> bool:
    """Whether the entry just recorded should be anchored once its transaction commits."""
    every = int(getattr(settings, "MEDRECALL_AUDIT_CHECKPOINT_EVERY", DEFAULT_EVERY) or 0)
    seconds = float(getattr(settings, "MEDRECALL_AUDIT_CHECKPOINT_SECONDS", DEFAULT_SECONDS) or 0)
    if first_keyed or (every and sequence % every == 0):
        return True
    return bool(seconds) and (_last_written is None or time.monotonic() - _last_written >= seconds)
