/* Assessment runs: start one (a job), follow its progress, open its outputs; what-if mode. */
"use strict";
(function () {
  const { PAGE, t, word, esc, api, toast, fmtNumber, fmtTime } = window.gc;
  const body = document.querySelector("#run-table tbody");
  let timer = null;
  let baseline = null;
  let resultShown = false;

  const statusLabel = (code) => (PAGE.status_labels || {})[code] || code;
  const indicatorName = (id) => (PAGE.indicator_names || {})[id] || id;
  function summary(s) {
    return Object.entries(s || {}).map(([k, v]) => `${esc(statusLabel(k))} ${v}`).join(t("list_sep"));
  }
  function row(r) {
    const files = r.status === "succeeded"
      ? ["report.html", "scorecard.json", "diagnostics.gpkg"].map((f) => `<a href="/api/v1/runs/${r.id}/files/${f}">${esc(t({ "report.html": "report", "scorecard.json": "scorecard", "diagnostics.gpkg": "diagnostics" }[f]))}</a>`).join(" · ")
      : esc(r.error || "");
    return `<tr data-run="${r.id}" data-status="${esc(r.status)}"><td>${r.id} ${esc(t("kind_" + r.kind))}</td><td>${esc(t("state_" + r.status))}</td>
      <td><progress class="progress" max="1" value="${r.progress}" aria-label="${esc(t("progress"))} ${r.id}"></progress> ${Math.round(r.progress * 100)}% ${esc(r.message)}</td>
      <td>${summary(r.summary)}</td><td>${fmtTime(r.finished_at || r.created_at)}</td><td>${files}</td></tr>`;
  }
  async function refresh() {
    const runs = await api("/api/v1/runs");
    body.innerHTML = runs.map(row).join("");
    baseline = runs.find((r) => r.kind === "assessment" && r.status === "succeeded") || null;
    // the latest what-if's result stays in view when the page is opened again
    const lastWhatif = runs.find((r) => r.kind === "what_if" && r.status === "succeeded");
    if (lastWhatif && !resultShown && document.getElementById("whatif-result")) { resultShown = true; compare(lastWhatif); }
    const busy = runs.some((r) => r.status === "queued" || r.status === "running");
    clearTimeout(timer);
    if (busy) timer = setTimeout(() => refresh().catch((e) => toast(e.message)), 1000);
    return runs;
  }
  refresh().catch((err) => toast(err.message));

  const start = document.getElementById("start-run");
  if (start) start.addEventListener("click", async () => {
    try { await api("/api/v1/runs", { method: "POST", json: {} }); await refresh(); } catch (err) { toast(err.message); }
  });

  // what-if: draw parks (polygons) and mark unshaded road segments as shaded
  const mapEl = document.getElementById("whatif-map");
  if (!mapEl) return;
  const { LAYERS, ready, words, leaflet, makeMap, loadLayer } = window.gc.map;
  const map = makeMap(mapEl);
  const edits = { parks: [], shaded_roads: [] };
  const drawn = L.layerGroup().addTo(map);
  let drawing = null;
  let marking = false;
  const count = () => { document.getElementById("edit-count").textContent =
    `${t("whatif_edits")}: ${edits.parks.length} ${t("whatif_parks")}, ${edits.shaded_roads.length} ${t("whatif_roads")}`; };
  count();
  window.gc.whatifMap = map;
  const onPick = (d, feature, item, e) => {
    if (drawing) {  // a park's corner may fall on a drawn feature: the drawing gets the click
      map.fire("click", { latlng: e.latlng, layerPoint: e.layerPoint, containerPoint: e.containerPoint, originalEvent: e.originalEvent });
      return;
    }
    if (!marking || d.name !== "unshaded_road_segments" || item.marked) return;
    markShaded(item);
    count();
  };
  function markShaded(item) {
    item.marked = true;
    edits.shaded_roads.push(item.feature.geometry);
    item.setStyle(Object.assign(leaflet(words.layers.road_shade_segments.style), { weight: 5 }));
  }
  const loaded = {};
  (async () => {
    await ready;
    const names = ["built_up_area", "green_spaces", "uncovered_residential", "unshaded_road_segments"];
    const requests = names.map((name) => loadLayer(map, LAYERS.find((d) => d.name === name), onPick).catch(() => null));
    for (const [i, name] of names.entries()) {
      const layer = await requests[i];
      if (!layer) continue;
      layer.addTo(map);
      loaded[name] = layer;
      if (name === "built_up_area") map.fitBounds(layer.getBounds());
    }
    map.pm.setGlobalOptions({ pathOptions: leaflet(words.layers.eligible_parks.style), snappable: false });
    mapEl.dataset.layers = "ready";  // the roads can be clicked now
  })();
  // drawing and editing with Leaflet-Geoman: parks are polygons (their corners can be dragged
  // afterwards), a rectangle selects every unshaded road segment it touches
  map.pm.setLang(PAGE.lang === "en" ? "en" : "zh");
  let parkLayers = [];
  const syncParks = () => { edits.parks = parkLayers.map((l) => l.toGeoJSON().geometry); count(); };
  document.getElementById("draw-park").addEventListener("click", () => {
    drawing = true;
    map.pm.enableDraw("Polygon", { finishOn: null, continueDrawing: false });
    document.getElementById("finish-park").disabled = false;
    toast(t("whatif_draw_park"));
  });
  document.getElementById("finish-park").addEventListener("click", () => {
    if (map.pm.Draw.Polygon.enabled()) map.pm.Draw.Polygon._finishShape();
  });
  document.getElementById("select-roads").addEventListener("click", () => map.pm.enableDraw("Rectangle"));
  map.on("pm:drawend", () => { drawing = null; document.getElementById("finish-park").disabled = true; });
  map.on("pm:create", ({ shape, layer }) => {
    if (shape === "Rectangle") { layer.remove(); shadeWithin(layer.getBounds()); return; }
    drawn.addLayer(layer);
    parkLayers.push(layer);
    layer.on("pm:edit", syncParks);
    layer.pm.enable({ allowSelfIntersection: false });
    syncParks();
  });
  function shadeWithin(bounds) {
    const roads = loaded.unshaded_road_segments;
    if (!roads) return;
    roads.eachLayer((item) => { if (!item.marked && bounds.intersects(item.getBounds())) markShaded(item); });
    count();
  }
  // 建议选址: the baseline assessment's suggested pocket parks and roads to shade, drawn and
  // added to the edits (each with its gain), ready to be run as a what-if
  document.getElementById("suggest-sites").addEventListener("click", async () => {
    const box = document.getElementById("suggest-result");
    if (!baseline) { box.innerHTML = `<p class="notice">${esc(t("no_run"))}</p>`; return; }
    try {
      const s = await api(`/api/v1/runs/${baseline.id}/suggestions`);
      const lines = [];
      if (s.parks) {
        for (const f of s.parks.sites.features) {
          const p = f.properties;
          edits.parks.push(f.geometry);
          L.geoJSON(f, { style: () => leaflet(words.layers.eligible_parks.style) })
            .bindPopup(`${esc(t("suggest_site"))} ${esc(p.site)}<br>${esc(t("suggest_area"))} ${fmtNumber(p.area_ha)} ${esc(word("units", "ha"))}<br>` +
              `${esc(t("suggest_gain"))} ${fmtNumber(p.gain_ha)} ${esc(word("units", "ha"))}<br>${esc(t("suggest_coverage"))} ${fmtNumber(p.coverage_percent, 1)}%`)
            .addTo(drawn);
        }
        lines.push(tf("suggest_parks_summary", { count: s.parks.sites.features.length,
          before: fmtNumber(s.parks.before, 1), after: fmtNumber(s.parks.after, 1), target: fmtNumber(s.parks.target, 1) }));
      }
      if (s.roads) {
        const segments = s.roads.segments.features;
        for (const f of segments) edits.shaded_roads.push(f.geometry);
        L.geoJSON(s.roads.segments, { style: () => Object.assign(leaflet(words.layers.road_shade_segments.style), { weight: 5 }) }).addTo(drawn);
        const km = segments.reduce((sum, f) => sum + f.properties.length_m, 0) / 1000;
        lines.push(tf("suggest_roads_summary", { count: segments.length, km: fmtNumber(km),
          before: fmtNumber(s.roads.before, 1), target: fmtNumber(s.roads.target, 1) }));
      }
      for (const problem of s.problems) lines.push(problem.message);
      box.innerHTML = `<ul class="suggestions">${lines.map((l) => `<li>${esc(l)}</li>`).join("")}</ul>`;
      count();
    } catch (err) { box.innerHTML = `<p class="notice">${esc(err.message)}</p>`; }
  });
  const markButton = document.getElementById("mark-road");
  markButton.addEventListener("click", () => { marking = !marking; markButton.setAttribute("aria-pressed", String(marking)); });
  document.getElementById("clear-edits").addEventListener("click", () => {
    edits.parks = []; edits.shaded_roads = []; parkLayers = []; drawn.clearLayers(); count();
  });
  document.getElementById("run-whatif").addEventListener("click", async () => {
    resultShown = true;  // the new run's result replaces the one in view
    document.getElementById("whatif-result").innerHTML = "";
    try {
      const run = await api("/api/v1/runs", { method: "POST", json: { edits } });
      await refresh();
      const poll = async () => {
        const r = await api(`/api/v1/runs/${run.id}`);
        if (r.status === "queued" || r.status === "running") { setTimeout(poll, 1000); return; }
        if (r.status === "failed") { toast(r.error); return; }
        resultShown = true;
        compare(r);
      };
      poll();
    } catch (err) { toast(err.message); }
  });
  function compare(run) {
    const base = baseline ? baseline.values : {};
    const rows = Object.entries(run.values).map(([id, v]) => {
      const b = (base[id] || {}).value;
      const changed = typeof v.value === "number" && typeof b === "number" ? v.value - b : null;
      return `<tr data-indicator="${esc(id)}"><th scope="row">${esc(indicatorName(id))}</th><td class="num">${fmtNumber(b)}</td><td class="num">${fmtNumber(v.value)}</td>
        <td class="num">${changed === null ? "—" : (changed > 0 ? "+" : "") + fmtNumber(changed)}</td><td>${esc(statusLabel(v.status))}</td></tr>`;
    }).join("");
    document.getElementById("whatif-result").innerHTML = `<h3>${esc(t("whatif_result"))}</h3>
      <p class="notice scenario-notice">${esc(t("whatif_not_assessment"))}</p><table id="whatif-table"><thead><tr>
      <th scope="col">${esc(t("indicator"))}</th><th scope="col">${esc(t("baseline"))}</th><th scope="col">${esc(t("what_if"))}</th>
      <th scope="col">${esc(t("change"))}</th><th scope="col">${esc(t("status"))}</th></tr></thead><tbody>${rows}</tbody></table>`;
    refresh();
  }
})();
