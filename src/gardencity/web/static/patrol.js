/* Patrol mode (phones): photo from the camera (previewed), the place from GPS or the small map
   (drag the marker or click), category — filed in one step. Every report goes through the
   outbox (outbox.js): without signal it waits on the phone and is sent when the network returns. */
"use strict";
(function () {
  const { PAGE, t, esc, toast, word, pickedPhotos, outbox, track } = window.gc;
  const form = document.getElementById("patrol-form");
  const status = document.getElementById("p-gps-status");
  const result = document.getElementById("patrol-result");
  const preview = document.getElementById("p-preview");
  const user = PAGE.user ? PAGE.user.id : null;
  const [COLON, SEPARATOR] = PAGE.lang === "en" ? [": ", "; "] : ["：", "；"];

  // --- the place: a small map with a draggable marker, GPS, or typed coordinates -------------
  const map = window.gc.mapInLanguage(L.map("p-map", { zoomControl: true }));
  if (PAGE.tile_url) L.tileLayer(PAGE.tile_url, { attribution: esc(PAGE.tile_attribution || "") }).addTo(map);
  new ResizeObserver(() => map.invalidateSize()).observe(document.getElementById("p-map"));
  if (PAGE.bounds) map.fitBounds(PAGE.bounds); // the city, until the place is known
  else map.setView(PAGE.centre || [30, 114], 13);
  if (PAGE.outline) {
    L.geoJSON(PAGE.outline, { style: { color: window.gc.colour("layer-built_up_area-stroke"), weight: 2, fill: false }, interactive: false }).addTo(map);
  }
  let marker = null;
  function setPlace(lat, lon, { centre = false } = {}) {
    form.elements.lat.value = lat.toFixed(6);
    form.elements.lon.value = lon.toFixed(6);
    if (!marker) {
      marker = L.marker([lat, lon], { draggable: true, keyboard: true, title: t("location"), alt: t("location") }).addTo(map);
      marker.on("dragend", () => {
        const p = marker.getLatLng();
        setPlace(p.lat, p.lng);
        status.textContent = t("map_place_set");
      });
    } else {
      marker.setLatLng([lat, lon]);
    }
    if (centre) { map.invalidateSize(); map.setView([lat, lon], Math.max(map.getZoom(), 16), { animate: false }); }
  }
  map.on("click", (e) => { setPlace(e.latlng.lat, e.latlng.lng); status.textContent = t("map_place_set"); });
  for (const name of ["lon", "lat"]) {
    form.elements[name].addEventListener("change", () => {
      const lon = Number(form.elements.lon.value), lat = Number(form.elements.lat.value);
      if (form.elements.lon.value && form.elements.lat.value && Number.isFinite(lon) && Number.isFinite(lat)) setPlace(lat, lon, { centre: true });
    });
  }

  function locate() {
    if (!navigator.geolocation) { status.textContent = t("gps_failed"); return; }
    status.textContent = t("gps_locating");
    navigator.geolocation.getCurrentPosition((pos) => {
      setPlace(pos.coords.latitude, pos.coords.longitude, { centre: true });
      status.textContent = `${t("gps_ok")} ±${Math.max(1, Math.round(pos.coords.accuracy))} ${word("units", "m")}`;
    }, () => { status.textContent = t("gps_failed"); }, { enableHighAccuracy: true, timeout: 10000 });
  }
  document.getElementById("p-gps").addEventListener("click", locate);
  locate();

  // --- the photo's preview --------------------------------------------------------------------
  form.elements.photo.addEventListener("change", () => {
    if (preview.src) URL.revokeObjectURL(preview.src);
    const file = form.elements.photo.files[0];
    preview.hidden = !file;
    if (file) preview.src = URL.createObjectURL(file);
    else preview.removeAttribute("src");
  });

  // --- the outbox: what waits for signal, shown in the page's language ------------------------
  const box = document.getElementById("outbox");
  const boxStatus = document.getElementById("outbox-status");
  const categories = Object.fromEntries([...form.elements.category.options].map((o) => [o.value, o.textContent]));
  // when each was filed, in the city's time zone: 12月4日 08:30 / 4 Dec, 08:30
  const when = new Intl.DateTimeFormat(PAGE.lang === "en" ? "en-GB" : "zh-CN", {
    month: PAGE.lang === "en" ? "short" : "long", day: "numeric", hour: "2-digit", minute: "2-digit",
    hour12: false, timeZone: PAGE.timezone || "Asia/Shanghai",
  });

  async function showOutbox() {
    const items = await outbox.list(user);
    box.dataset.count = String(items.length);
    box.hidden = items.length === 0;
    document.getElementById("outbox-count").textContent = t("outbox_count").replace("{n}", items.length);
    document.getElementById("outbox-list").innerHTML = items.map((i) => {
      const photo = i.photo ? ` · ${esc(t("outbox_photo"))}` : "";
      const refused = i.error
        ? `<br><span class="refused">${esc(t("outbox_refused"))}${COLON}${esc(i.error)}</span> <button type="button" data-remove="${esc(i.key)}">${esc(t("outbox_remove"))}</button>`
        : "";
      return `<li data-key="${esc(i.key)}">${esc(categories[i.body.category] || t("category"))} · <time datetime="${esc(i.createdAt)}">${esc(when.format(new Date(i.createdAt)))}</time>${photo}${refused}</li>`;
    }).join("");
    return items;
  }

  let sending = null;
  function sendWaiting(retryRefused = false) {
    if (!sending) {
      sending = (async () => {
        // a patrol started offline reaches the server before the cases filed during it
        await track.flush().catch(() => null);
        if ((await outbox.list(user)).length === 0) return { sent: [], stopped: null };
        boxStatus.textContent = t("outbox_sending");
        const done = await outbox.drain(user, retryRefused);
        const notes = [];
        if (done.sent.length) notes.push(t("outbox_sent").replace("{n}", done.sent.length));
        if (done.stopped) notes.push(t(done.stopped.kind === "login" ? "outbox_login" : "outbox_offline"));
        boxStatus.textContent = notes.join(SEPARATOR);
        return done;
      })().finally(async () => { sending = null; await showOutbox(); });
    }
    return sending;
  }

  document.getElementById("outbox-retry").addEventListener("click", () => sendWaiting(true).catch((err) => toast(err.message)));
  document.getElementById("outbox-list").addEventListener("click", async (e) => {
    const key = e.target.dataset && e.target.dataset.remove;
    if (!key) return;
    await outbox.remove(key);
    await showOutbox();
  });
  window.addEventListener("online", () => sendWaiting().catch((err) => toast(err.message)));
  // a phone can say it is online with no way through (a hotspot without internet): while
  // reports wait, try again every minute the page is in view, and when it comes back into view
  const RETRY_MS = 60_000;
  const retry = () => {
    if (navigator.onLine && document.visibilityState === "visible" && box.dataset.count !== "0") {
      sendWaiting().catch(() => null);
    }
  };
  setInterval(retry, RETRY_MS);
  document.addEventListener("visibilitychange", retry);

  function filed(item) {
    result.innerHTML = `${esc(t("filed"))} <a id="filed-reference" href="/cases/${item.caseId}">${esc(item.reference)}</a>`;
  }

  function cleared() {
    const place = marker && marker.getLatLng();
    form.reset();
    preview.hidden = true;
    if (preview.src) URL.revokeObjectURL(preview.src);
    preview.removeAttribute("src");
    if (place) setPlace(place.lat, place.lng); // the next report is most likely near this one
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    result.textContent = "";
    try {
      const body = {
        category: form.elements.category.value,
        description: form.elements.description.value,
        source: "grid_patrol",
        lon: Number(form.elements.lon.value),
        lat: Number(form.elements.lat.value),
      };
      const patrol = track.current();
      if (patrol) body.patrol = patrol.uuid; // filed during the patrol: it belongs to it
      const [photo] = await pickedPhotos(form.elements.photo); // shrunk when it was picked
      const item = await outbox.add(user, body, photo || null);
      await showOutbox();
      if (!navigator.onLine) { cleared(); result.textContent = t("outbox_kept"); return; }
      const done = await sendWaiting();
      const sent = done.sent.find((i) => i.key === item.key);
      if (sent) { cleared(); filed(sent); return; }
      const left = (await outbox.list(user)).find((i) => i.key === item.key);
      if (left && left.error && left.caseId === null) {
        // refused as it is (a place outside the city …): it stays in the form to correct
        await outbox.remove(item.key);
        await showOutbox();
        result.textContent = left.error;
        toast(left.error);
        return;
      }
      cleared();
      result.textContent = left && left.error ? `${t("outbox_refused")}${COLON}${left.error}` : t("outbox_kept");
    } catch (err) {
      toast(err.message);
      result.textContent = err.name === "InvalidStateError" || err.name === "UnknownError" ? t("outbox_no_storage") : err.message;
    } finally {
      button.disabled = false;
    }
  });

  // --- the patrol's track: start, stop, what was recorded and what waits --------------------
  const panel = document.getElementById("track");
  const startButton = document.getElementById("track-start");
  const stopButton = document.getElementById("track-stop");
  const figures = document.getElementById("track-figures");
  const settings = PAGE.patrol || {};
  document.getElementById("track-note").textContent = t("track_note")
    .replace("{seconds}", settings.sample_seconds).replace("{metres}", settings.sample_metres);
  const line = L.polyline([], { color: window.gc.colour("coverage-today-stroke"), weight: 4, interactive: false }).addTo(map);
  let shownPatrol = null, lastCount = 0, drawn = new Set();

  async function showTrack() {
    const patrol = track.current();
    const waiting = await track.waiting();
    panel.dataset.state = patrol ? "active" : "idle";
    panel.dataset.waiting = String(waiting);
    startButton.hidden = !!patrol;
    stopButton.hidden = !patrol;
    document.getElementById("track-state").textContent = t(patrol ? "track_active" : "track_idle");
    if (patrol) {
      if (shownPatrol !== patrol.uuid) { line.setLatLngs([]); drawn = new Set(); shownPatrol = patrol.uuid; }
      for (const p of await track.pointsOf(patrol.uuid)) {
        if (!drawn.has(p.seq)) { drawn.add(p.seq); line.addLatLng([p.lat, p.lon]); }
      }
      lastCount = patrol.nextSeq;
      panel.dataset.points = String(patrol.nextSeq);
      figures.textContent = tf("track_figures", { start: when.format(new Date(patrol.startedAt)), n: patrol.nextSeq, waiting }) + (track.gpsFailed() ? `${SEPARATOR}${t("track_no_gps")}` : "");
    } else {
      await showStopped(waiting);
    }
  }

  /* The patrol last stopped here — or, on a page opened after it was stopped, one whose stop
     still waits: whether everything reached the server, its stop included. */
  async function showStopped(waiting) {
    const unsent = await track.unsentStops();
    if (!shownPatrol && unsent.length) {
      const newest = unsent[unsent.length - 1];
      shownPatrol = newest.uuid;
      lastCount = newest.nextSeq;
    }
    if (!shownPatrol) return;
    const stopWaiting = unsent.some((p) => p.uuid === shownPatrol);
    panel.dataset.stopWaiting = stopWaiting ? "1" : "0";
    const key = stopWaiting ? "track_done_unsent" : waiting ? "track_done" : "track_done_sent";
    figures.textContent = tf(key, { n: lastCount, waiting });
  }
  track.onChange(() => { showTrack().catch((err) => toast(err.message)); });
  startButton.addEventListener("click", () => track.start().catch((err) => toast(err.message)));
  stopButton.addEventListener("click", () => track.stop().then((done) => {
    if (done && done.stopped && done.stopped.kind === "refused") toast(`${t("track_refused")}${COLON}${done.stopped.message}`);
  }).catch((err) => toast(err.message)));
  track.resumed.then(showTrack).catch((err) => toast(err.message));

  showOutbox().then(() => { if (navigator.onLine) return sendWaiting(); }).catch((err) => toast(err.message));
})();
