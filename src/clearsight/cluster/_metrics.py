"""Prometheus text exposition (format 0.0.4) of a worker's or consumer's figures, over HTTP.

prometheus_client is not a dependency of clearsight; the handful of gauges and counters here
are written by hand and served by a tiny asyncio HTTP server on ``/metrics``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Metric", "MetricsServer", "render_metrics"]


@dataclass(frozen=True)
class Metric:
    """One metric: name, help text, type (``counter`` or ``gauge``) and how to read it."""

    name: str
    help: str
    kind: str
    read: Callable[[], float]


def _number(value: float) -> str:
    if value != value:  # NaN
        return "NaN"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


def render_metrics(metrics: list[Metric], labels: dict[str, str]) -> str:
    """The exposition text: HELP, TYPE and one sample per metric, with constant labels."""
    label_text = ",".join(
        f'{key}="{value.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for key, value in sorted(labels.items())
    )
    lines: list[str] = []
    for metric in metrics:
        lines.append(f"# HELP {metric.name} {metric.help}")
        lines.append(f"# TYPE {metric.name} {metric.kind}")
        lines.append(f"{metric.name}{{{label_text}}} {_number(metric.read())}")
    return "\n".join(lines) + "\n"


class MetricsServer:
    """Serves ``render()`` at ``GET /metrics`` on ``host:port`` (port 0: any free port)."""

    def __init__(self, render: Callable[[], str], host: str, port: int) -> None:
        self._render = render
        self._host = host
        self._port = port
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            return ""
        port = self._server.sockets[0].getsockname()[1]
        return f"http://{self._host}:{port}/metrics"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, self._host, self._port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
            path = request.split(b" ", 2)[1] if request.count(b" ") >= 2 else b""
            if path.split(b"?")[0] == b"/metrics":
                body = self._render().encode()
                head = b"200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8"
            else:
                body, head = b"not found\n", b"404 Not Found\r\nContent-Type: text/plain"
            writer.write(
                b"HTTP/1.1 "
                + head
                + b"\r\nContent-Length: "
                + str(len(body)).encode()
                + b"\r\nConnection: close\r\n\r\n"
                + body
            )
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
            pass
        finally:
            writer.close()
