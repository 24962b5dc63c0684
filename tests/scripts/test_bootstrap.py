"""The set-up script runs the whole suite on the cores it may use, and copes with a ``.venv``
it did not make: a link to a checkout that is gone is replaced (a fresh clone once carried
one), a folder without Python is refused by name, and the repository never tracks a ``.venv``
of its own."""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import restored_signal_handlers

ROOT = Path(__file__).resolve().parents[2]


def bootstrap_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bootstrap", ROOT / "scripts" / "bootstrap.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def bootstrap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[ModuleType, list[list[str]]]:
    module = bootstrap_module()
    venv = tmp_path / ".venv"
    monkeypatch.setattr(module, "VENV", venv)
    monkeypatch.setattr(module, "PY", venv / "bin" / "python")
    commands: list[list[str]] = []

    def record(step: str, command: list[str | Path], *, hint: str = "") -> None:
        commands.append([str(part) for part in command])

    monkeypatch.setattr(module, "run", record)
    return module, commands


def test_a_link_to_a_missing_checkout_is_replaced_by_a_new_environment(
    bootstrap: tuple[ModuleType, list[list[str]]], tmp_path: Path
) -> None:
    module, commands = bootstrap
    (tmp_path / ".venv").symlink_to(tmp_path / "gone" / ".venv")

    module.ensure_venv()

    assert not (tmp_path / ".venv").is_symlink()
    assert len(commands) == 1
    assert commands[0][1:3] == ["-m", "venv"]
    assert commands[0][-1] == str(tmp_path / ".venv")


def test_a_folder_without_python_is_refused_by_name(
    bootstrap: tuple[ModuleType, list[list[str]]], tmp_path: Path
) -> None:
    module, commands = bootstrap
    (tmp_path / ".venv").mkdir()

    with pytest.raises(module.StepError) as refused:
        module.ensure_venv()

    assert str(tmp_path / ".venv") in str(refused.value)
    assert "holds no Python" in str(refused.value)
    assert commands == []


def test_the_repository_tracks_no_virtual_environment() -> None:
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    listed = subprocess.run(  # noqa: S603 (git, fixed arguments)
        [git, "ls-files", "--", ".venv", ".venv/*"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    assert listed.stdout.strip() == ""


def test_the_whole_suite_runs_on_the_cores_it_may_use(monkeypatch: pytest.MonkeyPatch) -> None:
    module = bootstrap_module()
    monkeypatch.setattr(module.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert module.with_workers([]) == ["-n", "2"]
    monkeypatch.setattr(module.os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    assert module.with_workers([]) == ["-n", "4"]
    monkeypatch.setattr(module.os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert module.with_workers([]) == []


def test_a_run_shaped_by_its_caller_is_left_as_given() -> None:
    module = bootstrap_module()
    assert module.with_workers(["tests/core", "-x"]) == ["tests/core", "-x"]


def test_a_stop_ends_a_test_run_that_ignores_sigterm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = bootstrap_module()
    started = tmp_path / "started"
    deaf = tmp_path / "test_deaf.py"
    deaf.write_text(
        "import signal, time\n"
        "from pathlib import Path\n"
        "def test_deaf():\n"
        "    signal.signal(signal.SIGTERM, lambda *_: None)\n"
        f"    Path({str(started)!r}).touch()\n"
        "    time.sleep(600)\n"
    )
    monkeypatch.setattr(module, "PY", Path(sys.executable))
    monkeypatch.setattr(module, "ROOT", tmp_path)
    children: list[subprocess.Popen[bytes]] = []
    popen = subprocess.Popen

    def keep(*args: object, **kwargs: object) -> subprocess.Popen[bytes]:
        child: subprocess.Popen[bytes] = popen(*args, **kwargs)  # type: ignore[call-overload]
        children.append(child)
        return child

    monkeypatch.setattr(module.subprocess, "Popen", keep)

    def stop_once_started() -> None:
        while not started.exists():
            time.sleep(0.1)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=stop_once_started, daemon=True).start()
    with restored_signal_handlers():
        code = module.run_pytest([str(deaf), "-q", "-p", "no:cacheprovider"])

    assert code == 128 + signal.SIGTERM
    assert children[0].returncode == -signal.SIGKILL
