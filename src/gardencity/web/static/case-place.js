/* A case's place and links: a small map with its location in the city, the case it may
   repeat, and why it went to its unit (drawn each time case.js shows the case). */
"use strict";
(function () {
  const { PAGE, t, esc, api } = window.gc;
  let map = null, marker = null;

  function drawMap(c) {
    const el = document.getElementById("case-map");
    if (!el || typeof L === "undefined") return;
    const at = [c.lat, c.lon];
    if (!map) {
      map = window.gc.mapInLanguage(L.map(el, { zoomSnap: 0.25, scrollWheelZoom: false }));
      if (PAGE.tile_url) L.tileLayer(PAGE.tile_url, { attribution: esc(PAGE.tile_attribution || ""), maxZoom: 19 }).addTo(map);
      if (PAGE.outline) {
        L.geoJSON(PAGE.outline, { style: { color: window.gc.colour("layer-built_up_area-stroke"), weight: 2, fill: false }, interactive: false }).addTo(map);
      }
      if (PAGE.bounds) map.fitBounds(PAGE.bounds); else map.setView(at, 15);
    }
    if (marker) marker.remove();
    marker = L.circleMarker(at, { radius: 9, color: window.gc.colour("status-fail-mark"), weight: 3, fillColor: window.gc.colour("place-marker"), fillOpacity: 0.9 })
      .bindTooltip(c.reference).addTo(map);
    el.dataset.lat = String(c.lat);
    el.dataset.lon = String(c.lon);
  }

  async function drawLinks(c) {
    const box = document.getElementById("case-links");
    if (!box) return;
    const parts = [];
    if (c.routing_reason) parts.push(`<dt>${esc(t("routing_reason"))}</dt><dd id="routing-reason">${esc(c.routing_reason)}</dd>`);
    if (c.duplicate_of_id) {
      let label = `#${c.duplicate_of_id}`;
      try { label = (await api(`/api/v1/cases/${c.duplicate_of_id}`)).reference; } catch (err) { /* not yours to see: its number only */ }
      parts.push(`<dt>${esc(t("may_repeat"))}</dt><dd><a id="duplicate-link" href="/cases/${c.duplicate_of_id}">${esc(label)}</a></dd>`);
    }
    box.innerHTML = parts.join("");
    box.hidden = parts.length === 0;
  }

  document.addEventListener("gc:case", (e) => { drawMap(e.detail); drawLinks(e.detail); });
})();
