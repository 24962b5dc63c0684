#!/usr/bin/env python3
"""Set up MedRecall in a fresh clone and start it, or run its test suite.

Needs only Python 3.11+ (and pip); everything else goes into ``.venv``:

    python3 scripts/bootstrap.py serve          # demo on http://127.0.0.1:8000/
    python3 scripts/bootstrap.py test [ARGS]    # the test suite (extra ARGS go to pytest)
    python3 scripts/bootstrap.py setup          # only create/refresh .venv

Set-up steps, each skipped when already done: create ``.venv`` (``python3 -m venv``),
install the pinned uv into it, ``uv sync --locked --compile-bytecode`` (and compile ``src``). ``serve`` then migrates, loads the
demo data, collects static files and runs the task workers, the clocks and the web server
until Ctrl-C or SIGTERM. It supervises them: a process that stops is restarted after a
back-off (1 s, growing to 60 s while it keeps failing) with a line saying so, and a web server
slow to answer gets a message every minute, never a stop. A fresh data directory gets its own
``secret.key`` (settings/secret.py). ``test`` runs pytest and returns its exit code; the suite runs on
SQLite unless ``DATABASE_URL`` is set, and without ARGS on every core it may use (up to 4).

Standard library only, on purpose: this runs before anything is installed.
"""

import argparse
import contextlib
import hashlib
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

MIN_PYTHON = (3, 11)
if sys.version_info < MIN_PYTHON:  # the file parses on Python 3.6+, so older ones get this far
    found = ".".join(str(n) for n in sys.version_info[:2])
    sys.stderr.write(
        f"MedRecall needs Python 3.11 or newer; this is Python {found} ({sys.executable}).\n"
        "Run the script with a newer interpreter, e.g. python3.11 scripts/bootstrap.py ...\n"
    )
    sys.exit(1)

UV_VERSION = "0.13.8"  # keep equal to the dev group's pin in pyproject.toml
ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
PY = BIN / "python"
UV = BIN / "uv"
MEDRECALL = BIN / "medrecall"
CHROMIUM = Path("/usr/bin/chromium")
DEMO_LOGIN = ("admin", "medrecall-demo")


class StepError(Exception):
    """A step failed; the message says which and what to do."""


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    # An activated virtualenv elsewhere or a redirected project environment would make
    # uv (and the commands below) look somewhere else than ./.venv.
    env.pop("VIRTUAL_ENV", None)
    env.pop("UV_PROJECT_ENVIRONMENT", None)
    env.pop("PYTHONHOME", None)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def run(step: str, command: list[str | Path], *, hint: str = "") -> None:
    """Run one set-up command in the project folder; raise StepError when it fails."""
    try:
        result = subprocess.run([str(c) for c in command], cwd=ROOT, env=child_env(), check=False)
    except OSError as error:
        raise StepError(f"{step}: cannot run {command[0]}: {error}") from None
    if result.returncode != 0:
        message = (
            f"{step} failed (exit code {result.returncode}): {' '.join(str(c) for c in command)}"
        )
        raise StepError(f"{message}\n    {hint}" if hint else message)


def output_of(command: list[str | Path]) -> str | None:
    """The stripped standard output of a quick probe, or None when it does not run."""
    try:
        result = subprocess.run(
            [str(c) for c in command],
            cwd=ROOT,
            env=child_env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


# --- environment -------------------------------------------------------------------------


def ensure_venv() -> None:
    if VENV.is_symlink() and not VENV.exists():
        # A link to a checkout that is gone (a clone can carry one if it was ever committed).
        say(f"{VENV} points to {os.readlink(VENV)}, which does not exist: removing the link")
        VENV.unlink()
    if VENV.exists() and not PY.exists():
        raise StepError(
            f"{VENV} exists but holds no Python ({PY} is missing); delete it and run this again."
        )
    if PY.exists():
        version = output_of([PY, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
        if version is None:
            raise StepError(
                f"{VENV} exists but its Python does not run; delete the folder and run this again."
            )
        if tuple(int(part) for part in version.split(".")) < MIN_PYTHON:
            raise StepError(
                f"{VENV} holds Python {version}, MedRecall needs 3.11+; "
                "delete the folder and run this again."
            )
        say(f"Virtual environment .venv (Python {version}): present")
        return
    say(
        f"Creating virtual environment .venv with {sys.executable} (Python {sys.version.split()[0]})"
    )
    if importlib.util.find_spec("ensurepip") is None:  # Debian ships it apart, in python3-venv
        # Without ensurepip: a venv without pip; uv is then installed by this Python's pip.
        run(
            "Creating .venv",
            [sys.executable, "-m", "venv", "--without-pip", VENV],
            hint="On Debian/Ubuntu: apt-get install python3-venv",
        )
        return
    run(
        "Creating .venv",
        [sys.executable, "-m", "venv", VENV],
        hint="On Debian/Ubuntu: apt-get install python3-venv",
    )


def ensure_uv() -> None:
    if (output_of([UV, "--version"]) or "").split()[:2] == [
        "uv",
        UV_VERSION,
    ]:  # "uv 0.13.8 (x86_64-…)"
        say(f"uv {UV_VERSION} in .venv: present")
        return
    say(f"Installing uv {UV_VERSION} into .venv")
    pip_options = ["install", "--quiet", "--disable-pip-version-check", f"uv=={UV_VERSION}"]
    if output_of([PY, "-m", "pip", "--version"]) is not None:
        run("Installing uv", [PY, "-m", "pip", *pip_options], hint="Is PyPI reachable?")
    else:  # .venv without pip (no ensurepip): let the outer pip install into it
        run(
            "Installing uv",
            [sys.executable, "-m", "pip", "--python", PY, *pip_options],
            hint="Needs pip for this Python (apt-get install python3-pip, or python3-venv). Is PyPI reachable?",
        )


def ensure_packages() -> None:
    # Compiled bytecode kept on disk: a command then starts in about a third of the time, also
    # where PYTHONDONTWRITEBYTECODE is set (bench/README.md, "Command-line start-up").
    say("Syncing the locked dependencies into .venv (uv sync --locked --compile-bytecode)")
    run(
        "uv sync",
        [UV, "sync", "--locked", "--quiet", "--compile-bytecode", "--python", PY],
        hint="If uv.lock is out of date, run .venv/bin/uv lock and commit it; is PyPI reachable?",
    )
    run(
        "Compiling the product's modules",
        [PY, "-m", "compileall", "-q", "-j", "0", str(ROOT / "src")],
        hint="Is the checkout writable?",
    )


def set_up() -> None:
    os.chdir(ROOT)
    ensure_venv()
    ensure_uv()
    ensure_packages()


# --- serve ------------------------------------------------------------------------------


def worker_command() -> list[str]:
    """The task worker that matches the settings' task backend (see settings/base.py)."""
    backend = os.environ.get("MEDRECALL_TASK_BACKEND") or (
        "rq" if os.environ.get("REDIS_URL") else "database"
    )
    if backend == "rq":
        return ["rqworker", "--job-class", "django_tasks_rq.Job", "default"]
    if backend == "immediate":
        return []
    return ["tasks", "worker"]  # db_worker with a heartbeat; recovers stale tasks when it starts


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(
            socket.SOL_SOCKET, socket.SO_REUSEADDR, 1
        )  # as runserver does: TIME_WAIT is fine
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def answers(url: str) -> bool:
    """Whether the server answers at ``url`` now (any HTTP status: a 503 health check still means up)."""
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310  # our own http:// URL
            return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False


class StartupWatch:
    """Waits for the web server to answer without ever giving up on it: a slow first start (a
    cold disk, a busy machine) gets a clear message every ``slow_after`` seconds, not a stop."""

    def __init__(
        self, url: str, *, slow_after: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.url, self.slow_after, self.clock = url, slow_after, clock
        self.started = self.next_note = clock()
        self.next_note += slow_after
        self.up = False

    def check(self) -> bool:
        """True once, the first time the server answers."""
        if self.up:
            return False
        if answers(self.url):
            self.up = True
            return True
        if self.clock() >= self.next_note:
            say(
                f"The web server has not answered on {self.url} after {self.clock() - self.started:.0f} s; still "
                "waiting (a first start on a slow or busy machine can take longer; its messages are above)"
            )
            self.next_note = self.clock() + self.slow_after
        return False


class Child:
    """One supervised process: its command, the running process, and its restart schedule."""

    def __init__(self, name: str, argv: list[str]) -> None:
        self.name, self.argv = name, argv
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.failures = 0  # unexpected stops in a row (reset once it has run long enough)
        self.restart_at: float | None = None


def describe_exit(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


class Supervisor:
    """Starts the processes of ``serve`` and restarts any that stops unexpectedly, after a back-off
    that grows with each failure in a row (1, 2, 4 … ``BACKOFF[-1]`` s) and is forgotten once the
    process has run ``stable_after`` seconds. Each stop and restart is one clear line."""

    BACKOFF = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0)

    def __init__(
        self,
        *,
        launch: Callable[[str, list[str]], subprocess.Popen[bytes]] | None = None,
        stable_after: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.launch = launch or start
        self.stable_after, self.clock = stable_after, clock
        self.children: dict[str, Child] = {}

    def add(self, name: str, argv: list[str]) -> Child:
        child = self.children[name] = Child(name, argv)
        self._start(child)
        return child

    def _start(self, child: Child) -> None:
        child.process, child.started_at, child.restart_at = (
            self.launch(child.name, child.argv),
            self.clock(),
            None,
        )

    def check(self) -> None:
        """Notice stopped processes and restart those whose back-off is over (call it often)."""
        now = self.clock()
        for child in self.children.values():
            if child.restart_at is not None:
                if now >= child.restart_at:
                    say(f"Restarting the {child.name} (restart {child.failures})")
                    self._start(child)
                continue
            if child.process is None or child.process.poll() is None:
                continue
            if now - child.started_at >= self.stable_after:
                child.failures = 0
            delay = self.BACKOFF[min(child.failures, len(self.BACKOFF) - 1)]
            child.failures += 1
            child.restart_at = now + delay
            say(
                f"The {child.name} (pid {child.process.pid}) stopped unexpectedly "
                f"({describe_exit(child.process.returncode)}); restarting it in {delay:.0f} s "
                f"(failure {child.failures} in a row)"
            )

    def processes(self) -> dict[str, subprocess.Popen[bytes]]:
        return {
            name: child.process
            for name, child in self.children.items()
            if child.process is not None
        }


class TerminatedError(Exception):
    """SIGTERM (or SIGHUP) arrived."""


def _raise_stop(signum: int, frame: object) -> None:
    raise TerminatedError(signal.Signals(signum).name)


def _die_with_parent() -> None:
    """In the child: get SIGTERM when this script dies, however it dies (Linux only)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG


def start(name: str, command: list[str]) -> subprocess.Popen[bytes]:
    say(f"Starting the {name}: medrecall {' '.join(command)}")
    # A process group of its own: Ctrl-C reaches only this script, which then asks each
    # child once to stop (a second signal would make the worker abandon a running task).
    return subprocess.Popen(
        [str(MEDRECALL), *command],
        cwd=ROOT,
        env=child_env(),
        stdin=subprocess.DEVNULL,
        process_group=0,
        preexec_fn=_die_with_parent,
    )


def stop(children: dict[str, subprocess.Popen[bytes]], grace: float = 20.0) -> None:
    for name, child in children.items():
        if child.poll() is None:
            say(f"Stopping the {name} (pid {child.pid})")
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for name, child in children.items():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say(f"The {name} did not stop within {grace:.0f} s; killing it")
            with contextlib.suppress(ProcessLookupError):
                child.kill()
            child.wait()


def data_dir() -> Path:
    return Path(os.environ.get("MEDRECALL_DATA_DIR", ROOT / "var")).resolve()  # as settings/base.py


def secret_key_file() -> Path:
    """Where the settings keep the generated SECRET_KEY (settings/secret.py)."""
    return Path(os.environ.get("MEDRECALL_SECRET_KEY_FILE") or data_dir() / "secret.key")


def static_fingerprint() -> str:
    """Changes when anything collectstatic copies may have changed: locked packages, settings, our static files."""
    digest = hashlib.sha256((ROOT / "uv.lock").read_bytes())
    digest.update((ROOT / "src" / "medrecall" / "settings" / "base.py").read_bytes())
    for path in sorted((ROOT / "src").rglob("*")):
        if "static" in path.parts and path.is_file():
            info = path.stat()
            digest.update(f"{path}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def collect_static() -> None:
    """collectstatic, skipped when nothing changed since the last run (it compresses 20+ MB: ~20 s)."""
    stamp, static_root = data_dir() / ".collectstatic-fingerprint", data_dir() / "static"
    fingerprint = static_fingerprint()
    with contextlib.suppress(OSError):
        if stamp.read_text().strip() == fingerprint and any(static_root.iterdir()):
            say("Static files: up to date")
            return
    say(
        "Collecting and compressing static files (medrecall collectstatic; about 20 s the first time)"
    )
    run("medrecall collectstatic", [MEDRECALL, "collectstatic", "--noinput", "-v0"])
    with contextlib.suppress(OSError):
        stamp.write_text(fingerprint + "\n")


# The periodic sweeps ``serve`` runs beside the workers: each puts its task on the queue every N
# seconds (``--every``) for a worker to run, so a fresh installation alerts without a cron.
PERIODIC_JOBS: tuple[tuple[str, list[str]], ...] = (
    ("deadline clock", ["deadlines", "alert", "--every", "300"]),
    ("notice follow-up", ["notices", "sweep", "--every", "300"]),
    ("work-order escalation", ["execution", "workorders", "escalate", "--every", "900"]),
    ("reporting-clock alerts", ["quality", "clocks", "--alert", "--every", "300"]),
)


def serve(host: str, port: int) -> int:
    set_up()
    # Links in notices (reply pages, PDFs) must reach this server: its address unless one is set.
    os.environ.setdefault("MEDRECALL_BASE_URL", f"http://{host}:{port}")
    key_file = secret_key_file()
    had_key = "SECRET_KEY" in os.environ or key_file.exists()
    say("Applying database migrations (medrecall migrate)")
    run("medrecall migrate", [MEDRECALL, "migrate", "--noinput", "-v0"])
    if not had_key and key_file.exists():
        say(
            f"Generated this installation's secret key into {key_file} (mode 0600): it signs sessions and "
            "reply links; keep it with the data (SECRET_KEY overrides it)"
        )
    say("Loading the demo data (medrecall demo)")
    run("medrecall demo", [MEDRECALL, "demo"])
    collect_static()
    if not port_is_free(host, port):
        raise StepError(
            f"Port {port} on {host} is in use (is MedRecall already running?). "
            "Stop that program, or pick another port with --port."
        )

    supervisor = Supervisor()
    previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    # Ctrl-C raises KeyboardInterrupt even when started from a shell that ignores SIGINT (cmd &).
    previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        worker = worker_command()
        # One worker per core (at most 4; MEDRECALL_WORKERS overrides): a send run's batches
        # and an import in the background use them all.
        workers = int(os.environ.get("MEDRECALL_WORKERS") or min(os.cpu_count() or 1, 4))
        for number in range(1, workers + 1) if worker else ():
            supervisor.add(f"task worker {number}", worker)
        if not worker:
            say("Tasks run immediately (MEDRECALL_TASK_BACKEND=immediate): no worker")
        if not os.environ.get("EMAIL_HOST"):
            supervisor.add(
                "mail catcher (no EMAIL_HOST: mail is kept in var/mail)", ["mailcatcher"]
            )
        for name, argv in PERIODIC_JOBS:
            supervisor.add(name, argv)
        supervisor.add("web server", ["runserver", f"{host}:{port}", "--noreload"])
        url = f"http://{host}:{port}/"
        startup = StartupWatch(f"{url}healthz")
        # Every process is supervised: one that stops is restarted after a back-off, with a line
        # saying so; the stack stops only on Ctrl-C or SIGTERM.
        while True:
            supervisor.check()
            if startup.check():
                user, password = DEMO_LOGIN
                print(
                    f"\nMedRecall is running at {url} — log in as {user} / {password} "
                    "(other demo users: see above)\nPress Ctrl-C to stop.\n",
                    flush=True,
                )
            time.sleep(0.5)
    except KeyboardInterrupt:
        print(flush=True)
        say("Ctrl-C: shutting down")
        return 0
    except TerminatedError as signame:
        say(f"{signame}: shutting down")
        return 0
    finally:
        # Ignore further Ctrl-C/SIGTERM while the children finish their current work.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        stop(supervisor.processes())
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        say("Stopped")


# --- test -------------------------------------------------------------------------------


def with_workers(pytest_args: list[str]) -> list[str]:
    """The whole suite runs on every core the process may use (up to 4, pytest-xdist); a run
    the caller shaped with its own arguments is left as given."""
    if pytest_args:
        return pytest_args
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    workers = min(cores or 1, 4)
    return ["-n", str(workers)] if workers > 1 else []


def run_pytest(pytest_args: list[str]) -> int:
    """pytest's exit code; SIGTERM (a CI time-out) ends pytest for certain.

    A test that runs the task worker in-process leaves the worker's SIGTERM handler in pytest,
    which then only notes the signal and runs on: so a stop here kills pytest outright.
    """
    pytest = subprocess.Popen([str(PY), "-m", "pytest", *pytest_args], cwd=ROOT, env=child_env())
    previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        return pytest.wait()
    except KeyboardInterrupt:
        pytest.wait()
        return 130
    except TerminatedError as stopped:
        say(f"{stopped}: stopping the test run")
        pytest.kill()
        pytest.wait()
        return 128 + int(signal.SIGTERM)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def test(pytest_args: list[str]) -> int:
    set_up()
    if not (CHROMIUM.exists() or shutil.which("chromium")):
        say(
            "Chromium is missing, so the browser tests will skip: apt-get install chromium fonts-noto-cjk enables them"
        )
    database = "PostgreSQL/other (DATABASE_URL)" if os.environ.get("DATABASE_URL") else "SQLite"
    pytest_args = with_workers(pytest_args)
    say(f"Running the test suite on {database}: python -m pytest {' '.join(pytest_args)}".rstrip())
    code = run_pytest(pytest_args)
    if code == 5:
        say("pytest collected no tests (exit code 5)")
    elif code != 0:
        say(f"pytest exited with code {code}")
    return code


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["test"]:  # everything after "test" belongs to pytest, untouched
        return guarded(lambda: test(argv[1:]))
    parser = argparse.ArgumentParser(
        prog="bootstrap.py", description="Set up MedRecall in ./.venv, then serve it or test it."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="{serve,test,setup}")
    serve_parser = commands.add_parser(
        "serve", help="set up, load demo data, run web server and task worker"
    )
    serve_parser.add_argument(
        "--port", type=int, default=8000, help="port on 127.0.0.1 (default 8000)"
    )
    commands.add_parser("test", help="set up and run pytest; further arguments go to pytest")
    commands.add_parser("setup", help="only create or refresh .venv")
    args = parser.parse_args(argv)
    if args.command == "serve":
        return guarded(lambda: serve("127.0.0.1", args.port))
    return guarded(setup_only)


def setup_only() -> int:
    set_up()
    say("Environment ready in .venv")
    return 0


def guarded(action: Callable[[], int]) -> int:
    """Run a subcommand; a failed step becomes a one-paragraph message, not a traceback."""
    try:
        return action()
    except StepError as failure:
        print(f"\nERROR: {failure}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr, flush=True)
        return 130


if __name__ == "__main__":
    sys.exit(main())
