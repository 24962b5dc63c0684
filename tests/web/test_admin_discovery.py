"""The admin's modules load with the URL conf, not at start-up (medrecall/web/apps.py): a
command does not pay for them, and the admin still lists every model it listed when Django
discovered them at start-up; its system checks discover them first."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROBE = """
import json, sys
import django
django.setup()
from django.contrib import admin
from django.core import checks

def admin_modules():
    return sorted(
        name for name in sys.modules
        if name.rsplit(".", 1)[-1] == "admin" and name != "django.contrib.admin"
    )

def registry():
    return {
        model._meta.label_lower: type(model_admin).__module__ + "." + type(model_admin).__name__
        for model, model_admin in admin.site._registry.items()
    }

at_start = {"modules": admin_modules(), "registry": registry()}
if sys.argv[1] == "urls":
    import medrecall.urls  # noqa: F401
    errors = []
else:
    errors = [str(message) for message in checks.run_checks(tags=[checks.Tags.admin])]
print(json.dumps({"at_start": at_start, "modules": admin_modules(), "registry": registry(),
                  "errors": errors}))
"""

# Every admin, as Django's start-up discovery registered them before (its module and class).
REGISTERED = {
    "accounts.signature": "medrecall.accounts.admin.SignatureAdmin",
    "audit.auditentry": "medrecall.audit.admin.AuditEntryAdmin",
    "auth.group": "django.contrib.auth.admin.GroupAdmin",
    "authtoken.tokenproxy": "rest_framework.authtoken.admin.TokenAdmin",
    "axes.accessattempt": "medrecall.accounts.admin.LoginAttemptAdmin",
    "catalog.devicemodel": "medrecall.catalog.admin.DeviceModelAdmin",
    "catalog.lot": "medrecall.catalog.admin.LotAdmin",
    "catalog.serial": "medrecall.catalog.admin.SerialAdmin",
    "core.importrun": "medrecall.core.admin.ImportRunAdmin",
    "core.taskworker": "medrecall.core.admin.TaskWorkerAdmin",
    "django_tasks_database.dbtaskresult": "medrecall.core.admin.TaskResultAdmin",
    "execution.carrier": "medrecall.execution.admin.CarrierAdmin",
    "execution.carrierrule": "medrecall.execution.admin.CarrierRuleAdmin",
    "execution.hold": "medrecall.execution.admin.HoldAdmin",
    "execution.serviceprovider": "medrecall.execution.admin.ServiceProviderAdmin",
    "finance.costentry": "medrecall.finance.admin.CostEntryAdmin",
    "finance.dispositioncost": "medrecall.finance.admin.DispositionCostAdmin",
    "finance.exchangerate": "medrecall.finance.admin.ExchangeRateAdmin",
    "finance.postedletter": "medrecall.finance.admin.PostedLetterAdmin",
    "finance.providerrate": "medrecall.finance.admin.ProviderRateAdmin",
    "parties.location": "medrecall.parties.admin.LocationAdmin",
    "parties.party": "medrecall.parties.admin.PartyAdmin",
    "quality.signalpolicy": "medrecall.quality.admin.SignalPolicyAdmin",
    "recalls.approvalstep": "medrecall.recalls.admin.ApprovalStepAdmin",
    "recalls.recallcase": "medrecall.recalls.admin.RecallCaseAdmin",
    "traceability.traceevent": "medrecall.traceability.admin.TraceEventAdmin",
}
ADMIN_MODULES = [
    "axes.admin",
    "django.contrib.auth.admin",
    "django.contrib.contenttypes.admin",
    "django_tasks_db.admin",
    "medrecall.accounts.admin",
    "medrecall.audit.admin",
    "medrecall.catalog.admin",
    "medrecall.core.admin",
    "medrecall.execution.admin",
    "medrecall.finance.admin",
    "medrecall.parties.admin",
    "medrecall.quality.admin",
    "medrecall.recalls.admin",
    "medrecall.traceability.admin",
    "rest_framework.authtoken.admin",
]


def run_probe(tmp_path: Path, how: str) -> dict[str, object]:
    environment = {
        **os.environ,
        "MEDRECALL_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "medrecall.settings.base",
    }
    # The embedded default: with REDIS_URL set, settings add django_rq (and its admin module).
    environment.pop("DATABASE_URL", None)
    environment.pop("REDIS_URL", None)
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", PROBE, how],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    answer: dict[str, object] = json.loads(done.stdout)
    return answer


def test_the_url_conf_registers_every_admin_start_up_did_not(tmp_path: Path) -> None:
    answer = run_probe(tmp_path, "urls")

    assert answer["at_start"] == {"modules": [], "registry": {}}
    assert answer["modules"] == ADMIN_MODULES
    assert answer["registry"] == REGISTERED


def test_the_admin_checks_discover_every_admin_first(tmp_path: Path) -> None:
    answer = run_probe(tmp_path, "checks")

    assert answer["at_start"] == {"modules": [], "registry": {}}
    assert answer["errors"] == []
    assert answer["modules"] == ADMIN_MODULES
    assert answer["registry"] == REGISTERED
