// gitgate serve: live updates (server-sent events) and optional browser notifications.
// Everything works without this script; it only adds what a static page cannot do.
// It never builds HTML from strings: every value goes in through textContent.
"use strict";

(function () {
  const body = document.body;
  if (!body.dataset.live || typeof EventSource === "undefined") return;

  const seen = new Set();
  const table = document.getElementById("proposals");
  const filters = document.getElementById("filters");
  const banner = document.getElementById("live-banner");
  const pageProposal = body.dataset.proposal || "";
  const notifyButton = document.getElementById("notify");

  if (notifyButton && "Notification" in window && Notification.permission !== "granted") {
    notifyButton.hidden = false;
    notifyButton.addEventListener("click", function () {
      Notification.requestPermission().then(function (answer) {
        if (answer === "granted") notifyButton.hidden = true;
      });
    });
  }

  function matchesFilters(p) {
    if (!filters) return true;
    const f = filters.dataset;
    if (f.status && p.status !== f.status) return false;
    if (f.target && p.target !== f.target) return false;
    if (f.requester && p.requester.toLowerCase().indexOf(f.requester.toLowerCase()) < 0) return false;
    if (f.q && p.id.indexOf(f.q.toLowerCase()) !== 0) return false;
    return true;
  }

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text;
    return td;
  }

  function statusBadge(status) {
    const span = document.createElement("span");
    span.className = "status s-" + status;
    span.textContent = status;
    return span;
  }

  function upsertRow(p) {
    if (!table || !matchesFilters(p)) return;
    const tbody = table.tBodies[0];
    let row = tbody.querySelector('tr[data-id="' + p.id + '"]');
    if (row) {
      const statusCell = row.cells[1];
      statusCell.textContent = "";
      statusCell.appendChild(statusBadge(p.status));
    } else {
      row = document.createElement("tr");
      row.dataset.id = p.id;
      const idCell = document.createElement("td");
      const link = document.createElement("a");
      link.href = "/p/" + p.id;
      link.className = "pid";
      link.textContent = p.id;
      idCell.appendChild(link);
      row.appendChild(idCell);
      const statusCell = document.createElement("td");
      statusCell.appendChild(statusBadge(p.status));
      row.appendChild(statusCell);
      [p.kind, p.target, p.requester, p.created_at, p.title].forEach(function (v) {
        row.appendChild(cell(v));
      });
      tbody.insertBefore(row, tbody.firstChild);
      const empty = document.getElementById("empty");
      if (empty) empty.hidden = true;
    }
    row.classList.toggle("waits", !!p.waits_for_you);
    row.classList.add("fresh");
  }

  function showBanner(text, href) {
    if (!banner) return;
    banner.textContent = text + " ";
    if (href) {
      const link = document.createElement("a");
      link.href = href;
      link.textContent = "Reload";
      banner.appendChild(link);
    }
    banner.hidden = false;
  }

  function notify(p) {
    if (!p.waits_for_you || seen.has(p.id)) return;
    seen.add(p.id);
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    const note = new Notification("gitgate: " + p.id + " waits for your review", {
      body: p.title, tag: "gitgate-" + p.id,
    });
    note.onclick = function () { window.focus(); window.location.href = "/p/" + p.id; };
  }

  const url = "/events" + (body.dataset.since ? "?since=" + encodeURIComponent(body.dataset.since) : "");
  const source = new EventSource(url);
  body.dataset.liveState = "connecting";
  source.onopen = function () { body.dataset.liveState = "open"; };
  source.onerror = function () { body.dataset.liveState = "reconnecting"; };
  source.addEventListener("proposal", function (event) {
    let p;
    try { p = JSON.parse(event.data); } catch (e) { return; }
    upsertRow(p);
    notify(p);
    if (pageProposal && p.id === pageProposal) {
      showBanner("This proposal changed: it is now " + p.status + ".", "/p/" + p.id);
    } else if (!table && p.waits_for_you) {
      showBanner("New proposal " + p.id + " waits for your review.", "/p/" + p.id);
    }
  });
})();
