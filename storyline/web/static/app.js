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
document.addEventListener("DOMContentLoaded", () => {
  // "updated 2 h ago": the page is cached per story version, so the server writes the absolute time and the
  // browser says how long ago it was (the absolute time stays in the tooltip)
  const units = [["y", 365 * 86400], ["mo", 30 * 86400], ["d", 86400], ["h", 3600], ["min", 60]];
  document.querySelectorAll(".g-updated time[datetime]").forEach((el) => {
    const then = Date.parse(el.getAttribute("datetime"));
    if (Number.isNaN(then)) { return; }
    const secs = Math.max(0, (Date.now() - then) / 1000);
    const unit = units.find(([, s]) => secs >= s);
    el.title = el.textContent;
    el.textContent = unit ? `${Math.floor(secs / unit[1])} ${unit[0]} ago` : "just now";
  });
});
