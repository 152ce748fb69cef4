/* 红黑榜: the latest period's ranking with red and black flags. */
"use strict";
(function () {
  const { t, esc, api, toast, fmtNumber, flagBadge } = window.gc;
  const body = document.querySelector("#ranking-table tbody");
  const pct = (v) => (v === null || v === undefined ? "—" : fmtNumber(v * 100, 1) + "%");
  function render(rows) {
    if (!rows.length) { body.innerHTML = `<tr><td colspan="7">${esc(t("no_flags"))}</td></tr>`; return; }
    document.getElementById("period").textContent = `${t("period")}: ${rows[0].period} ${rows[0].period_start.slice(0, 10)} – ${rows[0].period_end.slice(0, 10)}`;
    body.innerHTML = rows.map((r) => `<tr data-flag="${esc(r.flag || "")}"><td>${esc(r.level)}</td><td class="num">${r.rank ?? "—"}</td>
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
