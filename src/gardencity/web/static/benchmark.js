/* Peer benchmarking: enter or import other cities' published figures, see the city's rank. */
"use strict";
(function () {
  const { PAGE, t, esc, api, toast, fmtNumber } = window.gc;
  const form = document.getElementById("bench-form");
  const importForm = document.getElementById("bench-import");
  const rankForm = document.getElementById("rank-form");
  const error = document.getElementById("bench-error");
  const name = (id) => PAGE.indicators[id] || id;

  async function loadRanking() {
    const province = rankForm.elements.province.value.trim();
    const notice = document.getElementById("rank-notice");
    const body = document.querySelector("#rank-table tbody");
    notice.hidden = true;
    let rows = [];
    try {
      rows = await api("/api/v1/benchmark/ranking" + (province ? `?province=${encodeURIComponent(province)}` : ""));
    } catch (err) {  // no assessment yet: say so instead of an empty table
      notice.textContent = err.message; notice.hidden = false;
    }
    body.innerHTML = rows.length ? rows.map((r) =>
      `<tr data-indicator="${esc(r.indicator_id)}" data-rank="${r.rank}"><th scope="row">${esc(name(r.indicator_id))}</th>
       <td class="num">${fmtNumber(r.value, 2)} ${r.unit ? esc(window.gc.word("units", r.unit)) : ""}</td><td class="num rank">${r.rank} / ${r.n_cities}</td>
       <td class="leader">${esc(r.leader)}</td><td class="num">${fmtNumber(r.leader_value, 2)}</td><td class="num">${fmtNumber(r.behind_leader, 2)}</td></tr>`).join("")
      : `<tr><td colspan="6">${esc(t("bench_no_ranking"))}</td></tr>`;
  }
  async function loadFigures() {
    const figures = await api("/api/v1/benchmark/figures");
    document.querySelector("#figure-table tbody").innerHTML = figures.length ? figures.map((f) =>
      `<tr data-figure="${f.id}"><td>${esc(name(f.indicator_id))}</td><th scope="row">${esc(f.city)}</th><td>${esc(f.province || "—")}</td>
       <td class="num">${f.year}</td><td class="num">${fmtNumber(f.value, 2)}</td><td>${esc(f.source || "—")}</td>
       ${PAGE.can_manage ? `<td><button type="button" class="delete" data-figure="${f.id}">${esc(t("bench_delete"))}</button></td>` : ""}</tr>`).join("")
      : `<tr><td colspan="${PAGE.can_manage ? 7 : 6}">${esc(t("bench_no_figures"))}</td></tr>`;
  }
  async function load() {
    await Promise.all([loadRanking(), loadFigures()]);
    document.body.dataset.loaded = String(Date.now());
  }

  if (form) {
    form.elements.year.value = new Date().getFullYear() - 1;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.textContent = "";
      const f = form.elements;
      const body = { city: f.city.value.trim(), year: Number(f.year.value), indicator_id: f.indicator_id.value, value: Number(f.value.value) };
      if (f.province.value.trim()) body.province = f.province.value.trim();
      if (f.source.value.trim()) body.source = f.source.value.trim();
      try {
        await api("/api/v1/benchmark/figures", { method: "POST", json: body });
        toast(t("bench_saved"));
        f.value.value = "";
        await load();
      } catch (err) { error.textContent = err.message; }
    });
  }
  if (importForm) importForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const upload = new FormData();
    upload.append("file", importForm.elements.file.files[0]);
    try {
      const rows = await api("/api/v1/benchmark/figures/import", { method: "POST", body: upload });
      toast(`${t("bench_imported")}: ${rows.length}`);
      importForm.reset();
      await load();
    } catch (err) { error.textContent = err.message; }
  });
  document.getElementById("figure-table").addEventListener("click", async (event) => {
    const button = event.target.closest("button.delete");
    if (!button) return;
    try {
      await api(`/api/v1/benchmark/figures/${button.dataset.figure}`, { method: "DELETE" });
      await load();
    } catch (err) { toast(err.message); }
  });
  rankForm.addEventListener("submit", (event) => { event.preventDefault(); loadRanking().catch((err) => toast(err.message)); });
  load().catch((err) => toast(err.message));
})();
