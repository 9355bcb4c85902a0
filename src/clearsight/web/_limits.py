"""Login rate limiting and the request-size guard."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class LoginLimiter:
    """Failed sign-ins in a sliding window, counted three ways: per (user name, client
    address), per address (caps guessing across many user names) and per user name alone
    (caps guessing one account from many addresses, so rotating addresses gains nothing).

    Kept in memory: a restart forgets the counts, which only helps someone who can restart
    the service. The address is the TCP peer unless ``clearsight serve --trusted-proxy``
    names the proxy whose forwarded-for header is believed.
    """

    def __init__(self, max_failures: int, window_s: float) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures[key]
        while times and now - times[0] > self.window_s:
            times.popleft()
        return times

    def _limits(self, username: str, address: str) -> list[tuple[str, int]]:
        return [
            (f"u:{username}|{address}", self.max_failures),
            (f"a:{address}", self.max_failures * 4),
            (f"n:{username}", self.max_failures * 2),
        ]

    def blocked(self, username: str, address: str) -> bool:
        now = time.monotonic()
        with self._lock:
            return any(
                len(self._recent(key, now)) >= limit
                for key, limit in self._limits(username, address)
            )

    def failed(self, username: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key, _ in self._limits(username, address):
                self._recent(key, now).append(now)

    def succeeded(self, username: str, address: str) -> None:
        with self._lock:
            self._failures.pop(f"u:{username}|{address}", None)


class BodyTooLarge(HTTPException):
    """Raised from ``receive``; an HTTPException so FastAPI answers 413 rather than 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body over the {limit}-byte limit")


class BodySizeLimit:
    """Refuse request bodies over ``limit`` bytes with 413, by declared length or as they
    stream in, before a handler reads them into memory."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _reply(send, 400, b"invalid Content-Length header")
                    return
                if declared > self.limit:
                    await _reply(
                        send, 413, f"request body over the {self.limit}-byte limit".encode()
                    )
                    return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _reply(send, 413, f"request body over the {self.limit}-byte limit".encode())


async def _reply(send: Send, status: int, text: bytes) -> None:
    body = b'{"detail":"' + text.replace(b'"', b"'") + b'"}'
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


SECURITY_HEADERS = [
    # Everything the pages use is served by this app: nothing loads from elsewhere.
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; script-src 'self'; "
        b"style-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


class SecurityHeaders:
    """Adds the headers above to every HTTP response (pure ASGI, no request buffering)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)
