/* 养护检查 on the phone: choose a site, mark each check-list item passed, failed or not
   applicable; a failed item takes a photo (shrunk on the phone) and becomes a case for the
   site's responsible unit unless unticked. The score shown while marking is the server's formula:
   100 × weights passed / weights checked. A submitted inspection is first kept on the phone (the
   field-work queue, queue.js: site, results, note, photos, when it was filled in) and sent with
   an Idempotency-Key made once — at once with signal, else when the network returns — so it is
   saved exactly once; what waits is listed above the form. */
"use strict";
(function () {
  const { t, esc, api, toast, fmtNumber, PAGE, queue } = window.gc;
  const STORE = "inspections";
  const user = PAGE.user ? PAGE.user.id : null;
  const [COLON, SEPARATOR] = PAGE.lang === "en" ? [": ", "; "] : ["：", "；"];
  const paren = (text) => (PAGE.lang === "en" ? ` (${text})` : `（${text}）`);
  const form = document.getElementById("mi-form");
  const siteSelect = document.getElementById("mi-site");
  const list = document.getElementById("mi-items");
  let sites = [], lists = null;

  function currentType() {
    const site = sites.find((s) => String(s.id) === siteSelect.value);
    return site && lists ? lists.site_types.find((k) => k.code === site.site_type) : null;
  }

  function itemRow(item, n) {
    const name = `mi-${item.code}`;
    const choice = (value, label) => `<label class="mi-choice mi-${value}"><input type="radio" name="${name}" value="${value}"${value === "pass" ? " checked" : ""}> ${esc(label)}</label>`;
    return `<li class="mi-item" data-code="${esc(item.code)}"><fieldset><legend><span class="mi-name">${n}. ${esc(item.name)}</span>
      <span class="mi-weight">${esc(t("mi_weight"))}${esc(t("colon"))}${fmtNumber(item.weight, 0)}</span></legend>
      <p class="legend-sub">${esc(item.criterion)}</p>
      <div class="mi-choices">${choice("pass", t("mi_pass"))}${choice("fail", t("mi_fail"))}${choice("na", t("mi_na"))}</div>
      <div class="mi-failed" hidden>
        <label for="${name}-photo">${esc(t("mi_photo"))}</label>
        <input id="${name}-photo" type="file" accept="image/*" capture="environment">
        <label class="mi-case"><input type="checkbox" id="${name}-case" checked> ${esc(t("mi_file_case"))}</label>
      </div></fieldset></li>`;
  }

  function showItems() {
    const type = currentType();
    const site = sites.find((s) => String(s.id) === siteSelect.value);
    document.getElementById("mi-site-info").textContent = site
      ? `${site.site_type_label} · ${site.unit_name}${site.latest_score === null ? "" : ` · ${t("mi_last")}${t("colon")}${fmtNumber(site.latest_score, 1)}${paren(site.latest_grade)}`}`
      : "";
    list.innerHTML = type ? type.items.map((item, i) => itemRow(item, i + 1)).join("") : "";
    updateScore();
  }

  function results() {
    return [...list.querySelectorAll(".mi-item")].map((row) => ({
      code: row.dataset.code,
      result: row.querySelector("input[type=radio]:checked").value,
      row,
    }));
  }

  function updateScore() {
    const type = currentType();
    if (!type) { document.getElementById("mi-score").textContent = ""; return; }
    const weights = Object.fromEntries(type.items.map((i) => [i.code, i.weight]));
    let checked = 0, passed = 0;
    for (const r of results()) {
      r.row.querySelector(".mi-failed").hidden = r.result !== "fail";
      r.row.classList.toggle("is-failed", r.result === "fail");
      if (r.result === "na") continue;
      checked += weights[r.code];
      if (r.result === "pass") passed += weights[r.code];
    }
    document.getElementById("mi-score").textContent = checked
      ? `${t("mi_score_now")}${t("colon")}${fmtNumber((100 * passed) / checked, 1)}` : t("mi_nothing_checked");
  }

  // --- the queue: inspections kept on the phone until the server has them ---------------------
  const box = document.getElementById("mi-queue");
  const boxStatus = document.getElementById("mi-queue-status");
  const when = new Intl.DateTimeFormat(PAGE.lang === "en" ? "en-GB" : "zh-CN", {
    month: PAGE.lang === "en" ? "short" : "long", day: "numeric", hour: "2-digit", minute: "2-digit",
    hour12: false, timeZone: PAGE.timezone || "Asia/Shanghai",
  });
  const waiting = () => queue.listOf(STORE, user);

  async function showQueue() {
    const items = await waiting();
    box.dataset.count = String(items.length);
    box.hidden = items.length === 0;
    document.getElementById("mi-queue-count").textContent = tf("mi_queue_count", { n: items.length });
    document.getElementById("mi-queue-list").innerHTML = items.map((i) => {
      const failed = i.inspection.items.filter((r) => r.result === "fail").length;
      const figures = tf("mi_queue_item", { failed, photos: i.photos.length });
      const refused = i.error
        ? `<br><span class="refused">${esc(t("outbox_refused"))}${COLON}${esc(i.error)}</span> <button type="button" data-remove="${esc(i.key)}">${esc(t("outbox_remove"))}</button>`
        : "";
      return `<li data-key="${esc(i.key)}">${esc(i.siteName)} · <time datetime="${esc(i.createdAt)}">${esc(when.format(new Date(i.createdAt)))}</time> · ${esc(figures)}${refused}</li>`;
    }).join("");
    return items;
  }

  async function sendOne(item) {
    const body = new FormData();
    body.append("inspection", JSON.stringify(item.inspection));
    for (const photo of item.photos) {
      body.append("photos", photo.blob, photo.name);
      body.append("photo_item", photo.code);
    }
    item.done = await queue.post(`/api/v1/maintenance/sites/${item.siteId}/inspections`, { key: item.key, body });
    await queue.remove(STORE, item.key);
    return item;
  }

  let sending = null;
  function sendWaiting(retryRefused = false) {
    if (!sending) {
      sending = (async () => {
        if ((await waiting()).length === 0) return { sent: [], stopped: null };
        boxStatus.textContent = t("outbox_sending");
        const job = { lock: "gardencity-inspections", items: waiting, send: sendOne, save: (i) => queue.put(STORE, i) };
        const done = await queue.drain(job, retryRefused);
        const notes = [];
        if (done.sent.length) notes.push(tf("mi_queue_sent", { n: done.sent.length }));
        if (done.stopped) notes.push(t(done.stopped.kind === "login" ? "mi_queue_login" : "outbox_offline"));
        boxStatus.textContent = notes.join(SEPARATOR);
        return done;
      })().finally(async () => { sending = null; await showQueue(); });
    }
    return sending;
  }

  document.getElementById("mi-queue-retry").addEventListener("click", () => sendWaiting(true).catch((err) => toast(err.message)));
  document.getElementById("mi-queue-list").addEventListener("click", async (e) => {
    const key = e.target.dataset && e.target.dataset.remove;
    if (!key) return;
    await queue.remove(STORE, key);
    await showQueue();
  });
  queue.whenOnline(() => { if (box.dataset.count !== "0") sendWaiting().catch(() => null); });

  function saved(done) {
    const cases = done.case_ids.map((id) => `<a href="/cases/${id}">${esc(t("mi_case"))} ${id}</a>`).join(t("list_separator"));
    document.getElementById("mi-result").innerHTML = `<p class="mi-done"><strong>${esc(t("mi_saved"))}</strong>
      ${esc(t("mi_score_final"))}${esc(t("colon"))}<span id="mi-final-score">${fmtNumber(done.score, 1)}</span>${esc(paren(done.grade_label))}</p>
      ${done.case_ids.length ? `<p>${esc(t("mi_cases_filed"))}${esc(t("colon"))}${cases}</p>` : ""}`;
  }

  function refused(message) {
    document.getElementById("mi-result").innerHTML = `<p class="notice mi-error">${esc(message).replace(/\n/g, "<br>")}</p>`;
  }

  async function submit(event) {
    event.preventDefault();
    const type = currentType();
    if (!type) { toast(t("mi_choose_site")); return; }
    const site = sites.find((s) => String(s.id) === siteSelect.value);
    const items = [], photos = [];
    for (const r of results()) {
      const item = { code: r.code, result: r.result };
      if (r.result === "fail") {
        item.file_case = r.row.querySelector(".mi-case input").checked;
        const [photo] = await window.gc.pickedPhotos(r.row.querySelector("input[type=file]"));
        if (photo) {
          photos.push({ code: r.code, blob: photo, name: photo.name || `${r.code}.jpg` });
        }
      }
      items.push(item);
    }
    const createdAt = new Date().toISOString();
    const entry = {
      key: crypto.randomUUID(), user, createdAt, siteId: site.id, siteName: site.name, photos, error: null,
      inspection: { site_type: type.code, items, note: form.elements.note.value || null, inspected_at: createdAt },
    };
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    document.getElementById("mi-result").textContent = "";
    try {
      await queue.put(STORE, entry);
      await showQueue();
      if (!navigator.onLine) { form.reset(); showItems(); document.getElementById("mi-result").textContent = t("mi_kept"); return; }
      const done = await sendWaiting();
      const sent = done.sent.find((i) => i.key === entry.key);
      if (sent) { form.reset(); saved(sent.done); await load(); return; }
      const left = (await waiting()).find((i) => i.key === entry.key);
      if (left && left.error) {
        // refused as it is (a failed item without its photo …): it stays in the form to correct
        await queue.remove(STORE, entry.key);
        await showQueue();
        refused(left.error);
        return;
      }
      form.reset();
      showItems();
      document.getElementById("mi-result").textContent = t("mi_kept");
    } catch (err) {
      refused(err.name === "InvalidStateError" || err.name === "UnknownError" ? t("outbox_no_storage") : err.message);
    } finally {
      button.disabled = false;
    }
  }

  async function load() {
    [sites, lists] = await Promise.all([api("/api/v1/maintenance/sites"), lists || api("/api/v1/maintenance/checklists")]);
    const chosen = siteSelect.value;
    siteSelect.innerHTML = `<option value="">${esc(t("mi_choose_site"))}</option>` +
      sites.map((s) => `<option value="${s.id}">${esc(s.name + paren(s.site_type_label))}</option>`).join("");
    siteSelect.value = chosen;
    showItems();
  }

  siteSelect.addEventListener("change", showItems);
  list.addEventListener("change", updateScore);
  form.addEventListener("submit", (event) => submit(event).catch((err) => toast(err.message)));
  load().catch((err) => toast(err.message));
  showQueue().then(() => { if (navigator.onLine) return sendWaiting(); }).catch((err) => toast(err.message));
})();
