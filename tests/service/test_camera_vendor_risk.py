"""Each registered camera shows its vendor risk and matching advisories (the fleet audit's data)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from tests.service.webkit import add_user, api_token, login, make_app

from clearsight.store import Role


def test_cameras_show_vendor_coverage_and_advisories(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    with TestClient(app) as client:
        add_user(app, "adm", Role.ADMIN)
        token = api_token(app, "adm", {"cameras:manage"})
        bearer = {"Authorization": f"Bearer {token}"}
        risky = client.post(
            "/api/cameras",
            json={
                "name": "door",
                "source": "rtsp://127.0.0.1/none",
                "enabled": False,
                "vendor": "Hangzhou Hikvision Digital Technology Co., Ltd.",
                "model": "DS-2CD2032F-I",
                "firmware": "V5.4.0 build 160530",
            },
            headers=bearer,
        )
        assert risky.status_code == 201, risky.text
        risk = risky.json()["vendor_risk"]
        assert risk["vendor"] == "Hikvision" and risk["covered"] is True
        assert "CVE-2017-7921" in risk["advisories"]
        plain = client.post(
            "/api/cameras",
            json={
                "name": "till",
                "source": "rtsp://127.0.0.1/none",
                "enabled": False,
                "vendor": "Axis Communications",
                "model": "P3245-V",
                "firmware": "10.12.1",
            },
            headers=bearer,
        ).json()["vendor_risk"]
        assert plain["covered"] is False and plain["advisories"] == []
        assert plain["risk"] < risk["risk"]
        unknown = client.post(
            "/api/cameras",
            json={"name": "yard", "source": "rtsp://127.0.0.1/none", "enabled": False},
            headers=bearer,
        ).json()
        assert unknown["vendor_risk"] is None
        login(client, "adm")
        page = client.get("/cameras").text
        assert "Hikvision" in page and "NDAA 889 covered" in page and "CVE-2017-7921" in page
        assert "vendor not recorded" in page
