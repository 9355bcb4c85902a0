"""Make this folder's helper modules (the inventory generator and the ONVIF simulator)
importable under pytest's importlib import mode; their names start with ``fleet_`` so they
cannot shadow another folder's helpers."""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from typing import Any

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)


_LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any fleet test that would send a packet or open a connection off this machine
    (a multicast probe above all), whatever the code under test does."""
    original_sendto = socket.socket.sendto
    original_connect = socket.socket.connect

    def _check(address: object) -> None:
        host = address[0] if isinstance(address, tuple) else address
        if host not in _LOOPBACK_HOSTS:
            raise AssertionError(f"fleet tests must stay on 127.0.0.1, tried {address!r}")

    def sendto(sock: socket.socket, data: bytes, *args: Any) -> int:
        _check(args[-1])
        return original_sendto(sock, data, *args)

    def connect(sock: socket.socket, address: Any) -> None:
        _check(address)
        original_connect(sock, address)

    monkeypatch.setattr(socket.socket, "sendto", sendto)
    monkeypatch.setattr(socket.socket, "connect", connect)


@pytest.fixture(autouse=True)
def _own_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A KEV snapshot saved by ``update-kev`` on this machine must not change what the tests
    audit against: each test gets an empty data folder."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
