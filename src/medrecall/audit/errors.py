"""Named errors of the audit trail.

The trail refuses nothing a user asked for: an invalid record kept through ``audited_save`` is
``core.errors.ValidationFailed`` (invalid input, nothing to tell apart). What callers do tell
apart is a damaged checkpoint file, which ``verify_chain`` reports as ``checkpoint_forged``."""

from __future__ import annotations


class CheckpointUnreadable(ValueError):
    """A line of the checkpoint file is not a checkpoint (damaged or edited). Not a refusal
    shown to a user (so not a ``DomainError``): ``verify_chain`` turns it into a chain break."""

    def __init__(self, line_number: int) -> None:
        super().__init__(f"line {line_number}")
        self.line_number = line_number
