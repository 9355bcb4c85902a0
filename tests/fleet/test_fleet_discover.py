"""ONVIF discovery against simulated devices on 127.0.0.1 (unicast only, never multicast)."""

from __future__ import annotations

import pytest
from fleet_onvif_sim import LOOPBACK, DeviceSpec, SimulatedOnvifDevice

from clearsight.fleet import OnvifCredentials, discover, to_records


def test_probe_and_device_information() -> None:
    spec = DeviceSpec(name="Lobby cam", location="Depot A")
    with SimulatedOnvifDevice(spec) as device:
        found = discover(timeout=0.5, targets=[(LOOPBACK, device.udp_port)])
    assert spec.probes == 1
    (camera,) = found
    assert camera.error is None and camera.information is not None
    assert (camera.information.manufacturer, camera.information.model) == (
        spec.manufacturer,
        spec.model,
    )
    assert camera.information.firmware == spec.firmware
    (record,) = to_records(found)
    assert (record.name, record.site, record.ip, record.serial) == (
        "Lobby cam", "Depot A", LOOPBACK, spec.serial,
    )  # fmt: skip
    assert record.internet == "unknown" and record.credentials == "unknown"


def test_credentials_are_sent_as_a_password_digest() -> None:
    spec = DeviceSpec(username="admin", password="correct horse")
    with SimulatedOnvifDevice(spec) as device:
        target = [(LOOPBACK, device.udp_port)]
        anonymous = discover(timeout=0.3, targets=target)
        wrong = discover(timeout=0.3, targets=target, credentials=OnvifCredentials("admin", "nope"))
        right = discover(
            timeout=0.3, targets=target, credentials=OnvifCredentials("admin", "correct horse")
        )
    assert (
        anonymous[0].information is None and "not authorized" in (anonymous[0].error or "").lower()
    )
    assert wrong[0].information is None
    assert right[0].information is not None and right[0].information.model == spec.model
    assert all(b"correct horse" not in request for request in spec.requests)
    (failed,) = to_records(anonymous)
    assert failed.vendor == "unknown" and failed.model == spec.model  # from the hardware scope


def test_replies_to_other_probes_are_ignored() -> None:
    spec = DeviceSpec(relates_to_override="uuid:someone-elses-probe")
    with SimulatedOnvifDevice(spec) as device:
        assert discover(timeout=0.3, targets=[(LOOPBACK, device.udp_port)]) == ()
    assert spec.probes == 1 and spec.requests == []


def test_service_address_on_another_host_is_not_contacted() -> None:
    # The reply comes from 127.0.0.1 but names "localhost": discovery must not follow it.
    spec = DeviceSpec(xaddr_host="localhost")
    with SimulatedOnvifDevice(spec) as device:
        (camera,) = discover(timeout=0.3, targets=[(LOOPBACK, device.udp_port)])
    assert camera.information is None and "replying host" in (camera.error or "")
    assert spec.requests == []


def test_several_devices_and_silence() -> None:
    specs = [DeviceSpec(serial=f"S{index}", name=f"cam {index}") for index in range(3)]
    with SimulatedOnvifDevice(specs[0]) as a, SimulatedOnvifDevice(specs[1]) as b, \
            SimulatedOnvifDevice(specs[2]) as c:  # fmt: skip
        found = discover(timeout=0.5, targets=[(LOOPBACK, d.udp_port) for d in (a, b, c)])
    assert sorted(record.name for record in to_records(found)) == ["cam 0", "cam 1", "cam 2"]
    # Nothing listening: a quiet network gives no devices, not an error.
    with SimulatedOnvifDevice() as device:
        port = device.udp_port
    assert discover(timeout=0.2, targets=[(LOOPBACK, port)]) == ()


def test_without_targets_the_probe_goes_to_the_multicast_group() -> None:
    # conftest's loopback guard stops the packet before it leaves and names where it was going.
    with pytest.raises(AssertionError, match=r"239\.255\.255\.250', 3702"):
        discover(timeout=0.1)
