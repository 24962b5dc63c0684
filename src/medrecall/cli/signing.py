"""The password of an electronic signature on the command line (21 CFR 11.200, 11.300).

Never from an environment variable (it leaks into ``/proc/PID/environ``, shell history and
child processes): asked for without echo when a terminal is attached, or read from the file
given by ``--password-file`` (``-`` reads standard input), a file only its owner may read.
With neither, the command refuses."""

from __future__ import annotations

import getpass
import os
import stat
import sys
from pathlib import Path
from typing import TextIO

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

RETIRED_VARIABLE = "MEDRECALL_SIGN_PASSWORD"


def signing_password(*, username: str, password_file: str = "", stdin: TextIO | None = None) -> str:
    """The signer's password: from ``password_file``, else typed at the terminal, else refused."""
    if os.environ.get(RETIRED_VARIABLE):
        raise CommandError(
            _(
                "%(variable)s is no longer read: a password in the environment leaks. Give "
                "--password-file PATH, or run the command at a terminal to be asked."
            )
            % {"variable": RETIRED_VARIABLE}
        )
    stream = stdin if stdin is not None else sys.stdin
    if password_file == "-":  # noqa: S105 - "-" names standard input, not a password
        password = stream.readline()
    elif password_file:
        password = _read_private(Path(password_file))
    elif stream.isatty():
        password = getpass.getpass(
            _("Password for %(user)s (electronic signature): ") % {"user": username}
        )
    else:
        raise CommandError(
            _(
                "No terminal to ask for the signing password: give --password-file PATH (a file "
                "only you may read) or run the command at a terminal."
            )
        )
    password = password.rstrip("\r\n")
    if not password:
        raise CommandError(_("The signing password is empty."))
    return password


def _read_private(path: Path) -> str:
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise CommandError(
                _("%(path)s may be read by others: make it private first (chmod 600).")
                % {"path": path}
            )
        with path.open(encoding="utf-8") as handle:
            return handle.readline()
    except OSError as error:
        raise CommandError(
            _("Cannot read the password file %(path)s: %(error)s.")
            % {"path": path, "error": error.strerror or error}
        ) from error
    except UnicodeDecodeError as error:
        raise CommandError(
            _("The password file %(path)s is not UTF-8 text.") % {"path": path}
        ) from error
