/* Targets and plan: each unit's targets with progress, campaign actions and their cases;
   new targets (campaign office) and progress reports with evidence (districts). */
"use strict";
(function () {
  const { PAGE, t, esc, api, toast, fmtNumber } = window.gc;
  const metric = (code) => (PAGE.metrics || {})[code] || code;
  // an action by the name the office gave it, else by the platform's name for its code
  const known = (code) => (PAGE.t || {})["action_" + code] || code;
  const bar = (r) => `<progress class="progress" max="100" value="${r.completion_display_pct ?? Math.min(100, r.completion_pct || 0)}" aria-label="${esc(r.action_name || actions[r.action_code] || known(r.action_code))}"></progress> ${fmtNumber(r.completion_pct, 1)}%`;
  const empty = (key, cols) => `<tr><td colspan="${cols}">${esc(t(key))}</td></tr>`;
  let actions = {}; // action code -> name
  let targetsById = {};

  function render(data, names) {
    actions = {};
    for (const r of [...data.targets, ...data.by_action]) if (r.action_name) actions[r.action_code] = r.action_name;
    targetsById = Object.fromEntries(data.targets.map((r) => [r.id, r]));
    const label = (code) => actions[code] || known(code);
    const report = (r) => (PAGE.can_report ? `<td><button type="button" class="report" data-target="${r.id}">${esc(t("target_report"))}</button></td>` : "");
    const cols = PAGE.can_report ? 8 : 7;
    document.querySelector("#target-table tbody").innerHTML = data.targets.map((r) => `<tr data-target="${r.id}"><td>${esc(names[r.unit_id] || "—")}</td>
      <td>${esc(label(r.action_code))}</td><td>${esc(metric(r.metric))}</td><td>${r.year}</td><td class="num">${fmtNumber(r.target_value)}</td>
      <td class="num" data-reported>${fmtNumber(r.reported)}</td><td>${bar(r)}</td>${report(r)}</tr>`).join("") || empty("no_targets", cols);
    document.querySelector("#action-table tbody").innerHTML = data.by_action.map((r) => `<tr><td>${esc(label(r.action_code))}</td><td>${esc(metric(r.metric))}</td>
      <td class="num">${fmtNumber(r.target_value)}</td><td class="num">${fmtNumber(r.reported)}</td><td>${bar(r)}</td></tr>`).join("") || empty("no_targets", 5);
    // every action with targets or cases: its cases you may see, and the case desk filtered to them
    const counts = Object.fromEntries(data.cases_by_action.map((r) => [r.action_code, r]));
    const codes = [...new Set([...data.by_action.map((r) => r.action_code), ...Object.keys(counts)])].sort();
    document.querySelector("#action-cases tbody").innerHTML = codes.map((code) => {
      const c = counts[code] || { open: 0, closed: 0, total: 0 };
      return `<tr data-action="${esc(code)}"><th scope="row">${esc(label(code))}</th><td class="num" data-count="open">${c.open}</td>
        <td class="num" data-count="closed">${c.closed}</td><td class="num" data-count="total">${c.total}</td>
        <td><a href="/cases?action_code=${encodeURIComponent(code)}">${esc(t("view_cases"))}</a></td></tr>`;
    }).join("") || empty("no_action_cases", 5);
    const list = document.getElementById("tg-actions");
    if (list) list.innerHTML = Object.values(actions).map((name) => `<option value="${esc(name)}">`).join("");
  }

  let names = {};
  async function load() {
    const [data, units] = await Promise.all([api("/api/v1/targets"), api("/api/v1/units")]);
    names = Object.fromEntries(units.map((u) => [u.id, u.label || u.name]));
    const select = document.getElementById("tg-unit");
    if (select && !select.options.length) {
      select.innerHTML = units.filter((u) => u.kind !== "city").map((u) => `<option value="${u.id}">${esc(u.label || u.name)}</option>`).join("");
    }
    render(data, names);
  }

  function actionCode(name) {
    const known = Object.entries(actions).find(([, n]) => n === name);
    if (known) return known[0];
    return `A${String(Object.keys(actions).length + 1).padStart(2, "0")}-${Date.now().toString(36)}`;
  }

  const form = document.getElementById("target-form");
  if (form) form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const error = document.getElementById("target-error");
    error.hidden = true;
    const name = form.elements.action_name.value.trim();
    const body = {
      unit_id: Number(form.elements.unit_id.value), action_name: name, action_code: actionCode(name),
      metric: form.elements.metric.value, target_value: Number(form.elements.target_value.value), year: Number(form.elements.year.value),
    };
    try {
      await api("/api/v1/targets", { method: "POST", json: body });
      form.elements.target_value.value = "";
      toast(t("target_created"));
      await load();
    } catch (err) { error.textContent = err.message; error.hidden = false; }
  });

  const dialog = document.getElementById("report-dialog");
  let reporting = null;
  document.getElementById("target-table").addEventListener("click", (e) => {
    const button = e.target.closest("button.report");
    if (!button || !dialog) return;
    reporting = targetsById[button.dataset.target];
    document.getElementById("report-target").textContent =
      `${names[reporting.unit_id] || ""} · ${actions[reporting.action_code] || reporting.action_code} · ${metric(reporting.metric)}`;
    document.getElementById("report-form").reset();
    document.getElementById("report-error").hidden = true;
    dialog.showModal();
  });
  if (dialog) {
    document.getElementById("report-cancel").addEventListener("click", () => dialog.close());
    document.getElementById("report-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const f = e.target;
      const error = document.getElementById("report-error");
      const button = f.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        const evidence = [];
        for (const file of await window.gc.pickedPhotos(f.elements.files)) {
          const data = new FormData();
          data.append("file", file);
          evidence.push((await api("/api/v1/evidence", { method: "POST", body: data })).sha256);
        }
        await api(`/api/v1/targets/${reporting.id}/reports`, {
          method: "POST", json: { value: Number(f.elements.value.value), note: f.elements.note.value.trim() || null, evidence_sha256: evidence },
        });
        dialog.close();
        toast(t("target_reported"));
        await load();
      } catch (err) { error.textContent = err.message; error.hidden = false; }
      finally { button.disabled = false; }
    });
  }
  load().catch((err) => toast(err.message));
})();
