/* The cockpit's patrol coverage: the grid cells coloured by when they were last patrolled
   (today / this week / within N days / not for N days, colours from the vocabulary), today's
   tracks, and the zones not patrolled this week with a button that reminds the team's leader. */
"use strict";
(function () {
  const { PAGE, t, esc, api, toast, colour } = window.gc;
  const section = document.getElementById("patrol-gaps");
  if (!section) return;
  const STATES = ["today", "this_week", "earlier", "stale"];
  const mapBox = document.getElementById("patrol-map");
  const map = window.gc.mapInLanguage(L.map(mapBox, { zoomControl: true }));
  if (PAGE.tile_url) L.tileLayer(PAGE.tile_url, { attribution: esc(PAGE.tile_attribution || "") }).addTo(map);
  new ResizeObserver(() => map.invalidateSize()).observe(mapBox);
  const canManage = PAGE.user && ["admin", "coordinator"].includes(PAGE.user.role);
  const percent = (share) => `${Math.round(share * 100)}%`;

  function style(state) {
    return {
      color: colour(`coverage-${state}-stroke`), weight: 1,
      fillColor: colour(`coverage-${state}-fill`), fillOpacity: 0.45, className: `patrol-cell state-${state}`,
    };
  }

  async function showCoverage() {
    const grid = await api("/api/v1/patrols/coverage.geojson");
    const layer = L.geoJSON(grid, {
      style: (f) => style(f.properties.state),
      onEachFeature: (f, l) => {
        const p = f.properties;
        const last = p.last_patrolled_text || tf("never_in_period", { n: grid.stale_days });
        l.bindPopup(`<b>${esc(t("grid_cell"))} ${esc(p.code)}</b>${p.name ? ` ${esc(p.name)}` : ""}<br>${esc(p.state_label)}<br>${esc(t("last_patrolled"))}${PAGE.lang === "en" ? ": " : "："}${esc(last)}`);
      },
    }).addTo(map);
    if (grid.features.length) map.fitBounds(layer.getBounds(), { padding: [6, 6] });
    const labels = Object.fromEntries(grid.features.map((f) => [f.properties.state, f.properties.state_label]));
    document.getElementById("patrol-legend").innerHTML = STATES.map((s) => {
      const label = labels[s] || (PAGE.words.patrol_coverage || {})[s] || s;
      return `<li data-state="${s}" data-count="${grid.counts[s]}"><i class="swatch" style="background:${colour(`coverage-${s}-fill`)}"></i>${esc(label.replace("{n}", grid.stale_days))}${PAGE.lang === "en" ? ": " : "："}${grid.counts[s]}</li>`;
    }).join("");
    const day = new Date(`${grid.today}T12:00:00Z`);
    const today = new Intl.DateTimeFormat(PAGE.lang === "en" ? "en-GB" : "zh-CN", { year: "numeric", month: "long", day: "numeric", timeZone: "UTC" }).format(day);
    document.getElementById("patrol-rule").textContent = t("patrol_rule")
      .replace("{sight}", grid.sight_m).replace("{share}", percent(grid.threshold)).replace("{today}", today);
    // ?track=<uuid>&day=<date> (a case page's link): that day's tracks, that one picked out
    const asked = new URLSearchParams(window.location.search);
    const chosen = asked.get("track");
    const dayParam = /^\d{4}-\d{2}-\d{2}$/.test(asked.get("day") || "") ? `?day=${asked.get("day")}` : "";
    const tracks = await api(`/api/v1/patrols/tracks.geojson${chosen ? dayParam : ""}`);
    let picked = null;
    L.geoJSON(tracks, {
      style: (f) => (f.properties.uuid === chosen
        ? { color: colour("status-fail-mark"), weight: 6, className: "patrol-track is-chosen" }
        : { color: colour("coverage-today-stroke"), weight: 3, className: "patrol-track" }),
      onEachFeature: (f, l) => {
        l.bindPopup(`${esc(f.properties.user_name)}<br>${esc(f.properties.started)}${f.properties.ended ? ` – ${esc(f.properties.ended)}` : ""}`);
        if (f.properties.uuid === chosen) picked = l;
      },
    }).addTo(map);
    if (picked) {
      map.fitBounds(picked.getBounds(), { padding: [20, 20], maxZoom: 16 });
      picked.openPopup();
      mapBox.scrollIntoView();
    }
    mapBox.dataset.chosen = picked ? chosen : "";
    mapBox.dataset.cells = String(grid.features.length);
    mapBox.dataset.tracks = String(tracks.features.length);
  }

  async function showGaps() {
    const found = await api("/api/v1/patrols/unpatrolled-zones");
    const gaps = found.zones;
    const body = document.querySelector("#patrol-gap-table tbody");
    const none = document.getElementById("patrol-gaps-none");
    none.hidden = gaps.length > 0;
    none.textContent = t(found.assigned ? "zones_all_patrolled" : "no_zones_this_week");
    document.getElementById("patrol-gap-table").hidden = gaps.length === 0;
    body.innerHTML = gaps.map((g) => {
      const count = t("cells_of").replace("{missing}", g.missing.length).replace("{cells}", g.cells).replace("{since}", g.since_text);
      const button = canManage ? `<button type="button" data-zone="${g.zone_id}">${esc(t("notify_leader"))}</button>` : "—";
      return `<tr data-zone="${g.zone_id}"><td>${esc(g.team_name)}</td><td>${esc(g.zone_name)}</td><td>${esc(g.leader_name)}</td>
        <td>${esc(count)}<div class="legend-sub">${esc(g.missing.join(PAGE.lang === "en" ? ", " : "、"))}</div></td><td>${button}</td></tr>`;
    }).join("");
  }

  document.getElementById("patrol-gap-table").addEventListener("click", async (e) => {
    const zone = e.target.dataset && e.target.dataset.zone;
    if (!zone) return;
    e.target.disabled = true;
    try {
      const done = await api(`/api/v1/patrol-zones/${zone}/notify-leader`, { method: "POST" });
      toast(done.message);
      e.target.textContent = done.message;
    } catch (err) {
      toast(err.message);
      e.target.disabled = false;
    }
  });

  Promise.all([showCoverage(), showGaps()])
    .then(() => { section.dataset.ready = "1"; })
    .catch((err) => toast(err.message));
})();
