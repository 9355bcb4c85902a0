// Review queue: poll the pending alerts twice a second and redraw the table (no framework).
"use strict";
(function () {
  const table = document.getElementById("queue");
  if (!table) return;
  const body = table.querySelector("tbody");
  const url = table.dataset.poll;
  const known = new Set(Array.from(body.querySelectorAll("tr")).map((r) => r.dataset.id));

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text;
    return td;
  }

  function row(alert) {
    const tr = document.createElement("tr");
    tr.dataset.id = alert.id;
    if (!known.has(alert.id)) tr.className = "new";
    tr.appendChild(cell(new Date(alert.received_at).toLocaleTimeString()));
    const link = document.createElement("a");
    link.href = "/review/" + encodeURIComponent(alert.id);
    link.textContent = alert.subject_name;
    const subject = document.createElement("td");
    subject.appendChild(link);
    tr.appendChild(subject);
    tr.appendChild(cell(alert.site));
    tr.appendChild(cell(alert.source));
    tr.appendChild(cell(alert.score.toFixed(3)));
    tr.appendChild(cell(alert.estimated_fmr.toPrecision(2)));
    return tr;
  }

  async function poll() {
    try {
      const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
      if (response.ok) {
        const alerts = await response.json();
        body.replaceChildren(...alerts.map(row));
        alerts.forEach((a) => known.add(a.id));
      }
    } catch (error) {
      // Network hiccup: try again on the next tick.
    }
    window.setTimeout(poll, 500);
  }
  window.setTimeout(poll, 500);
})();
