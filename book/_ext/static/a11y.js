// A box that scrolls sideways (a wide figure on a phone, a wide table) can be reached and
// scrolled with the keyboard (WCAG 2.1.1; axe-core's scrollable-region-focusable). The theme does
// this for code, its outputs and its tables; this adds the figure outputs.
(function () {
  function tabStops() {
    document.querySelectorAll("div.cell_output, .course-table").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        box.tabIndex = 0;
      } else if (box.tabIndex === 0) {
        box.removeAttribute("tabindex");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", tabStops);
  window.addEventListener("load", tabStops);
  window.addEventListener("resize", tabStops);
})();
