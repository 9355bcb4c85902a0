"""ONVIF messages: the WS-Discovery Probe, ProbeMatches, and GetDeviceInformation.

XML from the network is parsed with the standard library's expat-based parser, which (with
expat >= 2.4.1) refuses entity-expansion bombs and never fetches external entities; replies are
also size-capped by the caller. Elements are found by local name because devices disagree on
namespace prefixes and versions.
"""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote

SOAP_ENV = "http://www.w3.org/2003/05/soap-envelope"
WSA = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
WSD = "http://schemas.xmlsoap.org/ws/2005/04/discovery"
DN = "http://www.onvif.org/ver10/network/wsdl"
TDS = "http://www.onvif.org/ver10/device/wsdl"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
PASSWORD_DIGEST = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
    "#PasswordDigest"
)
DISCOVERY_ADDRESS = ("239.255.255.250", 3702)
GET_DEVICE_INFORMATION_ACTION = "http://www.onvif.org/ver10/device/wsdl/GetDeviceInformation"


@dataclass(frozen=True)
class ProbeMatch:
    """One device's answer to a Probe."""

    endpoint: str
    xaddrs: tuple[str, ...]
    scopes: tuple[str, ...]
    types: tuple[str, ...]

    def scope(self, kind: str) -> str:
        """The value of an ``onvif://www.onvif.org/<kind>/<value>`` scope, or ''."""
        prefix = f"onvif://www.onvif.org/{kind}/"
        for scope in self.scopes:
            if scope.startswith(prefix):
                return unquote(scope[len(prefix) :])
        return ""


@dataclass(frozen=True)
class DeviceInformation:
    manufacturer: str
    model: str
    firmware: str
    serial: str
    hardware_id: str


@dataclass(frozen=True)
class OnvifCredentials:
    username: str
    password: str


def probe_message(message_id: str) -> bytes:
    """A WS-Discovery Probe for ONVIF video transmitters."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<e:Envelope xmlns:e="{SOAP_ENV}" xmlns:w="{WSA}" xmlns:d="{WSD}" xmlns:dn="{DN}">'
        "<e:Header>"
        f"<w:MessageID>{message_id}</w:MessageID>"
        '<w:To e:mustUnderstand="true">urn:schemas-xmlsoap-org:ws:2005:04:discovery</w:To>'
        f'<w:Action e:mustUnderstand="true">{WSD}/Probe</w:Action>'
        "</e:Header>"
        "<e:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></e:Body>"
        "</e:Envelope>"
    ).encode()


def new_message_id() -> str:
    return f"uuid:{uuid.uuid4()}"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _first_text(element: ElementTree.Element, name: str) -> str:
    for child in element.iter():
        if _local(child.tag) == name:
            return (child.text or "").strip()
    return ""


def parse_probe_matches(payload: bytes, message_id: str) -> tuple[ProbeMatch, ...]:
    """ProbeMatch entries of a reply to our Probe; replies to other probes give ()."""
    try:
        root = ElementTree.fromstring(payload)
    except ElementTree.ParseError:
        return ()
    if _first_text(root, "RelatesTo") != message_id:
        return ()
    matches = []
    for element in root.iter():
        if _local(element.tag) != "ProbeMatch":
            continue
        matches.append(
            ProbeMatch(
                endpoint=_first_text(element, "Address"),
                xaddrs=tuple(_first_text(element, "XAddrs").split()),
                scopes=tuple(_first_text(element, "Scopes").split()),
                types=tuple(_first_text(element, "Types").split()),
            )
        )
    return tuple(matches)


def _security_header(credentials: OnvifCredentials) -> ElementTree.Element:
    nonce = os.urandom(16)
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    digest = hashlib.sha1(nonce + created.encode() + credentials.password.encode()).digest()
    security = ElementTree.Element(f"{{{WSSE}}}Security", {f"{{{SOAP_ENV}}}mustUnderstand": "1"})
    token = ElementTree.SubElement(security, f"{{{WSSE}}}UsernameToken")
    ElementTree.SubElement(token, f"{{{WSSE}}}Username").text = credentials.username
    password = ElementTree.SubElement(token, f"{{{WSSE}}}Password", {"Type": PASSWORD_DIGEST})
    password.text = base64.b64encode(digest).decode()
    ElementTree.SubElement(token, f"{{{WSSE}}}Nonce").text = base64.b64encode(nonce).decode()
    ElementTree.SubElement(token, f"{{{WSU}}}Created").text = created
    return security


def device_information_request(credentials: OnvifCredentials | None) -> bytes:
    """A SOAP 1.2 GetDeviceInformation request, with a WS-Security digest when given."""
    envelope = ElementTree.Element(f"{{{SOAP_ENV}}}Envelope")
    header = ElementTree.SubElement(envelope, f"{{{SOAP_ENV}}}Header")
    if credentials is not None:
        header.append(_security_header(credentials))
    body = ElementTree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    ElementTree.SubElement(body, f"{{{TDS}}}GetDeviceInformation")
    request: bytes = ElementTree.tostring(envelope, encoding="utf-8", xml_declaration=True)
    return request


def parse_device_information(payload: bytes) -> DeviceInformation:
    """The fields of a GetDeviceInformationResponse; raises ValueError for faults or junk."""
    try:
        root = ElementTree.fromstring(payload)
    except ElementTree.ParseError as error:
        raise ValueError(f"reply is not XML: {error}") from None
    for element in root.iter():
        if _local(element.tag) == "Fault":
            reason = _first_text(element, "Text") or _first_text(element, "Value") or "fault"
            raise ValueError(f"device answered with a SOAP fault: {reason}")
    for element in root.iter():
        if _local(element.tag) == "GetDeviceInformationResponse":
            return DeviceInformation(
                manufacturer=_first_text(element, "Manufacturer"),
                model=_first_text(element, "Model"),
                firmware=_first_text(element, "FirmwareVersion"),
                serial=_first_text(element, "SerialNumber"),
                hardware_id=_first_text(element, "HardwareId"),
            )
    raise ValueError("reply has no GetDeviceInformationResponse")
