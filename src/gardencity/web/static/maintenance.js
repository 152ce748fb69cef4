/* 养护检查 on the phone: choose a site, mark each check-list item passed, failed or not
   applicable; a failed item takes a photo (shrunk on the phone) and becomes a case for the
   site's responsible unit unless unticked. The score shown while marking is the server's formula:
   100 × weights passed / weights checked. */
"use strict";
(function () {
  const { t, esc, api, toast, fmtNumber, PAGE } = window.gc;
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

  async function submit(event) {
    event.preventDefault();
    const type = currentType();
    if (!type) { toast(t("mi_choose_site")); return; }
    const body = new FormData();
    const items = [];
    for (const r of results()) {
      const item = { code: r.code, result: r.result };
      if (r.result === "fail") {
        item.file_case = r.row.querySelector(".mi-case input").checked;
        const [photo] = await window.gc.pickedPhotos(r.row.querySelector("input[type=file]"));
        if (photo) {
          body.append("photos", photo, photo.name || `${r.code}.jpg`);
          body.append("photo_item", r.code);
        }
      }
      items.push(item);
    }
    body.append("inspection", JSON.stringify({ site_type: type.code, items, note: form.elements.note.value || null }));
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const done = await api(`/api/v1/maintenance/sites/${siteSelect.value}/inspections`, { method: "POST", body });
      const cases = done.case_ids.map((id) => `<a href="/cases/${id}">${esc(t("mi_case"))} ${id}</a>`).join(t("list_separator"));
      document.getElementById("mi-result").innerHTML = `<p class="mi-done"><strong>${esc(t("mi_saved"))}</strong>
        ${esc(t("mi_score_final"))}${esc(t("colon"))}<span id="mi-final-score">${fmtNumber(done.score, 1)}</span>${esc(paren(done.grade_label))}</p>
        ${done.case_ids.length ? `<p>${esc(t("mi_cases_filed"))}${esc(t("colon"))}${cases}</p>` : ""}`;
      form.reset();
      await load();
    } catch (err) {
      document.getElementById("mi-result").innerHTML = `<p class="notice mi-error">${esc(err.message).replace(/\n/g, "<br>")}</p>`;
    }
    button.disabled = false;
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
})();
