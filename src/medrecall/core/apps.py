from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def model_migrated(signal_arguments: dict[str, Any], app_label: str, model_name: str) -> bool:
    """For a ``post_migrate`` receiver that seeds a table: whether the migration run got as far
    as creating it (``migrate APP N`` can stop before; the signal's ``apps`` is the state the
    run left)."""
    state = signal_arguments.get("apps")
    try:
        return state is None or bool(state.get_model(app_label, model_name))
    except LookupError:
        return False


class CoreConfig(AppConfig):
    name = "medrecall.core"
    label = "core"
    verbose_name = _("Core")
