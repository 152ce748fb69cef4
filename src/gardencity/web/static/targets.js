/* Targets and plan: each district's targets with progress; campaign actions and their cases. */
"use strict";
(function () {
  const { t, esc, api, toast, fmtNumber } = window.gc;
  const bar = (r) => `<progress class="progress" max="100" value="${r.completion_display_pct ?? 0}" aria-label="${esc(r.action_code)}"></progress> ${fmtNumber(r.completion_pct, 1)}%`;
  Promise.all([api("/api/v1/targets"), api("/api/v1/units")]).then(([data, units]) => {
    const names = Object.fromEntries(units.map((u) => [u.id, u.name]));
    const empty = `<tr><td colspan="7">${esc(t("no_targets"))}</td></tr>`;
    document.querySelector("#target-table tbody").innerHTML = data.targets.map((r) => `<tr><td>${esc(names[r.unit_id] || r.unit_id)}</td>
      <td>${esc(r.action_name || r.action_code)}</td><td>${esc(r.metric)}</td><td>${r.year}</td><td class="num">${fmtNumber(r.target_value)}</td>
      <td class="num">${fmtNumber(r.reported)}</td><td>${bar(r)}</td></tr>`).join("") || empty;
    document.querySelector("#action-table tbody").innerHTML = data.by_action.map((r) => `<tr><td>${esc(r.action_code)}</td><td>${esc(r.metric)}</td>
      <td class="num">${fmtNumber(r.target_value)}</td><td class="num">${fmtNumber(r.reported)}</td><td>${bar(r)}</td>
      <td><a href="/cases?q=${encodeURIComponent(r.action_code)}">${esc(t("nav_cases"))}</a></td></tr>`).join("") || empty;
  }).catch((err) => toast(err.message));
})();
