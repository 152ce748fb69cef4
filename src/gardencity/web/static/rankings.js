/* 红黑榜: the latest period's ranking with red and black flags. */
"use strict";
(function () {
  const { t, word, esc, api, toast, fmtNumber, fmtDate, flagBadge } = window.gc;
  const body = document.querySelector("#ranking-table tbody");
  const pct = (v) => (v === null || v === undefined ? "—" : fmtNumber(v * 100, 1) + "%");
  // a unit with no case in the period has no rate: it is said, never shown as 0.0 %
  const rate = (r, key) => (r.details.handled ? pct(r.details[key]) : `<span class="muted">${esc(t("no_unit_cases"))}</span>`);
  function render(rows) {
    const notice = document.getElementById("flag-notice");
    notice.hidden = true;
    const download = document.getElementById("export-rankings");
    if (download) download.parentElement.hidden = !rows.length; // nothing to download yet
    if (!rows.length) { body.innerHTML = `<tr><td colspan="7">${esc(t("no_flags"))}</td></tr>`; return; }
    document.getElementById("period").textContent = `${t("period")}${t("colon")}${rows[0].period_label}`;
    if (!rows.some((r) => r.flag)) { notice.textContent = t("no_flags_this_period"); notice.hidden = false; }
    const ranked = rows.slice().sort((a, b) => (a.rank === null) - (b.rank === null)); // ranked units first
    body.innerHTML = ranked.map((r) => `<tr data-flag="${esc(r.flag || "")}"><td>${esc(word("levels", r.level))}</td><td class="num">${r.rank ?? "—"}</td>
      <td>${esc(r.unit_name)}</td><td class="num">${r.score === null ? "—" : fmtNumber(r.score, 1)}</td><td>${r.flag ? flagBadge(r.flag) : "—"}</td>
      <td class="num" data-rate="closure">${rate(r, "closure_rate")}</td><td class="num">${rate(r, "on_time_rate")}</td></tr>`).join("");
  }
  api("/api/v1/rankings").then(render).catch((err) => toast(err.message));
  // 曝光台: the sites whose latest maintenance inspection scored lowest, with what they failed
  api("/api/v1/maintenance/worst-sites?limit=10").then((sites) => {
    document.querySelector("#worst-sites tbody").innerHTML = sites.length ? sites.map((s) => `<tr data-site="${esc(s.code)}">
      <td>${esc(s.name)}</td><td>${esc(s.site_type_label)}</td><td>${esc(s.unit_name)}</td><td class="num">${fmtNumber(s.latest_score, 1)}</td>
      <td>${esc(s.latest_grade)}</td><td>${s.failed_items.map((i) => i.case_id ? `<a href="/cases/${i.case_id}">${esc(i.name)}</a>` : esc(i.name)).join(t("list_separator"))}</td>
      <td>${fmtDate(s.latest_inspected_at)}</td></tr>`).join("") : `<tr><td colspan="7">${esc(t("ex_none"))}</td></tr>`;
  }).catch((err) => toast(err.message));
  const button = document.getElementById("compute");
  if (button) button.addEventListener("click", async () => {
    button.disabled = true;
    try { render(await api("/api/v1/rankings/compute", { method: "POST" })); } catch (err) { toast(err.message); }
    button.disabled = false;
  });
})();
