/* My inbox: notifications (newest first; opening one marks it read), the cases waiting for
   my action and the deadlines of the next 24 hours. Updates itself when new ones arrive. */
"use strict";
(function () {
  const { PAGE, t, esc, api, toast, fmtTime, statusBadge } = window.gc;
  const notes = document.getElementById("notes");
  // residents have no cases to work on: their inbox is their notifications
  const staff = Boolean(PAGE.user) && PAGE.user.role !== "resident";
  const more = document.getElementById("more");
  let oldest = null;

  function note(item) {
    const href = item.link || "#";
    return `<li class="${item.read ? "" : "unread"}" data-id="${item.id}" data-event="${esc(item.event)}">
      <a href="${esc(href)}" data-id="${item.id}">
        <span class="note-title">${item.read ? "" : `<span class="visually-hidden">${esc(t("inbox_unread"))}: </span>`}${esc(item.title)}</span><br>
        <span>${esc(item.summary)}</span><br>
        <span class="note-meta"><span class="badge neutral">${esc(item.event_label)}</span> <time datetime="${esc(item.created_at)}">${fmtTime(item.created_at)}</time></span>
      </a></li>`;
  }

  function unreadBadge(count) {
    document.getElementById("unread-total").textContent = count ? t("inbox_unread_n").replace("{n}", count) : "";
  }

  async function loadNotes(append) {
    const query = new URLSearchParams({ limit: "30" });
    if (append && oldest) query.set("before", oldest);
    try {
      const page = await api("/api/v1/inbox?" + query);
      const html = page.items.map(note).join("");
      if (append) notes.insertAdjacentHTML("beforeend", html);
      else notes.innerHTML = html || `<li>${esc(t("inbox_empty"))}</li>`;
      oldest = page.next_before;
      more.hidden = !page.next_before;
      unreadBadge(page.unread);
    } catch (err) { notes.innerHTML = `<li class="error">${esc(err.message)}</li>`; }
  }

  function workItem(c) {
    const h = c.hours_left === null ? "" : Math.abs(c.hours_left);
    const shown = h === "" ? "" : (h >= 10 ? h.toFixed(0) : h.toFixed(1));
    const hours = c.hours_left === null ? "" : c.overdue
      ? `<span class="late">${esc(t("inbox_hours_over").replace("{h}", shown))}</span>`
      : esc(t("inbox_hours_left").replace("{h}", shown));
    return `<li data-reference="${esc(c.reference)}"><a href="/cases/${c.id}">
      <b>${esc(c.reference)}</b> ${esc(c.category_label)} ${statusBadge(c.status, c.status_label)}<br>
      <span class="note-meta">${esc(c.unit_name || "—")} · ${esc(t("deadline"))} ${fmtTime(c.deadline_at)} ${hours}</span></a></li>`;
  }

  function fillWork(listId, totalId, block, empty) {
    document.getElementById(listId).innerHTML = block.items.map(workItem).join("") || `<li>${esc(t(empty))}</li>`;
    const shown = block.total > block.items.length ? ` · ${t("inbox_shown").replace("{n}", block.items.length)}` : "";
    document.getElementById(totalId).textContent = t("inbox_total").replace("{n}", block.total) + shown;
  }

  async function loadWork() {
    try {
      const work = await api("/api/v1/inbox/work");
      fillWork("work-list", "work-total", work.action, "inbox_none_action");
      fillWork("due-list", "due-total", work.due_soon, "inbox_none_due");
    } catch (err) { document.getElementById("work-list").innerHTML = `<li class="error">${esc(err.message)}</li>`; }
  }

  notes.addEventListener("click", async (e) => {
    const link = e.target.closest("a[data-id]");
    if (!link) return;
    const row = link.closest("li");
    if (!row.classList.contains("unread")) return;
    e.preventDefault();
    try { await api("/api/v1/inbox/read", { method: "POST", json: { ids: [Number(link.dataset.id)] } }); } catch (err) { /* still open it */ }
    location.href = link.getAttribute("href");
  });
  document.getElementById("mark-all").addEventListener("click", async () => {
    try {
      await api("/api/v1/inbox/read", { method: "POST", json: {} });
      await loadNotes(false);
      document.dispatchEvent(new Event("gc:inbox-changed"));
    } catch (err) { toast(err.message); }
  });
  more.addEventListener("click", () => loadNotes(true));
  document.addEventListener("gc:unread", () => { loadNotes(false); if (staff) loadWork(); });
  document.querySelector("section[aria-labelledby=work-heading]").hidden = !staff;
  loadNotes(false);
  if (staff) loadWork();
})();
