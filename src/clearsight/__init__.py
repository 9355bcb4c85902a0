"""clearsight: accountable face recognition for CCTV.

    import clearsight
    result = clearsight.compare("obama.jpg", "biden.jpg")
    print(result.same, result.score, result.estimated_fmr)

``load_image``, ``faces``, ``compare``, ``Watchlist`` and ``watch`` are the library; the
packages under ``clearsight`` are its parts. Importing this package does no work: the
library's modules are imported when one of its names is first used, and models load when
first used.
"""

from __future__ import annotations

# Not typing.TYPE_CHECKING: importing typing alone would triple this file's import time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from clearsight._library import (
        Comparison,
        Watchlist,
        WatchRun,
        compare,
        faces,
        load_image,
        watch,
    )
    from clearsight.config import ClearsightConfig
    from clearsight.enrollment import Face
    from clearsight.errors import ClearsightError
    from clearsight.types import Alert

__version__ = "0.1.0"
__all__ = [
    "Alert",
    "ClearsightConfig",
    "ClearsightError",
    "Comparison",
    "Face",
    "WatchRun",
    "Watchlist",
    "__version__",
    "compare",
    "faces",
    "load_image",
    "watch",
]

# Where each public name lives; imported on first use (PEP 562), so that `import clearsight`
# (and every `clearsight.<package>` import, which runs this file first) stays light.
_HOMES = {
    "Alert": "clearsight.types",
    "ClearsightConfig": "clearsight.config",
    "ClearsightError": "clearsight.errors",
    "Comparison": "clearsight._library",
    "Face": "clearsight.enrollment",
    "WatchRun": "clearsight._library",
    "Watchlist": "clearsight._library",
    "compare": "clearsight._library",
    "faces": "clearsight._library",
    "load_image": "clearsight._library",
    "watch": "clearsight._library",
}


if not TYPE_CHECKING:  # type checkers see the imports above, and no catch-all attribute
    from clearsight._lazy import lazy_attributes

    __getattr__ = lazy_attributes(__name__, _HOMES)

    def __dir__() -> list[str]:
        return sorted({*globals(), *__all__})
