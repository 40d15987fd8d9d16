"""A dependency-free progress bar with ETA on stderr.

On a terminal it redraws one line (``\\r``); otherwise (a log file, CI) it prints a line at most every
``interval`` seconds. The ETA weights tasks by their declared cost and uses only tasks computed in this
run (cached ones count as done but do not make the rate look faster than it is).
"""
from __future__ import annotations

import sys
import time


def _fmt_t(s: float) -> str:
    if s != s or s == float("inf"):
        return "?"
    s = int(round(s))
    h, r = divmod(s, 3600)
    m, s = divmod(r, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else (f"{m}m{s:02d}s" if m else f"{s}s")


class Progress:
    def __init__(self, total: int, total_cost: float, done: int = 0, stream=None, enabled: bool = True,
                 width: int = 30, interval: float = 10.0):
        self.total, self.done = total, done
        self.total_cost = float(total_cost)
        self.done_cost = 0.0
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.width = width
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = interval
        self.t0 = time.monotonic()
        self._last = -1e9
        self.failed = 0

    def eta(self) -> float:
        el = time.monotonic() - self.t0
        if self.done_cost <= 0:
            return float("nan")
        return el * max(self.total_cost - self.done_cost, 0.0) / self.done_cost

    def line(self, label: str = "") -> str:
        frac = self.done / self.total if self.total else 1.0
        k = int(round(frac * self.width))
        el = time.monotonic() - self.t0
        fail = f"  {self.failed} failed" if self.failed else ""
        return (f"[{'#' * k}{'.' * (self.width - k)}] {self.done}/{self.total} runs {100 * frac:3.0f}%  "
                f"elapsed {_fmt_t(el)}  ETA {_fmt_t(self.eta()) if self.done < self.total else '0s'}{fail}"
                + (f"  {label}" if label else ""))

    def update(self, cost: float = 0.0, label: str = "", ok: bool = True, force: bool = False):
        self.done += 1
        self.done_cost += cost
        self.failed += 0 if ok else 1
        self.draw(label, force=force or self.done == self.total)

    def draw(self, label: str = "", force: bool = False):
        if not self.enabled:
            return
        now = time.monotonic()
        if self.tty:
            self.stream.write("\r\033[K" + self.line(label)[:160])
            self.stream.flush()
        elif force or now - self._last >= self.interval:
            self.stream.write(self.line(label) + "\n")
            self.stream.flush()
            self._last = now

    def message(self, text: str):
        """Print a message without breaking the bar."""
        if self.tty and self.enabled:
            self.stream.write("\r\033[K")
        self.stream.write(text.rstrip() + "\n")
        self.stream.flush()

    def close(self):
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()
