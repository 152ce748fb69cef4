/* The patrol page's outbox: every report is first kept on the phone (IndexedDB, with its photo
   already shrunk by photos.js) and then sent — at once when there is signal, else when the
   network returns (the online event, the next page load, or the "send now" button). Each report
   carries two keys made once on the phone, one for the case and one for its photo: the server
   files a repeat of a request with the same key only once (Idempotency-Key), so a send cut off
   halfway and sent again never makes a second case or photo. A report leaves the outbox only
   when both its case and its photo were accepted. */
"use strict";
(function () {
  const DB_NAME = "gardencity", STORE = "outbox";

  function request(req) {
    return new Promise((resolve, reject) => {
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }

  let opened = null;
  function database() {
    if (!opened) {
      const req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "key" });
      opened = request(req);
    }
    return opened;
  }

  async function store(mode) {
    return (await database()).transaction(STORE, mode).objectStore(STORE);
  }

  /* A report of `user`: {key, photoKey, user, createdAt, body, photo, caseId, reference, error}. */
  async function add(user, body, photo) {
    const item = {
      key: crypto.randomUUID(), photoKey: crypto.randomUUID(), user, createdAt: new Date().toISOString(),
      body, photo: photo || null, caseId: null, reference: null, error: null,
    };
    await request((await store("readwrite")).put(item));
    return item;
  }

  async function list(user) {
    const items = await request((await store("readonly")).getAll());
    return items.filter((i) => i.user === user).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async function save(item) { await request((await store("readwrite")).put(item)); }
  async function remove(key) { await request((await store("readwrite")).delete(key)); }

  class SendError extends Error {
    constructor(kind, message) { super(message); this.kind = kind; } // offline, login, later, refused
  }

  async function post(path, key, init) {
    let response;
    try {
      response = await fetch(path, Object.assign({ method: "POST", credentials: "same-origin" }, init, {
        headers: Object.assign({ "Idempotency-Key": key, "Accept-Language": window.gc.PAGE.lang || "zh" }, init.headers),
      }));
    } catch (err) {
      throw new SendError("offline", err.message);
    }
    const body = (response.headers.get("content-type") || "").includes("json") ? await response.json() : null;
    if (response.ok) return body;
    const message = body && body.error ? body.error.message : response.statusText;
    if (response.status === 401) throw new SendError("login", message);
    if (response.status >= 500 || response.status === 408 || response.status === 429) throw new SendError("later", message);
    throw new SendError("refused", message);
  }

  /* Send one report: its case, then its photo; out of the outbox when both were accepted. */
  async function send(item) {
    if (item.caseId === null) {
      const created = await post("/api/v1/cases", item.key, {
        headers: { "Content-Type": "application/json" }, body: JSON.stringify(item.body),
      });
      item.caseId = created.id;
      item.reference = created.reference;
      await save(item);
    }
    if (item.photo) {
      const data = new FormData();
      data.append("file", item.photo, item.photo.name || "photo.jpg");
      data.append("role", "before");
      await post(`/api/v1/cases/${item.caseId}/attachments`, item.photoKey, { body: data });
    }
    await remove(item.key);
    return item;
  }

  /* Send every waiting report of `user`, oldest first, one sender at a time (across tabs too).
     Returns {sent: [items], stopped: SendError|null}; a refused report stays with its error
     and is tried again only when the user asks (`retryRefused`). */
  async function drain(user, retryRefused = false) {
    const run = async () => {
      const sent = [];
      for (const item of await list(user)) {
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
    if (navigator.locks) return navigator.locks.request("gardencity-outbox", run);
    return run();
  }

  window.gc.outbox = { add, list, remove, save, send, drain, SendError };
})();
