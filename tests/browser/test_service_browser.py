"""The whole service in Debian's headless Chromium, as its users would drive it.

The real ``clearsight serve`` on 127.0.0.1 with a fresh data directory: the one-time set-up
link creates the admin, who adds and approves a second admin (ending the single-admin trial);
the two admins add a user per role and each approves the accounts the other set up; an
enroller enrols Eileen Collins (the NASA portrait shipped with scikit-image) and the admin
approves her; the admin adds a camera
on the demo clip; her alert arrives in the review queue and two reviewers confirm it.

Then the second day: the event history, a password change, a password reset by the admin,
an entry rejected by the approver (after a refused form kept what was typed), a camera that
cannot be reached and one deleted, the audit filter with empty dates and its CSV export
matching the screen row for row, pages that fit a 1400 px window and a phone. Each new or
changed page is saved as a screenshot in $CLEARSIGHT_SCREENSHOTS (or the test's tmp dir).
"""

from __future__ import annotations

import csv
import io
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
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("CLEARSIGHT_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def collins_png(tmp_path: Path) -> Path:
    from PIL import Image
    from skimage import data

    path = tmp_path / "eileen-collins.png"
    Image.fromarray(data.astronaut()).save(path)
    return path


def _sign_in(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".who")).to_contain_text(username)


def _add_user(page: Page, base: str, username: str, role: str) -> None:
    page.goto(f"{base}/users")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Role").select_option(role)
    page.get_by_role("button", name="Add user").click()
    expect(page.locator("tr", has_text=username)).to_contain_text("pending")


def _approve_user(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/users")
    page.locator("tr", has_text=username).get_by_role("button", name="Approve").click()
    expect(page.locator("tr", has_text=username)).not_to_contain_text("pending")


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


def _fits(page: Page, width: int) -> None:
    """Nothing on the page is wider than the window, tables included (no sideways scrolling,
    not even inside a table's own scroll box)."""
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url}: {scroll} px wide in a {width} px window"
    overflowing = page.evaluate(
        "Array.from(document.querySelectorAll('.scroll'))"
        ".filter((box) => box.scrollWidth > box.clientWidth + 1)"
        ".map((box) => box.firstElementChild.id + ': ' + box.scrollWidth + ' > ' + box.clientWidth)"
    )
    assert overflowing == [], f"{page.url}: tables wider than the window: {overflowing}"


def test_two_reviewers_confirm_an_alert_from_a_camera(
    service: Service, browser: Browser, collins_png: Path, demo_clip: Path, shots: Path
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

    # A second administrator ends the single-admin trial (its last act is approving her).
    expect(page.locator("main")).to_contain_text("Single-admin trial")
    _add_user(page, base, "adele", "admin")
    _approve_user(page, base, "adele")
    _sign_out(page)

    # One user per role; each account is approved by the admin who did not set it up.
    _sign_in(page, base, "adele")
    expect(page.locator("main")).not_to_contain_text("Single-admin trial")
    users = {"enid": "enroller", "rita": "reviewer", "audrey": "auditor"}
    for username, role in users.items():
        _add_user(page, base, username, role)
    _sign_out(page)
    _sign_in(page, base, "admin")
    _add_user(page, base, "ravi", "reviewer")
    for username in users:
        _approve_user(page, base, username)
    users["ravi"] = "reviewer"
    page.goto(f"{base}/users")
    for username, role in users.items():
        expect(page.locator("tr", has_text=username)).to_contain_text(role.capitalize())
    page.screenshot(path=str(shots / "00-users.png"), full_page=True)
    _sign_out(page)
    _sign_in(page, base, "adele")
    _approve_user(page, base, "ravi")
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
    expect(page.locator("#entry-status")).to_have_text("Pending approval", timeout=60_000)
    entry_url = page.url
    _sign_out(page)

    # The admin approves it and adds a camera on the demo clip.
    _sign_in(page, base, "admin")
    page.goto(entry_url)
    page.get_by_label("Reason for approval").fill("incident report checked")
    page.get_by_role("button", name="Approve").click()
    page.goto(entry_url)
    expect(page.locator("#entry-status")).to_have_text("Approved")
    page.goto(f"{base}/cameras")
    page.get_by_label("Name").fill("Shop door")
    page.get_by_label("Source (stream URL, device or file)").fill(str(demo_clip))
    page.get_by_label("Site").fill("High Street")
    page.get_by_role("button", name="Add camera").click()
    # The status page shows the camera's worker running: analysed fps and its last frame.
    row = page.locator("tr", has_text="Shop door")
    deadline = time.monotonic() + 120
    cells = row.locator("td").all_inner_texts()
    while not (cells[3] == "Running" and cells[4] not in ("", "0.0")):
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
    expect(page.locator("#alert-status")).to_have_text("Pending")  # one confirmation of two
    # Her queue marks the alert she decided, on a desktop and on a phone.
    page.goto(f"{base}/review")
    mine = page.locator("#queue tbody tr", has_text="Eileen Collins").first
    expect(mine).to_contain_text("you decided: confirm, waiting for another reviewer")
    page.screenshot(path=str(shots / "01a-queue-decided.png"), full_page=True)
    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone.set_default_timeout(30_000)
    _sign_in(phone, base, "rita")
    phone.goto(f"{base}/review")
    expect(phone.locator("#queue tbody tr", has_text="Eileen Collins").first).to_be_visible()
    expect(phone.locator("#live-status")).to_contain_text("Updated")
    _fits(phone, 390)
    phone.screenshot(path=str(shots / "01b-queue-phone.png"), full_page=True)
    phone.close()
    _sign_out(page)
    _decide(page, base, alert_path, "ravi", "Agree: it is her.")
    expect(page.locator("#alert-status")).to_have_text("Confirmed")
    decisions = page.locator("#decisions")
    expect(decisions).to_contain_text("rita: confirm")
    expect(decisions).to_contain_text("ravi: confirm")
    page.screenshot(path=str(shots / "01-review-confirmed.png"), full_page=True)
    _sign_out(page)

    _second_day(service, browser, page, alert_path.rsplit("/", 1)[1], shots, demo_clip)


def _second_day(
    service: Service, browser: Browser, page: Page, alert_id: str, shots: Path, demo_clip: Path
) -> None:
    base = service.base

    # The event history: the confirmed alert, opened with both decisions.
    _sign_in(page, base, "rita")
    page.goto(f"{base}/events")
    page.get_by_label("Outcome").select_option("confirmed")
    page.get_by_role("button", name="Filter").click()
    row = page.locator(f"#events tr[data-id='{alert_id}']")
    expect(row).to_contain_text("Eileen Collins")
    expect(row).to_contain_text("Confirmed")
    page.screenshot(path=str(shots / "02-event-history.png"), full_page=True)
    row.get_by_role("link").click()
    expect(page.locator("#event-outcome")).to_have_text("Confirmed")
    expect(page.locator("#event-decisions")).to_contain_text("ravi")
    expect(page.locator("#event-decisions")).to_contain_text("Same face as the reference photo.")
    page.screenshot(path=str(shots / "03-event-detail.png"), full_page=True)

    # Rita changes her password; the new one signs her in.
    page.goto(f"{base}/account/password")
    page.get_by_label("Current password", exact=True).fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("rita's own new secret")
    page.get_by_label("Repeat the new password", exact=True).fill("rita's own new secret")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#password-changed")).to_be_visible()
    page.screenshot(path=str(shots / "04-password-changed.png"), full_page=True)
    _sign_out(page)
    _sign_in(page, base, "rita", "rita's own new secret")
    _sign_out(page)

    # The admin resets Ravi's password; Ravi must choose a new one at sign-in.
    _sign_in(page, base, "admin")
    home = page.locator("#waiting")
    expect(home).to_contain_text("waiting for your approval")
    page.screenshot(path=str(shots / "05-admin-home.png"), full_page=True)
    page.goto(f"{base}/users")
    page.locator("tr", has_text="ravi").get_by_role("link", name="Manage").click()
    page.get_by_label("Temporary password").fill("temporary for ravi")
    page.get_by_label("Reason for the reset").fill("forgot it (phoned in)")
    page.get_by_role("button", name="Reset password").click()
    expect(page.locator("#user-state")).to_contain_text("must change the password")
    page.screenshot(path=str(shots / "06-user-reset.png"), full_page=True)
    _sign_out(page)
    page.goto(f"{base}/login")
    page.get_by_label("User name").fill("ravi")
    page.get_by_label("Password").fill("temporary for ravi")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#password-required")).to_be_visible()
    page.goto(f"{base}/review")  # nothing else opens before the change
    expect(page).to_have_url(re.compile(r"/account/password$"))
    page.screenshot(path=str(shots / "07-password-required.png"), full_page=True)
    page.get_by_label("Current password", exact=True).fill("temporary for ravi")
    page.get_by_label("New password", exact=True).fill("ravi's chosen secret")
    page.get_by_label("Repeat the new password", exact=True).fill("ravi's chosen secret")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#password-changed")).to_be_visible()
    page.goto(f"{base}/")
    expect(page.locator("#count-alerts")).to_have_text("0")
    page.screenshot(path=str(shots / "08-reviewer-home.png"), full_page=True)
    _sign_out(page)

    # A refused enrolment keeps what was typed and the chosen photo; then the approver
    # rejects the entry with a reason.
    from PIL import Image

    from clearsight.demo import write_demo_photos

    folder = Path(str(shots)).parent / "photos"
    hopper = write_demo_photos(folder)[1]
    dark = folder / "dark.png"
    Image.new("RGB", (320, 240)).save(dark)
    _sign_in(page, base, "enid")
    page.goto(f"{base}/watchlist/new")
    page.get_by_label("Name").fill("Grace Hopper")
    page.get_by_label("Reason").select_option("repeated_serious_theft")
    page.get_by_label("Incident reference").fill("INC-2026-0043")
    page.get_by_label("Notes").fill("Seen taking stock (browser test).")
    photos = page.get_by_label("Reference photos (one face each)")
    photos.set_input_files(str(dark))
    page.get_by_label("I attest that this person is not known to be under 18.").check()
    page.get_by_role("button", name="Submit for approval").click()
    error = page.locator('[data-error-for="photos"]')
    expect(error).to_contain_text("no face", timeout=60_000)
    expect(page.get_by_label("Name")).to_have_value("Grace Hopper")
    assert page.evaluate("document.querySelector('input[name=photos]').files.length") == 1
    page.screenshot(path=str(shots / "09-enrol-refused-kept.png"), full_page=True)
    photos.set_input_files(str(hopper))
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.locator("#entry-status")).to_have_text("Pending approval", timeout=60_000)
    expect(page.locator("dd", has_text="Repeated serious theft")).to_be_visible()
    entry_url = page.url
    _sign_out(page)
    _sign_in(page, base, "admin")
    expect(page.locator("#count-entries")).to_have_text("1")  # her entry waits for approval
    page.screenshot(path=str(shots / "05b-admin-home-waiting.png"), full_page=True)
    page.get_by_role("link", name="waiting for your approval").click()
    page.get_by_role("link", name="Grace Hopper").click()
    expect(page).to_have_url(entry_url)
    page.get_by_label("Reason for rejection").fill("no incident report on file")
    page.get_by_role("button", name="Reject").click()
    expect(page.locator("#entry-status")).to_have_text("Rejected")
    page.screenshot(path=str(shots / "10-entry-rejected.png"), full_page=True)

    # A camera nobody answers for says so; the shop door camera is deleted.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    page.goto(f"{base}/cameras")
    page.get_by_label("Name").fill("Back door")
    page.get_by_label("Source (stream URL, device or file)").fill(f"rtsp://127.0.0.1:{closed}/live")
    page.get_by_role("button", name="Add camera").click()
    back = page.locator("tr", has_text="Back door")
    deadline = time.monotonic() + 120
    while "Reconnecting" not in back.inner_text():
        assert time.monotonic() < deadline, f"not reconnecting after 120 s: {back.inner_text()}"
        time.sleep(1)
        page.reload()
    expect(back).to_contain_text("next try")
    expect(back).to_contain_text(f"127.0.0.1:{closed}")
    page.screenshot(path=str(shots / "11-cameras-reconnecting.png"), full_page=True)
    for name in ("Shop door", "Back door"):
        page.goto(f"{base}/cameras")
        page.get_by_role("link", name=name).click()
        page.get_by_label("Reason").fill("camera removed from the shop floor")
        page.get_by_role("button", name="Delete camera").click()
        expect(page.locator("#cameras")).not_to_contain_text(name)
    page.screenshot(path=str(shots / "12-cameras-after-delete.png"), full_page=True)
    page.goto(f"{base}/api/docs")
    expect(page.locator(".swagger-ui .info")).to_contain_text("clearsight", timeout=30_000)
    page.screenshot(path=str(shots / "13-api-docs.png"))
    _sign_out(page)

    # The auditor filters by action with empty dates, exports, and gets the same rows.
    wide = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    wide.set_default_timeout(30_000)
    _sign_in(wide, base, "audrey")
    wide.goto(f"{base}/audit")
    wide.get_by_label("Action").select_option("alert.decided")
    expect(wide.get_by_label("Since (UTC)")).to_have_value("")
    expect(wide.get_by_label("Until (UTC)")).to_have_value("")
    wide.get_by_role("button", name="Filter").click()
    expect(wide.locator("#audit-count")).to_contain_text("2 matching entries")
    shown = wide.locator("#audit-table tbody tr td:first-child").all_inner_texts()
    assert len(shown) == 2, shown
    _fits(wide, 1400)
    wide.screenshot(path=str(shots / "14-audit-filtered.png"), full_page=True)
    with wide.expect_download() as download:
        wide.locator("#export").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert sorted(r["seq"] for r in rows) == sorted(shown)
    assert {r["action"] for r in rows} == {"alert.decided"}
    wide.goto(f"{base}/audit")
    _fits(wide, 1400)  # the unfiltered log too, with its long ids and details
    wide.screenshot(path=str(shots / "15-audit-all.png"))
    wide.close()

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
