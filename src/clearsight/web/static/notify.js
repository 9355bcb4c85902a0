// Home page: keep the counts of what waits current and announce a new alert.
"use strict";
(function () {
  const box = document.getElementById("waiting");
  if (!box) return;
  const banner = document.getElementById("new-alert");
  let newest = null;
  let first = true;

  function set(id, value) {
    const element = document.getElementById(id);
    if (element && value !== null && value !== undefined) element.textContent = String(value);
  }

  async function poll() {
    try {
      const response = await fetch(box.dataset.poll, { credentials: "same-origin", cache: "no-store" });
      if (response.status === 401 || response.redirected) {
        window.location.assign("/login");
        return;
      }
      if (response.ok) {
        const counts = await response.json();
        set("count-alerts", counts.alerts_awaiting_you);
        set("count-entries", counts.entries_awaiting_approval);
        if (!first && counts.newest_alert_id && counts.newest_alert_id !== newest) {
          banner.innerHTML = "";
          const link = document.createElement("a");
          link.href = "/review/" + encodeURIComponent(counts.newest_alert_id);
          link.textContent = "A new alert is waiting for your review.";
          banner.appendChild(link);
          banner.hidden = false;
          if (window.Notification && Notification.permission === "granted") {
            new Notification("clearsight: new alert waiting for review");
          }
        }
        newest = counts.newest_alert_id;
        first = false;
      }
    } catch (error) {
      // Try again on the next tick.
    }
    window.setTimeout(poll, 2000);
  }
  poll();
})();
