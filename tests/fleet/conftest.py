"""Make this folder's helper modules (the inventory generator and the ONVIF simulator)
importable under pytest's importlib import mode; their names start with ``fleet_`` so they
cannot shadow another folder's helpers."""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
