(function () {
  var night;
  try { night = localStorage.getItem("ankigen-preview-theme"); } catch (e) { night = null; }
  night = night ? night === "dark" : matchMedia("(prefers-color-scheme: dark)").matches;
  if (night) { document.body.classList.add("nightMode", "night_mode"); }
})();
