// Page layout behaviour: the folding menu, drop-down menus, and tables that scroll in their own box.
// Loaded without defer in <head> so <html class="js"> is set before first paint; the rest waits for the DOM.
// No inline scripts anywhere (the Content-Security-Policy forbids them).
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function closeMenus(except) {
    document.querySelectorAll("details.navmenu[open], details.switcher[open]").forEach(function (d) {
      if (d !== except && !d.contains(except)) { d.removeAttribute("open"); }
    });
  }

  function setNavOpen(toggle, open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    document.documentElement.classList.toggle("nav-open", open);
  }

  // A wide table scrolls inside its own box (the page itself never scrolls sideways); the box is focusable
  // and named so keyboard users can scroll it too.
  function wrapTables(root) {
    (root || document).querySelectorAll("main table").forEach(function (table) {
      if (table.parentElement.classList.contains("table-scroll")) { return; }
      var box = document.createElement("div");
      box.className = "table-scroll";
      box.setAttribute("role", "region");
      box.setAttribute("tabindex", "0");
      var caption = table.querySelector("caption");
      var heading = table.getAttribute("aria-label") || (caption && caption.textContent.trim());
      if (!heading) {
        var prev = table.previousElementSibling;
        while (prev && !/^H[1-6]$/.test(prev.tagName)) { prev = prev.previousElementSibling; }
        heading = prev ? prev.textContent.trim() : "Table";
      }
      box.setAttribute("aria-label", heading + " (scrolls sideways)");
      table.parentNode.insertBefore(box, table);
      box.appendChild(table);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.querySelector(".navtoggle");
    if (toggle) {
      toggle.addEventListener("click", function () {
        setNavOpen(toggle, toggle.getAttribute("aria-expanded") !== "true");
      });
    }
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") { return; }
      var openMenu = document.querySelector("details.navmenu[open], details.switcher[open]");
      if (openMenu) {
        openMenu.removeAttribute("open");
        openMenu.querySelector("summary").focus();
      } else if (toggle && toggle.getAttribute("aria-expanded") === "true") {
        setNavOpen(toggle, false);
        toggle.focus();
      }
    });
    // One drop-down open at a time; a click elsewhere closes them.
    document.addEventListener("click", function (event) {
      var inside = event.target.closest("details.navmenu, details.switcher");
      closeMenus(inside);
    });
    wrapTables(document);
  });
  // Content htmx swaps in gets the same treatment.
  document.addEventListener("htmx:load", function (event) { wrapTables(event.target); });
})();
