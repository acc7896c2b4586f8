"""Editing region labels: flips, undo / redo, unsaved-changes state, picking under the mouse,
and the recovery journal of unsaved edits."""

from __future__ import annotations

import errno
from pathlib import Path

import numpy as np
import pytest

from screener_gui.core import atomic
from screener_gui.core.annotation import AnnotationSession, journal_path, read_journal
from screener_gui.core.labels import LabelFileError, RegionLabels


def test_flip_undo_redo_sequence(region_labels: RegionLabels) -> None:
    session = AnnotationSession(region_labels)  # model: [0, 1, 0, 1]
    assert not session.can_undo and session.undo() is None and session.redo() is None
    assert session.flip(1) == 1
    assert session.flip(2) == 0
    np.testing.assert_array_equal(session.labels, [1, 0, 0, 1])
    assert session.undo() == 2
    np.testing.assert_array_equal(session.labels, [1, 1, 0, 1])
    assert session.undo() == 1
    np.testing.assert_array_equal(session.labels, [0, 1, 0, 1])
    assert not session.can_undo and session.can_redo
    assert session.redo() == 1 and session.redo() == 2
    np.testing.assert_array_equal(session.labels, [1, 0, 0, 1])
    assert session.redo() is None


def test_a_new_edit_clears_redo(region_labels: RegionLabels) -> None:
    session = AnnotationSession(region_labels)
    session.flip(3)
    session.undo()
    assert session.can_redo
    session.flip(4)
    assert not session.can_redo and session.redo() is None
    np.testing.assert_array_equal(session.labels, [0, 1, 0, 0])


def test_dirty_follows_the_saved_state_not_the_history(region_labels: RegionLabels) -> None:
    session = AnnotationSession(region_labels)
    assert not session.dirty
    session.flip(1)
    assert session.dirty
    session.undo()
    assert not session.dirty  # back where it was loaded
    session.flip(1)
    session.mark_saved()
    assert not session.dirty
    session.undo()
    assert session.dirty  # differs from what was saved
    session.redo()
    assert not session.dirty
    session.flip(2)
    session.flip(2)
    assert not session.dirty


def test_set_label_records_only_changes(region_labels: RegionLabels) -> None:
    session = AnnotationSession(region_labels)
    assert session.set_label(2, 1) is False and not session.can_undo
    assert session.set_label(2, 0) is True and session.label(2) == 0
    with pytest.raises(ValueError, match=r"0 \(benign\) or 1"):
        session.set_label(2, 5)


@pytest.mark.parametrize("region_id", [0, 5, -1])
def test_unknown_region_ids_are_refused(region_labels: RegionLabels, region_id: int) -> None:
    session = AnnotationSession(region_labels)
    with pytest.raises(ValueError, match="ids run from 1 to 4"):
        session.flip(region_id)
    assert not session.can_undo


def test_changed_ids_and_to_labels(region_labels: RegionLabels) -> None:
    session = AnnotationSession(region_labels)
    session.flip(4)
    session.flip(1)
    np.testing.assert_array_equal(session.changed_ids(), [1, 4])
    out = session.to_labels()
    np.testing.assert_array_equal(out.labels, [1, 1, 0, 0])
    np.testing.assert_array_equal(out.model_labels, region_labels.model_labels)
    np.testing.assert_array_equal(region_labels.labels, [0, 1, 0, 1])  # the input is untouched
    returned = session.labels
    returned[0] = 0  # a copy: the session does not change
    assert session.label(1) == 1 and session.labels.dtype == np.int8


def test_region_at(region_labels: RegionLabels) -> None:
    session = AnnotationSession(region_labels)
    assert session.region_at(15, 15) == 1 and session.region_at(15, 45) == 2
    assert session.region_at(45, 15) == 3 and session.region_at(49.7, 69.2) == 4
    assert session.region_at(5, 5) == 0  # belt, no superpixel
    assert (
        session.region_at(-0.5, 20) == 0 and session.region_at(60, 20) == 0 and session.region_at(20, 80) == 0
    )


def test_unsaved_edits_are_kept_in_a_journal_until_saved(region_labels: RegionLabels, tmp_path: Path) -> None:
    journal = journal_path(tmp_path / "bag.png")
    assert journal.name == "bag.png.edits.json"
    session = AnnotationSession(region_labels, journal=journal)
    assert not journal.exists()  # nothing to keep yet
    session.flip(1)
    session.flip(4)
    kept = read_journal(journal)
    np.testing.assert_array_equal(kept.labels.labels, session.labels)
    np.testing.assert_array_equal(kept.labels.superpixels, region_labels.superpixels)
    np.testing.assert_array_equal(kept.labels.model_scores, region_labels.model_scores)
    assert kept.labels.objects == region_labels.objects and kept.changed == 2
    session.undo()
    np.testing.assert_array_equal(read_journal(journal).labels.labels, session.labels)
    session.undo()
    assert not journal.exists(), "edited back to the saved state: nothing to recover"
    session.redo()
    assert journal.exists()
    session.mark_saved()
    assert not journal.exists(), "a clean save removes the journal"


def test_an_edit_survives_a_journal_that_cannot_be_written(
    region_labels: RegionLabels, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    journal = journal_path(tmp_path / "bag.png")
    session = AnnotationSession(region_labels, journal=journal)
    with monkeypatch.context() as patch:
        patch.setattr(atomic.os, "fsync", full_disk)
        assert session.flip(1) == 1
    assert session.label(1) == 1 and session.dirty
    assert "No space left on device" in session.journal_problem and not journal.exists()
    session.flip(2)  # the disk has room again
    assert session.journal_problem is None and read_journal(journal).changed == 2


def test_a_damaged_journal_is_reported_as_such(tmp_path: Path) -> None:
    path = tmp_path / "bag.png.edits.json"
    path.write_text('{"format": "xray-screener unsaved label edits", "format_version": 1, "scan"')
    with pytest.raises(LabelFileError, match="not a readable journal"):
        read_journal(path)
    path.write_text('{"format": "xray-screener unsaved label edits", "format_version": 1}')
    with pytest.raises(LabelFileError, match="missing field"):
        read_journal(path)
