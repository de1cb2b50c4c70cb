// Progressive enhancement for the search form: everything works without this file.
(function () {
  "use strict";
  var form = document.getElementById("search-form");
  if (!form) return;

  // The visitor's time zone, so times show on their clock (only when none was chosen).
  var tzField = form.querySelector("input[name=tz]");
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (tzField && !tzField.value && zone) {
      tzField.value = zone;
    }
  } catch (e) { /* older browsers: the site's zone is used */ }

  // Apply a filter as soon as a box is ticked.
  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("input[type=checkbox], select[name=sort], select[name=radius]")) {
      form.requestSubmit ? form.requestSubmit() : form.submit();
    }
  });

  // "Use my location": coordinates stay in the page's URL and go nowhere else.
  var button = document.getElementById("use-location");
  if (button && "geolocation" in navigator) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var status = document.getElementById("location-status");
      status.textContent = "Finding your location…";
      navigator.geolocation.getCurrentPosition(function (position) {
        form.querySelector("input[name=lat]").value = position.coords.latitude.toFixed(4);
        form.querySelector("input[name=lon]").value = position.coords.longitude.toFixed(4);
        form.querySelector("input[name=near]").value = "";
        form.submit();
      }, function () {
        status.textContent = "We couldn't get your location. Type a town or ZIP code instead.";
      }, { timeout: 10000, maximumAge: 600000 });
    });
  }
})();
