// A box that scrolls sideways (a long line of code or output, a wide formula, a wide table) can be
// reached and scrolled with the keyboard (WCAG 2.1.1; axe-core's scrollable-region-focusable). The
// theme does this for code, its outputs and its tables; this adds outputs and display formulas
// (after MathJax has typeset them), and takes back only the tab stops it added itself.
(function () {
  var BOXES = "div.cell_output, div.cell_input pre, div.cell_output pre, .course-table, div.math, " +
              "mjx-container[display='true']";
  function tabStops() {
    document.querySelectorAll(BOXES).forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        if (box.tabIndex !== 0) { box.tabIndex = 0; box.dataset.a11yTabStop = "1"; }
      } else if (box.dataset.a11yTabStop) {
        box.removeAttribute("tabindex");
        delete box.dataset.a11yTabStop;
      }
    });
  }
  document.addEventListener("DOMContentLoaded", tabStops);
  window.addEventListener("load", function () {
    tabStops();
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) MathJax.startup.promise.then(tabStops);
  });
  window.addEventListener("resize", tabStops);
})();
