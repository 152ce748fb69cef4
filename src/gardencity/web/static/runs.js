/* Assessment runs: start one (a job), follow its progress, open its outputs; what-if mode. */
"use strict";
(function () {
  const { PAGE, t, word, esc, api, toast, fmtNumber, fmtTime } = window.gc;
  const body = document.querySelector("#run-table tbody");
  let timer = null;
  let baseline = null;

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
    if (drawing) { addPoint(e.latlng); return; }  // a park's corner may fall on a drawn feature
    if (!marking || d.name !== "unshaded_road_segments") return;
    edits.shaded_roads.push(feature.geometry);
    item.setStyle(Object.assign(leaflet(words.layers.road_shade_segments.style), { weight: 5 }));
    count();
  };
  (async () => {
    await ready;
    const names = ["built_up_area", "green_spaces", "uncovered_residential", "unshaded_road_segments"];
    const requests = names.map((name) => loadLayer(map, LAYERS.find((d) => d.name === name), onPick).catch(() => null));
    for (const [i, name] of names.entries()) {
      const layer = await requests[i];
      if (!layer) continue;
      layer.addTo(map);
      if (name === "built_up_area") map.fitBounds(layer.getBounds());
    }
    mapEl.dataset.layers = "ready";  // the roads can be clicked now
  })();
  document.getElementById("draw-park").addEventListener("click", () => {
    drawing = { points: [], line: L.polyline([], { color: words.layers.eligible_parks.style.stroke }).addTo(drawn) };
    document.getElementById("finish-park").disabled = false;
    toast(t("whatif_draw_park"));
  });
  function addPoint(latlng) {
    drawing.points.push(latlng);
    drawing.line.setLatLngs(drawing.points);
  }
  map.on("click", (e) => { if (drawing) addPoint(e.latlng); });
  document.getElementById("finish-park").addEventListener("click", () => {
    if (!drawing || drawing.points.length < 3) return;
    const ring = drawing.points.map((p) => [Number(p.lng.toFixed(6)), Number(p.lat.toFixed(6))]);
    ring.push(ring[0]);
    edits.parks.push({ type: "Polygon", coordinates: [ring] });
    drawn.removeLayer(drawing.line);
    L.polygon(drawing.points, leaflet(words.layers.eligible_parks.style)).addTo(drawn);
    drawing = null;
    document.getElementById("finish-park").disabled = true;
    count();
  });
  const markButton = document.getElementById("mark-road");
  markButton.addEventListener("click", () => { marking = !marking; markButton.setAttribute("aria-pressed", String(marking)); });
  document.getElementById("clear-edits").addEventListener("click", () => {
    edits.parks = []; edits.shaded_roads = []; drawn.clearLayers(); count();
  });
  document.getElementById("run-whatif").addEventListener("click", async () => {
    try {
      const run = await api("/api/v1/runs", { method: "POST", json: { edits } });
      await refresh();
      const poll = async () => {
        const r = await api(`/api/v1/runs/${run.id}`);
        if (r.status === "queued" || r.status === "running") { setTimeout(poll, 1000); return; }
        if (r.status === "failed") { toast(r.error); return; }
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
