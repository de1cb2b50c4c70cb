// The export page's "Select all" toggle, bound here rather than with an inline onchange
// (templates/admin/import_export/export.html). onSelectToggleChange is django-import-export's.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("input.select-toggle").forEach(function (toggle) {
    toggle.addEventListener("change", function (event) {
      if (typeof window.onSelectToggleChange === "function") {
        window.onSelectToggleChange(event);
      }
    });
  });
});
