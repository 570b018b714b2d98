"""The thumbnail cache's writes are all or nothing."""

from __future__ import annotations

import pytest
from PIL import Image

from photofinder.thumbnail_cache import write_thumbnail


def test_a_failed_write_leaves_no_partial_file(tmp_path):
    target = tmp_path / "ab" / "key.jpg"
    target.mkdir(parents=True)  # a folder where the thumbnail should go: the rename fails
    with pytest.raises(OSError):
        write_thumbnail(target, Image.new("RGB", (8, 8)))
    assert list(target.parent.iterdir()) == [target]
