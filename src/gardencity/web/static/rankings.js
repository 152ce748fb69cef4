/* 红黑榜: the latest period's ranking with red and black flags. */
"use strict";
(function () {
  const { t, word, esc, api, toast, fmtNumber, fmtDate, flagBadge } = window.gc;
  const body = document.querySelector("#ranking-table tbody");
  const pct = (v) => (v === null || v === undefined ? "—" : fmtNumber(v * 100, 1) + "%");
  function render(rows) {
    if (!rows.length) { body.innerHTML = `<tr><td colspan="7">${esc(t("no_flags"))}</td></tr>`; return; }
    document.getElementById("period").textContent = `${t("period")}${t("nf_colon")}${fmtDate(rows[0].period_start)} – ${fmtDate(rows[0].period_end, true)}${t("nf_paren_open")}${word("periods", rows[0].period)}${t("nf_paren_close")}`;
    body.innerHTML = rows.map((r) => `<tr data-flag="${esc(r.flag || "")}"><td>${esc(word("levels", r.level))}</td><td class="num">${r.rank ?? "—"}</td>
      <td>${esc(r.unit_name)}</td><td class="num">${fmtNumber(r.score, 1)}</td><td>${flagBadge(r.flag)}</td>
      <td class="num">${pct(r.details.closure_rate)}</td><td class="num">${pct(r.details.on_time_rate)}</td></tr>`).join("");
  }
  api("/api/v1/rankings").then(render).catch((err) => toast(err.message));
  const button = document.getElementById("compute");
  if (button) button.addEventListener("click", async () => {
    button.disabled = true;
    try { render(await api("/api/v1/rankings/compute", { method: "POST" })); } catch (err) { toast(err.message); }
    button.disabled = false;
  });
})();
