/* Spot-check rehearsal: the chance that the experts' random sample meets an unresolved problem. */
"use strict";
(function () {
  const { t, esc, api, toast, fmtNumber } = window.gc;
  const form = document.getElementById("spot-form");
  async function compute() {
    const f = form.elements;
    const query = new URLSearchParams({ population: f.population.value, problems: f.problems.value,
      sample: f.sample.value, max_chance: String(Number(f.max_chance.value) / 100) });
    const r = await api(`/api/v1/spot-checks/hit-chance?${query}`);
    document.getElementById("spot-result").innerHTML =
      `<dt>${esc(t("spot_chance"))}</dt><dd id="spot-chance" data-chance="${r.chance}">${fmtNumber(r.chance * 100, 1)}%</dd>
       <dt>${esc(t("spot_tolerable"))}</dt><dd id="spot-tolerable">${r.tolerable_problems}</dd>`;
  }
  form.addEventListener("submit", (event) => { event.preventDefault(); compute().catch((err) => toast(err.message)); });
  compute().catch((err) => toast(err.message));
})();
