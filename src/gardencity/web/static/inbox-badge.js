/* The inbox link's unread count in the navigation: asked of the server every few seconds
   while the page is visible, and at once when it is shown again; no reload needed. */
"use strict";
(function () {
  const { t } = window.gc;
  const link = document.getElementById("inbox-link");
  const badge = document.getElementById("inbox-count");
  const words = document.getElementById("inbox-unread");
  if (!link || !badge || !words) return;
  let every = 15;
  let timer = null;
  let last = null;

  function show(count) {
    badge.hidden = count === 0;
    badge.textContent = count > 99 ? "99+" : String(count);
    link.dataset.unread = String(count);
    // said to a screen reader as words after the link's own text (the badge's number is
    // for the eye): the link's name keeps the text it shows
    words.textContent = count ? ` ${t("inbox_unread_n").replace("{n}", count)}` : "";
    if (last !== null && count !== last) document.dispatchEvent(new CustomEvent("gc:unread", { detail: count }));
    last = count;
  }

  async function poll() {
    clearTimeout(timer);
    timer = null;
    try {
      const response = await fetch("/api/v1/inbox/count", { credentials: "same-origin" });
      if (response.status === 401) return; // logged out elsewhere: stop asking
      if (response.ok) {
        const body = await response.json();
        every = Math.max(1, Number(body.poll_seconds) || every);
        show(body.unread);
      }
    } catch (err) { /* offline for a moment: try again later */ }
    if (!document.hidden) timer = setTimeout(poll, every * 1000);
  }

  document.addEventListener("visibilitychange", () => { if (!document.hidden) poll(); });
  document.addEventListener("gc:inbox-changed", poll);
  window.gc.refreshInbox = poll;
  poll();
})();
