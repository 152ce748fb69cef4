/* Leaflet helpers: a canvas-rendered map without a base map (a tile URL is optional), the
   layer catalogue with the vocabulary's labels, styles and legends, and GeoJSON loading with
   feature details. */
"use strict";
(function () {
  const { PAGE, t, esc, api, fmtNumber, fmtTime } = window.gc;
  // the layers in drawing order; labels, colours and legends come from the vocabulary
  // (/api/v1/vocabulary), filled in by `ready`
  function runUrl(name) { return PAGE.run_id ? `/api/v1/runs/${PAGE.run_id}/layers/${name}.geojson` : null; }
  const LAYERS = [
    { name: "built_up_area", url: () => "/api/v1/map/layers/built_up_area.geojson", on: true, kind: "line" },
    { name: "districts", url: () => "/api/v1/map/layers/districts.geojson", on: true, kind: "line" },
    { name: "grids", url: () => "/api/v1/grids.geojson", on: false, kind: "line" },
    { name: "residential", url: () => "/api/v1/map/layers/residential.geojson", on: false, kind: "fill", tiled: true },
    { name: "green_spaces", url: () => "/api/v1/map/layers/green_spaces.geojson", on: false, kind: "fill", classes: "green_classes", tiled: true },
    { name: "canopy", url: () => "/api/v1/map/layers/canopy.json", on: false, kind: "fill", classes: "canopy_classes",
      image: "/api/v1/map/layers/canopy.png" },
    { name: "uncovered_residential", url: () => runUrl("uncovered_residential"), on: true, kind: "fill", tiled: true },
    { name: "uncovered_residential_walking", url: () => runUrl("uncovered_residential_walking"), on: false, kind: "fill", tiled: true },
    { name: "road_shade_segments", url: () => runUrl("road_shade_segments"), on: false, kind: "line", tiled: true,
      filter: (f) => f.properties.is_shaded === true || f.properties.is_shaded === 1 },
    { name: "unshaded_road_segments", url: () => runUrl("unshaded_road_segments"), on: false, kind: "line", tiled: true },
    { name: "cases", url: () => "/api/v1/cases.geojson?per_page=500", on: true, kind: "point", classes: "case_statuses" },
  ];
  const words = {};

  // a vocabulary style as Leaflet path options
  function leaflet(style, fillColour) {
    const options = { color: style.stroke || style.fill, weight: style.weight, dashArray: style.dash_array || null };
    if (!style.fill) return Object.assign(options, { fill: false });
    return Object.assign(options, { fillColor: fillColour || style.fill, fillOpacity: style.fill_opacity });
  }
  // the colour of a class code: the longest known prefix, else the group's "other"
  function classColour(group, code) {
    const terms = words[group] || {};
    const key = String(code || "");
    for (let n = key.length; n > 0; n -= 1) if (terms[key.slice(0, n)]) return terms[key.slice(0, n)].style.fill;
    return terms.other ? terms.other.style.fill : null;
  }
  function classLabel(group, code) {
    const term = (words[group] || {})[code];
    return term ? term.label : code;
  }

  const ready = (async () => {
    Object.assign(words, await api(`/api/v1/vocabulary?lang=${encodeURIComponent(PAGE.lang || "zh")}`));
    for (const def of LAYERS) {
      const term = words.layers[def.name];
      const style = term.style;
      def.label = term.label;
      def.colour = def.kind === "line" ? style.stroke : style.fill;
      if (def.classes) {
        def.legend = Object.fromEntries(Object.entries(words[def.classes])
          .filter(([, t]) => t.style && t.style.fill)
          .map(([code, t]) => [code, [t.style.fill, t.label]]));
      }
      if (def.name === "green_spaces") {
        def.style = (f) => leaflet(style, classColour("green_classes", f.properties.green_class));
      } else if (def.name === "cases") {
        def.point = (f, ll) => L.circleMarker(ll, { radius: 6, color: style.stroke, weight: style.weight,
          fillColor: classColour("case_statuses", f.properties.status) || style.fill, fillOpacity: 1 });
      } else if (!def.image) {
        def.style = () => leaflet(style);
      }
    }
    return words;
  })();

  function makeMap(element) {
    const map = window.gc.mapInLanguage(L.map(element, {
      preferCanvas: true, renderer: L.canvas({ padding: 0.3 }), zoomSnap: 0.25,
      // tiles are shown at once, not faded in: each frame of a fade commits every canvas of the
      // map again, which on a phone or without a GPU delays the tiles still to be drawn
      fadeAnimation: false,
    }));
    if (PAGE.tile_url) {
      L.tileLayer(PAGE.tile_url, { attribution: esc(PAGE.tile_attribution || ""), maxZoom: 19 }).addTo(map);
    }
    map.setView([30, 114], 11);
    return map;
  }

  // a feature's details: the fields the vocabulary names, each value in words
  const districtNames = {};
  // a place's name in the page's language (the server gives an English one to each district)
  const placeName = (props) => (PAGE.lang === "en" && props.name_en) || props.name;
  const yesNo = (v) => t(v === true || v === 1 ? "yes" : "no");
  function classTerm(group, code) {
    const key = String(code || "");
    for (let n = key.length; n > 0; n -= 1) if ((words[group] || {})[key.slice(0, n)]) return key.slice(0, n);
    return "other";
  }
  const FORMATS = {
    green_class: (v) => classLabel("green_classes", classTerm("green_classes", v)),
    title: (v, props) => window.gc.caseTitle(Object.assign({}, props, { title: v })),
    is_open: yesNo, is_shaded: yesNo, overdue: yesNo,
    area_m2: (v) => fmtNumber(v / 10000, 2),
    length_m: (v) => fmtNumber(v, 0),
    population: (v) => fmtNumber(v, 0),
    canopy_fraction: (v) => fmtNumber(v * 100, 1) + "%",
    grade: (v) => classLabel("road_grades", v),
    side: (v) => classLabel("road_sides", v),
    name: (v, props) => placeName(props),
    zone_id: (v) => (v === "built_up_area" ? words.layers.built_up_area.label : districtNames[v] || v),
    created_at: (v) => fmtTime(v),
  };
  function details(props, title) {
    const fields = words.fields || {};
    const rows = Object.entries(props || {})
      .filter(([k, v]) => fields[k] && v !== null && v !== undefined && v !== "")
      .map(([k, v]) => {
        const shown = FORMATS[k] ? FORMATS[k](v, props) : typeof v === "number" ? fmtNumber(v, 2) : v;
        return `<dt>${esc(fields[k].label)}</dt><dd>${esc(shown)}</dd>`;
      })
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
        class: name ? classLabel("canopy_classes", name) : "—",
        lon: e.latlng.lng.toFixed(6), lat: e.latlng.lat.toFixed(6) } }, layer, e);
    });
    const total = Object.values(meta.pixels).reduce((a, b) => a + b, 0) || 1;
    layer.featureCount = Object.keys(meta.pixels).length;
    layer.countText = t("nf_paren_open").trim() + Object.entries(meta.pixels)
      .map(([k, v]) => `${classLabel("canopy_classes", k)} ${Math.round(v / total * 100)}%`).join(t("nf_sep")) + t("nf_paren_close");
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
      onEachFeature: (feature, item) => {
        item.on("click", (e) => { L.DomEvent.stopPropagation(e); onClick(def, feature, item, e); });
        if (def.name === "districts" && feature.properties.name) {  // district names on the map
          item.bindTooltip(esc(placeName(feature.properties)), { permanent: true, direction: "center", className: "district-label" });
        }
      },
    });
    layer.featureCount = features.length;
    if (def.name === "districts") for (const f of features) districtNames[f.properties.district_id] = placeName(f.properties);
    return layer;
  }

  // a heavy layer as the run's vector tiles, drawn on canvas in the vocabulary's style (a
  // fill, then its outline); null when the run has no tiles of it (the caller then loads
  // GeoJSON)
  // each tiled layer's description (TileJSON), asked for once: the page asks for them all
  // when the map is drawn, so a switch fetches only tiles
  const tileSets = {};
  // a click's reach on tiled features, in screen pixels
  const PICK_PIXELS = 4;
  // from this map zoom on, a click where the tiles carry no feature ids (a city's overview)
  // asks for the feature at its place: a pixel is about 10 m or less, so the parcel or road
  // under the pointer is the one meant; below, features a few pixels across are drawn merged
  const LOOKUP_ZOOM = 14;
  function tileSet(def) {
    if (!PAGE.run_id || !def.tiled) return Promise.resolve(null);
    if (!tileSets[def.name]) {  // the map page carries them
      tileSets[def.name] = PAGE.tilesets ? Promise.resolve(PAGE.tilesets[def.name] || null)
        : api(`/api/v1/runs/${PAGE.run_id}/tiles/${def.name}.json`).catch(() => null);
    }
    return tileSets[def.name];
  }
  // a data tile's size in screen pixels: a tile of zoom z is drawn at the map's zoom z + 1
  const DATA_TILE = 512;
  // how a tiled layer paints a data tile's features (packed by the tile worker) onto a canvas:
  // one path per fill colour, filled, then outlined (one feature at a time, a tile of a dense
  // district is thousands of canvas fills and strokes). `scale` and the offset (dx, dy) place
  // the tile's coordinates on the canvas (enlarged past the tiles' last zoom); features off
  // the canvas are skipped
  function tilePainter(def, style) {
    const dash = style.dash_array ? style.dash_array.split(" ").map(Number) : [];
    const colourOf = def.name === "green_spaces"
      ? (value) => classColour("green_classes", value) || style.fill : () => style.fill;
    const margin = (style.weight || 0) + 1;  // an outline's reach past its feature's box
    return (ctx, tile, scale, dx, dy) => {
      const { xy, rings, parts, boxes, classOf } = tile;
      const colours = tile.classes ? tile.classes.map(colourOf) : null;
      const paths = new Map();
      const low = -margin, high = DATA_TILE + margin;
      for (let f = 0; f < tile.count; f += 1) {
        const b = 4 * f;
        if (boxes[b + 2] * scale - dx < low || boxes[b] * scale - dx > high
          || boxes[b + 3] * scale - dy < low || boxes[b + 1] * scale - dy > high) continue;
        const colour = colours ? colours[classOf[f]] : style.fill;
        let path = paths.get(colour);
        if (!path) paths.set(colour, (path = new Path2D()));
        for (let r = parts[f]; r < parts[f + 1]; r += 1) {
          let v = 2 * rings[r];
          const end = 2 * rings[r + 1];
          path.moveTo(xy[v] * scale - dx, xy[v + 1] * scale - dy);
          for (v += 2; v < end; v += 2) path.lineTo(xy[v] * scale - dx, xy[v + 1] * scale - dy);
        }
      }
      ctx.miterLimit = 2;
      if (style.fill) {
        ctx.globalAlpha = style.fill_opacity;
        for (const [colour, path] of paths) { ctx.fillStyle = colour; ctx.fill(path); }
      }
      if (style.stroke) {
        Object.assign(ctx, { globalAlpha: 1, strokeStyle: style.stroke, lineWidth: style.weight });
        ctx.setLineDash(dash);
        for (const path of paths.values()) ctx.stroke(path);
      }
    };
  }

  // the tile worker: decodes each data tile's bytes (fetched here, so the page's resource
  // timings and the service worker's routing see them) into packed arrays; one for the page,
  // started with the first tiled layer
  const decoder = { worker: null, asked: new Map(), next: 0, failed: null };
  function decodeTile(buffer, layerName, classKey) {
    if (decoder.failed) return Promise.reject(decoder.failed);
    if (!decoder.worker) {
      decoder.worker = new Worker("/static/web/tile-decoder.js");
      decoder.worker.onmessage = ({ data }) => {
        const asked = decoder.asked.get(data.id);
        decoder.asked.delete(data.id);
        if (data.error) asked.reject(new Error(data.error)); else asked.resolve(data.tile);
      };
      decoder.worker.onerror = (event) => {  // the worker could not start: every tile asked fails
        decoder.failed = new Error(event.message || "tile worker");
        for (const asked of decoder.asked.values()) asked.reject(decoder.failed);
        decoder.asked.clear();
      };
    }
    const id = (decoder.next += 1);
    return new Promise((resolve, reject) => {
      decoder.asked.set(id, { resolve, reject });
      decoder.worker.postMessage({ id, buffer, layer: layerName, classKey }, [buffer]);
    });
  }
  const NO_FEATURES = { count: 0 };
  // how many decoded data tiles a layer keeps (the least recently used are let go)
  const KEPT_TILES = 64;
  // a tiled layer's data tiles, each fetched and decoded once and kept: get({z, x, y}) is a
  // promise of the packed tile; `decoded(z, x, y)` the packed tile if it is in. Asking for a
  // tile of one zoom drops the fetches still under way for another (the map zoomed on)
  class PackedTiles {
    constructor(url, layerName, classKey) {
      Object.assign(this, { url, layerName, classKey, kept: new Map(), aborts: new Map() });
    }
    get(tile) {
      const key = `${tile.z}/${tile.x}/${tile.y}`;
      let entry = this.kept.get(key);
      if (entry) {
        this.kept.delete(key);  // the most recently used last
        this.kept.set(key, entry);
        return entry.promise;
      }
      entry = { tile: null, promise: this.load(tile) };
      entry.promise.then((packed) => { entry.tile = packed; },
        () => { if (this.kept.get(key) === entry) this.kept.delete(key); });
      this.kept.set(key, entry);
      if (this.kept.size > KEPT_TILES) this.kept.delete(this.kept.keys().next().value);
      return entry.promise;
    }
    decoded(z, x, y) {
      const entry = this.kept.get(`${z}/${x}/${y}`);
      return entry ? entry.tile : null;
    }
    async load(tile) {
      for (const [z, controller] of this.aborts) if (z !== tile.z) { controller.abort(); this.aborts.delete(z); }
      if (!this.aborts.has(tile.z)) this.aborts.set(tile.z, new AbortController());
      const url = this.url.replace("{z}", tile.z).replace("{x}", tile.x).replace("{y}", tile.y);
      const response = await fetch(url, { signal: this.aborts.get(tile.z).signal });
      if (!response.ok) throw new Error(`${response.status} ${url}`);
      const buffer = await response.arrayBuffer();
      return buffer.byteLength ? decodeTile(buffer, this.layerName, this.classKey) : NO_FEATURES;
    }
  }

  // the longest a painted tile waits for the others of its view before it is shown, in ms
  const HOLD_MS = 250;
  // a grid of canvases, one per data tile in view (each tile's features are gone through
  // once, on one canvas): a 512-pixel tile at the map's zoom z is the data tile of zoom z - 1,
  // or past the last zoom of the tiles a part of one of its tiles, enlarged
  const DataTileLayer = L.GridLayer.extend({
    initialize(def, tiles, maxDataZoom, options) {
      L.GridLayer.prototype.initialize.call(this, Object.assign({ tileSize: DATA_TILE }, options));
      this.tiles = tiles;  // the decoded data tiles (PackedTiles)
      this.maxDataZoom = maxDataZoom;
      this.style = words.layers[def.name].style;  // what it paints with (the vocabulary's)
      this.paint = tilePainter(def, this.style);
      this.painting = 0;  // tiles asked for and not yet painted
      this.held = [];  // painted tiles waiting to be shown with the others
    },
    createTile(coords, done) {
      const canvas = L.DomUtil.create("canvas", "leaflet-tile");
      const dataZoom = Math.max(0, Math.min(coords.z - 1, this.maxDataZoom));
      const scale = 2 ** (coords.z - 1 - dataZoom);
      const tile = { z: dataZoom, x: Math.floor(coords.x / scale), y: Math.floor(coords.y / scale) };
      // the canvas is made ready while its data is on the way
      const ctx = canvas.getContext("2d");
      const size = () => {
        canvas.width = canvas.height = Math.ceil(DATA_TILE * this.resolution(coords));
        ctx.setTransform(canvas.width / DATA_TILE, 0, 0, canvas.width / DATA_TILE, 0, 0);
      };
      size();
      this.painting += 1;
      this.tiles.get(tile).then((packed) => {
        const paint = () => this.paint(ctx, packed, scale, (coords.x - tile.x * scale) * DATA_TILE,
          (coords.y - tile.y * scale) * DATA_TILE);
        paint();
        canvas.sharpen = () => { size(); paint(); };
      }).then(() => this.painted(() => done(null, canvas)), (err) => this.painted(() => done(err, canvas)));
      return canvas;
    },
    // a canvas's pixels per tile pixel: the screen's, times the tile's size on screen where
    // the map's zoom shows it smaller (at zoom 14.5 a tile of zoom 15 is 362 pixels wide: half
    // the pixels to fill); its tiles are drawn again finer once the map zooms in on them
    resolution(coords) {
      const shown = this._map ? Math.min(1, 2 ** (this._map.getZoom() - coords.z)) : 1;
      return (window.devicePixelRatio || 1) * shown;
    },
    getEvents() {
      return Object.assign(L.GridLayer.prototype.getEvents.call(this), { zoomend: this.sharpen });
    },
    sharpen() {
      for (const { el, coords } of Object.values(this._tiles)) {
        if (el.sharpen && el.width < Math.ceil(DATA_TILE * this.resolution(coords))) el.sharpen();
      }
    },
    // the tiles of a view are shown together, once the last one is painted (or HOLD_MS after
    // the first one was): each tile shown on its own costs the page a frame, and each frame
    // commits every changed canvas of the map again
    painted(tileDone) {
      this.painting -= 1;
      this.held.push(tileDone);
      if (this.painting === 0) this.showHeld();
      else if (!this.holding) this.holding = setTimeout(() => this.showHeld(), HOLD_MS);
    },
    showHeld() {
      clearTimeout(this.holding);
      this.holding = null;
      const held = this.held;
      this.held = [];
      for (const tileDone of held) tileDone();
    },
  });

  // the id of the top-most feature of a kept data tile within `reach` pixels of a place (inside,
  // for a polygon), or undefined when it has none; null when none is there. As protomaps-leaflet
  // finds it (its tests of a point against a feature's rings)
  function idAt(tiles, maxDataZoom, latlng, zoom, reach) {
    const P = window.protomapsL;
    const z = Math.round(zoom), dataZoom = Math.min(z - 1, maxDataZoom);
    const brush = reach / 2 ** (z - dataZoom);
    const at = L.CRS.EPSG3857.latLngToPoint(latlng, dataZoom).divideBy(256);
    const tx = Math.floor(at.x), ty = Math.floor(at.y);
    const tile = tiles.decoded(dataZoom, tx, ty);
    if (!tile || !tile.count) return null;
    const point = { x: (at.x - tx) * DATA_TILE, y: (at.y - ty) * DATA_TILE };
    const { xy, rings, parts, boxes, types, ids } = tile;
    for (let f = tile.count - 1; f >= 0; f -= 1) {
      const b = 4 * f;
      if (point.x < boxes[b] - brush || point.x > boxes[b + 2] + brush
        || point.y < boxes[b + 1] - brush || point.y > boxes[b + 3] + brush) continue;
      const geom = [];
      for (let r = parts[f]; r < parts[f + 1]; r += 1) {
        const ring = [];
        for (let v = 2 * rings[r]; v < 2 * rings[r + 1]; v += 2) ring.push({ x: xy[v], y: xy[v + 1] });
        geom.push(ring);
      }
      const hit = types[f] === 1 ? P.pointMinDistToPoints(point, geom) < brush
        : types[f] === 2 ? P.pointMinDistToLines(point, geom) < brush : P.pointInPolygon(point, geom);
      if (hit) return Number.isNaN(ids[f]) ? undefined : ids[f];
    }
    return null;
  }

  async function loadTiles(def) {
    if (!window.protomapsL) return null;
    const meta = await tileSet(def);
    if (!meta) return null;
    const tiles = new PackedTiles(meta.tiles[0], def.name, def.name === "green_spaces" ? "green_class" : null);
    const layer = new DataTileLayer(def, tiles, meta.maxzoom);
    layer.featureCount = meta.features;
    layer.tiled = true;
    // the feature under a click: {featureId} (its details are asked for by id: the tiles
    // carry only what is painted), or null. Below the zoom from which every feature is drawn
    // on its own (a data tile of 512 px is drawn one zoom below the map's) the tiles carry no
    // ids: from LOOKUP_ZOOM on the feature is looked up by the click's place, {at: latlng};
    // below, {zoomIn: true}
    layer.pick = (latlng) => {
      if (!layer._map) return null;
      const zoom = layer._map.getZoom();
      const id = idAt(tiles, meta.maxzoom, latlng, zoom, PICK_PIXELS);
      if (id === null) return null;
      const dataZoom = Math.min(Math.round(zoom) - 1, meta.maxzoom);
      if (dataZoom >= meta.detail_zoom && id !== undefined) return { featureId: id };
      return zoom >= LOOKUP_ZOOM ? { at: latlng } : { zoomIn: true };
    };
    const features = `/api/v1/runs/${PAGE.run_id}/tiles/${def.name}/features`;
    layer.feature = (id) => api(`${features}/${id}`);
    // the feature at a place: a line within the pick's few pixels (in metres at this zoom)
    layer.featureAt = (latlng) => {
      const metresPerPixel = 40075016.686 * Math.cos(latlng.lat * Math.PI / 180) / 2 ** (layer._map.getZoom() + 8);
      const tolerance = Math.min(Math.max(PICK_PIXELS * metresPerPixel, 1), 500).toFixed(1);
      return api(`${features}?at=${latlng.lng.toFixed(7)},${latlng.lat.toFixed(7)}&tolerance=${tolerance}`);
    };
    return layer;
  }

  window.gc.map = { LAYERS, ready, words, leaflet, makeMap, loadLayer, loadTiles, tileSet, details };
})();
