"""The operator's review queue: screened bags in arrival order, which one is shown, decisions.

Plain state, no Qt: the window drives it and draws what it says. The rules, as on a screening
console:

* a bag that arrives while the operator is still deciding on another waits its turn; one that
  arrives while nothing undecided is shown is shown at once;
* a decision moves on to the next bag still waiting, if any;
* time on a bag counts from when it was first shown to the decision.

Only the last ``keep`` bags are kept (each holds a scan and its result, ~10 MB at 1000 x 800);
bags still waiting for a decision are never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

from screener_gui.core.pipeline.layers import DisplayLayers
from screener_gui.core.pipeline.screen import ScreeningResult
from screener_gui.core.scan import Scan

DECISIONS = ("clear", "suspect")


@dataclass
class Entry:
    """One screened bag in the queue (mutable: shown time and decision are filled in later).

    Attributes:
        source: Where the scan came from.
        scan: The scan.
        result: What the pipeline found.
        layers: Its display layers.
        latency_ms: From the scan's arrival to its result.
        shown_at: time.monotonic() when the operator first saw it, None before.
        decision: "clear" or "suspect", None while undecided.
        seconds: Time from first shown to the decision.
    """

    source: str
    scan: Scan
    result: ScreeningResult
    layers: DisplayLayers
    latency_ms: float
    shown_at: float | None = None
    decision: str | None = None
    seconds: float | None = None


class ReviewQueue:
    """Screened bags and the one on screen (``index``, -1 while empty)."""

    def __init__(self, keep: int = 30) -> None:
        if keep < 1:
            raise ValueError(f"keep must be at least 1, got {keep}")
        self.keep = keep
        self.entries: list[Entry] = []
        self.index = -1

    @property
    def current(self) -> Entry | None:
        """The bag on screen."""
        return self.entries[self.index] if self.index >= 0 else None

    @property
    def waiting(self) -> int:
        """Undecided bags other than the one on screen."""
        return sum(e.decision is None for i, e in enumerate(self.entries) if i != self.index)

    def add(self, entry: Entry, now: float) -> bool:
        """Queue a screened bag; True when it is shown at once (nothing undecided was on screen)."""
        self.entries.append(entry)
        self._trim()
        current = self.current
        if current is None or current.decision is not None:
            self._show(len(self.entries) - 1, now)
            return True
        return False

    def decide(self, decision: str, now: float) -> Entry:
        """Record the operator's decision on the bag on screen, then show the next waiting bag.

        Returns:
            The decided entry (its ``seconds`` filled in).

        Raises:
            ValueError: Unknown decision, or no bag on screen.
        """
        if decision not in DECISIONS:
            raise ValueError(f"decision must be one of {DECISIONS}, got {decision!r}")
        entry = self.current
        if entry is None:
            raise ValueError("no bag on screen to decide on")
        entry.decision = decision
        entry.seconds = now - (entry.shown_at if entry.shown_at is not None else now)
        following = [i for i in range(self.index + 1, len(self.entries)) if self.entries[i].decision is None]
        if following:
            self._show(following[0], now)
        return entry

    def step(self, offset: int, now: float) -> bool:
        """Show the bag ``offset`` places later (negative: earlier); False at either end."""
        target = self.index + offset
        if not self.entries or not 0 <= target < len(self.entries):
            return False
        self._show(target, now)
        return True

    def _show(self, index: int, now: float) -> None:
        self.index = index
        if self.entries[index].shown_at is None:
            self.entries[index].shown_at = now

    def _trim(self) -> None:
        while len(self.entries) > self.keep:
            drop = next(
                (i for i, e in enumerate(self.entries) if e.decision is not None and i != self.index), None
            )
            if drop is None:
                return
            del self.entries[drop]
            if self.index > drop:
                self.index -= 1
