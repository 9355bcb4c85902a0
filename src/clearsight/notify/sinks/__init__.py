"""The alert sinks, one module each: a ``SinkConfig`` subclass with a literal ``type`` and the
``AlertSink`` its ``open()`` returns.

Every module in this package is a sink type: ``clearsight.notify`` finds them here and builds
the ``[[notify.sinks]]`` entries' accepted types from them, so adding a sink is adding a
module (see docs/service.md, "Alert sinks"). A sink module imports what it builds on from
here (``clearsight.notify`` itself is still being set up while the sinks are found).
"""

from clearsight.notify._message import ConfirmedAlertMessage
from clearsight.notify._sink import AlertSink, Delivery, SinkConfig

__all__ = ["AlertSink", "ConfirmedAlertMessage", "Delivery", "SinkConfig"]
