"""A progress line on standard error for long commands (imports, generators)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressLine:
    """Prints ``label: 42% (done/total)`` in place, at most every 0.2 s, then a newline."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self._last = 0.0
        self._interactive = self.stream.isatty()

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._last < 0.2 and done < total:
            return
        self._last = now
        percent = int(100 * done / total) if total else 100
        end = "\r" if self._interactive and done < total else "\n"
        self.stream.write(f"{self.label}: {percent}% ({done}/{total}){end}")
        self.stream.flush()

    def finish(self) -> None:
        if self._interactive:
            self.stream.write("\n")
            self.stream.flush()
