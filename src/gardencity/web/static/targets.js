/* Targets and plan: each district's targets with progress; campaign actions and their cases. */
"use strict";
(function () {
  const { PAGE, t, esc, api, toast, fmtNumber } = window.gc;
  const metric = (code) => (PAGE.metrics || {})[code] || code;
  const bar = (r) => `<progress class="progress" max="100" value="${r.completion_display_pct ?? 0}" aria-label="${esc(r.action_code)}"></progress> ${fmtNumber(r.completion_pct, 1)}%`;
  const empty = (key, cols) => `<tr><td colspan="${cols}">${esc(t(key))}</td></tr>`;
  Promise.all([api("/api/v1/targets"), api("/api/v1/units")]).then(([data, units]) => {
    const names = Object.fromEntries(units.map((u) => [u.id, u.name]));
    const actionName = {};
    for (const r of data.targets) if (r.action_name) actionName[r.action_code] = r.action_name;
    const label = (code) => actionName[code] || code;
    document.querySelector("#target-table tbody").innerHTML = data.targets.map((r) => `<tr><td>${esc(names[r.unit_id] || r.unit_id)}</td>
      <td>${esc(r.action_name || r.action_code)}</td><td>${esc(metric(r.metric))}</td><td>${r.year}</td><td class="num">${fmtNumber(r.target_value)}</td>
      <td class="num">${fmtNumber(r.reported)}</td><td>${bar(r)}</td></tr>`).join("") || empty("no_targets", 7);
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
  }).catch((err) => toast(err.message));
})();
