"""The operator's review queue: what is shown when bags arrive and decisions are taken."""

from __future__ import annotations

import pytest

from screener_gui.core.review import Entry, ReviewQueue


def entry(name: str) -> Entry:
    # The queue never looks inside the scan, result or layers.
    return Entry(name, scan=None, result=None, layers=None, latency_ms=1.0)


def test_a_bag_arriving_during_a_decision_waits_and_is_shown_after_it():
    queue = ReviewQueue()
    assert queue.add(entry("a"), now=0.0) is True
    assert queue.add(entry("b"), now=1.0) is False
    assert queue.current.source == "a" and queue.waiting == 1
    decided = queue.decide("suspect", now=5.0)
    assert decided.decision == "suspect" and decided.seconds == pytest.approx(5.0)
    assert queue.current.source == "b" and queue.current.shown_at == 5.0 and queue.waiting == 0


def test_after_the_last_decision_the_next_arrival_is_shown_at_once():
    queue = ReviewQueue()
    queue.add(entry("a"), now=0.0)
    queue.decide("clear", now=2.0)
    assert queue.current.source == "a"  # the decided bag stays on screen
    assert queue.add(entry("b"), now=3.0) is True and queue.current.source == "b"


def test_stepping_back_and_forth_and_bad_decisions():
    queue = ReviewQueue()
    for i, name in enumerate("abc"):
        queue.add(entry(name), now=float(i))
    assert queue.step(1, now=4.0) and queue.current.source == "b"
    assert not queue.step(5, now=4.0) and queue.current.source == "b"
    assert queue.step(-1, now=4.0) and queue.current.source == "a"
    with pytest.raises(ValueError, match="decision"):
        queue.decide("maybe", now=5.0)
    with pytest.raises(ValueError, match="no bag"):
        ReviewQueue().decide("clear", now=0.0)


def test_only_decided_bags_are_dropped_when_the_queue_is_full():
    queue = ReviewQueue(keep=2)
    queue.add(entry("a"), now=0.0)
    queue.decide("clear", now=1.0)
    queue.add(entry("b"), now=2.0)  # shown
    queue.add(entry("c"), now=3.0)  # waits; "a" is dropped
    queue.add(entry("d"), now=4.0)  # waits; nothing decided to drop
    assert [e.source for e in queue.entries] == ["b", "c", "d"]
    assert queue.current.source == "b"
