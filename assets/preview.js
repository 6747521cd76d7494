(function () {
  var body = document.body;
  var toggle = document.getElementById("pv-theme");
  var search = document.getElementById("pv-search");
  var count = document.getElementById("pv-count");
  var nothing = document.getElementById("pv-nothing");
  var notes = Array.prototype.slice.call(document.querySelectorAll(".pv-note"));
  var decks = Array.prototype.slice.call(document.querySelectorAll(".pv-deck"));
  var summary = count.textContent;
  document.querySelector(".pv-controls").hidden = false;

  function showTheme() {
    var night = body.classList.contains("nightMode");
    toggle.textContent = night ? "Light mode" : "Dark mode";
    toggle.setAttribute("aria-pressed", String(night));
  }
  toggle.addEventListener("click", function () {
    var night = !body.classList.contains("nightMode");
    body.classList.toggle("nightMode", night);
    body.classList.toggle("night_mode", night);  /* AnkiDroid's name for it */
    try { localStorage.setItem("ankigen-preview-theme", night ? "dark" : "light"); } catch (e) {}
    showTheme();
  });
  showTheme();

  function filter() {
    var terms = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    notes.forEach(function (note) {
      var text = note.getAttribute("data-search");
      var match = terms.every(function (term) { return text.indexOf(term) >= 0; });
      note.hidden = !match;
      if (match) { shown += 1; }
    });
    decks.forEach(function (deck) {
      var left = deck.querySelectorAll(".pv-note:not([hidden])").length;
      deck.hidden = left === 0;
      deck.querySelector(".pv-deck-count").textContent = String(left);
      if (terms.length && left) { deck.open = true; }
    });
    nothing.hidden = shown > 0 || notes.length === 0;
    count.textContent = terms.length ? shown + " of " + notes.length + " cards" : summary;
  }
  search.addEventListener("input", filter);
  document.addEventListener("keydown", function (event) {
    if (event.key === "/" && document.activeElement !== search) {
      event.preventDefault();
      search.focus();
    }
  });
  if (search.value) { filter(); }
})();
