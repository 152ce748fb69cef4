/* 养护得分: each district's and unit's monthly scores (months without inspections: "—", never
   0), and every site's latest score, worst first. */
"use strict";
(function () {
  const { t, esc, api, toast, fmtNumber, fmtDate } = window.gc;
  const monthLabel = (iso) => fmtDate(iso).replace(/\d+日$/, "").replace(/^\d+ /, "");

  function pivot(table, rows, head) {
    const months = [...new Set(rows.map((r) => r.period_start))].sort();
    const units = [...new Map(rows.map((r) => [r.unit_id, r.unit_name])).entries()];
    table.querySelector("thead").innerHTML = `<tr><th scope="col">${esc(head)}</th>${months.map((m) => `<th scope="col">${esc(monthLabel(m))}</th>`).join("")}</tr>`;
    table.querySelector("tbody").innerHTML = units.length ? units.map(([id, name]) => `<tr data-unit="${id}"><th scope="row">${esc(name)}</th>${months.map((m) => {
      const hit = rows.find((r) => r.unit_id === id && r.period_start === m);
      return `<td class="num">${hit ? fmtNumber(hit.score, 1) : `<span class="muted" title="${esc(t("ms_unknown"))}">—</span>`}</td>`;
    }).join("")}</tr>`).join("") : `<tr><td>${esc(t("ms_none"))}</td></tr>`;
  }

  async function load() {
    const [districts, units, sites] = await Promise.all([
      api("/api/v1/maintenance/scores?by=district&period=month&periods=6"),
      api("/api/v1/maintenance/scores?by=unit&period=month&periods=6"),
      api("/api/v1/maintenance/sites"),
    ]);
    pivot(document.getElementById("ms-district-table"), districts, t("ms_district"));
    pivot(document.getElementById("ms-unit-table"), units, t("unit"));
    document.querySelector("#ms-site-table tbody").innerHTML = sites.length ? sites.map((s) => `<tr data-site="${esc(s.code)}">
      <td>${esc(s.name)}</td><td>${esc(s.site_type_label)}</td><td>${esc(s.unit_name)}</td><td>${esc(s.district_name || "—")}</td>
      <td class="num">${s.latest_score === null ? `<span class="muted">${esc(t("ms_never"))}</span>` : fmtNumber(s.latest_score, 1)}</td>
      <td>${esc(s.latest_grade || "—")}</td><td>${s.latest_inspected_at ? fmtDate(s.latest_inspected_at) : "—"}</td></tr>`).join("")
      : `<tr><td colspan="7">${esc(t("ms_no_sites"))}</td></tr>`;
  }
  load().catch((err) => toast(err.message));
  const importer = document.getElementById("ms-import");
  if (importer) importer.addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = document.getElementById("ms-import-result");
    try {
      const file = importer.elements.file.files[0];
      let collection;
      try { collection = JSON.parse(await file.text()); } catch (err) { throw new Error(t("ms_import_not_json")); }
      const done = await api("/api/v1/maintenance/sites/import", { method: "POST", json: collection });
      result.textContent = t("ms_imported").replace("{n}", done.imported);
      await load();
    } catch (err) {
      result.innerHTML = `<span class="notice">${esc(err.message).replace(/\n/g, "<br>")}</span>`;
    }
  });
})();
