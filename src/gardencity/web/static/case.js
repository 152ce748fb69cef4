/* One case: details, before/after photos, timeline, and only the actions allowed to you. */
"use strict";
(function () {
  const { PAGE, t, word, caseTitle, esc, api, toast, fmtTime, statusBadge } = window.gc;
  const stateName = (code) => (PAGE.case_statuses || {})[code] || code;
  const id = PAGE.case_id;
  const NEEDS_REASON = new Set(["reassign", "send_back", "discard", "reopen", "comment"]);
  let current = null;
  let units = [];

  function render(c) {
    current = c;
    document.dispatchEvent(new CustomEvent("gc:case", { detail: c })); // case-place.js draws its place
    document.getElementById("case-title").innerHTML = `${esc(t("case"))} ${esc(c.reference)} ${statusBadge(c.status, c.status_label)}` +
      (c.overdue ? ` <span class="badge overdue">${esc(word("marks", "overdue"))}</span>` : "");
    const unit = units.find((u) => u.id === c.unit_id);
    const unitName = unit ? unit.label || unit.name : "—";
    const props = [["title", caseTitle(c)], ["description", c.description], ["category", c.category_label || c.category], ["priority", word("priorities", c.priority)],
      ["source", word("case_sources", c.source)], ["unit", unitName], ["grid", c.grid_code], ["address", c.address],
      ["location", `${c.lon.toFixed(6)}, ${c.lat.toFixed(6)}`], ["deadline", fmtTime(c.deadline_at)], ["created", fmtTime(c.created_at)]];
    document.getElementById("case-props").innerHTML = props.filter(([, v]) => v).map(([k, v]) => `<dt>${esc(t(k))}</dt><dd>${esc(v)}</dd>`).join("");
    for (const role of ["before", "after"]) {
      const list = (c.attachments || []).filter((a) => a.role === role && a.media_type.startsWith("image/"));
      document.getElementById(`photos-${role}`).innerHTML = list.map((a) =>
        `<a href="/api/v1/attachments/${a.id}"><img src="/api/v1/attachments/${a.id}" alt="${esc(t(role === "before" ? "photos_before" : "photos_after"))} ${a.id}"></a>`).join("") || "—";
    }
    document.getElementById("timeline").innerHTML = (c.events || []).map((e) =>
      `<li><time datetime="${esc(e.at)}">${fmtTime(e.at)}</time> <b>${esc(word("case_events", e.action))}</b>
       ${e.from_status && e.from_status !== e.to_status ? esc(stateName(e.from_status)) + " → " : ""}${esc(stateName(e.to_status))} · ${esc(e.actor === "system" ? word("public_roles", "system") : e.actor)}${e.reason ? ` <span class="badge">${esc(t(e.public ? "public_reply" : "internal"))}</span><br>${esc(e.reason)}` : ""}</li>`).join("");
    const unitSelect = document.getElementById("action-unit");
    if (c.unit_id && unitSelect.querySelector(`option[value="${c.unit_id}"]`)) unitSelect.value = String(c.unit_id);
    const actions = c.allowed_actions || [];
    const form = document.getElementById("action-form");
    form.hidden = actions.length === 0;
    document.getElementById("no-actions").hidden = actions.length > 0;
    document.getElementById("unit-field").hidden = !actions.some((a) => a === "dispatch" || a === "reassign");
    document.getElementById("photo-field").hidden = !actions.includes("submit");
    document.getElementById("action-buttons").innerHTML = actions.map((a) =>
      `<button type="button" data-action="${esc(a)}" class="${a === "comment" ? "" : "primary"}">${esc(word("case_actions", a))}</button>`).join("");
  }

  async function act(action, button) {
    const reason = document.getElementById("action-reason").value.trim();
    if (NEEDS_REASON.has(action) && !reason) { toast(t("reason_required")); document.getElementById("action-reason").focus(); return; }
    const body = { version: current.version };
    if (reason) body.reason = reason;
    if (reason && document.getElementById("action-public").checked) body.public = true;
    if (action === "dispatch" || action === "reassign") body.unit_id = Number(document.getElementById("action-unit").value);
    button.disabled = true;
    try {
      if (action === "submit") {
        const [file] = await window.gc.pickedPhotos(document.getElementById("action-photo"));
        if (!file) { toast(t("photo_required")); document.getElementById("action-photo").focus(); return; }
        const data = new FormData();
        data.append("file", file);
        data.append("role", "after");
        if (document.getElementById("action-photo-public").checked) data.append("public", "true");
        const attachment = await api(`/api/v1/cases/${id}/attachments`, { method: "POST", body: data });
        body.attachment_ids = [attachment.id];
        const fresh = await api(`/api/v1/cases/${id}`);
        body.version = fresh.version;
      }
      const updated = await api(`/api/v1/cases/${id}/actions/${action}`, { method: "POST", json: body });
      document.getElementById("action-reason").value = "";
      document.getElementById("action-public").checked = false;
      render(updated);
      toast(`${t("done_action")}: ${word("case_actions", action)}`);
      document.body.dataset.lastAction = action;
    } catch (err) {
      toast(err.message);
    } finally {
      button.disabled = false;
    }
  }

  document.getElementById("action-buttons").addEventListener("click", (e) => {
    const button = e.target.closest("button[data-action]");
    if (button) act(button.dataset.action, button);
  });

  (async () => {
    try { units = await api("/api/v1/units"); } catch (err) { units = []; }
    const select = document.getElementById("action-unit");
    select.innerHTML = units.filter((u) => !["city"].includes(u.kind)).map((u) => `<option value="${u.id}">${esc(u.label || u.name)}</option>`).join("");
    try { render(await api(`/api/v1/cases/${id}`)); }
    catch (err) { document.getElementById("case-title").textContent = `${t("not_found")}: ${err.message}`; }
  })();
})();
