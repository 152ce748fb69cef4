/* Shared helpers of the gardencity pages: page data, translations, API calls, formatting. */
"use strict";
const PAGE = JSON.parse(document.getElementById("page-data").textContent);
const T = PAGE.t;

function t(key) { return T[key] || key; }

/* Message ``key`` with its {name} fields filled from ``params``; {name:one|other} is the
   English word for the count ``name`` (``one`` where it is 1), as gardencity.messages.fill. */
function tf(key, params) {
  return t(key).replace(/\{(\w+)(?::([^|{}]*)\|([^{}]*))?\}/g, (field, name, one, other) => {
    if (!(name in params)) return field;
    if (one === undefined) return String(params[name]);
    return Number(params[name]) === 1 ? one : other;
  });
}

// a label of the vocabulary in the page's language, e.g. word("case_sources", "grid_patrol")
function word(group, key) {
  if (key === null || key === undefined || key === "") return "—";
  return ((PAGE.words || {})[group] || {})[key] || key;
}

// the service worker (/sw.js): pages open without signal, the patrol page's outbox waits.
// It is registered once the page has loaded and done what it holds it back for (the map's
// first drawing): on a first visit its install fetches the app's files and field-work pages,
// which would otherwise compete with the page's own requests
const serviceWorkerHolds = [];
function holdServiceWorker(promise) { serviceWorkerHolds.push(promise); }
if ("serviceWorker" in navigator) {
  window.addEventListener("load", () => Promise.allSettled(serviceWorkerHolds).then(() => {
    navigator.serviceWorker.register("/sw.js").catch(() => null);
    if (PAGE.user) navigator.serviceWorker.ready.then((r) => r.active && r.active.postMessage("logged-in"));
  }), { once: true });
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
    throw Object.assign(new Error(message || response.statusText), { status: response.status });
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

// a moment's parts in the city's time zone (a time without a zone is UTC, as the server stores it)
function cityParts(iso) {
  const text = String(iso);
  const d = new Date(/T\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(text) ? text + "Z" : text);
  if (Number.isNaN(d.getTime())) return null;
  const format = new Intl.DateTimeFormat("en-GB", { timeZone: PAGE.timezone || "Asia/Shanghai", year: "numeric",
    month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  const parts = Object.fromEntries(format.formatToParts(d).map((p) => [p.type, p.value]));
  return { year: parts.year, month: Number(parts.month), day: Number(parts.day), time: `${parts.hour}:${parts.minute}` };
}
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

// 2026年12月3日 (zh) or 3 Dec 2026 (en), in the city's time zone
function fmtDate(iso) {
  const p = iso ? cityParts(iso) : null;
  if (!p) return "—";
  return PAGE.lang === "en" ? `${p.day} ${MONTHS[p.month - 1]} ${p.year}` : `${p.year}年${p.month}月${p.day}日`;
}

// 2026年12月3日 08:30 (zh) or 3 Dec 2026, 08:30 (en), in the city's time zone
function fmtTime(iso) {
  const p = iso ? cityParts(iso) : null;
  if (!p) return "—";
  return PAGE.lang === "en" ? `${fmtDate(iso)}, ${p.time}` : `${fmtDate(iso)} ${p.time}`;
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
  // a case the ledger filed for a missing item is named by its category and item
  const item = c.category === "ledger_missing" && (PAGE.item_names || {})[c.indicator_id];
  if (item && category) return `${category.name}${t("title_sep")}${item}`;
  if (c.title && !(category && c.title === category.name_zh)) return c.title;
  return (category && category.name) || c.category_label || c.title || (c.description || "").slice(0, 40);
}

// a Leaflet map's own controls in the page's language (zoom buttons' tooltips, credit line)
function mapInLanguage(map) {
  map.zoomControl.remove();
  L.control.zoom({ zoomInTitle: t("zoom_in"), zoomOutTitle: t("zoom_out") }).addTo(map);
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  const scale = L.control.scale({ imperial: false }); // a metric scale bar in the page's units
  scale._updateMetric = function (maxMeters) {
    const meters = this._getRoundNum(maxMeters);
    const label = meters < 1000 ? `${meters} ${word("units", "m")}` : `${meters / 1000} ${word("units", "km")}`;
    this._updateScale(this._mScale, label, meters / maxMeters);
  };
  scale.addTo(map);
  return map;
}
// every file input in the page's language: the browser draws its own button and "no file
// chosen" in the phone's language, whatever the page's. The input stays, hidden but focusable
// (a form sends it, a keyboard opens it); a label in the page's words opens it, and the file
// chosen is named beside it. Inputs a page adds later are taken in as they come.
function fileInputsInLanguage(root) {
  for (const input of root.querySelectorAll('input[type="file"]:not([data-picker])')) {
    input.dataset.picker = "1";
    if (!input.id) input.id = `file-${Math.random().toString(36).slice(2)}`;
    const photo = (input.accept || "").split(",").every((kind) => kind.trim().startsWith("image/"));
    input.classList.add("visually-hidden", "file-native");
    const pick = document.createElement("span");
    pick.className = "file-pick";
    pick.innerHTML = `<label class="file-button" for="${esc(input.id)}">${esc(t(photo ? "file_choose_photo" : "file_choose"))}</label>`
      + '<span class="file-name"></span>';
    input.after(pick);
    const name = pick.querySelector(".file-name");
    const show = () => {
      const files = Array.from(input.files || []);
      name.textContent = files.length === 0 ? t(photo ? "file_none_photo" : "file_none")
        : files.length === 1 ? files[0].name : tf("files_chosen", { n: files.length });
    };
    show();
    input.addEventListener("change", show);
    if (input.form) input.form.addEventListener("reset", () => setTimeout(show));
  }
}
fileInputsInLanguage(document);
new MutationObserver(() => fileInputsInLanguage(document)).observe(document.body, { childList: true, subtree: true });

// the browser's own messages for a field it refuses ("Please fill out this field") are in the
// phone's language, whatever the page's: each is said in the page's words instead, and cleared
// as soon as the field changes (or before the next try to send its form)
function validityMessage(field) {
  const v = field.validity;
  const photo = field.type === "file" && (field.accept || "").startsWith("image/");
  if (v.valueMissing) {
    if (field.type === "file") return t(photo ? "v_missing_photo" : "v_missing_file");
    if (field.type === "checkbox") return t("v_missing_check");
    return t(field.tagName === "SELECT" || field.type === "radio" ? "v_missing_choice" : "v_missing");
  }
  if (v.badInput) return t(field.type === "number" ? "v_not_number" : "v_bad_input");
  if (v.typeMismatch) return t(field.type === "email" ? "v_email" : "v_url");
  if (v.tooShort) return tf("v_too_short", { min: field.minLength, n: field.value.length });
  if (v.tooLong) return tf("v_too_long", { max: field.maxLength, n: field.value.length });
  if (v.rangeUnderflow) return tf("v_under", { min: field.min });
  if (v.rangeOverflow) return tf("v_over", { max: field.max });
  if (v.stepMismatch) return tf("v_step", { step: field.step });
  if (v.patternMismatch) return field.title || t("v_pattern");
  return "";
}
function validityInLanguage() {
  const clear = (event) => { if (event.target.setCustomValidity) event.target.setCustomValidity(""); };
  document.addEventListener("invalid", (event) => {
    const field = event.target;
    field.setCustomValidity("");
    if (!field.validity.valid) field.setCustomValidity(validityMessage(field));
  }, true);
  document.addEventListener("input", clear, true);
  document.addEventListener("change", clear, true);
  document.addEventListener("click", (event) => { // a fresh check of the form about to be sent
    const button = event.target.closest && event.target.closest("button, input[type=submit]");
    if (!button || !button.form || (button.type && button.type !== "submit")) return;
    for (const field of button.form.elements) if (field.setCustomValidity) field.setCustomValidity("");
  }, true);
  document.addEventListener("reset", (event) => {
    for (const field of event.target.elements || []) if (field.setCustomValidity) field.setCustomValidity("");
  }, true);
}
validityInLanguage();

window.gc = { PAGE, t, word, holdServiceWorker, caseTitle, mapInLanguage, esc, api, toast, fmtNumber, fmtTime, fmtDate, statusBadge, flagBadge, colour };
