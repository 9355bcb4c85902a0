"""The embedded demo: a synthetic CCTV clip built from public-domain portraits shipped by
installed packages (scikit-image's astronaut, a NASA photo of Eileen Collins, and
matplotlib's ``grace_hopper.jpg``, a US Navy photo). Nothing is downloaded."""

from clearsight.demo._clip import DemoPortrait, build_demo_clip, demo_portraits
from clearsight.demo._photos import portrait_file_name, portrait_png, write_demo_photos

__all__ = [
    "DemoPortrait",
    "build_demo_clip",
    "demo_portraits",
    "portrait_file_name",
    "portrait_png",
    "write_demo_photos",
]
