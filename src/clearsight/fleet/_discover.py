"""ONVIF discovery: a WS-Discovery Probe, then GetDeviceInformation at each device.

By default the Probe goes to the WS-Discovery multicast group; ``targets`` sends it by unicast
to the given addresses only (tests use this against a simulator on 127.0.0.1). A device's
XAddr is queried only when its host is the address the reply came from, so a reply cannot send
clearsight to probe some other machine.
"""

from __future__ import annotations

import ipaddress
import select
import socket
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from clearsight.errors import InputError
from clearsight.fleet._inventory import CameraRecord
from clearsight.fleet._onvif import (
    DISCOVERY_ADDRESS,
    GET_DEVICE_INFORMATION_ACTION,
    DeviceInformation,
    OnvifCredentials,
    ProbeMatch,
    device_information_request,
    new_message_id,
    parse_device_information,
    parse_probe_matches,
    probe_message,
)

_MAX_DATAGRAM = 65_535
_MAX_REPLY_BYTES = 1_000_000


@dataclass(frozen=True)
class DiscoveredDevice:
    """A device that answered the Probe, with its information when it could be read."""

    address: str
    match: ProbeMatch
    information: DeviceInformation | None
    error: str | None


def parse_target(text: str) -> tuple[str, int]:
    """``HOST:PORT`` with an IP address host; raises InputError otherwise."""
    host, separator, port = text.rpartition(":")
    try:
        ipaddress.ip_address(host)
        number = int(port)
    except ValueError:
        raise InputError(f"target {text!r} is not IP:PORT") from None
    if not separator or not 0 < number < 65_536:
        raise InputError(f"target {text!r} is not IP:PORT")
    return host, number


def _probe(
    targets: Sequence[tuple[str, int]], interface: str | None, timeout: float
) -> list[tuple[str, ProbeMatch]]:
    message_id = new_message_id()
    payload = probe_message(message_id)
    found: dict[str, tuple[str, ProbeMatch]] = {}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        if interface:
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(interface))
        try:
            sock.bind((interface or "", 0))
            for target in targets or (DISCOVERY_ADDRESS,):
                sock.sendto(payload, target)
        except OSError as error:
            raise InputError(f"cannot send the discovery probe: {error.strerror}") from error
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([sock], [], [], left)
            if not ready:
                break
            try:
                data, (host, _port) = sock.recvfrom(_MAX_DATAGRAM)
            except ConnectionRefusedError:
                continue  # an ICMP "port unreachable" from a unicast target: nobody there
            for match in parse_probe_matches(data, message_id):
                found.setdefault(match.endpoint or f"{host}/{match.xaddrs}", (host, match))
    return list(found.values())


def _same_host(xaddr: str, address: str) -> bool:
    try:
        return urlsplit(xaddr).hostname == address
    except ValueError:
        return False


def _information(
    address: str,
    match: ProbeMatch,
    credentials: OnvifCredentials | None,
    timeout: float,
) -> DiscoveredDevice:
    usable = [xaddr for xaddr in match.xaddrs if _same_host(xaddr, address)]
    if not usable:
        return DiscoveredDevice(address, match, None, "no service address on the replying host")
    error = "no reply"
    content_type = "application/soap+xml; charset=utf-8"
    headers = {"Content-Type": f'{content_type}; action="{GET_DEVICE_INFORMATION_ACTION}"'}
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        for xaddr in usable:
            try:
                response = client.post(
                    xaddr, content=device_information_request(credentials), headers=headers
                )
                body = response.content[:_MAX_REPLY_BYTES]
                return DiscoveredDevice(address, match, parse_device_information(body), None)
            except httpx.HTTPError as failure:
                error = f"{xaddr}: {failure}"
            except ValueError as failure:
                error = f"{xaddr}: {failure}"
    return DiscoveredDevice(address, match, None, error)


def discover(
    *,
    timeout: float = 3.0,
    targets: Sequence[tuple[str, int]] = (),
    interface: str | None = None,
    credentials: OnvifCredentials | None = None,
) -> tuple[DiscoveredDevice, ...]:
    """Probe, wait ``timeout`` seconds for replies, then ask each device for its information."""
    replies = _probe(targets, interface, timeout)
    with ThreadPoolExecutor(max_workers=8) as pool:
        devices = pool.map(
            lambda reply: _information(reply[0], reply[1], credentials, timeout), replies
        )
        return tuple(sorted(devices, key=lambda device: (device.address, device.match.endpoint)))


def to_records(devices: Sequence[DiscoveredDevice]) -> tuple[CameraRecord, ...]:
    """Inventory rows for discovered devices; what ONVIF cannot tell stays unknown."""
    records: list[CameraRecord] = []
    seen: set[str] = set()
    for line, device in enumerate(devices, start=2):
        info = device.information
        name = device.match.scope("name") or device.address
        if name.casefold() in seen:
            name = f"{name} ({device.address})"
        seen.add(name.casefold())
        records.append(
            CameraRecord(
                name=name,
                vendor=(info.manufacturer if info else "") or "unknown",
                line=line,
                site=device.match.scope("location"),
                ip=device.address,
                model=(info.model if info else "") or device.match.scope("hardware"),
                firmware=info.firmware if info else "",
                serial=info.serial if info else "",
            )
        )
    return tuple(records)
