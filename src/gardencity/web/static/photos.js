/* Photos as the pages send them: a phone camera's 8–12-megapixel picture becomes a JPEG of at
   most 2048 px on its long side, upright, without the camera's metadata (place, make, model),
   before it leaves the phone: uploads are five times smaller over a weak signal, and the
   server's work is a copy. What the browser cannot decode (HEIC on most desktops) is sent as
   it is; the server converts it and strips its metadata in any case.

   Every file input of a page is shrunk when a photo is picked (not when the form is sent): the
   work is done while the person fills in the rest, and what a form keeps for later (the
   patrol's offline outbox) is already the small photo. Pages read it with
   `await gc.pickedPhotos(input)`; documents (PDF, Word, Excel) come back untouched. */
"use strict";
(function () {
  const LONG_SIDE = 2048;
  const QUALITY = 0.85;
  const SMALL_ENOUGH = 1_500_000; // bytes: a JPEG this small within LONG_SIDE is sent unchanged

  function decoded(file) {
    // an <img> applies the EXIF orientation when drawn (every current browser)
    return new Promise((resolve, reject) => {
      const url = URL.createObjectURL(file);
      const image = new Image();
      image.onload = () => { URL.revokeObjectURL(url); resolve(image); };
      image.onerror = () => { URL.revokeObjectURL(url); reject(new Error("undecodable")); };
      image.src = url;
    });
  }

  function encoded(canvas) {
    return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", QUALITY));
  }

  async function phonePhoto(file) {
    if (!file || !/^image\/(jpeg|webp|heic|heif|png)$/.test(file.type)) return file;
    let image;
    try { image = await decoded(file); } catch (err) { return file; }
    const width = image.naturalWidth, height = image.naturalHeight;
    const scale = Math.min(1, LONG_SIDE / Math.max(width, height));
    if (scale === 1 && file.type === "image/png") return file; // screenshots keep their format
    if (scale === 1 && file.type === "image/jpeg" && file.size <= SMALL_ENOUGH) return file;
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    const context = canvas.getContext("2d");
    context.fillStyle = "#fff"; // transparent parts of a PNG become white, not black
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.imageSmoothingQuality = "high";
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
    const blob = await encoded(canvas);
    if (!blob) return file;
    const name = (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg";
    return new File([blob], name, { type: "image/jpeg", lastModified: file.lastModified });
  }

  const picked = new WeakMap(); // input -> { files, shrunk: Promise<File[]> }

  document.addEventListener("change", (event) => {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "file") return;
    const files = [...input.files];
    picked.set(input, { files, shrunk: Promise.all(files.map(phonePhoto)) });
  }, true);

  function pickedPhotos(input) {
    const files = [...(input.files || [])];
    const known = picked.get(input);
    const same = known && known.files.length === files.length && known.files.every((f, i) => f === files[i]);
    return same ? known.shrunk : Promise.all(files.map(phonePhoto));
  }

  window.gc.phonePhoto = phonePhoto;
  window.gc.pickedPhotos = pickedPhotos;
})();
