"""The demo portraits as image files, for a new user to enrol in the service."""

from __future__ import annotations

import io
from pathlib import Path

from clearsight.demo._clip import DemoPortrait, demo_portraits


def portrait_file_name(portrait: DemoPortrait) -> str:
    return portrait.name.lower().replace(" ", "-") + ".png"


def portrait_png(portrait: DemoPortrait) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(portrait.image, "RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def write_demo_photos(folder: Path) -> list[Path]:
    """Write the two portraits the demo camera shows (PNG) into ``folder``; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for portrait in demo_portraits():
        path = folder / portrait_file_name(portrait)
        path.write_bytes(portrait_png(portrait))
        written.append(path)
    return written
