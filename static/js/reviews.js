// "My reviews" keyboard shortcuts: j/k move between items, a/c/r/n pick keep/change/revoke/not sure
// and put the cursor in the reason, x selects the item for a bulk decision. Keys typed into a field
// are left alone (Enter in the reason submits the form as usual).
(function () {
  "use strict";
  var KEYS = { a: "keep", c: "change", r: "revoke", n: "not_sure" };

  function items() { return Array.prototype.slice.call(document.querySelectorAll(".review-item")); }

  function current() {
    var el = document.activeElement;
    return el && el.closest ? el.closest(".review-item") : null;
  }

  function focusItem(item) {
    if (!item) { return; }
    items().forEach(function (i) { i.classList.remove("current"); });
    item.classList.add("current");
    item.focus();
    item.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    var list = items();
    if (!list.length) { return; }
    var index = list.indexOf(current() || document.querySelector(".review-item.current"));
    focusItem(list[Math.min(Math.max(index + step, 0), list.length - 1)] || list[0]);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select") { return; }
    var key = event.key;
    if (key === "j") { move(1); event.preventDefault(); return; }
    if (key === "k") { move(-1); event.preventDefault(); return; }
    var item = current() || document.querySelector(".review-item.current");
    if (!item) { return; }
    if (KEYS[key]) {
      var radio = item.querySelector('input[type=radio][value="' + KEYS[key] + '"]');
      if (radio) {
        radio.checked = true;
        var target = key === "c" ? item.querySelector(".change-only input") : item.querySelector("input.reason");
        if (target) { target.focus(); }
        event.preventDefault();
      }
    } else if (key === "x") {
      var box = item.querySelector(".bulk-pick input");
      if (box) { box.checked = !box.checked; event.preventDefault(); }
    }
  });

  // "Select all shown": the filtered page becomes the bulk selection (x toggles one item).
  document.addEventListener("click", function (event) {
    if (!event.target.matches || !event.target.matches("[data-select-all]")) { return; }
    var boxes = document.querySelectorAll(".bulk-pick input");
    var all = Array.prototype.every.call(boxes, function (b) { return b.checked; });
    Array.prototype.forEach.call(boxes, function (b) { b.checked = !all; });
  });

  // A refused decision comes back as 422 with the item and its error messages: show it in place.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr && event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
}());
