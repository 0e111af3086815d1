"""Progress on stderr: a tqdm bar with running accuracy on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
import time

from tqdm import tqdm


class Progress:
    def __init__(self, total: int, label: str, enabled: bool = True, interval_s: float = 10.0):
        self.total, self.label, self.enabled = total, label, enabled
        self.done = self.correct = self.scored = self.infra = 0
        self.started = self.last_line = time.monotonic()
        self.interval_s = interval_s
        self.bar = (
            tqdm(total=total, desc=label, file=sys.stderr, unit="item", dynamic_ncols=True)
            if enabled and sys.stderr.isatty()
            else None
        )

    def update(self, outcome: str, scored: bool) -> None:
        self.done += 1
        self.scored += int(scored)
        self.correct += int(outcome == "correct")
        self.infra += int(not scored)
        if self.bar is not None:
            self.bar.set_postfix(acc=f"{self.accuracy:.1%}", infra=self.infra, refresh=False)
            self.bar.update(1)
        elif self.enabled and (time.monotonic() - self.last_line >= self.interval_s or self.done == self.total):
            self.last_line = time.monotonic()
            print(self.line(), file=sys.stderr, flush=True)

    @property
    def accuracy(self) -> float:
        return self.correct / self.scored if self.scored else 0.0

    def line(self) -> str:
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate else 0.0
        return (
            f"[{self.label}] {self.done}/{self.total} judged, accuracy {self.accuracy:.1%} of {self.scored} scored, "
            f"{self.infra} infra, {rate:.1f} items/s, ETA {eta:.0f}s"
        )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
