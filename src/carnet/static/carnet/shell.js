/* The page shell's script (templates/base.html; docs/subsystems/shell.md).

   A table wider than the screen scrolls sideways inside its DSFR container (".fr-table > table", or
   ".fr-table__container" in the newer markup). Chromium and WebKit do not let the keyboard reach such a
   region, so whatever lies past the edge could only be reached with a finger or a mouse (WCAG 2.1.1;
   axe-core's "scrollable-region-focusable"). While a container overflows it takes the focus
   (tabindex="0"); when it fits again it stops, unless the focus is inside it. Nothing else is changed. */
(() => {
  "use strict";
  const SCROLLERS = ".fr-table > table, .fr-table__container";
  const MARK = "data-carnet-scroll";

  const update = (element) => {
    if (element.scrollWidth > element.clientWidth + 1) {
      if (!element.hasAttribute("tabindex")) {
        element.setAttribute("tabindex", "0");
        element.setAttribute(MARK, "");
      }
    } else if (element.hasAttribute(MARK) && !element.contains(document.activeElement)) {
      element.removeAttribute("tabindex");
      element.removeAttribute(MARK);
    }
  };

  const start = () => {
    const elements = document.querySelectorAll(SCROLLERS);
    if (!elements.length) return;
    const observer = new ResizeObserver((entries) => entries.forEach((entry) => update(entry.target)));
    elements.forEach((element) => {
      update(element);
      observer.observe(element);
    });
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
