// The sluice dashboard (GET /dashboard): polls GET /api/dashboard every second and redraws.
// Values are put into the page with textContent only, never as HTML: labels, messages and
// table names come from clients. No libraries; the chart is a plain canvas.
"use strict";

const POLL_MS = 1000;
const HISTORY = 120;              // chart samples (two minutes at one per second)
const rates = [];               // {t: ms, rate: bytes/s}
let last = null;                  // the previous answer, for rates
const lastBytes = new Map();      // label -> {t, bytes} of running loads, for their rate

function human(n, unit) {
  const u = ["", "Ki", "Mi", "Gi", "Ti"];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : String(Math.round(n))) + " " + u[i] + unit;
}
function count(n) { return Number(n).toLocaleString("en-US"); }
function secs(ms) {
  const s = Math.round(ms / 1000);
  if (s < 60) return s + " s";
  if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
  return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
}
function when(ms) { return new Date(ms).toLocaleTimeString(); }

function cell(tr, text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}
function fill(id, rows, make) {
  const body = document.querySelector("#" + id + " tbody");
  const out = document.createDocumentFragment();
  for (const r of rows) out.appendChild(make(r));
  body.replaceChildren(out);
}

function runningRow(now, r) {
  const tr = document.createElement("tr");
  tr.dataset.label = r.label;
  tr.dataset.bytes = String(r.bytes);
  cell(tr, r.label);
  cell(tr, r.db + "." + r.table);
  cell(tr, r.protocol);
  cell(tr, r.user);
  cell(tr, r.client);
  cell(tr, secs(r.elapsed_ms));
  cell(tr, human(r.bytes, "B"), "bytes");
  cell(tr, count(r.rows), "rows");
  const prev = lastBytes.get(r.label);
  let rate = r.elapsed_ms > 0 ? r.bytes * 1000 / r.elapsed_ms : 0;
  if (prev && now > prev.t) rate = (r.bytes - prev.bytes) * 1000 / (now - prev.t);
  lastBytes.set(r.label, {t: now, bytes: r.bytes});
  cell(tr, human(Math.max(rate, 0), "B/s"));
  const td = cell(tr, "");
  if (r.body_size > 0) {
    const pct = Math.min(100, r.bytes * 100 / r.body_size);
    const bar = document.createElement("span");
    bar.className = "bar";
    const fillEl = document.createElement("span");
    fillEl.style.width = pct.toFixed(1) + "%";
    bar.appendChild(fillEl);
    td.appendChild(bar);
    const eta = rate > 0 ? " ETA " + secs((r.body_size - r.bytes) * 1000 / rate) : "";
    td.appendChild(document.createTextNode(" " + pct.toFixed(0) + "%" + eta));
  } else {
    td.textContent = "size unknown (chunked)";
  }
  return tr;
}

function recentRow(r) {
  const tr = document.createElement("tr");
  tr.dataset.label = r.label;
  cell(tr, when(r.finished_ms));
  cell(tr, r.label);
  cell(tr, r.db + "." + r.table);
  cell(tr, r.protocol);
  cell(tr, r.status, r.status === "Success" ? "ok" : r.status === "Fail" ? "fail" : "exists");
  cell(tr, count(r.rows_loaded));
  cell(tr, count(r.rows_filtered));
  cell(tr, human(r.bytes, "B"));
  cell(tr, secs(r.ms));
  cell(tr, r.message, "msg");
  const td = cell(tr, "");
  if (r.error_log) {
    const a = document.createElement("a");
    a.href = "/api/_load_error_log?file=" + encodeURIComponent(r.error_log);
    a.textContent = "error log";
    td.appendChild(a);
  }
  return tr;
}

function tableRow(t) {
  const tr = document.createElement("tr");
  cell(tr, t.db + "." + t.table);
  cell(tr, count(t.loads));
  cell(tr, count(t.failed), t.failed ? "fail" : "");
  cell(tr, count(t.rows));
  cell(tr, human(t.bytes, "B"));
  cell(tr, t.last_ms ? when(t.last_ms) : "");
  return tr;
}

function nodeRow(n) {
  const tr = document.createElement("tr");
  const td = cell(tr, "");
  const a = document.createElement("a");
  a.href = location.protocol + "//" + n.host + ":" + n.fe_port + "/dashboard";
  a.textContent = n.id.slice(0, 8) + (n.self ? " (this node)" : "");
  td.appendChild(a);
  cell(tr, n.host);
  cell(tr, String(n.be_port));
  cell(tr, String(n.running));
  cell(tr, n.alive ? "alive" : "silent", n.alive ? "ok" : "fail");
  return tr;
}

function drawChart() {
  const c = document.getElementById("chart");
  const g = c.getContext("2d");
  const w = c.width, h = c.height, pad = 40;
  g.clearRect(0, 0, w, h);
  const max = Math.max(1024, ...rates.map(p => p.rate));
  g.strokeStyle = "#dde1e7";
  g.fillStyle = "#7a8190";
  g.font = "11px system-ui, sans-serif";
  for (let i = 0; i <= 4; i++) {
    const y = h - 20 - (h - 30) * i / 4;
    g.beginPath(); g.moveTo(pad, y); g.lineTo(w - 5, y); g.stroke();
    g.fillText(human(max * i / 4, "B/s"), 2, y - 2);
  }
  if (rates.length < 2) return;
  // newest on the right; at least half a minute wide, two minutes once there is that much
  const span = Math.max(30, rates.length);
  const xs = rates.map((p, i) => pad + (w - pad - 5) * (i + span - rates.length) / (span - 1));
  const ys = rates.map(p => h - 20 - (h - 30) * p.rate / max);
  g.fillStyle = "rgba(59, 111, 216, 0.15)";
  g.beginPath();
  g.moveTo(xs[0], h - 20);
  xs.forEach((x, i) => g.lineTo(x, ys[i]));
  g.lineTo(xs[xs.length - 1], h - 20);
  g.fill();
  g.strokeStyle = "#3b6fd8";
  g.lineWidth = 2;
  g.beginPath();
  xs.forEach((x, i) => (i === 0 ? g.moveTo(x, ys[i]) : g.lineTo(x, ys[i])));
  g.stroke();
}

function render(d) {
  const now = d.now_ms;
  // Throughput: every byte received by loads on this node (running ones included).
  const inFlight = d.running.reduce((s, r) => s + r.bytes, 0);
  if (last) {
    const dt = now - last.now_ms;
    const db = d.totals.bytes - last.totals.bytes;
    if (dt > 0) {
      rates.push({t: now, rate: Math.max(0, db * 1000 / dt)});
      while (rates.length > HISTORY) rates.shift();
    }
  }
  last = d;
  const rate = rates.length ? rates[rates.length - 1].rate : 0;
  document.getElementById("node").textContent =
    "node " + d.node.slice(0, 8) + " · up " + secs(now - d.started_ms) + " · " + d.user;
  document.getElementById("n-running").textContent = String(d.running.length);
  document.getElementById("rate").textContent = human(rate, "B/s");
  document.getElementById("total-bytes").textContent = human(d.totals.bytes, "B");
  document.getElementById("total-rows").textContent = count(d.totals.rows);
  document.getElementById("total-loads").textContent = count(d.totals.loads);
  document.getElementById("running").dataset.inFlight = String(inFlight);
  fill("running", d.running, r => runningRow(now, r));
  document.getElementById("running-empty").hidden = d.running.length > 0;
  for (const k of lastBytes.keys())
    if (!d.running.some(r => r.label === k)) lastBytes.delete(k);
  fill("recent", d.recent, recentRow);
  fill("tables", d.tables, tableRow);
  fill("nodes", d.nodes, nodeRow);
  drawChart();
}

async function poll() {
  const st = document.getElementById("status");
  try {
    const r = await fetch("/api/dashboard", {cache: "no-store", credentials: "same-origin"});
    if (!r.ok) throw new Error("HTTP " + r.status);
    render(await r.json());
    st.textContent = "updated " + new Date().toLocaleTimeString();
    st.className = "muted";
  } catch (e) {
    st.textContent = "cannot reach the server: " + e.message;
    st.className = "fail";
  }
  setTimeout(poll, POLL_MS);
}

poll();
