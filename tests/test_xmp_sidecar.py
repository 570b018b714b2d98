"""Ratings copied to XMP sidecars for other photo programs: off by default, on by setting."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from photofinder.library import Library
from photofinder.user_data import PhotoKey
from photofinder.xmp_sidecar import RATING, read_rating, sidecar_of, write_rating

DARKTABLE = """<?xml version="1.0" encoding="UTF-8"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 4.4.0-Exiv2">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:darktable="http://darktable.sf.net/" xmp:Rating="1" darktable:xmp_version="5">
   <darktable:history><rdf:Seq><rdf:li darktable:operation="exposure"/></rdf:Seq></darktable:history>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
"""


def test_a_new_sidecar_holds_the_rating(tmp_path):
    photo = tmp_path / "IMG_0001.jpg"
    photo.write_bytes(b"jpeg")
    sidecar = write_rating(photo, 4)
    assert sidecar == sidecar_of(photo) and sidecar.name == "IMG_0001.jpg.xmp"
    assert read_rating(photo) == 4
    assert photo.read_bytes() == b"jpeg"  # the photo itself is never written


def test_an_existing_sidecar_keeps_everything_else(tmp_path):
    photo = tmp_path / "IMG_0002.jpg"
    sidecar_of(photo).write_text(DARKTABLE)
    write_rating(photo, 5)
    root = ET.fromstring(sidecar_of(photo).read_text())
    [description] = root.iter("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}Description")
    assert description.get(RATING) == "5"
    assert description.get("{http://darktable.sf.net/}xmp_version") == "5"
    assert "exposure" in sidecar_of(photo).read_text()


def test_the_library_writes_sidecars_only_when_asked(tmp_path):
    photo = tmp_path / "IMG_0003.jpg"
    photo.write_bytes(b"jpeg")
    library = Library()
    library.set_rating(PhotoKey(str(photo), "fp"), 3)
    assert not sidecar_of(photo).exists() and library.user_data.mark(str(photo)).rating == 3
    library.settings.xmp_sidecars = True
    library.set_rating(PhotoKey(str(photo), "fp"), 2)
    assert read_rating(photo) == 2
