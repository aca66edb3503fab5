// storyline — progressive enhancement only; every page works without it. No inline handlers: listeners only.
"use strict";
document.addEventListener("keydown", (event) => {
  // "/" focuses the search box, as on many reading sites
  if (event.key === "/" && !(event.target instanceof HTMLInputElement) && !(event.target instanceof HTMLTextAreaElement)) {
    const box = document.querySelector("form.search input[type=search]");
    if (box) { event.preventDefault(); box.focus(); }
  }
});
document.addEventListener("DOMContentLoaded", () => {
  // bring a highlighted citation into view even when the browser restored an older scroll position
  const hl = document.getElementById("hl");
  if (hl && window.location.hash === "#hl") { hl.scrollIntoView({ block: "center" }); }
});
