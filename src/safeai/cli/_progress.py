"""A progress bar for long commands (audit, scan): on a terminal only, never in CI logs."""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["progress_bar"]


@contextmanager
def progress_bar(
    stream: TextIO, verb: str, unit: str
) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on ``stream`` when it is a terminal: rich's when the ``safeai[cli]`` extra
    is installed, else one plain line rewritten in place. Nothing otherwise (CI logs)."""
    if not stream.isatty():
        yield None
        return
    try:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
    except ImportError:
        line = _ProgressLine(stream, verb, unit)
        try:
            yield line
        finally:
            line.clear()
        return
    bar = Progress(
        TextColumn(verb),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        console=Console(file=stream),
        transient=True,
    )
    task = bar.add_task(verb, total=None)
    with bar:
        yield lambda done, total: bar.update(task, completed=done, total=total)


class _ProgressLine:
    """``auditing: 120/2000 resources``, rewritten at most ten times a second."""

    def __init__(self, stream: TextIO, verb: str, unit: str) -> None:
        self._stream = stream
        self._verb = verb
        self._unit = unit
        self._last = 0.0
        self._width = 0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        text = f"{self._verb}: {done}/{total} {self._unit}"
        self._width = max(self._width, len(text))
        self._stream.write("\r" + text.ljust(self._width))
        self._stream.flush()

    def clear(self) -> None:
        """Remove the line, so that what follows starts on a clean one."""
        if self._width:
            self._stream.write("\r" + " " * self._width + "\r")
            self._stream.flush()
