/* The patrol teams page: teams, their zones (grid cells for a range of days) and key sites;
   the campaign office and the districts add them here. */
"use strict";
(function () {
  const { PAGE, t, esc, api, toast } = window.gc;
  const [sep, open, close] = PAGE.lang === "en" ? [", ", " (", ")"] : ["、", "（", "）"];
  const day = (iso) => new Intl.DateTimeFormat(PAGE.lang === "en" ? "en-GB" : "zh-CN",
    { year: "numeric", month: PAGE.lang === "en" ? "short" : "long", day: "numeric", timeZone: "UTC" }).format(new Date(`${iso}T12:00:00Z`));

  async function showTeams() {
    const teams = await api("/api/v1/patrol-teams");
    document.getElementById("teams-none").hidden = teams.length > 0;
    document.querySelector("#team-table tbody").innerHTML = teams.map((team) => {
      const zones = team.zones.map((z) => {
        const cells = ` <span class="legend-sub">${esc(z.grid_codes.join(sep))}</span>`;
        return `<li>${esc(z.display_name)}${open}${esc(day(z.start_date))}–${esc(day(z.end_date))}${close}${cells}</li>`;
      }).join("");
      return `<tr data-team="${team.id}"><th scope="row">${esc(team.name)}${team.unit_name ? `<div class="legend-sub">${esc(team.unit_name)}</div>` : ""}</th>
        <td>${esc(team.leader_name)}</td><td>${esc(team.members.map((m) => m.name).join(sep))}</td><td><ul class="plain">${zones || "—"}</ul></td></tr>`;
    }).join("");
    const select = document.getElementById("zn-team");
    if (select) select.innerHTML = teams.map((team) => `<option value="${team.id}">${esc(team.name)}</option>`).join("");
  }

  async function showSites() {
    const sites = await api("/api/v1/key-sites");
    document.getElementById("sites-none").hidden = sites.length > 0;
    document.querySelector("#site-table tbody").innerHTML = sites.map((s) => `<tr data-site="${s.id}">
      <th scope="row">${esc(s.name)}</th><td>${esc(s.kind_label)}</td><td>${esc(s.grid_code || "—")}</td><td>${esc(s.watcher_name)}</td><td>${esc(s.note || "")}</td></tr>`).join("");
  }

  async function fillChoices() {
    const [users, units] = await Promise.all([api("/api/v1/users"), api("/api/v1/units")]);
    const scope = PAGE.scope_units; // a district's coordinator: their district's units and people
    const within = (unitId) => !scope || scope.includes(unitId);
    const staff = users.filter((u) => u.is_active && u.role !== "resident" && within(u.unit_id));
    const options = staff.map((u) => `<option value="${u.id}">${esc(u.display_name)}</option>`).join("");
    for (const id of ["tm-leader", "tm-members", "ks-watcher"]) document.getElementById(id).innerHTML = options;
    document.getElementById("tm-unit").insertAdjacentHTML("beforeend",
      units.filter((u) => within(u.id)).map((u) => `<option value="${u.id}">${esc(u.label || u.name)}</option>`).join(""));
    // this week, Monday to Sunday, by default
    const now = new Date(), monday = new Date(now);
    monday.setDate(now.getDate() - ((now.getDay() + 6) % 7));
    const sunday = new Date(monday);
    sunday.setDate(monday.getDate() + 6);
    const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
    document.getElementById("zn-start").value = iso(monday);
    document.getElementById("zn-end").value = iso(sunday);
  }

  function submitter(formId, errorId, send) {
    const form = document.getElementById(formId);
    const error = document.getElementById(errorId);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      error.hidden = true;
      try {
        await send(form.elements);
        form.reset();
        await Promise.all([showTeams(), showSites()]);
        if (formId === "zone-form") await fillChoices();
      } catch (err) {
        error.textContent = err.message;
        error.hidden = false;
      }
    });
  }

  const loading = [showTeams(), showSites()];
  if (document.getElementById("team-form")) {
    loading.push(fillChoices());
    submitter("team-form", "team-error", (f) => api("/api/v1/patrol-teams", { method: "POST", json: {
      name: f.name.value, leader_id: Number(f.leader_id.value),
      member_ids: [...f.member_ids.selectedOptions].map((o) => Number(o.value)),
      unit_id: f.unit_id.value ? Number(f.unit_id.value) : null,
    } }));
    submitter("zone-form", "zone-error", (f) => api(`/api/v1/patrol-teams/${f.team.value}/zones`, { method: "POST", json: {
      name: f.name.value, grid_codes: f.cells.value.split(/[\s,，、;；]+/).filter(Boolean),
      start_date: f.start_date.value, end_date: f.end_date.value,
    } }));
    submitter("site-form", "site-error", (f) => api("/api/v1/key-sites", { method: "POST", json: {
      name: f.name.value, kind: f.kind.value, grid_code: f.grid_code.value.trim(),
      watcher_id: Number(f.watcher_id.value), note: f.note.value || null,
    } }));
  }
  Promise.all(loading).then(() => { document.querySelector("main").dataset.ready = "1"; }).catch((err) => toast(err.message));
})();
