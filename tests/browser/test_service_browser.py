"""The whole service in Debian's headless Chromium, as its users would drive it.

The real ``clearsight serve`` on 127.0.0.1 with a fresh data directory: the one-time set-up
link creates the admin, who adds a user per role; an enroller enrols Eileen Collins (the
NASA portrait shipped with scikit-image) and the admin approves her; the admin adds a camera
on the demo clip; her alert arrives in the review queue and two reviewers confirm it.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CLEARSIGHT_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOT = Path(os.environ.get("CLEARSIGHT_SCREENSHOT", "/tmp/clearsight-review.png"))
PASSWORD = "a long enough passphrase"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.is_file(), reason=f"no Chromium at {CHROMIUM}"),
]

if CHROMIUM.is_file():
    from playwright.sync_api import Browser, Page, expect, sync_playwright


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Service:
    """``clearsight serve`` in a subprocess; its output is kept for the set-up link."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.output: list[str] = []
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from clearsight.cli import main; main()",
                "serve",
                "--allow-unencrypted",  # these tests are about other things
                "--data-dir",
                str(data_dir),
                "--port",
                str(self.port),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line.rstrip())

    def setup_link(self, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.output:
                found = re.search(r"(http://\S+/setup\?token=\S+)", line)
                if found:
                    return found.group(1)
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError("no set-up link printed:\n" + "\n".join(self.output))

    def wait_ready(self, timeout: float = 60) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/api/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise AssertionError("the service did not answer:\n" + "\n".join(self.output))

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    running = Service(tmp_path / "data")
    yield running
    running.stop()


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def collins_png(tmp_path: Path) -> Path:
    from PIL import Image
    from skimage import data

    path = tmp_path / "eileen-collins.png"
    Image.fromarray(data.astronaut()).save(path)
    return path


def _sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".who")).to_contain_text(username)


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login|/$"))


def _decide(page: Page, base: str, alert_path: str, reviewer: str, comment: str) -> None:
    _sign_in(page, base, reviewer)
    page.goto(f"{base}{alert_path}")
    expect(page.locator("#decisions-hidden")).to_be_visible()  # independent review
    page.get_by_label("Comment").fill(comment)
    page.get_by_role("button", name="Confirm").click()
    page.goto(f"{base}{alert_path}")


def test_two_reviewers_confirm_an_alert_from_a_camera(
    service: Service, browser: Browser, collins_png: Path, demo_clip: Path
) -> None:
    base = service.base
    page = browser.new_page(viewport={"width": 1200, "height": 1000})
    page.set_default_timeout(30_000)

    # First start: the one-time link creates the administrator.
    link = service.setup_link()
    service.wait_ready()
    page.goto(link)
    page.get_by_label("User name").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create administrator").click()
    _sign_in(page, base, "admin")

    # One user per role.
    users = {"enid": "enroller", "rita": "reviewer", "ravi": "reviewer", "audrey": "auditor"}
    for username, role in users.items():
        page.goto(f"{base}/users")
        page.get_by_label("User name").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_label("Role").select_option(role)
        page.get_by_role("button", name="Add user").click()
    page.goto(f"{base}/users")
    for username, role in users.items():
        expect(page.locator("tr", has_text=username)).to_contain_text(role)
    _sign_out(page)

    # The enroller enrols Eileen Collins; the entry waits for someone else's approval.
    _sign_in(page, base, "enid")
    page.goto(f"{base}/watchlist/new")
    page.get_by_label("Name").fill("Eileen Collins")
    page.get_by_label("Reason").select_option("violence")
    page.get_by_label("Incident reference").fill("INC-2026-0042")
    page.get_by_label("Notes").fill("Assaulted a member of staff (browser test).")
    page.get_by_label("Reference photos (one face each)").set_input_files(str(collins_png))
    page.get_by_label("I attest that this person is not known to be under 18.").check()
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.locator("#entry-status")).to_have_text("pending_approval", timeout=60_000)
    entry_url = page.url
    _sign_out(page)

    # The admin approves it and adds a camera on the demo clip.
    _sign_in(page, base, "admin")
    page.goto(entry_url)
    page.get_by_label("Reason for approval").fill("incident report checked")
    page.get_by_role("button", name="Approve").click()
    page.goto(entry_url)
    expect(page.locator("#entry-status")).to_have_text("approved")
    page.goto(f"{base}/cameras")
    page.get_by_label("Name").fill("Shop door")
    page.get_by_label("Source (stream URL, device or file)").fill(str(demo_clip))
    page.get_by_label("Site").fill("High Street")
    page.get_by_role("button", name="Add camera").click()
    # The status page shows the camera's worker running: analysed fps and its last frame.
    row = page.locator("tr", has_text="Shop door")
    deadline = time.monotonic() + 120
    cells = row.locator("td").all_inner_texts()
    while not (cells[3] == "running" and cells[4] not in ("", "0.0")):
        assert time.monotonic() < deadline, f"camera not running after 120 s: {cells}"
        time.sleep(1)
        page.reload()
        cells = row.locator("td").all_inner_texts()
    assert float(cells[4]) > 0 and re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", cells[5]), cells
    _sign_out(page)

    # A reviewer watches the queue: the alert appears without reloading the page.
    _sign_in(page, base, "rita")
    page.goto(f"{base}/review")
    link = page.locator("#queue tbody a", has_text="Eileen Collins").first
    expect(link).to_be_visible(timeout=120_000)
    alert_path = str(link.get_attribute("href"))
    _sign_out(page)

    _decide(page, base, alert_path, "rita", "Same face as the reference photo.")
    expect(page.locator("#alert-status")).to_have_text("pending")  # one confirmation of two
    _sign_out(page)
    _decide(page, base, alert_path, "ravi", "Agree: it is her.")
    expect(page.locator("#alert-status")).to_have_text("confirmed")
    decisions = page.locator("#decisions")
    expect(decisions).to_contain_text("rita: confirm")
    expect(decisions).to_contain_text("ravi: confirm")
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    # Every step above left an audit entry; the chain still verifies once the service stops.
    service.stop()
    verify = subprocess.run(
        [
            sys.executable,
            "-c",
            "from clearsight.cli import main; main()",
            "audit",
            "verify",
            "--data-dir",
            str(service.data_dir),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
