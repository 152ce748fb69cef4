/* 一张图: layer switcher with legend and feature counts, click for details. */
"use strict";
(function () {
  const { t, esc, toast } = window.gc;
  const bracket = (text) => `${t("nf_paren_open").trim()}${text}${t("nf_paren_close")}`;
  const { LAYERS, ready, words, leaflet, makeMap, loadLayer, loadTiles, tileSet, details } = window.gc.map;
  const map = makeMap("map");
  // the first view: the built-up area, whose bounds the page carries (else set once its
  // outline is in)
  let fitted = Boolean(window.gc.PAGE.map_bounds);
  if (fitted) map.fitBounds(window.gc.PAGE.map_bounds, { padding: [10, 10] });
  const list = document.getElementById("layer-list");
  const panel = document.getElementById("details");
  const loaded = {};
  window.gc.mapLoaded = loaded;

  // the features of the shown vector-tile layers at a point, the top-most first:
  // [[def, feature], …], empty when none
  function tiledAt(latlng) {
    const found = [];
    for (const def of [...LAYERS].reverse()) {
      const layer = loaded[def.name];
      const feature = layer && layer.tiled && map.hasLayer(layer) ? layer.pick(latlng) : null;
      if (feature) found.push([def, feature]);
    }
    return found;
  }
  // outlines (city, districts, grids) are drawn above the tiles: a click inside one shows
  // the tiled feature there, if any
  const OUTLINES = new Set(["built_up_area", "districts", "grids"]);
  // on a phone the details open as a sheet over the map's lower part (app.css): the map is
  // panned so that the tapped place stays in sight above it; × or Escape closes it. On a
  // desktop they are at the foot of the side panel
  const sheet = document.getElementById("details-sheet");
  // the shown feature outlined on the map (not for points: a case's marker is its own mark)
  let selected = null;
  function outline(geometry) {
    if (selected) map.removeLayer(selected);
    selected = window.gc.mapSelected = null;
    if (!geometry || /Point/.test(geometry.type)) return;
    const style = Object.assign(leaflet(words.map_marks.selected.style), { fill: false });
    selected = L.geoJSON(geometry, { style, interactive: false }).addTo(map);
    window.gc.mapSelected = selected;
  }
  const closeSheet = () => { sheet.classList.remove("open"); outline(null); };
  document.getElementById("details-close").addEventListener("click", closeSheet);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") closeSheet(); });
  // the details in sight once filled in: on a phone the tapped place is panned above the
  // sheet; on a desktop the side panel scrolls to their foot (the page itself stays put)
  function inSight(latlng) {
    const side = sheet.closest(".side");
    const box = sheet.getBoundingClientRect();
    if (getComputedStyle(sheet).position !== "fixed") {
      const frame = side.getBoundingClientRect();  // its part in the window
      const below = box.bottom - Math.min(frame.bottom, window.innerHeight);
      if (below > 0) side.scrollTop += Math.min(below, box.top - Math.max(frame.top, 0));
      return;
    }
    if (!latlng) return;
    const at = map.latLngToContainerPoint(latlng).y + map.getContainer().getBoundingClientRect().top;
    const clear = box.top - 48;  // the tapped place's lowest spot above the sheet
    if (at > clear) map.panBy([0, at - clear], { animate: false });
  }
  // a tiled feature's details come from the API by its id (or its place); the latest click
  // wins. Where the layer has nothing at the place (404), the next shown layer beneath it
  // with a feature there (`below`: [[def, feature], …]) is asked. The panel's data-shown is
  // set once its content is final
  let asked = 0;
  async function show(def, feature, latlng, below = []) {
    const ask = ++asked;
    sheet.classList.add("open");
    const say = (text) => `<h3>${esc(def.label)}</h3><p>${esc(text)}</p>`;
    const put = (html, geometry) => {
      if (ask !== asked) return;
      panel.innerHTML = html;
      outline(geometry);
      inSight(latlng);
      panel.dataset.shown = String(ask);
    };
    delete panel.dataset.shown;
    if (feature.zoomIn) return put(say(t("zoom_in_for_details")));
    if (feature.featureId === undefined && !feature.at) return put(details(feature.properties, def.label), feature.geometry);
    panel.innerHTML = say(t("loading"));
    const layer = loaded[def.name];
    try {
      const found = await (feature.at ? layer.featureAt(feature.at) : layer.feature(feature.featureId));
      put(details(found.properties, def.label), found.geometry);
    } catch (err) {
      if (err.status === 404 && feature.at && below.length && ask === asked) return show(...below[0], latlng, below.slice(1));
      put(say(err.message));
    }
  }
  const showTiled = ([top, ...below], latlng) => show(...top, latlng, below);
  function onClick(def, feature, item, e) {
    const tiled = e && OUTLINES.has(def.name) ? tiledAt(e.latlng) : [];
    const latlng = e && e.latlng;
    if (tiled.length) showTiled(tiled, latlng); else show(def, feature, latlng);
  }

  // a legend's item starts with a capital in English ("Tree", as a list's entries do)
  const entry = (label) => label.charAt(0).toLocaleUpperCase() + label.slice(1);

  function legend(def) {
    if (!def.legend) return "";
    const items = Object.entries(def.legend).map(([code, [colour, label]]) =>
      `<span><i class="swatch" style="background:${colour}"></i>${esc(entry(def.name === "cases" ? window.gc.PAGE.case_statuses[code] || label : label))}</span>`);
    return `<div class="legend-sub">${items.join("")}</div>`;
  }

  // heavy layers come as the run's vector tiles (GeoJSON when the run has none)
  const pending = {};
  function fetchLayer(def) {
    if (!pending[def.name]) {
      pending[def.name] = (def.tiled ? loadTiles(def) : Promise.resolve(null))
        .then((tiles) => tiles || loadLayer(map, def, onClick));
    }
    return pending[def.name];
  }
  // a click on vector tiles outside every outline
  map.on("click", (e) => {
    const tiled = tiledAt(e.latlng);
    if (tiled.length) showTiled(tiled, e.latlng);
  });

  // when a switched-on layer is drawn: its tiles in view rendered (the grid's "load"), or
  // its vectors painted (two frames); gc.mapDrawn[name] is the time from the switch, in ms
  window.gc.mapDrawn = {};
  function drawn(layer) {
    const frames = () => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
    if (!layer.tiled) return frames();
    return new Promise((done) => {
      const check = () => (layer.isLoading() ? layer.once("load", () => frames().then(done)) : frames().then(done));
      layer.once("add", () => setTimeout(check, 0));
    });
  }

  // a layer switched on: fetched (once) and added to the map; its drawing (a promise), or
  // null when it is not shown (switched off meanwhile, missing or failed)
  async function switchOn(def, checkbox) {
    const count = document.getElementById(`count-${def.name}`);
    if (!loaded[def.name]) {
      count.textContent = bracket(t("loading"));
      try {
        const layer = await fetchLayer(def);
        if (!layer) { count.textContent = "(—)"; checkbox.disabled = true; return null; }
        loaded[def.name] = layer;
        count.textContent = layer.countText || bracket(`${fmtNumber(layer.featureCount, 0)} ${t(layer.featureCount === 1 ? "feature" : "features")}`);
        count.dataset.count = layer.featureCount;
      } catch (err) {
        count.textContent = bracket(t("error"));
        toast(`${def.label}: ${err.message}`);
        return null;
      }
    }
    if (!checkbox.checked) return null;
    const layer = loaded[def.name];
    if (!fitted && def.name === "built_up_area") {
      map.fitBounds(layer.getBounds(), { padding: [10, 10] });
      fitted = true;
    }
    const painted = drawn(layer);
    layer.addTo(map);
    if (layer.tiled) layer.bringToFront();
    document.getElementById("map").dataset[`layer_${def.name}`] = "shown";
    return painted;
  }
  // once a switched-on layer is drawn: gc.mapDrawn and the map's data-layer_<name>
  async function markDrawn(def, checkbox, painted, started) {
    await painted;
    window.gc.mapDrawn[def.name] = Math.round(performance.now() - started);
    if (checkbox.checked) document.getElementById("map").dataset[`layer_${def.name}`] = "drawn";
  }

  async function toggle(def, checkbox, started = performance.now()) {
    if (!checkbox.checked) {
      if (loaded[def.name]) map.removeLayer(loaded[def.name]);
      delete document.getElementById("map").dataset[`layer_${def.name}`];
      return;
    }
    const painted = await switchOn(def, checkbox);
    if (painted) await markDrawn(def, checkbox, painted, started);
  }

  function addRow(def) {
    const row = document.createElement("div");
    const kind = def.kind === "line" ? " line" : "";
    row.innerHTML = `<div class="layer-row"><input type="checkbox" id="layer-${def.name}" ${def.on ? "checked" : ""}>
      <i class="swatch${kind}" style="background:${def.colour}"></i>
      <label for="layer-${def.name}">${esc(def.label)}</label>
      <span class="count" id="count-${def.name}"></span></div>${legend(def)}`;
    list.appendChild(row);
    const checkbox = row.querySelector("input");
    checkbox.addEventListener("change", (e) => toggle(def, checkbox, e.timeStamp));
  }
  // the layers shown by default are fetched at once and added in the list's order, which is
  // their drawing order (the built-up area first: it sets the view, unless the page gave
  // it), except those that come as vector tiles: drawn in the map's tile pane, below every
  // outline and case, they are added as soon as they are in and the view is set, so that
  // their tiles are asked for at once. The map is ready once all are drawn
  const started = (async () => {
    try { await ready; } catch (err) { toast(err.message); return; }
    for (const def of LAYERS) addRow(def);
    const [first, ...others] = LAYERS.map((def) => [def, document.getElementById(`layer-${def.name}`)])
      .filter(([, checkbox]) => checkbox.checked);
    const drawing = [];
    const add = async ([def, checkbox]) => {
      const switched = performance.now();
      const painted = await switchOn(def, checkbox);
      if (painted) drawing.push(markDrawn(def, checkbox, painted, switched));
    };
    const isTiled = ([def]) => fetchLayer(def).then((layer) => Boolean(layer && layer.tiled), () => false);
    const mayBeTiled = others.filter(([def]) => def.tiled);
    for (const [def] of mayBeTiled) fetchLayer(def).catch(() => null);
    const addTiled = () => mayBeTiled.map(async (shown) => { if (await isTiled(shown)) await add(shown); });
    const early = fitted ? addTiled() : null;
    if (first) await add(first);  // none when no layer is shown by default
    const tiled = early || addTiled();
    // the others' GeoJSON is read and built while the tiles are on their way
    await Promise.all(mayBeTiled.map(([def]) => tileSet(def)));
    for (const [def] of others) fetchLayer(def).catch(() => null);
    for (const shown of others) if (!(await isTiled(shown))) await add(shown);
    await Promise.all(tiled);
    await Promise.all(drawing);
    document.getElementById("map").dataset.readyMs = String(Math.round(performance.now()));
    document.getElementById("map").dataset.ready = "1";
    for (const def of LAYERS) tileSet(def);  // the other tiled layers' descriptions, for a quick switch
  })();
  window.gc.holdServiceWorker(started);
})();
