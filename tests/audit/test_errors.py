"""The audit trail's named error (``audit.errors``): a damaged checkpoint line is
``CheckpointUnreadable`` with its line number, which ``verify_chain`` reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from medrecall.audit import anchors, errors
from medrecall.audit.services import verify_chain


def test_a_line_that_is_no_checkpoint_is_checkpoint_unreadable() -> None:
    path = anchors.checkpoint_path()
    path.write_text('\n{"sequence": "not a number"}\n', encoding="utf-8")
    with pytest.raises(errors.CheckpointUnreadable) as damaged:
        list(anchors.checkpoints())
    assert (type(damaged.value), damaged.value.line_number, str(damaged.value)) == (
        errors.CheckpointUnreadable,
        2,
        "line 2",
    )
    assert anchors.CheckpointUnreadable is errors.CheckpointUnreadable


@pytest.mark.django_db
def test_verify_chain_reports_the_unreadable_line_as_a_forged_checkpoint() -> None:
    Path(anchors.checkpoint_path()).write_text("garbage\n", encoding="utf-8")
    problem = verify_chain()
    assert problem is not None
    assert (problem.sequence, problem.problem) == (1, "checkpoint_forged")
