/* 驾驶舱: ECharts of indicators vs thresholds, trend over runs, case statistics, targets, flags. */
"use strict";
(function () {
  const { PAGE, t, esc, api, fmtNumber, fmtDate, flagBadge } = window.gc;
  const charts = [];
  function chart(id, height) {
    const el = document.getElementById(id);
    if (!el) return null;
    if (height) el.style.height = `${height}px`;
    const c = echarts.init(el, null, { renderer: "canvas" });
    charts.push(c);
    return c;
  }
  // a chart with nothing to draw says why instead of showing empty axes
  function explain(id, key) {
    const el = document.getElementById(id);
    if (!el) return;
    el.classList.add("chart-empty");
    el.style.height = "auto";
    el.textContent = t(key);
  }
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
  const labels = { width: 150, overflow: "break", lineHeight: 14 }; // long names wrap, never cut

  // A bar chart's names wrap to the label column (English between words, Chinese between
  // characters), measured in the font the chart draws them in; each bar's row is as tall as
  // its longest name, so that no two names overlap, whatever the language or screen.
  const FONT = { size: 12, family: "sans-serif", line: 14 };
  const measure = document.createElement("canvas").getContext("2d");
  const widthOf = (text) => { measure.font = `${FONT.size}px ${FONT.family}`; return measure.measureText(text).width; };
  const CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef";
  const TOKEN = new RegExp(`[${CJK}][，、。；：）》」]?|[^\\s${CJK}]+\\s*|\\s+`, "gu");
  function breakWord(word, width) { // a word wider than the column: broken between letters
    const parts = [];
    let part = "";
    for (const ch of word) {
      if (part && widthOf(part + ch) > width) { parts.push(part); part = ""; }
      part += ch;
    }
    return part ? [...parts, part] : parts;
  }
  function wrapName(name, width) {
    const lines = [];
    let line = "";
    for (const token of String(name).match(TOKEN) || []) {
      if (line && widthOf((line + token).trimEnd()) > width) { lines.push(line.trimEnd()); line = token.trimStart(); } else line += token;
    }
    if (line.trim()) lines.push(line.trimEnd());
    return lines.flatMap((l) => (widthOf(l) > width ? breakWord(l, width) : [l]));
  }
  // the names wrapped for chart ``el`` and the height of a row: the label column is at most
  // 150 px and at most 40 % of the chart (a phone keeps room for the bars)
  function barNames(el, names, minRow) {
    const width = Math.max(60, Math.min(150, Math.floor(el.clientWidth * 0.4)));
    const wrapped = names.map((n) => wrapName(n, width));
    const lines = Math.max(1, ...wrapped.map((w) => w.length));
    return {
      data: wrapped.map((w) => w.join("\n")),
      row: Math.max(minRow, lines * FONT.line + 12),
      axisLabel: { width, overflow: "none", lineHeight: FONT.line, fontSize: FONT.size, fontFamily: FONT.family },
    };
  }
  // a value axis keeps its figures apart on a narrow chart
  const valueLabels = (extra) => ({ hideOverlap: true, ...extra });
  const splits = (el) => (el.clientWidth < 480 ? 3 : 5);

  // indicators as % of their threshold (100 % = the line to reach)
  const items = (PAGE.indicators || []).filter((i) => typeof i.value === "number" && typeof i.threshold === "number" && i.threshold !== 0);
  if (!items.length) explain("chart-indicators", "chart_no_indicators");
  const barsEl = document.getElementById("chart-indicators");
  const names = items.length && barsEl ? barNames(barsEl, items.map((i) => i.name), 38) : null;
  const bars = names ? chart("chart-indicators", 40 + names.row * items.length) : null;
  if (bars) {
    bars.setOption({
      grid: { left: 10, right: 40, top: 10, bottom: 24, containLabel: true },
      tooltip: { formatter: (p) => `${esc(items[p.dataIndex].name)}<br>${fmtNumber(items[p.dataIndex].value)} / ${fmtNumber(items[p.dataIndex].threshold)}` },
      xAxis: { type: "value", splitNumber: splits(barsEl), axisLabel: valueLabels({ formatter: "{value}%" }) },
      yAxis: { type: "category", inverse: true, data: names.data, axisLabel: names.axisLabel },
      series: [{ type: "bar", barMinHeight: 3, data: items.map((i) => ({ value: Math.round((i.value / i.threshold) * 1000) / 10,
        itemStyle: { color: window.gc.colour(`status-${i.status}-mark`) || window.gc.colour("status-not_assessed-mark") } })),
        markLine: { symbol: "none", label: { show: false }, data: [{ xAxis: 100 }], lineStyle: { color: window.gc.colour("ink"), type: "dashed" } } }],
    });
  }

  // trend over the runs of the workspace
  const trend = chart("chart-trend");
  const select = document.getElementById("trend-indicator");
  let runs = [];
  function drawTrend() {
    if (!trend || !select) return;
    const id = select.value;
    const done = runs.filter((r) => r.status === "succeeded" && r.kind === "assessment").reverse();
    const note = document.getElementById("trend-note");
    if (note) { note.hidden = done.length > 1; note.textContent = t("chart_trend_needs_two"); }
    trend.setOption({
      grid: { left: 10, right: 20, top: 20, bottom: 10, containLabel: true },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: done.map((r) => `#${r.id} ${r.finished_at ? fmtDate(r.finished_at) : ""}`), axisLabel: labels },
      yAxis: { type: "value", scale: true },
      series: [{ type: "line", name: select.options[select.selectedIndex]?.text || id, data: done.map((r) => (r.values[id] || {}).value ?? null), symbolSize: 8 }],
    }, true);
  }
  if (select) select.addEventListener("change", drawTrend);
  if (PAGE.run_id !== null && PAGE.run_id !== undefined) {
    api("/api/v1/runs").then((data) => { runs = data; drawTrend(); }).catch(() => {});
  }

  // case statistics
  api("/api/v1/stats/cases").then((stats) => {
    const keys = ["total", "open", "overdue", "closed", "closed_on_time"];
    document.getElementById("case-kpis").innerHTML = keys.map((k) =>
      `<div class="kpi" data-kpi="${k}"><span>${esc(t(k))}</span><b>${stats.city[k]}</b></div>`).join("");
    const series = (rows, label) => ["open", "overdue", "closed_on_time"].map((k) => ({
      type: "bar", name: t(k), data: rows.map((r) => r[k]),
      itemStyle: { color: window.gc.colour({ open: "case-filed-fill", overdue: "status-fail-mark", closed_on_time: "case-closed-fill" }[k]) } }));
    const casesChart = (id, rows, names) => {
      if (!rows.some((r) => r.open || r.overdue || r.closed_on_time)) { explain(id, "chart_no_cases"); return; }
      const el = document.getElementById(id);
      if (!el) return;
      const wrapped = barNames(el, names, 34);
      const c = chart(id, 60 + wrapped.row * rows.length);
      c && c.setOption({ legend: { top: 0 }, tooltip: { trigger: "axis" }, grid: { left: 10, right: 20, top: 34, bottom: 10, containLabel: true },
        yAxis: { type: "category", inverse: true, data: wrapped.data, axisLabel: wrapped.axisLabel },
        xAxis: { type: "value", minInterval: 1, splitNumber: splits(el), axisLabel: valueLabels() },
        series: series(rows).map((x) => ({ ...x, barMinHeight: 0, stack: "cases" })) });
    };
    const units = stats.by_unit.slice(0, 12);
    casesChart("chart-units", units, units.map((u) => u.unit_name));
    const cats = stats.by_category.slice(0, 12);
    casesChart("chart-categories", cats, cats.map((c) => (PAGE.lang === "zh" ? c.name_zh : c.name_en)));
    const head = `<thead><tr><th scope="col">${esc(t("unit"))}</th>${keys.map((k) => `<th scope="col">${esc(t(k))}</th>`).join("")}</tr></thead>`;
    document.getElementById("unit-stats").innerHTML = head + "<tbody>" + stats.by_unit.map((u) =>
      `<tr><th scope="row">${esc(u.unit_name)}</th>${keys.map((k) => `<td class="num">${u[k]}</td>`).join("")}</tr>`).join("") + "</tbody>";
  }).catch((err) => { document.getElementById("case-kpis").textContent = err.message; });

  // target completion
  api("/api/v1/targets").then((data) => {
    const box = document.getElementById("targets");
    if (!data.targets.length) { box.textContent = t("no_targets"); return; }
    const actionNames = {};
    for (const r of data.targets) if (r.action_name) actionNames[r.action_code] = r.action_name;
    box.innerHTML = `<table><thead><tr><th scope="col">${esc(t("action_code"))}</th><th scope="col">${esc(t("metric"))}</th><th scope="col">${esc(t("completion"))}</th></tr></thead><tbody>` +
      data.by_action.map((r) => {
        const pct = r.completion_display_pct ?? Math.min(100, r.completion_pct || 0);
        const action = actionNames[r.action_code] || r.action_code, metric = (PAGE.metrics || {})[r.metric] || r.metric;
        return `<tr><td>${esc(action)}</td><td>${esc(metric)}</td><td><progress class="progress" max="100" value="${pct}" aria-label="${esc(action)} ${esc(metric)}"></progress> ${fmtNumber(r.completion_pct, 1)}%</td></tr>`;
      }).join("") + "</tbody></table>";
  }).catch((err) => { document.getElementById("targets").textContent = err.message; });

  // this period's red and black flags
  api("/api/v1/rankings").then((rows) => {
    const box = document.getElementById("flags");
    const flagged = rows.filter((r) => r.flag);
    if (!flagged.length) { box.textContent = t(rows.length ? "no_flags_this_period" : "no_flags"); return; }
    box.innerHTML = `<p>${esc(t("period"))}${esc(t("colon"))}${esc(flagged[0].period_label)}</p><ul>` +
      flagged.map((r) => `<li>${flagBadge(r.flag)} ${esc(r.unit_name)}${esc(t("nf_paren_open"))}${esc(t("score"))} ${fmtNumber(r.score, 1)}${esc(t("nf_paren_close"))}</li>`).join("") + "</ul>";
  }).catch((err) => { document.getElementById("flags").textContent = err.message; });
})();
