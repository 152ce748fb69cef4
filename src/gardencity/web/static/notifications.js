/* Notification settings (admin): channels per unit, group and person with a test button,
   the deliveries that failed or wait for a retry (with the provider's answer), the rules. */
"use strict";
(function () {
  const { PAGE, t, esc, api, toast, fmtTime } = window.gc;
  const paren = (text) => `${t("nf_paren_open")}${text}${t("nf_paren_close")}`;
  const form = document.getElementById("channel-form");
  const kindSelect = document.getElementById("c-kind");
  let channels = [];
  let editing = null;
  let unitNames = {};

  for (const [kind, label] of Object.entries(PAGE.kinds)) kindSelect.insertAdjacentHTML("beforeend", `<option value="${esc(kind)}">${esc(label)}</option>`);
  document.getElementById("c-events").insertAdjacentHTML("beforeend", Object.entries(PAGE.events).map(([code, label]) =>
    `<label class="choice"><input type="checkbox" name="events" value="${esc(code)}"> ${esc(label)}</label>`).join(""));

  function settingsFields(kind, current) {
    const box = document.getElementById("c-settings");
    box.innerHTML = PAGE.fields[kind].map((f) => {
      const value = current && current[f.name] !== undefined ? current[f.name] : "";
      const shown = f.secret ? "" : (Array.isArray(value) ? value.join(", ") : value);
      const hint = f.secret && value ? ` placeholder="${esc(t("nf_secret_kept"))} (${esc(value)})"` : "";
      const required = f.required && !(f.secret && value) ? " required" : "";
      return `<label for="s-${esc(f.name)}">${esc(t("nf_field_" + f.name))}</label>
        <input id="s-${esc(f.name)}" data-field="${esc(f.name)}" data-list="${f.list}" data-secret="${f.secret}" value="${esc(shown)}"${hint}${required} autocomplete="off">`;
    }).join("");
  }

  function ownerRows() {
    const owner = form.elements.owner.value;
    for (const name of ["unit", "group", "user"]) document.getElementById(`c-${name}-row`).hidden = owner !== name;
  }

  function openForm(channel) {
    editing = channel;
    form.hidden = false;
    document.getElementById("channel-form-title").textContent = channel ? `${t("nf_edit")}: ${channel.name}` : t("nf_add");
    kindSelect.value = channel ? channel.kind : kindSelect.value;
    kindSelect.disabled = Boolean(channel);
    document.getElementById("c-owner-field").disabled = Boolean(channel);
    form.elements.name.value = channel ? channel.name : "";
    if (channel) {
      form.elements.owner.value = channel.owner;
      if (channel.unit_id) document.getElementById("c-unit").value = String(channel.unit_id);
      if (channel.user_id) document.getElementById("c-user").value = String(channel.user_id);
      document.getElementById("c-group").value = channel.group_code || "";
    }
    const events = new Set((channel && channel.settings.events) || []);
    for (const box of form.querySelectorAll("input[name=events]")) box.checked = events.has(box.value);
    ownerRows();
    settingsFields(kindSelect.value, channel ? channel.settings : null);
    form.elements.name.focus();
  }

  function collectSettings() {
    const settings = {};
    for (const input of document.querySelectorAll("#c-settings input")) {
      const raw = input.value.trim();
      if (input.dataset.secret === "true" && !raw) continue; // kept as stored
      settings[input.dataset.field] = input.dataset.list === "true" ? raw.split(/[,，\s]+/).filter(Boolean) : (raw || null);
    }
    settings.events = [...form.querySelectorAll("input[name=events]:checked")].map((b) => b.value);
    return settings;
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { name: form.elements.name.value.trim(), settings: collectSettings() };
    try {
      if (editing) {
        await api(`/api/v1/notifications/channels/${editing.id}`, { method: "PATCH", json: body });
      } else {
        body.kind = kindSelect.value;
        const owner = form.elements.owner.value;
        if (owner === "unit") body.unit_id = Number(document.getElementById("c-unit").value);
        if (owner === "group") body.group_code = document.getElementById("c-group").value.trim();
        if (owner === "user") body.user_id = Number(document.getElementById("c-user").value);
        for (const [k, v] of Object.entries(body.settings)) if (v === null) delete body.settings[k];
        await api("/api/v1/notifications/channels", { method: "POST", json: body });
      }
      form.hidden = true;
      toast(t("nf_saved"));
      loadChannels();
    } catch (err) { toast(err.message); }
  });
  kindSelect.addEventListener("change", () => settingsFields(kindSelect.value, null));
  for (const radio of form.querySelectorAll("input[name=owner]")) radio.addEventListener("change", ownerRows);
  document.getElementById("add-channel").addEventListener("click", () => openForm(null));
  document.getElementById("c-cancel").addEventListener("click", () => { form.hidden = true; });

  function settingsText(c) {
    return Object.entries(c.settings).filter(([k, v]) => k !== "events" && v !== null && v !== "" && !(Array.isArray(v) && !v.length))
      .map(([k, v]) => `${t("nf_field_" + k)}${t("nf_colon")}${Array.isArray(v) ? v.join(t("nf_sep")) : v}`).join(t("nf_list_separator")) +
      (c.settings.events && c.settings.events.length ? `${t("nf_list_separator")}${t("nf_event")}${t("nf_colon")}${c.settings.events.map((e) => PAGE.events[e] || e).join(t("nf_sep"))}` : "");
  }

  async function loadChannels() {
    const body = document.querySelector("#channel-table tbody");
    try {
      channels = await api("/api/v1/notifications/channels");
      body.innerHTML = channels.map((c) => `<tr data-id="${c.id}" data-kind="${esc(c.kind)}">
        <td>${esc(c.name)}</td><td>${esc(c.kind_label)}</td>
        <td>${esc(t("nf_owner_" + c.owner))}${esc(t("nf_colon"))}${esc(c.owner_label)}</td><td>${esc(settingsText(c))}</td>
        <td>${c.is_active ? `<span class="badge ok">${esc(t("nf_active"))}</span>` : `<span class="badge neutral">${esc(t("nf_inactive"))}</span>`}</td>
        <td class="filters"><button type="button" data-op="test" class="primary">${esc(t("nf_test"))}</button>
          <button type="button" data-op="edit">${esc(t("nf_edit"))}</button>
          <button type="button" data-op="toggle">${esc(t(c.is_active ? "nf_switch_off" : "nf_switch_on"))}</button>
          <button type="button" data-op="delete">${esc(t("nf_delete"))}</button>
          <span class="test-result" role="status"></span></td></tr>`).join("")
        || `<tr><td colspan="6">${esc(t("nf_no_channels"))}</td></tr>`;
    } catch (err) { body.innerHTML = `<tr><td colspan="6" class="error">${esc(err.message)}</td></tr>`; }
  }

  document.querySelector("#channel-table tbody").addEventListener("click", async (e) => {
    const button = e.target.closest("button[data-op]");
    if (!button) return;
    const row = button.closest("tr");
    const channel = channels.find((c) => c.id === Number(row.dataset.id));
    const op = button.dataset.op;
    if (op === "edit") { openForm(channel); return; }
    button.disabled = true;
    try {
      if (op === "test") {
        const result = await api(`/api/v1/notifications/channels/${channel.id}/test`, { method: "POST" });
        const out = row.querySelector(".test-result");
        out.className = "test-result " + (result.ok ? "verdict-pass" : "verdict-fail");
        out.textContent = result.ok ? `${t("nf_test_ok")}${paren(result.answer)}` : `${t("nf_test_failed")}${t("nf_colon")}${result.error}`;
      } else if (op === "toggle") {
        await api(`/api/v1/notifications/channels/${channel.id}`, { method: "PATCH", json: { is_active: !channel.is_active } });
        loadChannels();
      } else if (op === "delete" && window.confirm(t("nf_confirm_delete"))) {
        await api(`/api/v1/notifications/channels/${channel.id}`, { method: "DELETE" });
        loadChannels();
      }
    } catch (err) { toast(err.message); }
    button.disabled = false;
  });

  async function loadDeliveries() {
    const body = document.querySelector("#delivery-table tbody");
    const status = document.getElementById("d-status").value;
    try {
      const rows = await api("/api/v1/notifications/deliveries?status=" + encodeURIComponent(status));
      body.innerHTML = rows.map((d) => `<tr data-id="${d.id}" data-status="${esc(d.status)}">
        <td>${fmtTime(d.created_at)}</td><td>${esc(d.event_label)}</td><td>${esc(d.reference || "—")}</td>
        <td>${esc(d.channel_label)}${d.channel_name ? `<br>${esc(d.channel_name)}` : ""}</td><td>${esc(d.recipient)}</td>
        <td>${esc(d.status_label)}${d.status === "pending" ? `<br><span class="note-meta">${esc(t("nf_next_attempt"))} ${fmtTime(d.next_attempt_at)}</span>` : ""}</td>
        <td class="num">${d.attempts}</td><td class="error-text">${esc(d.last_error || "")}</td>
        <td>${d.status === "failed" || d.status === "pending" ? `<button type="button" data-retry="${d.id}">${esc(t("nf_retry"))}</button>` : ""}</td></tr>`).join("")
        || `<tr><td colspan="9">${esc(t("nf_no_problems"))}</td></tr>`;
    } catch (err) { body.innerHTML = `<tr><td colspan="9" class="error">${esc(err.message)}</td></tr>`; }
  }
  document.getElementById("d-status").addEventListener("change", loadDeliveries);
  document.querySelector("#delivery-table tbody").addEventListener("click", async (e) => {
    const button = e.target.closest("button[data-retry]");
    if (!button) return;
    try {
      await api(`/api/v1/notifications/deliveries/${button.dataset.retry}/retry`, { method: "POST" });
      toast(t("nf_retry_done"));
      loadDeliveries();
    } catch (err) { toast(err.message); }
  });

  async function loadRules() {
    try {
      const rules = await api("/api/v1/notifications/rules");
      document.querySelector("#rules-table tbody").innerHTML = rules.rules.filter((r) => r.sends.length).map((r) => r.sends.map((s, i) =>
        `<tr>${i === 0 ? `<th scope="row" rowspan="${r.sends.length}">${esc(r.event_label)}</th>` : ""}<td>${esc(s.to.join(t("nf_sep")))}</td><td>${esc(s.via.join(t("nf_sep")))}</td></tr>`).join("")).join("");
      const q = rules.quiet_hours;
      const jobs = Object.entries(rules.schedule).map(([job, cron]) => `${t("nf_job_" + job)} ${esc((rules.schedule_words || {})[job] || cron)}`).join(t("nf_list_separator"));
      document.getElementById("rules-props").innerHTML =
        `<dt>${esc(t("nf_quiet"))}</dt><dd>${esc(q.start)}–${esc(q.end)}${esc(paren(q.channels.map((k) => PAGE.kinds[k] || k).join(t("nf_sep"))))}</dd>
         <dt>${esc(t("nf_batching"))}</dt><dd>${esc(rules.batching.window_seconds)} ${esc(t("nf_seconds"))}</dd>
         <dt>${esc(t("nf_schedule"))}</dt><dd>${jobs || esc(t("nf_schedule_off"))}${esc(paren(rules.timezone_label || rules.timezone))}</dd>`;
      const warnings = [];
      if (!rules.base_url) warnings.push(t("nf_base_url_missing"));
      if (!rules.smtp) warnings.push(t("nf_smtp_missing"));
      if (!rules.sms) warnings.push(t("nf_sms_missing"));
      document.getElementById("config-warnings").innerHTML = warnings.map((w) => `<p class="notice">${esc(w)}</p>`).join("");
    } catch (err) { toast(err.message); }
  }

  async function loadOwners() {
    const [units, users] = await Promise.all([api("/api/v1/units"), api("/api/v1/users")]);
    unitNames = Object.fromEntries(units.map((u) => [u.id, u.label || u.name]));
    document.getElementById("c-unit").innerHTML = units.map((u) => `<option value="${u.id}">${esc(u.label || u.name)}</option>`).join("");
    document.getElementById("c-user").innerHTML = users.filter((u) => u.is_active).map((u) =>
      `<option value="${u.id}">${esc(u.display_name)}${esc(u.unit_id && unitNames[u.unit_id] ? paren(unitNames[u.unit_id]) : "")}</option>`).join("");
  }

  loadOwners().catch((err) => toast(err.message)).finally(loadChannels);
  loadDeliveries();
  loadRules();
})();
