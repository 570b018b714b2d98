"""Where each tile and header of a sectioned grid goes: arithmetic over sections, not items.

A grid of square cells, ``columns`` wide, split into sections (a month, the results of
one query image); each section starts on a new line under a header band. Positions are
found by bisection over the section starts, so laying out 100,000 photos costs as much
as laying out their few hundred months, and no call per photo is made.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Iterator


@dataclass(frozen=True)
class Section:
    """A run of rows under one header: ``count`` rows from ``start``."""

    start: int
    count: int
    title: str
    image: object = field(default=None, compare=False)  # a QImage shown in the header, or None


@dataclass(frozen=True)
class GridLayout:
    """The positions of ``rows`` tiles in cells of ``cell`` pixels, ``columns`` to a line;
    with sections, a header band of ``header`` pixels above each."""

    rows: int
    columns: int
    cell: int
    header: int = 0
    sections: tuple[Section, ...] = ()
    starts: tuple[int, ...] = ()  # each section's first row
    tops: tuple[int, ...] = ()  # each section's top (its header's top), in pixels
    height: int = 0

    @classmethod
    def of(cls, rows: int, columns: int, cell: int, sections: list[Section] | tuple = (),
           header: int = 0) -> "GridLayout":
        """``sections`` must cover rows 0..rows-1 in order; none: one section, no headers."""
        columns = max(1, columns)
        if not sections:
            sections, header = (Section(0, rows, ""),), 0
        tops, y = [], 0
        for section in sections:
            tops.append(y)
            y += header + -(-section.count // columns) * cell
        return cls(rows, columns, cell, header, tuple(sections),
                   tuple(s.start for s in sections), tuple(tops), y)

    def section_of(self, row: int) -> int:
        return max(0, bisect_right(self.starts, row) - 1)

    def position(self, row: int) -> tuple[int, int]:
        """The top-left corner (x, y) of ``row``'s cell, x counted from the leading edge."""
        i = self.section_of(row)
        line, column = divmod(row - self.starts[i], self.columns)
        return column * self.cell, self.tops[i] + self.header + line * self.cell

    def section_at(self, y: int) -> int:
        return max(0, bisect_right(self.tops, y) - 1)

    def row_at(self, x: int, y: int) -> int | None:
        """The row whose cell holds (x, y), or None (a header, a gap, past the end)."""
        if not 0 <= x < self.columns * self.cell or not 0 <= y < self.height or not self.rows:
            return None
        i = self.section_at(y)
        below = y - self.tops[i] - self.header
        if below < 0:
            return None
        offset = below // self.cell * self.columns + x // self.cell
        return self.starts[i] + offset if offset < self.sections[i].count else None

    def rows_between(self, top: int, bottom: int) -> Iterator[int]:
        """The rows whose cells meet the band from ``top`` to ``bottom`` (pixels), in order."""
        top = max(0, top)
        for i in range(self.section_at(top), len(self.sections)):
            if self.tops[i] > bottom:
                return
            section = self.sections[i]
            band = self.tops[i] + self.header
            first = max(0, (top - band) // self.cell) * self.columns
            last = min(section.count, (max(0, bottom - band) // self.cell + 1) * self.columns)
            yield from range(section.start + first, section.start + last)

    def headers_between(self, top: int, bottom: int) -> Iterator[tuple[Section, int]]:
        """(section, its top) for each header band meeting the band from top to bottom."""
        if not self.header:
            return
        for i in range(self.section_at(max(0, top)), len(self.sections)):
            if self.tops[i] > bottom:
                return
            if self.tops[i] + self.header > top:
                yield self.sections[i], self.tops[i]

    def row_beside(self, row: int, lines: int) -> int:
        """The row ``lines`` lines below (negative: above) ``row`` in the same column, or
        the nearest one a shorter line has; the first or last row past either end."""
        x, y = self.position(row)
        y += lines * self.cell
        if y < 0:
            return 0
        i = self.section_at(y)
        band = self.tops[i] + self.header
        if y < band:  # a header: the line just above it, or the section's first line
            i = i - 1 if lines < 0 and i > 0 else i
            band = self.tops[i] + self.header
            y = band if lines > 0 else band + (-(-self.sections[i].count // self.columns) - 1) * self.cell
        section = self.sections[i]
        offset = (y - band) // self.cell * self.columns + x // self.cell
        return min(section.start + min(offset, section.count - 1), self.rows - 1)
