"""Star ratings written to XMP sidecars (``IMG_0001.jpg.xmp``, ``xmp:Rating``), the field
digiKam, darktable and Lightroom read. Off by default (``Settings.xmp_sidecars``): the
user store is where ratings live; a sidecar is a copy for other programs, and the
photo file itself is never written."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from pathlib import Path

from photofinder.atomic_file import write_atomically

log = logging.getLogger("photofinder.xmp")

NAMESPACES = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "darktable": "http://darktable.sf.net/",
    "digiKam": "http://www.digikam.org/ns/1.0/",
    "exif": "http://ns.adobe.com/exif/1.0/",
    "tiff": "http://ns.adobe.com/tiff/1.0/",
    "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
    "lr": "http://ns.adobe.com/lightroom/1.0/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
}
for _prefix, _uri in NAMESPACES.items():
    ET.register_namespace(_prefix, _uri)

RATING = f"{{{NAMESPACES['xmp']}}}Rating"
DESCRIPTION = f"{{{NAMESPACES['rdf']}}}Description"
EMPTY = (f'<x:xmpmeta xmlns:x="{NAMESPACES["x"]}"><rdf:RDF xmlns:rdf="{NAMESPACES["rdf"]}">'
         f'<rdf:Description rdf:about="" xmlns:xmp="{NAMESPACES["xmp"]}"/></rdf:RDF></x:xmpmeta>')
PACKET = '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n{}\n<?xpacket end="w"?>\n'


def sidecar_of(photo: str | Path) -> Path:
    return Path(f"{photo}.xmp")


def write_rating(photo: str | Path, rating: int) -> Path:
    """Set xmp:Rating in the photo's sidecar, keeping everything else in it."""
    sidecar = sidecar_of(photo)
    try:
        root = ET.fromstring(sidecar.read_text(encoding="utf-8")) if sidecar.exists() \
            else ET.fromstring(EMPTY)
    except ET.ParseError as exc:
        raise OSError(f"the sidecar {sidecar} is not XML ({exc}); left as it is") from exc
    descriptions = list(root.iter(DESCRIPTION))
    if not descriptions:
        raise OSError(f"the sidecar {sidecar} has no rdf:Description; left as it is")
    for element in (e for d in descriptions for e in d.findall(RATING)):
        element.text = str(rating)
        break
    else:
        holder = next((d for d in descriptions if RATING in d.attrib), descriptions[0])
        holder.set(RATING, str(rating))
    write_atomically(sidecar, PACKET.format(ET.tostring(root, encoding="unicode")).encode("utf-8"))
    return sidecar


def read_rating(photo: str | Path) -> int | None:
    sidecar = sidecar_of(photo)
    try:
        root = ET.fromstring(sidecar.read_text(encoding="utf-8"))
    except (OSError, ET.ParseError):
        return None
    for description in root.iter(DESCRIPTION):
        value = description.get(RATING) or next((e.text for e in description.findall(RATING)), None)
        if value is not None:
            return int(value)
    return None
