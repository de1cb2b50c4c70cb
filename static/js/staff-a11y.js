/* Accessible names for the admin's autocomplete widgets (select2 in Django admin): the
   combobox and its search box get the name of the field's own label. Django's admin leaves
   them unnamed when nothing is chosen yet; this runs on every admin page and on widgets
   added later (new inline rows, opened dropdowns). External file: no inline script. */
(function () {
  "use strict";

  function labelText(select) {
    if (!select || !select.id) { return ""; }
    var label = document.querySelector('label[for="' + select.id + '"]');
    var text = label ? label.textContent : select.getAttribute("name") || "";
    return text.replace(/[:*]\s*$/, "").trim();
  }

  function nameContainer(container) {
    var select = container.previousElementSibling;
    if (!select || select.tagName !== "SELECT") { return; }
    var name = labelText(select);
    if (!name) { return; }
    container.querySelectorAll('[role="combobox"]').forEach(function (box) {
      if (!box.getAttribute("aria-label")) { box.setAttribute("aria-label", name); }
    });
    container.querySelectorAll(".select2-search__field").forEach(function (field) {
      if (!field.getAttribute("aria-label")) { field.setAttribute("aria-label", "Search " + name); }
    });
    container.querySelectorAll('.select2-selection__rendered[role="textbox"]').forEach(function (box) {
      if (!box.getAttribute("aria-label")) { box.setAttribute("aria-label", name); }
    });
  }

  function nameDropdownSearch() {
    // An open dropdown's search box: named after the combobox that opened it.
    document.querySelectorAll(".select2-container--open .select2-search__field").forEach(function (field) {
      if (field.getAttribute("aria-label")) { return; }
      var open = document.querySelector('.select2-container--open [role="combobox"][aria-label]');
      field.setAttribute("aria-label", "Search " + (open ? open.getAttribute("aria-label") : "options"));
    });
  }

  function nameAll() {
    document.querySelectorAll("select + .select2-container").forEach(nameContainer);
    nameDropdownSearch();
  }

  var scheduled = false;
  function schedule() {
    if (scheduled) { return; }
    scheduled = true;
    window.setTimeout(function () { scheduled = false; nameAll(); }, 0);
  }

  function start() {
    nameAll();
    new MutationObserver(schedule).observe(document.body, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { window.setTimeout(start, 0); });
  } else {
    start();
  }
})();
