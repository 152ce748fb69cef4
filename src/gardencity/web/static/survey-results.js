/* Survey results: stratified satisfied shares with confidence intervals against the requirement. */
"use strict";
(function () {
  const { PAGE, t, word, esc, api, toast, fmtNumber } = window.gc;
  const en = PAGE.lang === "en";
  const questionText = (q) => (en && q.text_en) || q.text_zh;
  const optionLabel = (q, option) => (en && (q.options_en || {})[option]) || option;
  const form = document.getElementById("results-form");
  const chartEl = document.getElementById("chart-survey");
  const chart = window.echarts ? echarts.init(chartEl, null, { renderer: "canvas" }) : null;
  const pct = (v) => (v === null || v === undefined ? "—" : fmtNumber(v, 1) + "%");
  // shares come with the Wilson interval, which lies inside 0–100 % by construction
  const ci = (e) => (e && e.ci_low !== null && e.ci_high !== null
    ? `${fmtNumber(e.ci_low, 1)} – ${fmtNumber(e.ci_high, 1)}` : "—");

  function drawChart(questions, threshold) {
    if (!chart) return;
    const rows = Object.entries(questions).filter(([, q]) => q.satisfied_pct);
    const names = rows.map(([, q]) => (questionText(q).length > (en ? 24 : 8) ? questionText(q).slice(0, en ? 24 : 8) + "…" : questionText(q)));
    const values = rows.map(([, q]) => Number(q.satisfied_pct.estimate.toFixed(1)));
    const bars = rows.map(([, q], i) => [i, q.satisfied_pct.ci_low, q.satisfied_pct.ci_high]).filter((r) => r[1] !== null);
    chart.setOption({
      animation: false,
      grid: { left: 48, right: 16, top: 24, bottom: 56 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: names, axisLabel: { rotate: 20 } },
      yAxis: { type: "value", min: 0, max: 100, name: "%" },
      series: [
        { type: "bar", name: t("survey_satisfied_pct"), data: values, itemStyle: { color: window.gc.colour("status-pass-mark") },
          markLine: threshold === null ? undefined : { symbol: "none", lineStyle: { color: window.gc.colour("status-fail-mark"), type: "dashed" },
            label: { position: "insideEndTop", formatter: `${t("survey_requirement")} ${threshold}%` }, data: [{ yAxis: threshold }] } },
        { type: "custom", name: t("survey_ci"), data: bars, z: 10,
          renderItem: (params, api) => {
            const low = api.coord([api.value(0), api.value(1)]);
            const high = api.coord([api.value(0), api.value(2)]);
            const half = 8, style = { stroke: window.gc.colour("ink"), lineWidth: 2 };
            return { type: "group", children: [
              { type: "line", shape: { x1: low[0], y1: low[1], x2: high[0], y2: high[1] }, style },
              { type: "line", shape: { x1: low[0] - half, y1: low[1], x2: low[0] + half, y2: low[1] }, style },
              { type: "line", shape: { x1: high[0] - half, y1: high[1], x2: high[0] + half, y2: high[1] }, style }] };
          } },
      ],
    }, true);
  }

  async function load() {
    const confidence = form.elements.confidence.value;
    const total = form.elements.total.value || 400;
    const [res, allocation] = await Promise.all([
      api(`/api/v1/survey/results?confidence=${encodeURIComponent(confidence)}`),
      api(`/api/v1/survey/allocation?total=${encodeURIComponent(total)}`).catch(() => ({})),
    ]);
    const req = res.requirement;
    const main = (res.questions[req.question_id] || {}).satisfied_pct;
    const n = document.getElementById("n-responses");
    n.textContent = res.n; n.dataset.count = res.n;
    document.getElementById("main-pct").textContent = main ? pct(main.estimate) : "—";
    document.getElementById("main-ci").textContent = main ? `${t("survey_ci")} ${ci(main)}` : "";
    document.getElementById("req-threshold").textContent = `≥ ${req.min_satisfied_pct}%`;
    const conf = document.getElementById("req-confidence");
    conf.textContent = `${t("survey_threshold_confidence")}: ${word("confidences", req.confidence)}`;
    conf.dataset.confidence = req.confidence;
    const verdict = document.getElementById("req-verdict");
    verdict.textContent = t("verdict_" + req.verdict);
    verdict.dataset.verdict = req.verdict;
    verdict.className = "verdict-" + req.verdict;
    document.getElementById("req-clause").textContent = [(en && req.clause_en) || req.clause, req.source && `(${req.source})`].filter(Boolean).join(" ");
    const missing = main ? main.missing_strata : [];
    const missingEl = document.getElementById("missing-strata");
    missingEl.hidden = !missing.length;
    missingEl.textContent = `${t("survey_missing_strata")}: ${missing.map((c) => res.strata[c] || c).join("、")}`;

    const per = main ? main.by_stratum : {};
    document.querySelector("#strata-table tbody").innerHTML = Object.entries(res.strata).map(([code, name]) =>
      `<tr data-stratum="${esc(code)}"><th scope="row">${esc(name)}</th><td class="num responses">${res.responses_by_stratum[code] || 0}</td>
       <td class="num">${allocation[code] ?? "—"}</td><td class="num">${per[code] ? pct(per[code].pct) : "—"}</td></tr>`).join("");
    document.querySelector("#question-table tbody").innerHTML = Object.entries(res.questions).map(([id, q]) => {
      const counts = q.counts ? Object.entries(q.counts).map(([k, v]) => `${esc(optionLabel(q, k))}: ${v}`).join(t("list_sep")) : "";
      return `<tr data-question="${esc(id)}"><th scope="row">${esc(questionText(q))}</th><td class="num">${q.n}</td>
        <td class="num">${q.satisfied_pct ? pct(q.satisfied_pct.estimate) : "—"}</td><td class="num">${ci(q.satisfied_pct)}</td>
        <td class="num">${q.mean ? fmtNumber(q.mean.estimate, 2) + (q.mean.ci_low === null ? "" : ` (${fmtNumber(q.mean.ci_low, 2)} – ${fmtNumber(q.mean.ci_high, 2)})`) : "—"}</td>
        <td>${counts}</td></tr>`;
    }).join("");
    drawChart(res.questions, req.min_satisfied_pct);
    document.body.dataset.loaded = "1";
  }
  form.addEventListener("submit", (event) => { event.preventDefault(); load().catch((err) => toast(err.message)); });
  window.addEventListener("resize", () => chart && chart.resize());
  load().catch((err) => toast(err.message));
})();
