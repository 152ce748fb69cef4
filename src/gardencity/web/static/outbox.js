/* The patrol page's outbox: every report is first kept on the phone (the field-work queue,
   queue.js, with its photo already shrunk) and then sent — at once when there is signal, else
   when the network returns. Each report carries two keys made once on the phone, one for the
   case and one for its photo: the server files a repeat of a request with the same key only
   once (Idempotency-Key), so a send cut off halfway and sent again never makes a second case or
   photo. A report leaves the outbox only when both its case and its photo were accepted. */
"use strict";
(function () {
  const { queue } = window.gc;
  const STORE = "outbox";

  /* A report of `user`: {key, photoKey, user, createdAt, body, photo, caseId, reference, error}. */
  async function add(user, body, photo) {
    const item = {
      key: crypto.randomUUID(), photoKey: crypto.randomUUID(), user, createdAt: new Date().toISOString(),
      body, photo: photo || null, caseId: null, reference: null, error: null,
    };
    await queue.put(STORE, item);
    return item;
  }

  const list = (user) => queue.listOf(STORE, user);
  const save = (item) => queue.put(STORE, item);
  const remove = (key) => queue.remove(STORE, key);

  /* Send one report: its case, then its photo; out of the outbox when both were accepted. */
  async function send(item) {
    if (item.caseId === null) {
      const created = await queue.post("/api/v1/cases", { key: item.key, json: item.body });
      item.caseId = created.id;
      item.reference = created.reference;
      await save(item);
    }
    if (item.photo) {
      const data = new FormData();
      data.append("file", item.photo, item.photo.name || "photo.jpg");
      data.append("role", "before");
      await queue.post(`/api/v1/cases/${item.caseId}/attachments`, { key: item.photoKey, body: data });
    }
    await remove(item.key);
    return item;
  }

  /* Send every waiting report of `user`, oldest first (see queue.drain). */
  const drain = (user, retryRefused = false) =>
    queue.drain({ lock: "gardencity-outbox", items: () => list(user), send, save }, retryRefused);

  window.gc.outbox = { add, list, remove, save, send, drain, SendError: queue.SendError };
})();
