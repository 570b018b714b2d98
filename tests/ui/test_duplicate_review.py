"""The duplicate review: groups side by side, the best ticked, the rest to the trash and back."""

from __future__ import annotations

import os

from photofinder.library import Library
from photofinder.ui.duplicate_review import DuplicateReview
from photofinder_testing.duplicate_set import make_duplicate_set


def test_review_trashes_the_unticked_and_undo_brings_them_back(
        qtbot, make_window, messages, tiny_model, shared_photos, tmp_path, wait_until_indexed):
    folder = tmp_path / "photos"
    truth = make_duplicate_set(sorted(shared_photos.glob("*.jpg"))[:3], folder, originals=2,
                               generated=1)
    library = Library()
    library.add_folder(folder)
    library.index()
    count = len(os.listdir(folder))
    window = make_window()
    wait_until_indexed(window, count)

    review = DuplicateReview(window.library, messages, parent=window)
    qtbot.addWidget(review)
    review.library_changed.connect(window.library_ctl.reload)
    review.show()
    qtbot.waitUntil(lambda: len(review.cards) == sum(map(len, truth)), timeout=30_000)
    assert "2 groups of near-duplicates" in review.summary.text()
    kept = [card for card in review.cards if card.keep.isChecked()]
    assert len(kept) == 2 and all("×" in card.findChildren(type(review.summary))[1].text()
                                  for card in kept)
    unkept = review.unkept()
    assert len(unkept) == sum(map(len, truth)) - 2

    review.trash_unkept()
    qtbot.waitUntil(lambda: review.undo_button.isEnabled(), timeout=30_000)
    assert not any(os.path.exists(p) for p in unkept)
    wait_until_indexed(window, count - len(unkept))
    qtbot.waitUntil(lambda: "No near-duplicates" in review.summary.text(), timeout=30_000)

    review.undo()
    qtbot.waitUntil(lambda: "2 groups" in review.summary.text(), timeout=30_000)
    assert all(os.path.exists(p) for p in unkept) and not review.undo_button.isEnabled()
    wait_until_indexed(window, count)
    review.close()
