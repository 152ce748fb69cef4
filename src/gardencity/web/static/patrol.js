/* Patrol mode (phones): photo from the camera, GPS position, category — filed in one step. */
"use strict";
(function () {
  const { t, esc, api, toast, phonePhoto } = window.gc;
  const form = document.getElementById("patrol-form");
  const status = document.getElementById("p-gps-status");

  function locate() {
    if (!navigator.geolocation) { status.textContent = t("gps_failed"); return; }
    navigator.geolocation.getCurrentPosition((pos) => {
      form.elements.lon.value = pos.coords.longitude.toFixed(6);
      form.elements.lat.value = pos.coords.latitude.toFixed(6);
      status.textContent = `${t("gps_ok")} ±${Math.round(pos.coords.accuracy)} m`;
    }, () => { status.textContent = t("gps_failed"); }, { enableHighAccuracy: true, timeout: 10000 });
  }
  document.getElementById("p-gps").addEventListener("click", locate);
  locate();

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const body = {
        category: form.elements.category.value,
        description: form.elements.description.value,
        source: "grid_patrol",
        lon: Number(form.elements.lon.value),
        lat: Number(form.elements.lat.value),
      };
      const created = await api("/api/v1/cases", { method: "POST", json: body });
      const photo = form.elements.photo.files[0];
      if (photo) {
        const data = new FormData();
        data.append("file", await phonePhoto(photo));
        data.append("role", "before");
        await api(`/api/v1/cases/${created.id}/attachments`, { method: "POST", body: data });
      }
      document.getElementById("patrol-result").innerHTML =
        `${esc(t("filed"))} <a id="filed-reference" href="/cases/${created.id}">${esc(created.reference)}</a>`;
      form.reset();
      locate();
    } catch (err) {
      toast(err.message);
      document.getElementById("patrol-result").textContent = err.message;
    } finally {
      button.disabled = false;
    }
  });
})();
