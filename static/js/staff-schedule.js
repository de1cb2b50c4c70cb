/* The schedule editor: show the fields of the chosen kind only ("Monthly" shows the week of
   the month, "Every N weeks" shows N and a date). Without JavaScript every field shows, each
   with a note saying which kind it belongs to. Works for rows added with "Add another". */
(function () {
  "use strict";

  function update(select) {
    var row = select.closest(".inline-related") || select.closest("form");
    if (!row) { return; }
    row.querySelectorAll("[data-kinds]").forEach(function (input) {
      var box = input.closest(".fieldBox") || input.closest(".form-row");
      if (!box) { return; }
      var kinds = input.getAttribute("data-kinds").split(" ");
      var shown = kinds.indexOf(select.value) !== -1;
      box.hidden = !shown;
      box.classList.toggle("kind-hidden", !shown);
    });
  }

  function updateAll(root) {
    root.querySelectorAll("select[data-kind-select]").forEach(update);
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("select[data-kind-select]")) {
      update(event.target);
    }
  });
  document.addEventListener("formset:added", function (event) { updateAll(event.target); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { updateAll(document); });
  } else {
    updateAll(document);
  }
})();
