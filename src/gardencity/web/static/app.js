/* Shared helpers of the gardencity pages: page data, translations, API calls, formatting. */
"use strict";
const PAGE = JSON.parse(document.getElementById("page-data").textContent);
const T = PAGE.t;

function t(key) { return T[key] || key; }

// a label of the vocabulary in the page's language, e.g. word("case_sources", "grid_patrol")
function word(group, key) {
  if (key === null || key === undefined || key === "") return "—";
  return ((PAGE.words || {})[group] || {})[key] || key;
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
  if (typeof value === "boolean") return t(value ? "yes" : "no");
  return Number(value).toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

// the parts of a moment in the city's time zone (Asia/Shanghai unless the page says otherwise)
function localParts(moment) {
  const format = new Intl.DateTimeFormat("en-CA", { timeZone: PAGE.time_zone || "Asia/Shanghai", hourCycle: "h23",
    year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric" });
  return Object.fromEntries(format.formatToParts(moment).map((p) => [p.type, Number(p.value)]));
}

const pad2 = (n) => String(n).padStart(2, "0");

// a moment in the city's time zone: 2026年5月1日 08:30, or 2026-05-01 08:30
function fmtTime(iso) {
  if (!iso) return "—";
  const p = localParts(new Date(iso));
  const day = PAGE.lang === "en" ? `${p.year}-${pad2(p.month)}-${pad2(p.day)}` : `${p.year}年${p.month}月${p.day}日`;
  return `${day} ${pad2(p.hour)}:${pad2(p.minute)}`;
}

// a day in the city's time zone as the page's language writes it: 2026年5月1日, or 2026-05-01;
// `before`: the day before the moment (the last day of a period that ends at a midnight)
function fmtDate(iso, before = false) {
  if (!iso) return "—";
  const p = localParts(new Date(new Date(iso).getTime() - (before ? 1 : 0)));
  return PAGE.lang === "en" ? `${p.year}-${pad2(p.month)}-${pad2(p.day)}` : `${p.year}年${p.month}月${p.day}日`;
}

function statusBadge(status, label) {
  return `<span class="badge st-${esc(status)}">${esc(label || (PAGE.case_statuses || {})[status] || status)}</span>`;
}

function flagBadge(flag) {
  return flag ? `<span class="badge flag-${esc(flag)}">${esc(word("flags", flag))}</span>` : "";
}

// a colour of the vocabulary (/static/vocabulary.css), e.g. colour("status-pass-mark")
function colour(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(`--${name}`).trim();
}
// a case's title; one filed without a title carries its category's Chinese name, shown in the
// page's language
function caseTitle(c) {
  const category = (PAGE.categories || []).find((k) => k.code === c.category);
  if (c.title && !(category && c.title === category.name_zh)) return c.title;
  return (category && category.name) || c.category_label || c.title || (c.description || "").slice(0, 40);
}

// a Leaflet map's own controls in the page's language (zoom buttons' tooltips, credit line)
function mapInLanguage(map) {
  map.zoomControl.remove();
  L.control.zoom({ zoomInTitle: t("zoom_in"), zoomOutTitle: t("zoom_out") }).addTo(map);
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  return map;
}
window.gc = { PAGE, t, word, caseTitle, mapInLanguage, esc, api, toast, fmtNumber, fmtTime, fmtDate, statusBadge, flagBadge, colour };
