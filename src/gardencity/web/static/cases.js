/* Case desk: the cases you may see, filtered. */
"use strict";
(function () {
  const { PAGE, t, word, caseTitle, esc, api, fmtTime, statusBadge } = window.gc;
  const marked = (c) => (c.overdue ? ` <span class="badge overdue">${esc(word("marks", "overdue"))}</span>` : "") +
    (c.priority === "urgent" || c.priority === "high" ? ` <span class="badge priority-${c.priority}">${esc(word("priorities", c.priority))}</span>` : "");
  const form = document.getElementById("filters");
  const categorySelect = document.getElementById("f-category");
  const categoryName = {};
  for (const c of PAGE.categories) {
    categoryName[c.code] = c.name;
    categorySelect.insertAdjacentHTML("beforeend", `<option value="${esc(c.code)}">${esc(c.name)}</option>`);
  }
  let unitNames = {};
  api("/api/v1/units").then((units) => { unitNames = Object.fromEntries(units.map((u) => [u.id, u.label || u.name])); load(); }).catch(() => load());
  const params = new URLSearchParams(location.search);
  for (const [k, v] of params) { const el = form.elements[k]; if (el) { if (el.type === "checkbox") el.checked = v === "true"; else el.value = v; } }

  async function load() {
    const query = new URLSearchParams({ per_page: "100" });
    for (const el of form.elements) {
      if (!el.name) continue;
      if (el.type === "checkbox") { if (el.checked) query.set(el.name, "true"); }
      else if (el.value) query.set(el.name, el.value);
    }
    for (const fmt of ["xlsx", "csv"]) { // the export links give the list as filtered
      const link = document.getElementById(`export-${fmt}`);
      const asked = new URLSearchParams(query);
      asked.delete("per_page");
      asked.set("lang", PAGE.lang);
      if (link) link.href = `/api/v1/exports/cases.${fmt}?${asked}`;
    }
    const body = document.querySelector("#case-table tbody");
    try {
      const page = await api("/api/v1/cases?" + query);
      document.getElementById("case-count").textContent = `${t("total")}${t("colon")}${page.total}`;
      const label = (key) => `data-label="${esc(t(key) + t("colon"))}"`; // a card's labels on phones
      body.innerHTML = page.items.length ? page.items.map((c) => `<tr data-reference="${esc(c.reference)}">
        <td class="card-head"><a href="/cases/${c.id}">${esc(c.reference)}</a></td><td class="card-title">${esc(caseTitle(c))}</td>
        <td ${label("category")}>${esc(categoryName[c.category] || c.category)}</td>
        <td ${label("status")}>${statusBadge(c.status, c.status_label)}${marked(c)}</td>
        <td ${label("unit")}>${esc(unitNames[c.unit_id] || "—")}</td><td ${label("deadline")}>${fmtTime(c.deadline_at)}</td><td ${label("created")}>${fmtTime(c.created_at)}</td></tr>`).join("")
        : `<tr><td colspan="7">${esc(t("no_cases"))}</td></tr>`;
    } catch (err) {
      body.innerHTML = `<tr><td colspan="7" class="error">${esc(err.message)}</td></tr>`;
    }
  }
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const query = new URLSearchParams(new FormData(form));
    for (const [k, v] of [...query]) if (!v) query.delete(k);
    history.replaceState(null, "", "?" + query);
    load();
  });
})();
