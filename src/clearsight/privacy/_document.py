from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str
    strong: bool = False


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.header):
                raise ValueError(f"table row {row!r} does not match header {self.header!r}")


Block = Heading | Paragraph | Bullets | Table


@dataclass(frozen=True)
class Document:
    """Plain content rendered to both HTML and PDF, so the two never disagree."""

    title: str
    blocks: tuple[Block, ...]
    footer: str = ""
    poster: bool = False
    """Large type on one A4 page (a sign), rather than a report."""

    def text(self) -> str:
        """All the words, for checks and search."""
        parts = [self.title]
        for block in self.blocks:
            if isinstance(block, Heading | Paragraph):
                parts.append(block.text)
            elif isinstance(block, Bullets):
                parts.extend(block.items)
            else:
                parts.extend(block.header)
                parts.extend(cell for row in block.rows for cell in row)
        parts.append(self.footer)
        return "\n".join(parts)
