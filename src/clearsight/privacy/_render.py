from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from clearsight.errors import InputError
from clearsight.privacy._document import Block, Bullets, Document, Heading, Paragraph

_FONT, _BOLD = "ClearsightSans", "ClearsightSans-Bold"


@dataclass(frozen=True)
class _Tagged:
    kind: str
    value: Block


def _kind(block: Block) -> str:
    if isinstance(block, Heading):
        return "heading"
    if isinstance(block, Paragraph):
        return "paragraph"
    if isinstance(block, Bullets):
        return "bullets"
    return "table"


def render_html(document: Document) -> str:
    """The document as one self-contained HTML page (print CSS sets A4)."""
    import jinja2

    source = resources.files("clearsight.privacy").joinpath("templates/document.html")
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = environment.from_string(source.read_text(encoding="utf-8"))
    blocks = [_Tagged(_kind(block), block) for block in document.blocks]
    return template.render(doc=document, blocks=blocks)


def _fonts() -> tuple[str, str]:
    """A Unicode font (macrons in te reo Māori) from matplotlib's bundled DejaVu Sans;
    reportlab's built-in Helvetica cannot show 'ā'."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if _FONT in pdfmetrics.getRegisteredFontNames():
        return _FONT, _BOLD
    try:
        import matplotlib

        folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    except ImportError:
        return "Helvetica", "Helvetica-Bold"
    regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
    if not (regular.is_file() and bold.is_file()):
        return "Helvetica", "Helvetica-Bold"
    pdfmetrics.registerFont(TTFont(_FONT, str(regular)))
    pdfmetrics.registerFont(TTFont(_BOLD, str(bold)))
    return _FONT, _BOLD


def _flowables(document: Document, font: str, bold: str) -> list[Any]:
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import ListFlowable, ListItem, Spacer, TableStyle
    from reportlab.platypus import Paragraph as Para
    from reportlab.platypus import Table as PdfTable

    size = 14.5 if document.poster else 10
    body = ParagraphStyle(
        "body", fontName=font, fontSize=size, leading=size * 1.3, spaceAfter=size * 0.6
    )
    strong = ParagraphStyle("strong", parent=body, fontName=bold)
    heading = ParagraphStyle(
        "heading",
        parent=body,
        fontName=bold,
        fontSize=size * 1.3,
        leading=size * 1.6,
        spaceBefore=size * 0.8,
    )
    title = ParagraphStyle(
        "title",
        parent=body,
        fontName=bold,
        fontSize=34 if document.poster else 19,
        leading=42 if document.poster else 24,
        spaceAfter=14,
        textColor=colors.white if document.poster else colors.black,
        backColor=colors.HexColor("#0b3d91") if document.poster else None,
        borderPadding=(8, 8, 10, 8) if document.poster else 0,
    )
    cell = ParagraphStyle(
        "cell", parent=body, fontSize=size * 0.85, leading=size * 1.1, spaceAfter=0
    )
    head_cell = ParagraphStyle("head", parent=cell, fontName=bold)
    flow: list[Any] = [Para(escape(document.title), title), Spacer(1, 6)]
    for block in document.blocks:
        if isinstance(block, Heading):
            flow.append(Para(escape(block.text), heading))
        elif isinstance(block, Paragraph):
            flow.append(Para(escape(block.text), strong if block.strong else body))
        elif isinstance(block, Bullets):
            items = [ListItem(Para(escape(item), body), leftIndent=12) for item in block.items]
            flow.append(ListFlowable(items, bulletType="bullet", start="•", leftIndent=12))
        else:
            rows = [[Para(escape(c), head_cell) for c in block.header]]
            rows += [[Para(escape(c), cell) for c in row] for row in block.rows]
            table = PdfTable(rows, repeatRows=1, hAlign="LEFT")
            table.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8ecf4")),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ]
                )
            )
            flow += [table, Spacer(1, size * 0.6)]
    if document.footer:
        small = ParagraphStyle("footer", parent=body, fontSize=size * 0.75, textColor=colors.grey)
        flow += [Spacer(1, 10), Para(escape(document.footer), small)]
    return flow


def render_pdf(document: Document, path: Path) -> None:
    """Write the document as an A4 PDF (atomically: complete or not at all)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    font, bold = _fonts()
    margin = (12 if document.poster else 18) * mm
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        pdf = SimpleDocTemplate(
            str(temporary),
            pagesize=A4,
            leftMargin=margin,
            rightMargin=margin,
            topMargin=margin,
            bottomMargin=margin,
            title=document.title,
            author="clearsight",
            invariant=True,
        )
        pdf.build(_flowables(document, font, bold))
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise InputError(f"{path}: cannot write PDF ({error.strerror})") from error
    finally:
        temporary.unlink(missing_ok=True)


def write_document(document: Document, out_dir: Path, stem: str) -> tuple[Path, Path]:
    """``stem.html`` and ``stem.pdf`` in ``out_dir`` (created if needed)."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        html = out_dir / f"{stem}.html"
        html.write_text(render_html(document), encoding="utf-8")
    except OSError as error:
        raise InputError(f"{out_dir}: cannot write ({error.strerror})") from error
    pdf = out_dir / f"{stem}.pdf"
    render_pdf(document, pdf)
    return html, pdf
