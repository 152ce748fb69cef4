/* Shared helpers of the gardencity pages: page data, translations, API calls, formatting. */
"use strict";
const PAGE = JSON.parse(document.getElementById("page-data").textContent);
const T = PAGE.t;

function t(key) { return T[key] || key; }

// the service worker (/sw.js): pages open without signal, the patrol page's outbox waits
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js").catch(() => null);
  if (PAGE.user) navigator.serviceWorker.ready.then((r) => r.active && r.active.postMessage("logged-in"));
}

function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

async function api(path, options = {}) {
  const opts = Object.assign({ credentials: "same-origin", headers: {} }, options);
  // labels from the campaign configuration (status, category) in the page's language
  opts.headers = Object.assign({ "Accept-Language": PAGE.lang || "zh" }, opts.headers);
  if (opts.json !== undefined) {
    opts.body = JSON.stringify(opts.json);
    opts.headers["Content-Type"] = "application/json";
    delete opts.json;
  }
  const response = await fetch(path, opts);
  if (response.status === 401 && !path.startsWith("/api/v1/public")) {
    location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
    throw new Error("not logged in");
  }
  if (response.status === 204) return null;
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    const message = body && body.error ? body.error.message : String(body).slice(0, 300);
    throw new Error(message || response.statusText);
  }
  return body;
}

function toast(message) {
  const box = document.getElementById("toast");
  box.textContent = message;
  box.classList.add("show");
  clearTimeout(box._timer);
  box._timer = setTimeout(() => box.classList.remove("show"), 6000);
}

function fmtNumber(value, digits = 2) {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  if (typeof value === "boolean") return value ? "是" : "否";
  return Number(value).toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function fmtTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function statusBadge(status, label) {
  return `<span class="badge st-${esc(status)}">${esc(label || status)}</span>`;
}

function flagBadge(flag) {
  if (flag === "red") return `<span class="badge flag-red">${esc(t("red_flag"))}</span>`;
  if (flag === "black") return `<span class="badge flag-black">${esc(t("black_flag"))}</span>`;
  return "";
}

// a colour of the vocabulary (/static/vocabulary.css), e.g. colour("status-pass-mark")
function colour(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(`--${name}`).trim();
}
window.gc = { PAGE, t, esc, api, toast, fmtNumber, fmtTime, statusBadge, flagBadge, colour };
