"""Progress of a long command on stderr: a rich bar on a terminal, plain periodic lines elsewhere.

One :class:`Progress` per command (``ingest``, ``verify``, ``regroup``,
``export``). On a terminal it draws a bar with counts, rate and time left
(rich); on a pipe or a log file it writes one plain line when the work
starts, one every :data:`LINE_INTERVAL_S` seconds and one at the end, so a
log of a long run shows it moving without filling up. Everything goes to
standard error: ``--json`` output on standard output stays clean.

``mode`` is ``auto`` (a bar on a terminal, else lines), ``bar``, ``lines``
or ``none``. :meth:`Progress.say` writes a line above the bar (what is
starting, e.g. a temporary Prefect server); :meth:`Progress.advance` counts
one item with its outcome; :meth:`Progress.on_tick` takes a
:class:`flows.run.ProgressTick` from the ingest loop.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flows.run import ProgressTick

MODES = ("auto", "bar", "lines", "none")
LINE_INTERVAL_S = 5.0  # plain lines: one every few seconds, however fast items arrive
ETA_AFTER = 10  # items done (or 5% of them) before plain lines guess the time left: the first ones pay start-up

# How outcomes read in the counts, in this order (others follow as they are).
OUTCOME_WORDS = {"stored": "new", "new_version": "new versions", "unchanged": "unchanged", "failed": "failed",
                 "ok": "ok", "mismatch": "mismatch", "missing": "missing", "moved": "moved"}


def _seconds(value: float) -> str:
    value = max(0.0, value)
    if value < 60:
        return f"{value:.0f} s" if value >= 10 else f"{value:.1f} s"
    minutes, secs = divmod(int(value + 0.5), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def rate_text(rate: float) -> str:
    """``43.1`` below 100 a second, ``1250`` above."""
    return f"{rate:.1f}" if rate < 100 else f"{rate:.0f}"


def counts_text(counts: Counter[str]) -> str:
    """``12 new, 3 new version, 1 failed``: the outcomes seen so far, known ones first."""
    order = [k for k in OUTCOME_WORDS if counts.get(k)] + sorted(k for k in counts if k not in OUTCOME_WORDS)
    return ", ".join(f"{counts[k]} {OUTCOME_WORDS.get(k, k)}" for k in order if counts[k])


class Progress:
    """Progress of one command on ``stream`` (default standard error); a context manager.

    ``label`` names the work (``ingest``); ``unit`` the items (``documents``);
    ``total`` may be given now, later (:meth:`set_total`) or never.
    """

    def __init__(self, label: str, total: int | None = None, *, unit: str = "documents", mode: str = "auto",
                 stream: IO[str] | None = None, interval_s: float = LINE_INTERVAL_S):
        if mode not in MODES:
            raise ValueError(f"progress mode must be one of {', '.join(MODES)}, not {mode!r}")
        self.label = label
        self.unit = unit
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.mode = self._resolve(mode)
        self.interval_s = interval_s
        self.done = 0
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._started: float | None = None
        self._last_line = 0.0
        self._bar: Any = None
        self._task: Any = None

    def _resolve(self, mode: str) -> str:
        if mode != "auto":
            return mode
        isatty = getattr(self.stream, "isatty", None)
        return "bar" if isatty is not None and isatty() else "lines"

    # -- lifecycle ------------------------------------------------------

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish(interrupted=exc[0] is not None)

    def start(self, total: int | None = None) -> None:
        """The work starts now (the clock of rate and time left); idempotent."""
        with self._lock:
            if total is not None:
                self.total = total
            if self._started is not None:
                return
            self._started = time.monotonic()
            self._last_line = self._started
            if self.mode == "bar":
                self._start_bar()
            elif self.mode == "lines":
                of = f" {self.total} {self.unit}" if self.total is not None else ""
                self._line(f"{self.label}:{of} starting")

    def _start_bar(self) -> None:
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress as Bar, TaskProgressColumn,
                                   TextColumn, TimeElapsedColumn, TimeRemainingColumn)

        console = Console(file=self.stream, stderr=self.stream is sys.stderr)
        self._bar = Bar(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TaskProgressColumn(), TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
                        TextColumn("left"), TimeRemainingColumn(), TextColumn("{task.fields[counts]}"),
                        console=console, transient=False, redirect_stdout=False, redirect_stderr=False)
        self._bar.start()
        self._task = self._bar.add_task(self.label, total=self.total, rate="", counts="")

    def finish(self, interrupted: bool = False) -> None:
        """The work is over: the bar's last state stays on screen; plain mode writes a closing line."""
        with self._lock:
            if self._started is None:
                return
            elapsed = time.monotonic() - self._started
            if self._bar is not None:
                self._bar.update(self._task, rate=self._rate_text(elapsed), counts=counts_text(self.counts))
                self._bar.stop()
                self._bar = None
            if self.mode == "lines" or (self.mode == "bar" and interrupted):
                how = "stopped after" if interrupted else "done,"
                self._line(f"{self.label}: {how} {self.done} {self.unit} in {_seconds(elapsed)}"
                           f"{self._rate_suffix(elapsed)}{self._counts_suffix()}")
            self._started = None

    # -- events ---------------------------------------------------------

    def say(self, text: str) -> None:
        """One line for the reader (what is starting, a hint), above the bar when there is one."""
        if self.mode == "none":
            return
        with self._lock:
            if self._bar is not None:
                self._bar.console.print(text, markup=False, highlight=False)
            else:
                self._line(text)

    def set_total(self, total: int | None) -> None:
        """The number of items, now known or grown (parts found inside documents)."""
        with self._lock:
            self.total = total
            if self._bar is not None:
                self._bar.update(self._task, total=total)

    def advance(self, outcome: str | None = None, n: int = 1) -> None:
        """``n`` more items done (with their ``outcome`` counted)."""
        self.update(self.done + n, self.total, outcome, n)

    def on_tick(self, tick: ProgressTick) -> None:
        """The ingest loop's callback (:func:`flows.run.run_ingest` ``progress=``)."""
        self.update(tick.done, tick.total, tick.status)

    def update(self, done: int, total: int | None = None, outcome: str | None = None, n: int = 1) -> None:
        """``done`` items of ``total`` done; the last ``n`` of them had ``outcome`` (counted when given)."""
        self.start()
        with self._lock:
            self.done = done
            if total is not None:
                self.total = total
            if outcome:
                self.counts[outcome] += n
            if self._started is None:
                return
            now = time.monotonic()
            elapsed = now - self._started
            if self._bar is not None:
                self._bar.update(self._task, completed=done, total=self.total, rate=self._rate_text(elapsed),
                                 counts=counts_text(self.counts))
            elif self.mode == "lines" and now - self._last_line >= self.interval_s:
                self._last_line = now
                self._line(self._status_line(elapsed))

    # -- text -----------------------------------------------------------

    def _rate(self, elapsed: float) -> float | None:
        return self.done / elapsed if elapsed > 0 and self.done else None

    def _rate_text(self, elapsed: float) -> str:
        rate = self._rate(elapsed)
        return f"{rate_text(rate)}/s" if rate is not None else ""

    def _rate_suffix(self, elapsed: float) -> str:
        rate = self._rate(elapsed)
        return f" ({rate_text(rate)} {self.unit}/s)" if rate is not None else ""

    def _counts_suffix(self) -> str:
        text = counts_text(self.counts)
        return f"; {text}" if text else ""

    def _status_line(self, elapsed: float) -> str:
        rate = self._rate(elapsed)
        if self.total:
            head = f"{self.label}: {self.done}/{self.total} {self.unit} ({100 * self.done // self.total}%)"
        else:
            head = f"{self.label}: {self.done} {self.unit}"
        tail = f", {rate_text(rate)}/s" if rate is not None else ""
        if rate and self.total and self.total > self.done and self.done >= min(ETA_AFTER, self.total // 20 + 1):
            tail += f", about {_seconds((self.total - self.done) / rate)} left"
        return head + tail + self._counts_suffix()

    def _line(self, text: str) -> None:
        if self.mode == "none":
            return
        try:
            self.stream.write(text + "\n")
            self.stream.flush()
        except (OSError, ValueError):  # a closed pipe never stops the work
            pass
