"""Seeding after ``migrate`` only where the run created the table (``migrate APP N`` stops early)."""

from __future__ import annotations

from django.apps import apps
from django.db.migrations.state import ProjectState

from medrecall.core.apps import model_migrated
from medrecall.notices.apps import _seed_templates
from medrecall.recalls.apps import _seed_approval_steps


def test_model_migrated_follows_the_state_the_run_left() -> None:
    empty = ProjectState().apps
    assert not model_migrated({"apps": empty}, "recalls", "ApprovalStep")
    assert model_migrated({"apps": apps}, "recalls", "ApprovalStep")
    assert model_migrated(
        {}, "recalls", "ApprovalStep"
    )  # sent without a state: the models as they are


def test_seeders_leave_an_unmigrated_database_alone() -> None:
    """No database access at all (this test has none: a query would fail it)."""
    empty = ProjectState().apps
    _seed_approval_steps(apps.get_app_config("recalls"), apps=empty, using="default")
    _seed_templates(apps.get_app_config("notices"), apps=empty, using="default")
