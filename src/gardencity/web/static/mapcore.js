/* Leaflet helpers: a canvas-rendered map without a base map (a tile URL is optional), the
   layer catalogue with styles and legends, and GeoJSON loading with feature details. */
"use strict";
(function () {
  const { PAGE, esc, api } = window.gc;
  const GREEN_CLASSES = {
    G11: ["#1a7a3a", "综合公园 / comprehensive park"], G12: ["#35a150", "社区公园 / community park"],
    G13: ["#5dbb63", "专类公园 / specialised park"], G14: ["#8fd18b", "游园 / pocket park"],
    G2: ["#7a9a3a", "防护绿地 / buffer green"], G3: ["#b7d98b", "广场用地 / square"],
    XG: ["#a5cfa0", "附属绿地 / attached green"], EG: ["#2f6b4f", "区域绿地 / regional green"],
  };
  const CASE_COLOURS = {
    filed: "#0d47a1", dispatched: "#4a148c", in_progress: "#8a3a00", submitted: "#006064",
    sent_back: "#8e1b12", closed: "#1b5e20", discarded: "#455a64",
  };
  const CANOPY_CLASSES = {
    tree: ["#006837", "乔木 / tree"], shrub: ["#66bd63", "灌木 / shrub"], grass: ["#d9ef8b", "草地 / grass"],
  };
  function greenColour(code) {
    const key = String(code || "");
    return (GREEN_CLASSES[key] || GREEN_CLASSES[key.slice(0, 3)] || GREEN_CLASSES[key.slice(0, 2)] || ["#9ccc9c"])[0];
  }
  function runUrl(name) { return PAGE.run_id ? `/api/v1/runs/${PAGE.run_id}/layers/${name}.geojson` : null; }
  const LAYERS = [
    { name: "built_up_area", url: () => "/api/v1/map/layers/built_up_area.geojson", on: true, kind: "line",
      colour: "#263238", style: () => ({ color: "#263238", weight: 2.5, fill: false }) },
    { name: "districts", url: () => "/api/v1/map/layers/districts.geojson", on: true, kind: "line",
      colour: "#546e7a", style: () => ({ color: "#546e7a", weight: 1.5, dashArray: "6 4", fill: false }) },
    { name: "grids", url: () => "/api/v1/grids.geojson", on: false, kind: "line",
      colour: "#90a4ae", style: () => ({ color: "#90a4ae", weight: 0.6, fill: false }) },
    { name: "residential", url: () => "/api/v1/map/layers/residential.geojson", on: false, kind: "fill",
      colour: "#f6e7a8", style: () => ({ color: "#b59b3a", weight: 0.4, fillColor: "#f6e7a8", fillOpacity: 0.8 }) },
    { name: "green_spaces", url: () => "/api/v1/map/layers/green_spaces.geojson", on: false, kind: "fill",
      colour: "#35a150", legend: GREEN_CLASSES,
      style: (f) => ({ color: "#1b5e20", weight: 0.4, fillColor: greenColour(f.properties.green_class), fillOpacity: 0.85 }) },
    { name: "canopy", url: () => "/api/v1/map/layers/canopy.json", on: false, kind: "fill",
      colour: "#006837", legend: CANOPY_CLASSES, image: "/api/v1/map/layers/canopy.png" },
    { name: "uncovered_residential", url: () => runUrl("uncovered_residential"), on: true, kind: "fill",
      colour: "#d73027", style: () => ({ color: "#a50026", weight: 0.6, fillColor: "#d73027", fillOpacity: 0.7 }) },
    { name: "uncovered_residential_walking", url: () => runUrl("uncovered_residential_walking"), on: false, kind: "fill",
      colour: "#f46d43", style: () => ({ color: "#a50026", weight: 0.6, fillColor: "#f46d43", fillOpacity: 0.6 }) },
    { name: "road_shade_segments", url: () => runUrl("road_shade_segments"), on: false, kind: "line",
      colour: "#1a9850", filter: (f) => f.properties.is_shaded === true || f.properties.is_shaded === 1,
      style: () => ({ color: "#1a9850", weight: 3 }) },
    { name: "unshaded_road_segments", url: () => runUrl("unshaded_road_segments"), on: false, kind: "line",
      colour: "#e6550d", style: () => ({ color: "#e6550d", weight: 3 }) },
    { name: "cases", url: () => "/api/v1/cases.geojson?per_page=500", on: true, kind: "point",
      colour: "#0d47a1", legend: Object.fromEntries(Object.entries(CASE_COLOURS).map(([k, v]) => [k, [v, k]])),
      point: (f, ll) => L.circleMarker(ll, { radius: 6, color: "#fff", weight: 1.5,
        fillColor: CASE_COLOURS[f.properties.status] || "#333", fillOpacity: 1 }) },
  ];

  function makeMap(element) {
    const map = L.map(element, { preferCanvas: true, renderer: L.canvas({ padding: 0.3 }), zoomSnap: 0.25 });
    if (PAGE.tile_url) {
      L.tileLayer(PAGE.tile_url, { attribution: esc(PAGE.tile_attribution || ""), maxZoom: 19 }).addTo(map);
    }
    map.setView([30, 114], 11);
    return map;
  }

  function details(props, title) {
    const rows = Object.entries(props || {})
      .filter(([, v]) => v !== null && v !== undefined && v !== "")
      .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(typeof v === "number" ? Math.round(v * 100) / 100 : v)}</dd>`)
      .join("");
    return `<h3>${esc(title)}</h3><dl class="props">${rows}</dl>`;
  }

  // the canopy raster as one image; a click reads the class of the pixel under it
  async function loadImage(def, url, onClick) {
    const meta = await api(url);
    const image = new Image();
    image.src = def.image;
    await image.decode();
    const canvas = document.createElement("canvas");
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(image, 0, 0);
    const layer = L.imageOverlay(image.src, meta.bounds, { opacity: 0.85, interactive: true });
    const crs = L.CRS.EPSG3857;
    const sw = crs.project(L.latLng(meta.bounds[0])), ne = crs.project(L.latLng(meta.bounds[1]));
    const colours = Object.entries(meta.legend).map(([name, [hex]]) => [name, hex]);
    layer.on("click", (e) => {
      L.DomEvent.stopPropagation(e);
      const p = crs.project(e.latlng);
      const col = Math.floor((p.x - sw.x) / (ne.x - sw.x) * canvas.width);
      const row = Math.floor((ne.y - p.y) / (ne.y - sw.y) * canvas.height);
      const [r, g, b, a] = ctx.getImageData(col, row, 1, 1).data;
      const hex = "#" + [r, g, b].map((v) => v.toString(16).padStart(2, "0")).join("");
      const hit = a ? colours.find(([, c]) => c === hex) : null;
      const name = hit ? hit[0] : null;
      onClick(def, { properties: {
        class: name ? (CANOPY_CLASSES[name] || [0, name])[1] : "—", code: name ? meta.classes[name] : null,
        lon: e.latlng.lng.toFixed(6), lat: e.latlng.lat.toFixed(6) } }, layer);
    });
    const total = Object.values(meta.pixels).reduce((a, b) => a + b, 0) || 1;
    layer.featureCount = Object.keys(meta.pixels).length;
    layer.countText = "(" + Object.entries(meta.pixels)
      .map(([k, v]) => `${(CANOPY_CLASSES[k] || [0, k])[1].split(" / ")[0]} ${Math.round(v / total * 100)}%`).join(", ") + ")";
    return layer;
  }

  async function loadLayer(map, def, onClick) {
    const url = def.url();
    if (!url) return null;
    if (def.image) return loadImage(def, url, onClick);
    const data = await api(url);
    const features = def.filter ? data.features.filter(def.filter) : data.features;
    const layer = L.geoJSON({ type: "FeatureCollection", features }, {
      style: def.style,
      pointToLayer: def.point,
      onEachFeature: (feature, item) => item.on("click", (e) => { L.DomEvent.stopPropagation(e); onClick(def, feature, item, e); }),
    });
    layer.featureCount = features.length;
    return layer;
  }

  window.gc.map = { LAYERS, GREEN_CLASSES, CASE_COLOURS, CANOPY_CLASSES, makeMap, loadLayer, details };
})();
