/* The case page: the patrol the case was filed in (team, patroller, when it started, a link to
   its track on the map), for staff; nothing when it was not filed during a patrol. */
"use strict";
(function () {
  const { PAGE, t, esc, api } = window.gc;
  const box = document.getElementById("case-patrol");
  if (!box || !PAGE.user || PAGE.user.role === "resident") return;
  let shown = false;

  async function draw() {
    const patrol = await api(`/api/v1/cases/${PAGE.case_id}/patrol`);
    if (!patrol) return;
    const rows = [
      ["patrol_team", patrol.team_name || t("patrol_no_team")],
      ["patroller", patrol.user_name],
      ["patrol_started", patrol.started_text],
    ];
    box.innerHTML = `<dt class="props-heading">${esc(t("case_patrol"))}</dt><dd></dd>` +
      rows.map(([k, v]) => `<dt>${esc(t(k))}</dt><dd>${esc(v)}</dd>`).join("") +
      `<dt>${esc(t("patrol_track"))}</dt><dd><a id="patrol-track-link" href="${esc(patrol.track_url)}">${esc(t("patrol_track_link"))}</a></dd>`;
    box.hidden = false;
  }

  document.addEventListener("gc:case", () => {
    if (shown) return;
    shown = true;
    draw().catch(() => { shown = false; }); // offline or not to be seen: the rest of the page stands
  });
})();
