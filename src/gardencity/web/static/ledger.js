/* 台账: completeness per item and per unit, registering documents, filing cases for gaps. */
"use strict";
(function () {
  const { PAGE, t, esc, api, toast, fmtNumber, fmtTime } = window.gc;
  const form = document.getElementById("ledger-form");
  const chartEl = document.getElementById("chart-ledger");
  const chart = window.echarts ? echarts.init(chartEl, null, { renderer: "canvas" }) : null;
  let units = {};
  let items = [];
  const itemName = (r) => (PAGE.lang === "en" ? r.name_en || r.name_zh : r.name_zh);
  const pct = (v) => fmtNumber(v, 1) + "%";
  const badge = (ok) => `<span class="badge ${ok ? "ok" : "bad"}">${esc(t(ok ? "ledger_complete" : "ledger_incomplete"))}</span>`;

  function renderCompleteness(c) {
    items = c.items;
    const overall = document.getElementById("ledger-pct");
    overall.textContent = pct(c.completeness_pct);
    overall.dataset.pct = c.completeness_pct;
    document.getElementById("ledger-items").textContent = `${c.items_complete} / ${c.items_total}`;
    document.querySelector("#item-table tbody").innerHTML = c.items.map((r) =>
      `<tr data-item="${esc(r.item_id)}" data-pct="${r.completeness_pct}"><td class="num">${r.seq}</td><th scope="row">${esc(itemName(r))}</th>
       <td class="num docs">${r.documents}</td><td class="num done">${r.done}</td><td class="num">${r.overdue}</td>
       <td class="num generated">${r.generated}</td><td class="num pct">${pct(r.completeness_pct)}</td><td>${badge(r.complete)}</td></tr>`).join("");
    document.querySelector("#unit-table tbody").innerHTML = c.units.length ? c.units.map((r) =>
      `<tr data-unit="${r.unit_id ?? ""}"><th scope="row">${esc(r.unit_id ? units[r.unit_id] || r.unit_name : t("ledger_no_owner"))}</th>
       <td class="num">${r.documents}</td><td class="num">${r.done}</td><td class="num">${r.overdue}</td><td class="num pct">${pct(r.completeness_pct)}</td></tr>`).join("")
      : `<tr><td colspan="5">${esc(t("ledger_no_docs"))}</td></tr>`;
    const select = form && form.elements.item_id;
    if (select && !select.options.length) {
      for (const r of c.items) select.add(new Option(`${String(r.seq).padStart(2, "0")} ${itemName(r)}`, r.item_id));
    }
    if (chart) {
      chart.setOption({
        animation: false,
        grid: { left: 40, right: 16, top: 16, bottom: 40 },
        tooltip: { trigger: "axis", formatter: (p) => `${esc(itemName(c.items[p[0].dataIndex]))}: ${p[0].value}%` },
        xAxis: { type: "category", data: c.items.map((r) => String(r.seq)), name: t("ledger_seq") },
        yAxis: { type: "value", min: 0, max: 100, name: "%" },
        series: [{ type: "bar", data: c.items.map((r) => ({ value: r.completeness_pct, itemStyle: { color: window.gc.colour(r.complete ? "status-pass-mark" : "status-fail-mark") } })) }],
      }, true);
    }
  }

  function statusCell(d) {
    const label = PAGE.statuses[d.status] || d.status;
    if (!PAGE.can_manage || d.status === "reference") return esc(label);
    const id = `st-${d.id}`;
    return `<label class="visually-hidden" for="${id}">${esc(t("ledger_change_status"))}: ${esc(docTitle(d))}</label>
      <select id="${id}" class="doc-status" data-doc="${d.id}">${Object.entries(PAGE.statuses).filter(([code]) => code !== "reference").map(([code, name]) =>
        `<option value="${esc(code)}"${code === d.status ? " selected" : ""}>${esc(name)}</option>`).join("")}</select>`;
  }
  // a document's title and file as the reader meets them: the platform's outputs and an item
  // without material are named in the page's language; a file named by the city's settings
  // only (no file) shows none
  const docTitle = (d) => (d.kind === "generated" && PAGE.generated_titles[d.filename]) ||
    (d.title === PAGE.no_material ? t("ledger_no_material") : d.title);
  const docFile = (d) => (!d.filename || d.filename.startsWith("city.toml#") ? "—" : d.filename);
  function renderDocuments(docs) {
    const names = Object.fromEntries(items.map((r) => [r.item_id, `${String(r.seq).padStart(2, "0")} ${itemName(r)}`]));
    document.querySelector("#doc-table tbody").innerHTML = docs.length ? docs.map((d) =>
      `<tr data-doc="${d.id}" data-item="${esc(d.item_id)}"><td>${esc(names[d.item_id] || d.item_id)}</td><th scope="row">${esc(docTitle(d))}</th>
       <td>${esc(PAGE.kinds[d.kind] || d.kind)}</td><td>${esc(d.owner_unit_id ? units[d.owner_unit_id] || d.owner_unit_id : t("ledger_no_owner"))}</td>
       <td>${d.due_at ? esc(window.gc.fmtDate(d.due_at)) : "—"}</td><td class="file">${esc(docFile(d))}</td><td>${statusCell(d)}</td><td>${esc(fmtTime(d.updated_at))}</td></tr>`).join("")
      : `<tr><td colspan="8">${esc(t("ledger_no_docs"))}</td></tr>`;
  }

  async function load() {
    const [completeness, docs] = await Promise.all([api("/api/v1/ledger/completeness"), api("/api/v1/ledger")]);
    renderCompleteness(completeness);
    renderDocuments(docs);
    document.body.dataset.loaded = String(Date.now());
  }
  async function loadUnits() {
    const list = await api("/api/v1/units").catch(() => []);
    units = Object.fromEntries(list.map((u) => [u.id, u.label || u.name]));
    const owner = form && form.elements.owner_unit_id;
    if (owner) for (const u of list) owner.add(new Option(u.label || u.name, u.id));
  }

  if (form) form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = document.getElementById("ledger-error");
    error.textContent = "";
    const f = form.elements;
    const body = { item_id: f.item_id.value, title: f.title.value.trim(), kind: f.kind.value, status: f.status.value };
    if (f.owner_unit_id.value) body.owner_unit_id = Number(f.owner_unit_id.value);
    if (f.due_at.value) body.due_at = `${f.due_at.value}T18:00:00+08:00`;
    if (f.note.value.trim()) body.note = f.note.value.trim();
    try {
      const [file] = await window.gc.pickedPhotos(f.file); // a photo shrunk, a document as it is
      if (file) {  // the file first (into the file store), then the document pointing at it
        const upload = new FormData();
        upload.append("file", file);
        const stored = await api("/api/v1/evidence", { method: "POST", body: upload });
        body.file_sha256 = stored.sha256;
        body.filename = file.name.slice(0, 200);
      }
      await api("/api/v1/ledger", { method: "POST", json: body });
      toast(t("ledger_saved"));
      f.title.value = ""; f.note.value = ""; f.file.value = ""; f.file.dispatchEvent(new Event("change"));
      await load();
    } catch (err) { error.textContent = err.message; }
  });
  document.getElementById("doc-table").addEventListener("change", async (event) => {
    const select = event.target.closest("select.doc-status");
    if (!select) return;
    try {
      await api(`/api/v1/ledger/${select.dataset.doc}`, { method: "PATCH", json: { status: select.value } });
      toast(t("ledger_saved"));
      await load();
    } catch (err) { toast(err.message); }
  });
  const fileCases = document.getElementById("file-cases");
  if (fileCases) fileCases.addEventListener("click", async () => {
    fileCases.disabled = true;
    const out = document.getElementById("cases-result");
    try {
      const cases = await api("/api/v1/ledger/missing-cases", { method: "POST" });
      out.innerHTML = cases.length
        ? `<p>${esc(t("ledger_cases_filed"))}: <span id="cases-count">${cases.length}</span></p><ul id="cases-list">${cases.map((c) =>
            `<li data-item="${esc(c.item_id)}"><a href="/cases/${c.id}">${esc(c.reference)}</a> · ${esc(itemName(items.find((r) => r.item_id === c.item_id) || { name_zh: c.item_id }))}</li>`).join("")}</ul>`
        : `<p id="cases-none">${esc(t("ledger_no_cases"))}</p>`;
    } catch (err) { toast(err.message); }
    fileCases.disabled = false;
  });
  window.addEventListener("resize", () => chart && chart.resize());
  loadUnits().then(load).catch((err) => toast(err.message));
})();
