// Review queue: poll the pending alerts twice a second and redraw the table (no framework).
// Times are shown in UTC, as everywhere in the service. A signed-out session goes to the
// sign-in page instead of showing stale rows; a new alert is announced on the page (and by
// the browser, if the reviewer allowed notifications).
"use strict";
(function () {
  const table = document.getElementById("queue");
  if (!table) return;
  const body = table.querySelector("tbody");
  const url = table.dataset.poll;
  const live = document.getElementById("live-status");
  const banner = document.getElementById("new-alert");
  const known = new Set(Array.from(body.querySelectorAll("tr")).map((r) => r.dataset.id));
  const title = document.title;
  let failures = 0;

  function utcTime(iso) {
    return new Date(iso).toISOString().slice(11, 19);
  }

  function cell(text, className) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  function row(alert) {
    const tr = document.createElement("tr");
    tr.dataset.id = alert.id;
    const classes = [];
    if (!known.has(alert.id)) classes.push("new");
    if (alert.your_decision) classes.push("decided");
    tr.className = classes.join(" ");
    tr.appendChild(cell(utcTime(alert.received_at)));
    const link = document.createElement("a");
    link.href = "/review/" + encodeURIComponent(alert.id);
    link.textContent = alert.subject_name;
    const subject = document.createElement("td");
    subject.appendChild(link);
    tr.appendChild(subject);
    tr.appendChild(cell(alert.site, "wide-only"));
    tr.appendChild(cell(alert.source, "wide-only"));
    tr.appendChild(cell(alert.score.toFixed(3)));
    tr.appendChild(cell(alert.estimated_fmr.toPrecision(2), "wide-only"));
    tr.appendChild(
      cell(
        alert.your_decision
          ? "you decided: " + alert.your_decision + ", waiting for another reviewer"
          : "to review",
        "your-decision"
      )
    );
    return tr;
  }

  function announce(fresh) {
    const names = fresh.map((a) => a.subject_name).join(", ");
    banner.textContent = "New alert: " + names + " (" + utcTime(fresh[0].received_at) + " UTC)";
    banner.hidden = false;
    if (window.Notification && Notification.permission === "granted") {
      new Notification("clearsight: new alert", { body: names });
    }
  }

  async function poll() {
    try {
      const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
      if (response.status === 401 || response.redirected) {
        window.location.assign("/login");
        return;
      }
      if (response.ok) {
        const alerts = await response.json();
        const fresh = alerts.filter((a) => !known.has(a.id) && !a.your_decision);
        body.replaceChildren(...alerts.map(row));
        alerts.forEach((a) => known.add(a.id));
        if (fresh.length) announce(fresh);
        const waiting = alerts.filter((a) => !a.your_decision).length;
        document.title = (waiting ? "(" + waiting + ") " : "") + title;
        live.textContent = "Updated " + new Date().toISOString().slice(11, 19) + " UTC.";
        live.classList.remove("error");
        failures = 0;
      } else {
        throw new Error("status " + response.status);
      }
    } catch (error) {
      failures += 1;
      if (failures >= 3) {
        live.textContent = "Not updating: the service does not answer. Retrying.";
        live.classList.add("error");
      }
    }
    window.setTimeout(poll, 500);
  }

  const ask = document.getElementById("enable-notifications");
  if (ask && window.Notification && Notification.permission === "default") {
    ask.hidden = false;
    ask.addEventListener("click", () => Notification.requestPermission().then(() => (ask.hidden = true)));
  }
  window.setTimeout(poll, 500);
})();
