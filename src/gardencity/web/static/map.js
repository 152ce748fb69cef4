/* 一张图: layer switcher with legend and feature counts, click for details. */
"use strict";
(function () {
  const { t, esc, toast } = window.gc;
  const bracket = (text) => `${t("nf_paren_open").trim()}${text}${t("nf_paren_close")}`;
  const { LAYERS, ready, makeMap, loadLayer, details } = window.gc.map;
  const map = makeMap("map");
  const list = document.getElementById("layer-list");
  const panel = document.getElementById("details");
  const loaded = {};
  window.gc.mapLoaded = loaded;
  let fitted = false;

  function onClick(def, feature) {
    panel.innerHTML = details(feature.properties, def.label);
  }

  function legend(def) {
    if (!def.legend) return "";
    const items = Object.entries(def.legend).map(([code, [colour, label]]) =>
      `<span><i class="swatch" style="background:${colour}"></i>${esc(def.name === "cases" ? window.gc.PAGE.case_statuses[code] || label : label)}</span>`);
    return `<div class="legend-sub">${items.join("")}</div>`;
  }

  const pending = {};
  function fetchLayer(def) {
    if (!pending[def.name]) pending[def.name] = loadLayer(map, def, onClick);
    return pending[def.name];
  }

  async function toggle(def, checkbox) {
    const count = document.getElementById(`count-${def.name}`);
    if (!checkbox.checked) {
      if (loaded[def.name]) map.removeLayer(loaded[def.name]);
      return;
    }
    if (!loaded[def.name]) {
      count.textContent = bracket(t("loading"));
      try {
        const layer = await fetchLayer(def);
        if (!layer) { count.textContent = "(—)"; checkbox.disabled = true; return; }
        loaded[def.name] = layer;
        count.textContent = layer.countText || bracket(`${layer.featureCount} ${t("features")}`);
        count.dataset.count = layer.featureCount;
      } catch (err) {
        count.textContent = bracket(t("error"));
        toast(`${def.label}: ${err.message}`);
        return;
      }
    }
    if (checkbox.checked) loaded[def.name].addTo(map);
    if (!fitted && def.name === "built_up_area") {
      map.fitBounds(loaded[def.name].getBounds(), { padding: [10, 10] });
      fitted = true;
    }
    document.getElementById("map").dataset[`layer_${def.name}`] = "shown";
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
    checkbox.addEventListener("change", () => toggle(def, checkbox));
  }
  // every layer is fetched at once; they are added in order (built-up area first: it sets
  // the view), so the drawing order stays that of the list
  (async () => {
    try { await ready; } catch (err) { toast(err.message); return; }
    for (const def of LAYERS) addRow(def);
    for (const def of LAYERS) {
      if (document.getElementById(`layer-${def.name}`).checked) fetchLayer(def).catch(() => null);
    }
    for (const def of LAYERS) {
      const checkbox = document.getElementById(`layer-${def.name}`);
      if (checkbox.checked) await toggle(def, checkbox);
    }
    document.getElementById("map").dataset.readyMs = String(Math.round(performance.now()));
    document.getElementById("map").dataset.ready = "1";
  })();
})();
