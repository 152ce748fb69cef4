/* Account page: change the password; list, create and revoke API tokens; Open311 keys and
   every user's tokens for administrators. */
"use strict";
(function () {
  const { PAGE, t, esc, api, toast, fmtTime } = window.gc;
  // the API's messages are "中文 / English": show the page's language
  const local = (message) => {
    const [zh, ...en] = String(message).split(" / ");
    return PAGE.lang === "en" && en.length ? en.join(" / ") : zh;
  };
  const kind = (k) => t(k === "api" ? "token_kind_api" : "token_kind_session");
  const revokeButton = (url, label) =>
    `<button type="button" data-revoke="${esc(url)}" aria-label="${esc(t("revoke") + " " + label)}">${esc(t("revoke"))}</button>`;
  const empty = (key, cols) => `<tr><td colspan="${cols}">${esc(t(key))}</td></tr>`;

  function tokenRow(row, userName) {
    const label = row.name || kind(row.kind);
    const cells = [
      userName === undefined ? "" : `<td>${esc(userName)}</td>`,
      `<td>${esc(row.name || "—")}${row.current ? " " + esc(t("this_session")) : ""}</td>`,
      `<td class="kind">${esc(kind(row.kind))}</td>`,
      `<td class="date">${esc(fmtTime(row.created_at))}</td>`,
      `<td class="date">${esc(fmtTime(row.expires_at))}</td>`,
      `<td class="action">${row.current ? "" : revokeButton(`/api/v1/auth/tokens/${row.id}`, label)}</td>`,
    ];
    return `<tr data-token="${row.id}">${cells.join("")}</tr>`;
  }

  async function loadTokens() {
    const rows = await api("/api/v1/auth/tokens");
    document.querySelector("#token-table tbody").innerHTML =
      rows.map((row) => tokenRow(row)).join("") || empty("no_tokens", 5);
  }

  async function loadKeys() {
    const body = document.querySelector("#key-table tbody");
    if (!body) return;
    const rows = await api("/api/v1/api-keys");
    body.innerHTML = rows.map((row) => `<tr data-key="${row.id}"><td>${esc(row.name)}</td>
      <td class="date">${esc(fmtTime(row.created_at))}</td><td>${esc(t(row.is_active ? "key_active" : "revoked"))}</td>
      <td class="action">${row.is_active ? revokeButton(`/api/v1/api-keys/${row.id}`, row.name) : ""}</td></tr>`).join("") || empty("no_keys", 4);
  }

  async function loadAll() {
    const body = document.querySelector("#all-token-table tbody");
    if (!body) return;
    const [rows, users] = await Promise.all([api("/api/v1/auth/tokens?everyone=true"), api("/api/v1/users")]);
    const names = Object.fromEntries(users.map((u) => [u.id, `${u.display_name}（${u.username}）`]));
    body.innerHTML = rows.map((row) => tokenRow(row, names[row.user_id] || String(row.user_id))).join("") || empty("no_tokens", 6);
  }

  const reload = () => Promise.all([loadTokens(), loadKeys(), loadAll()]).catch((err) => toast(local(err.message)));

  function showSecret(boxId, value) {
    const box = document.getElementById(boxId);
    box.querySelector("code").textContent = value;
    box.hidden = false;
  }

  document.getElementById("password-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = document.getElementById("password-error");
    error.textContent = "";
    try {
      await api("/api/v1/auth/password", { method: "POST", json: {
        current_password: document.getElementById("current-password").value,
        new_password: document.getElementById("new-password").value,
      } });
      event.target.reset();
      toast(t("password_changed"));
      reload();
    } catch (err) {
      error.textContent = local(err.message);
    }
  });

  document.getElementById("token-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const name = document.getElementById("token-name").value.trim();
      const made = await api("/api/v1/auth/tokens", { method: "POST", json: { name } });
      showSecret("new-token", made.access_token);
      event.target.reset();
      reload();
    } catch (err) { toast(local(err.message)); }
  });

  const keyForm = document.getElementById("key-form");
  if (keyForm) keyForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const name = document.getElementById("key-name").value.trim();
      const made = await api("/api/v1/api-keys", { method: "POST", json: { name } });
      showSecret("new-key", made.api_key);
      event.target.reset();
      reload();
    } catch (err) { toast(local(err.message)); }
  });

  document.querySelector("main").addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-revoke]");
    if (!button || !window.confirm(t("confirm_revoke"))) return;
    button.disabled = true;
    try {
      await api(button.dataset.revoke, { method: "DELETE" });
      toast(t("revoked"));
    } catch (err) { toast(local(err.message)); }
    reload();
  });

  reload();
})();
