"""The alert sinks, one module each: a ``SinkConfig`` subclass with a literal ``type`` and the
``AlertSink`` its ``open()`` returns.

Every module in this package is a sink type: ``clearsight.notify`` finds them here and builds
the ``[[notify.sinks]]`` entries' accepted types from them, so adding a sink is adding a
module (see docs/service.md, "Alert sinks").
"""
