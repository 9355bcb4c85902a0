"""A simulated ONVIF camera on 127.0.0.1: a WS-Discovery UDP responder and a SOAP HTTP server.

Written from the ONVIF Core and WS-Discovery specifications, independently of clearsight's
client: it answers a Probe with ProbeMatches (RelatesTo = the probe's MessageID) and a
GetDeviceInformation POST with the device's fields, checking a WS-UsernameToken password digest
when credentials are required.
"""

from __future__ import annotations

import base64
import hashlib
import re
import socket
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from xml.sax.saxutils import escape

LOOPBACK = "127.0.0.1"


@dataclass
class DeviceSpec:
    manufacturer: str = "HIKVISION"
    model: str = "DS-2CD2142FWD-I"
    firmware: str = "V5.4.1 build 160525"
    serial: str = "DS-2CD2142FWD-I20160601AAWR123456789"
    name: str = "Lobby cam"
    location: str = "Depot A"
    username: str | None = None
    password: str | None = None
    xaddr_host: str = LOOPBACK  # what the device claims as its service host
    relates_to_override: str | None = None  # answer as if to another probe
    requests: list[bytes] = field(default_factory=list)
    probes: int = 0


def _probe_reply(spec: DeviceSpec, message_id: str, http_port: int) -> bytes:
    scopes = " ".join(
        (
            "onvif://www.onvif.org/type/video_encoder",
            f"onvif://www.onvif.org/name/{spec.name.replace(' ', '%20')}",
            f"onvif://www.onvif.org/location/{spec.location.replace(' ', '%20')}",
            f"onvif://www.onvif.org/hardware/{spec.model}",
        )
    )
    relates = spec.relates_to_override or message_id
    endpoint = uuid.uuid5(uuid.NAMESPACE_DNS, spec.serial)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope"
 xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing"
 xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery"
 xmlns:dn="http://www.onvif.org/ver10/network/wsdl">
<SOAP-ENV:Header>
 <wsa:MessageID>uuid:{uuid.uuid4()}</wsa:MessageID>
 <wsa:RelatesTo>{escape(relates)}</wsa:RelatesTo>
 <wsa:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:To>
 <wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</wsa:Action>
</SOAP-ENV:Header>
<SOAP-ENV:Body><d:ProbeMatches><d:ProbeMatch>
 <wsa:EndpointReference><wsa:Address>urn:uuid:{endpoint}</wsa:Address>
 </wsa:EndpointReference>
 <d:Types>dn:NetworkVideoTransmitter</d:Types>
 <d:Scopes>{escape(scopes)}</d:Scopes>
 <d:XAddrs>http://{spec.xaddr_host}:{http_port}/onvif/device_service</d:XAddrs>
 <d:MetadataVersion>1</d:MetadataVersion>
</d:ProbeMatch></d:ProbeMatches></SOAP-ENV:Body></SOAP-ENV:Envelope>""".encode()


def _info_reply(spec: DeviceSpec) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"
 xmlns:tds="http://www.onvif.org/ver10/device/wsdl"><env:Body>
<tds:GetDeviceInformationResponse>
 <tds:Manufacturer>{escape(spec.manufacturer)}</tds:Manufacturer>
 <tds:Model>{escape(spec.model)}</tds:Model>
 <tds:FirmwareVersion>{escape(spec.firmware)}</tds:FirmwareVersion>
 <tds:SerialNumber>{escape(spec.serial)}</tds:SerialNumber>
 <tds:HardwareId>88</tds:HardwareId>
</tds:GetDeviceInformationResponse></env:Body></env:Envelope>""".encode()


_FAULT = b"""<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"
 xmlns:ter="http://www.onvif.org/ver10/error"><env:Body><env:Fault>
<env:Code><env:Value>env:Sender</env:Value><env:Subcode><env:Value>ter:NotAuthorized</env:Value>
</env:Subcode></env:Code><env:Reason><env:Text xml:lang="en">Sender not Authorized</env:Text>
</env:Reason></env:Fault></env:Body></env:Envelope>"""


def _tag(body: str, name: str) -> str | None:
    found = re.search(rf"<(?:\w+:)?{name}\b[^>]*>([^<]*)</(?:\w+:)?{name}>", body)
    return found.group(1) if found else None


def _authorised(spec: DeviceSpec, body: str) -> bool:
    if spec.username is None:
        return True
    username, digest = _tag(body, "Username"), _tag(body, "Password")
    nonce, created = _tag(body, "Nonce"), _tag(body, "Created")
    if nonce is None or created is None or digest is None or username != spec.username:
        return False
    expected = hashlib.sha1(
        base64.b64decode(nonce) + created.encode() + (spec.password or "").encode()
    ).digest()
    return digest == base64.b64encode(expected).decode()


class SimulatedOnvifDevice:
    """Start with ``with SimulatedOnvifDevice(spec) as device:``; ``device.udp_port`` takes
    unicast probes, the HTTP server answers on ``device.http_port``."""

    def __init__(self, spec: DeviceSpec | None = None) -> None:
        self.spec = spec or DeviceSpec()
        self._udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._udp.bind((LOOPBACK, 0))
        self._udp.settimeout(0.1)
        self.udp_port = self._udp.getsockname()[1]
        self._http = ThreadingHTTPServer((LOOPBACK, 0), self._handler())
        self.http_port = self._http.server_address[1]
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._serve_udp, daemon=True),
            threading.Thread(target=self._http.serve_forever, args=(0.05,), daemon=True),
        ]

    @property
    def target(self) -> str:
        return f"{LOOPBACK}:{self.udp_port}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        spec = self.spec

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                spec.requests.append(body)
                text = body.decode("utf-8", "replace")
                if "GetDeviceInformation" not in text or self.path != "/onvif/device_service":
                    self.send_response(400)
                    self.end_headers()
                    return
                ok = _authorised(spec, text)
                reply = _info_reply(spec) if ok else _FAULT
                self.send_response(200 if ok else 400)
                self.send_header("Content-Type", "application/soap+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: object) -> None:
                return

        return Handler

    def _serve_udp(self) -> None:
        while not self._stop.is_set():
            try:
                data, sender = self._udp.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            text = data.decode("utf-8", "replace")
            message_id = _tag(text, "MessageID")
            if "Probe" not in text or message_id is None:
                continue
            self.spec.probes += 1
            self._udp.sendto(_probe_reply(self.spec, message_id, self.http_port), sender)

    def __enter__(self) -> SimulatedOnvifDevice:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._http.shutdown()
        self._http.server_close()
        self._udp.close()
        for thread in self._threads:
            thread.join(timeout=2)
