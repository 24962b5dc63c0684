from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from medrecall.accounts.models import User
from medrecall.recalls.models import RecallCase
from tests.execution.test_closure import class_i_recall


@pytest.fixture
def class_i(tmp_path: Path, manager: User, make_user: Callable[..., User]) -> RecallCase:
    """Lot K1, 420 units at 11 hospitals (NMPA 一级); HX01 returned its 40 (destroyed); HX02…HX11
    hold 38 each; in effectiveness check."""
    return class_i_recall(tmp_path, manager, make_user)
