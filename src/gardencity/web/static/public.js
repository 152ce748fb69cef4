/* The residents' page: report a problem (photo, place, category), follow it, public map. */
"use strict";
(function () {
  const { PAGE, t, esc, api, toast, fmtTime, statusBadge } = window.gc;
  const form = document.getElementById("report-form");
  const map = window.gc.mapInLanguage(L.map("public-map", { preferCanvas: true, renderer: L.canvas() }));
  if (PAGE.tile_url) L.tileLayer(PAGE.tile_url, { attribution: esc(PAGE.tile_attribution || "") }).addTo(map);
  const centre = PAGE.centre || [30, 114];
  map.setView(centre, 13);
  if (PAGE.bounds) map.fitBounds(PAGE.bounds);
  if (PAGE.outline) L.geoJSON(PAGE.outline, { style: { color: window.gc.colour("layer-built_up_area-stroke"), weight: 2, fill: false }, interactive: false }).addTo(map);
  let marker = null;
  function setPlace(lat, lon) {
    form.elements.lat.value = lat.toFixed(6);
    form.elements.lon.value = lon.toFixed(6);
    if (marker) marker.setLatLng([lat, lon]); else marker = L.marker([lat, lon], { keyboard: true, title: t("location") }).addTo(map);
  }
  map.on("click", (e) => setPlace(e.latlng.lat, e.latlng.lng));
  document.getElementById("r-gps").addEventListener("click", () => {
    navigator.geolocation && navigator.geolocation.getCurrentPosition(
      (p) => { setPlace(p.coords.latitude, p.coords.longitude); map.setView([p.coords.latitude, p.coords.longitude], 16); },
      () => toast(t("gps_failed")));
  });
  const points = L.layerGroup().addTo(map);
  // The public map is cached by the server for a few seconds (Cache-Control max-age); after
  // one's own report the page asks with the new reference, which is never a cached answer.
  async function loadMap(ownReference) {
    const fresh = ownReference ? "?fresh=" + encodeURIComponent(ownReference) : "";
    const data = await api("/api/v1/public/cases.geojson" + fresh);
    points.clearLayers();
    for (const f of data.features) {
      const [lon, lat] = f.geometry.coordinates;
      L.circleMarker([lat, lon], { radius: 6, color: window.gc.colour("layer-cases-stroke"), weight: 1.5, fillOpacity: 1,
        fillColor: window.gc.colour(f.properties.status === "open" ? "case-filed-fill" : "case-closed-fill") })
        .bindPopup(`${esc(f.properties.reference)}<br>${esc(f.properties.status_label)}`).addTo(points);
    }
    document.getElementById("public-map").dataset.count = data.features.length;
  }
  loadMap().catch((err) => toast(err.message));

  // the picked photo as it will be sent (upright, shrunk), so the resident sees what goes
  const preview = document.getElementById("r-preview");
  function showPhoto(photo) {
    if (preview.src) URL.revokeObjectURL(preview.src);
    preview.hidden = !photo;
    if (photo) preview.src = URL.createObjectURL(photo); else preview.removeAttribute("src");
  }
  form.elements.photo.addEventListener("change", async () => {
    const [photo] = await window.gc.pickedPhotos(form.elements.photo);
    showPhoto(photo);
  });

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    const data = new FormData(form);
    const [photo] = await window.gc.pickedPhotos(form.elements.photo);
    if (photo) data.set("photo", photo); else data.delete("photo");
    if (!form.elements.contact_phone.value) data.delete("contact_phone");
    const optIn = document.getElementById("r-notify").checked && {
      phone: form.elements.contact_phone.value.trim() || null,
      email: document.getElementById("r-email").value.trim() || null,
    };
    try {
      const result = await api("/api/v1/public/cases", { method: "POST", body: data });
      document.getElementById("report-result").innerHTML =
        `<p class="notice big">${esc(t("filed"))} <b id="new-reference">${esc(result.reference)}</b><br>${esc(t("keep_reference"))}</p>`;
      document.getElementById("report-result").scrollIntoView({ block: "center" }); // the number to keep, in view
      if (optIn && (optIn.phone || optIn.email)) await subscribe(result, optIn);
      document.getElementById("f-reference").value = result.reference;
      form.reset();
      showPhoto(null);
      loadMap(result.reference);
      follow(result.reference);
    } catch (err) { toast(err.message); }
    button.disabled = false;
  });

  // progress messages: asked for with the report's token, which only its reporter holds
  async function subscribe(report, contact) {
    const box = document.getElementById("report-result");
    try {
      await api("/api/v1/public/notifications/subscribe", { method: "POST",
        json: { reference: report.reference, token: report.token, phone: contact.phone, email: contact.email } });
      box.insertAdjacentHTML("beforeend", `<p class="notice" id="optin-result">${esc(t("optin_done"))}</p>`);
    } catch (err) {
      box.insertAdjacentHTML("beforeend", `<p class="error" id="optin-result">${esc(t("optin_failed"))}：${esc(err.message)}</p>`);
    }
  }

  async function follow(reference) {
    const box = document.getElementById("follow-result");
    try {
      const c = await api(`/api/v1/public/cases/${encodeURIComponent(reference)}`);
      const photos = (c.photos || []).map((p) => `<a href="${esc(p.url)}"><img src="${esc(p.url)}" alt="${esc(t(p.role === "before" ? "photos_before" : "photos_after"))}"></a>`).join("");
      box.innerHTML = `<p>${esc(c.reference)} · ${esc(c.category_name)} · ${statusBadge(c.status, c.status_label)}</p>
        ${photos ? `<div class="photos">${photos}</div>` : ""}
        <ol class="timeline">${c.timeline.map((e) => `<li><time datetime="${esc(e.at)}">${fmtTime(e.at)}</time> ${esc(e.status_label)} · ${esc(e.by)}${e.note ? "<br>" + esc(e.note) : ""}</li>`).join("")}</ol>`;
    } catch (err) { box.innerHTML = `<p class="error">${esc(t("not_found"))}: ${esc(err.message)}</p>`; }
  }
  document.getElementById("follow-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const ref = document.getElementById("f-reference").value.trim();
    history.replaceState(null, "", "?ref=" + encodeURIComponent(ref));
    follow(ref);
  });
  const asked = new URLSearchParams(location.search).get("ref");
  if (asked) { document.getElementById("f-reference").value = asked; follow(asked); }
})();
