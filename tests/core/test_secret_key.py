"""SECRET_KEY: generated once into the data directory and reused; production refuses the
built-in or an empty key with a message, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from medrecall.settings import secret


def test_the_key_file_is_created_once_with_mode_0600_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "data" / "secret.key"
    first = secret.load(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert len(first) == 86  # 64 random bytes, URL-safe base64
    assert secret.load(path) == first
    assert path.read_text() == first + "\n"
    assert sorted(p.name for p in path.parent.iterdir()) == ["secret.key"]  # no partial file left


def test_processes_starting_at_once_all_read_the_same_key(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    with ProcessPoolExecutor(max_workers=4) as pool:
        keys = set(pool.map(secret.load, [path] * 12))
    assert keys == {path.read_text().strip()}


def test_the_environment_wins_over_the_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    assert secret.resolve({"SECRET_KEY": "from-the-secret-store"}, path) == (
        "from-the-secret-store",
        "environment",
    )
    assert not path.exists()
    key, source = secret.resolve({}, path)
    assert (key, source) == (path.read_text().strip(), str(path))


@pytest.mark.parametrize(
    ("key", "refused"),
    [
        pytest.param(secret.BUILT_IN, True, id="built-in"),
        pytest.param(f"  {secret.BUILT_IN}\n", True, id="built-in-with-spaces"),
        pytest.param("", True, id="empty"),
        pytest.param("x" * 50, False, id="a-real-key"),
    ],
)
def test_problem_names_the_built_in_and_the_empty_key(key: str, refused: bool) -> None:
    assert bool(secret.problem(key, "environment")) is refused


def _medrecall_check(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE"}
    }
    environ.update(MEDRECALL_DATA_DIR=str(tmp_path), **env)
    return subprocess.run(
        [sys.executable, "-m", "medrecall.cli", "check"],
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_refuses_to_start_on_the_built_in_key(tmp_path: Path) -> None:
    result = _medrecall_check(tmp_path, SECRET_KEY=secret.BUILT_IN)
    assert result.returncode == 2
    assert result.stderr == (
        "MedRecall cannot start: The secret key is MedRecall's built-in development key, which "
        "is public: anyone could sign sessions and reply links with it. Set SECRET_KEY to a long "
        "random string, or unset it so that MedRecall generates one into its data directory "
        "(secret.key).\n"
    )
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "secret.key").exists()


def test_production_refuses_an_empty_key(tmp_path: Path) -> None:
    result = _medrecall_check(tmp_path, SECRET_KEY="")
    assert result.returncode == 2
    assert result.stderr.startswith(
        "MedRecall cannot start: The secret key is empty (the SECRET_KEY environment"
    )


def test_production_refuses_an_emptied_key_file(tmp_path: Path) -> None:
    (tmp_path / "secret.key").write_text("\n")
    result = _medrecall_check(tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(
        f"MedRecall cannot start: The secret key is empty (the key file {tmp_path}"
    )


def test_without_configuration_it_starts_on_a_generated_key(tmp_path: Path) -> None:
    result = _medrecall_check(tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600


def test_development_with_debug_may_use_the_built_in_key(tmp_path: Path) -> None:
    result = _medrecall_check(tmp_path, SECRET_KEY=secret.BUILT_IN, DEBUG="1")
    assert result.returncode == 0
