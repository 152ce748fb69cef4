/* What field work keeps on the phone until the server has it: one queue for the cases filed on
   patrol (outbox.js), a patrol's GPS track (patrol-track.js) and maintenance inspections
   (maintenance.js). Everything is first written to IndexedDB, then sent — at once with signal,
   else when the network returns (the online event, a timer, the next page load, or the "send
   now" button). Requests that create something carry an Idempotency-Key made once on the phone,
   so a send cut off halfway and sent again is filed once; an item leaves the phone only when
   the server accepted it.

   The stores: database "gardencity" (outbox: cases; inspections) and "gardencity-patrols"
   (patrols; points), created or upgraded on first use. */
"use strict";
(function () {
  const DATABASES = {
    gardencity: { version: 2, stores: { outbox: { keyPath: "key" }, inspections: { keyPath: "key" } } },
    "gardencity-patrols": { version: 1, stores: { patrols: { keyPath: "uuid" }, points: { keyPath: ["uuid", "seq"] } } },
  };
  const DATABASE_OF = {};
  for (const [name, spec] of Object.entries(DATABASES)) for (const store of Object.keys(spec.stores)) DATABASE_OF[store] = name;

  function request(req) {
    return new Promise((resolve, reject) => {
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }

  const opened = {};
  function database(name) {
    if (!opened[name]) {
      const spec = DATABASES[name];
      const req = indexedDB.open(name, spec.version);
      req.onupgradeneeded = () => { // a store added in a later version joins the ones kept
        for (const [store, options] of Object.entries(spec.stores)) {
          if (!req.result.objectStoreNames.contains(store)) req.result.createObjectStore(store, options);
        }
      };
      opened[name] = request(req);
    }
    return opened[name];
  }

  async function store(name, mode = "readonly") {
    return (await database(DATABASE_OF[name])).transaction(name, mode).objectStore(name);
  }
  const put = async (name, item) => request((await store(name, "readwrite")).put(item));
  const remove = async (name, key) => request((await store(name, "readwrite")).delete(key));
  const getAll = async (name, range) => request((await store(name)).getAll(range));

  /* The items of `user` in `name`, oldest first (by `field`). */
  async function listOf(name, user, field = "createdAt") {
    const items = await getAll(name);
    return items.filter((i) => i.user === user).sort((a, b) => a[field].localeCompare(b[field]));
  }

  class SendError extends Error {
    constructor(kind, message) { super(message); this.kind = kind; } // offline, login, later, refused
  }

  /* POST `init.json` (as JSON) or `init.body` (a FormData) to `path`, with `key` as the
     Idempotency-Key when given; the answer's JSON, or a SendError saying why not. */
  async function post(path, { key = null, json, body } = {}) {
    const headers = { "Accept-Language": (window.gc.PAGE || {}).lang || "zh" };
    if (key) headers["Idempotency-Key"] = key;
    if (json !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(path, {
        method: "POST", credentials: "same-origin", headers, body: json !== undefined ? JSON.stringify(json) : body,
      });
    } catch (err) {
      throw new SendError("offline", err.message);
    }
    const data = (response.headers.get("content-type") || "").includes("json") ? await response.json() : null;
    if (response.ok) return data;
    const message = data && data.error ? data.error.message : response.statusText;
    if (response.status === 401) throw new SendError("login", message);
    if (response.status >= 500 || response.status === 408 || response.status === 429) throw new SendError("later", message);
    throw new SendError("refused", message);
  }

  /* Send `items()` one by one with `send(item)`, oldest first, one sender at a time (across tabs
     too, by the lock `lock`). Stops at the first item that could not go (no signal, logged out,
     server busy); an item the server refused keeps its `error` (saved with `save`) and is tried
     again only when the user asks (`retryRefused`). Returns {sent: [items], stopped}. */
  async function drain({ lock, items, send, save }, retryRefused = false) {
    const run = async () => {
      const sent = [];
      for (const item of await items()) {
        if (item.error && !retryRefused) continue;
        item.error = null;
        try {
          sent.push(await send(item));
        } catch (err) {
          if (!(err instanceof SendError)) throw err;
          if (err.kind !== "refused") return { sent, stopped: err };
          item.error = err.message;
          await save(item);
        }
      }
      return { sent, stopped: null };
    };
    if (navigator.locks) return navigator.locks.request(lock, run);
    return run();
  }

  /* Call `fn` when the network returns, and every `everyMs` while the page is in view and the
     phone says it is online (a hotspot without internet says so too). */
  function whenOnline(fn, everyMs = 60_000) {
    const tryNow = () => { if (navigator.onLine && document.visibilityState === "visible") fn(); };
    window.addEventListener("online", fn);
    document.addEventListener("visibilitychange", tryNow);
    setInterval(tryNow, everyMs);
  }

  window.gc.queue = { request, store, put, remove, getAll, listOf, post, drain, whenOnline, SendError };
})();
