/* The leaders' brief: printed as one A4 document (the layout is in app.css @media print). */
"use strict";
(function () {
  const button = document.getElementById("brief-print");
  if (button) button.addEventListener("click", () => window.print());
})();
