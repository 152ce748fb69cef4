/* A patrol's GPS track (patrol page): started and stopped on the phone, sampled while the page
   is open (a position kept when `sample_seconds` passed or `sample_metres` were walked since the
   last one, with its accuracy), kept in IndexedDB first and sent in batches — at once with
   signal, else when the network returns (the field-work queue, queue.js). The phone makes the
   patrol's UUID and numbers its points from 0: the server stores a point sent twice once, so a
   batch whose answer was lost is simply sent again. A point leaves the phone only when the
   server has it. */
"use strict";
(function () {
  const { PAGE, queue } = window.gc;
  const SETTINGS = Object.assign({ sample_seconds: 10, sample_metres: 20, batch_size: 50 }, PAGE.patrol || {});
  const user = PAGE.user ? PAGE.user.id : null;

  const { put, store, request } = queue;

  /* {uuid, user, startedAt, endedAt, started, stopped, nextSeq, error} of this user, oldest first */
  const patrols = () => queue.listOf("patrols", user, "startedAt");
  const pointsOf = (uuid) => queue.getAll("points", IDBKeyRange.bound([uuid, 0], [uuid, Number.MAX_SAFE_INTEGER]));
  async function active() {
    return (await patrols()).find((p) => p.endedAt === null) || null;
  }

  // --- sampling -----------------------------------------------------------------------------
  let watch = null, last = null, current = null, gpsFailed = false;
  const listeners = new Set();
  const changed = () => listeners.forEach((fn) => fn());

  function metres(a, b) { // haversine, enough for 20 m
    const r = 6371008.8, rad = Math.PI / 180;
    const dLat = (b.lat - a.lat) * rad, dLon = (b.lon - a.lon) * rad;
    const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
    return 2 * r * Math.asin(Math.sqrt(h));
  }

  async function onPosition(pos) {
    if (!current) return;
    if (gpsFailed) { gpsFailed = false; changed(); }
    const here = { lon: pos.coords.longitude, lat: pos.coords.latitude };
    const at = new Date(pos.timestamp || Date.now());
    if (last && (at - last.at) / 1000 < SETTINGS.sample_seconds && metres(last, here) < SETTINGS.sample_metres) return;
    last = Object.assign({ at }, here);
    const point = {
      uuid: current.uuid, seq: current.nextSeq, user, at: at.toISOString(),
      lon: here.lon, lat: here.lat, accuracy: Math.max(pos.coords.accuracy || 0, 1),
    };
    current.nextSeq += 1;
    await put("points", point);
    await put("patrols", current);
    changed();
    if ((await pointsOf(current.uuid)).length >= SETTINGS.batch_size) flush().catch(() => null);
  }

  function listen() {
    if (watch !== null || !navigator.geolocation) return;
    watch = navigator.geolocation.watchPosition((pos) => { onPosition(pos).catch(() => null); },
      () => { gpsFailed = true; changed(); }, { enableHighAccuracy: true, maximumAge: 0 });
  }

  async function start() {
    current = {
      uuid: crypto.randomUUID(), user, startedAt: new Date().toISOString(), endedAt: null,
      started: false, stopped: false, nextSeq: 0, error: null,
    };
    last = null;
    await put("patrols", current);
    listen();
    changed();
    flush().catch(() => null);
    return current;
  }

  async function stop() {
    if (!current) return;
    if (watch !== null) navigator.geolocation.clearWatch(watch);
    watch = null;
    current.endedAt = new Date().toISOString();
    await put("patrols", current);
    current = null;
    changed();
    return flush();
  }

  // --- sending ------------------------------------------------------------------------------
  async function sendPatrol(p) {
    if (!p.started) {
      await queue.post("/api/v1/patrols", { json: { uuid: p.uuid, started_at: p.startedAt } });
      p.started = true;
      await put("patrols", p);
    }
    let waiting = await pointsOf(p.uuid);
    while (waiting.length) {
      const batch = waiting.slice(0, SETTINGS.batch_size);
      const body = batch.map(({ seq, at, lon, lat, accuracy }) => ({ seq, at, lon, lat, accuracy }));
      await queue.post(`/api/v1/patrols/${p.uuid}/points`, { json: { points: body } });
      const points = await store("points", "readwrite");
      await Promise.all(batch.map((b) => request(points.delete([b.uuid, b.seq]))));
      waiting = await pointsOf(p.uuid);
    }
    if (p.endedAt && !p.stopped) {
      await queue.post(`/api/v1/patrols/${p.uuid}/stop`, { json: { ended_at: p.endedAt } });
      p.stopped = true;
      await put("patrols", p);
    }
    if (p.stopped) await queue.remove("patrols", p.uuid);
    if (current && p.uuid === current.uuid) current.started = true;
    return p;
  }

  /* Send what waits (patrols oldest first; see queue.drain), a patrol refused before too: its
     next points may well be taken. Returns {sent, stopped}. */
  let sending = null;
  function flush() {
    if (!sending) {
      const job = { lock: "gardencity-track", items: patrols, send: sendPatrol, save: (p) => put("patrols", p) };
      sending = queue.drain(job, true).finally(() => { sending = null; changed(); });
    }
    return sending;
  }

  async function waiting() {
    let n = 0;
    for (const p of await patrols()) n += (await pointsOf(p.uuid)).length;
    return n;
  }

  /* The patrols stopped on this phone whose stop the server does not have yet, oldest first
     (a patrol leaves the phone once the server has its stop). */
  async function unsentStops() {
    return (await patrols()).filter((p) => p.endedAt !== null && !p.stopped);
  }

  // a patrol left running (the page was reloaded, the phone slept): it goes on
  const resumed = active().then((p) => {
    if (p) { current = p; listen(); changed(); }
    return p;
  });

  queue.whenOnline(() => flush().catch(() => null), 30_000);

  window.gc.track = {
    start, stop, flush, waiting, unsentStops, resumed, pointsOf,
    current: () => current,
    gpsFailed: () => gpsFailed && current !== null,
    onChange: (fn) => listeners.add(fn),
  };
})();
