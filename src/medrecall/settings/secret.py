"""Where ``SECRET_KEY`` comes from, so a fresh install is safe without configuration.

``SECRET_KEY`` signs sessions, CSRF tokens and the reply links in notices: whoever knows it can
make a reply link for any notice whose nonce they learn. The built-in development key used to be
the default; it is public (it is in this repository), so an instance running on it could be
answered for by anyone. Now:

1. ``SECRET_KEY`` from the environment, when set (several machines share one key this way);
2. else the key file (``MEDRECALL_SECRET_KEY_FILE``, default ``DATA_DIR/secret.key``), generated
   once with 64 random bytes (mode 0600) and read from then on.

The file is created atomically (written beside it, then hard-linked into place, which fails when
the name exists), so the web server and the task workers that ``serve`` starts at the same moment
all end up reading one key, never a half-written one.

``problem()`` names what is wrong with a key: the built-in one, an empty one. With ``DEBUG`` off
(production, and ``serve``) the settings refuse to start on such a key.

Standard library only: this runs while the settings are being read."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

BUILT_IN = "medrecall-insecure-development-key-change-me"
FILE_NAME = "secret.key"


class SecretKeyError(Exception):
    """The key cannot be used; the message says why and what to do."""


def load(path: Path) -> str:
    """The key kept in ``path``; generated and written there first when there is none yet."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write(secrets.token_urlsafe(64) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(
                FileExistsError
            ):  # another process made the key first: theirs wins
                os.link(partial, path)
        finally:
            partial.unlink(missing_ok=True)
    return path.read_text(encoding="ascii").strip()


def resolve(environ: dict[str, str] | os._Environ[str], key_file: Path) -> tuple[str, str]:
    """The key and where it came from (``environment`` or the file's path)."""
    if "SECRET_KEY" in environ:
        return environ["SECRET_KEY"], "environment"
    return load(key_file), str(key_file)


def problem(key: str, source: str) -> str:
    """Why ``key`` must not be used, or ``""`` when it may."""
    if not key.strip():
        where = (
            "the SECRET_KEY environment variable"
            if source == "environment"
            else f"the key file {source}"
        )
        return (
            f"The secret key is empty ({where}). Set SECRET_KEY to a long random string, or unset it "
            "so that MedRecall generates one into its data directory."
        )
    if key.strip() == BUILT_IN:
        return (
            "The secret key is MedRecall's built-in development key, which is public: anyone could sign "
            "sessions and reply links with it. Set SECRET_KEY to a long random string, or unset it so "
            "that MedRecall generates one into its data directory (secret.key)."
        )
    return ""
