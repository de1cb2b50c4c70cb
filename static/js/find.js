// Progressive enhancement for the search pages (/find/, /peer-workers/): everything works
// without this file, through the form and its "Apply filters" button.
//
// With it: ticking a filter or sorting updates the results and the filters in place (the same
// URL, fetched; the address bar follows and Back works), focus stays on the control used and
// the new count is announced; on narrow screens the filters open in a dialog over the results.
(function () {
  "use strict";
  var form = document.getElementById("search-form");
  if (!form) return;

  var results = document.getElementById("results");
  var status = document.getElementById("search-status");
  var inFlight = null;

  // The few words this file writes, in the page's language: data attributes the page renders
  // (templates/includes/find_messages.html); English when they are missing.
  var messageHolder = document.getElementById("find-messages");
  var messages = messageHolder ? messageHolder.dataset : {};
  function message(key, english, count) {
    return (messages[key] || english).replace("%(count)s", count === undefined ? "" : count);
  }

  // The visitor's time zone, so times show on their clock (only when none was chosen).
  var tzField = form.querySelector("input[name=tz]");
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (tzField && !tzField.value && zone) tzField.value = zone;
  } catch (e) { /* older browsers: the site's zone is used */ }

  // Changes apply as they are made: the page's own "Apply filters" button is not needed.
  Array.prototype.forEach.call(form.querySelectorAll(".apply-filters"), function (el) {
    el.hidden = true;
  });

  // The radius only means something with a place: shown once there is one.
  var near = form.querySelector("input[name=near]");
  var lat = form.querySelector("input[name=lat]");
  var radiusRow = form.querySelector(".radius-row");
  function showRadius() {
    if (radiusRow) radiusRow.hidden = !((near && near.value.trim()) || (lat && lat.value));
  }
  if (near) near.addEventListener("input", showRadius);
  showRadius();

  // A new place is searched by distance, whatever the previous sort was.
  var initialNear = near ? near.value : "";
  var sort = form.querySelector("select[name=sort]");
  form.addEventListener("submit", function () {
    if (sort && near && near.value !== initialNear) sort.disabled = true;
  });

  function queryString() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (value !== "" && key !== "page") params.append(key, value);
    });
    return params.toString();
  }

  function announce(text) {
    if (!status) return;
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  function swap(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    ["results", "filters"].forEach(function (id) {
      var fresh = doc.getElementById(id);
      var current = document.getElementById(id);
      if (fresh && current) current.innerHTML = fresh.innerHTML;
    });
    Array.prototype.forEach.call(document.querySelectorAll(".apply-filters"), function (el) {
      el.hidden = true;
    });
    if (dialog && dialog.open) {
      // The sort controls live in the open dialog: keep the fresh ones there.
      var fresh = results.querySelector(".result-tools");
      var held = dialog.querySelector(".result-tools");
      if (fresh && held) held.parentNode.replaceChild(fresh, held);
    }
    if (doc.title) document.title = doc.title;
    // The language switcher and the head's alternates name this search in the other
    // language: take the fresh page's, so switching keeps the filters just ticked.
    ["a.language-switch", "link[rel=alternate][hreflang]"].forEach(function (selector) {
      var fresh = doc.querySelectorAll(selector);
      Array.prototype.forEach.call(document.querySelectorAll(selector), function (el, i) {
        if (fresh[i]) el.setAttribute("href", fresh[i].getAttribute("href"));
      });
    });
    var heading = document.getElementById("results-title");
    if (heading) announce(heading.textContent.replace(/\s+/g, " ").trim());
    updateFiltersButton();
    document.dispatchEvent(new CustomEvent("directory:swapped"));
  }

  function load(url, options) {
    if (inFlight) inFlight.abort();
    var controller = window.AbortController ? new AbortController() : null;
    inFlight = controller;
    if (results) results.setAttribute("aria-busy", "true");
    return fetch(url, {
      headers: { "X-Requested-With": "fetch" },
      credentials: "same-origin",
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (!response.ok) throw new Error("status " + response.status);
      return response.text();
    }).then(function (html) {
      if (options.push) history.pushState({ search: true }, "", url);
      shown = searchOf(window.location);
      swap(html);
      if (options.after) options.after();
    }).catch(function (error) {
      if (error && error.name === "AbortError") return;
      window.location.assign(url);  // the page as the server renders it
    }).finally(function () {
      if (inFlight === controller) {
        inFlight = null;
        if (results) results.removeAttribute("aria-busy");
      }
    });
  }

  // Keep focus on the control the visitor used: found again by its name and value.
  function refocus(name, value) {
    return function () {
      var selector = "[name='" + CSS.escape(name) + "']";
      var controls = form.querySelectorAll(selector);
      for (var i = 0; i < controls.length; i++) {
        if (controls[i].type !== "checkbox" || controls[i].value === value) {
          controls[i].focus();
          return;
        }
      }
      var heading = document.getElementById("results-title");
      if (heading) heading.focus();
    };
  }

  function apply(control) {
    var path = form.getAttribute("action") || window.location.pathname;
    var query = queryString();
    load(path + (query ? "?" + query : ""), {
      push: true,
      after: refocus(control.name, control.value)
    });
  }

  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("input[type=checkbox]") && target.closest("#filters")) apply(target);
  });

  // Sorting applies with its button (a select's arrow keys must not reload anything, WCAG
  // 3.2.2); the button does it in place.
  form.addEventListener("click", function (event) {
    var button = event.target.closest(".sort-apply");
    if (!button) return;
    event.preventDefault();
    apply(sort || button);
  });

  // Links inside the results (pagination, active filters, relaxations) load in place too.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("#results a[href]");
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey ||
        event.ctrlKey || event.shiftKey || event.altKey || link.hasAttribute("download")) return;
    var url = new URL(link.href, window.location.href);
    if (url.origin !== window.location.origin || url.pathname !== window.location.pathname) return;
    event.preventDefault();
    load(url.pathname + url.search, {
      push: true,
      after: function () {
        var heading = document.getElementById("results-title");
        if (heading) heading.focus();
      }
    });
  });

  // Back and forward: the search of that entry. A fragment change ("Skip to results") fires
  // popstate too, but the results it would fetch are the ones shown: swapping them would take
  // away the focus the skip link just gave.
  function searchOf(location) {
    return location.pathname + location.search;
  }
  var shown = searchOf(window.location);
  window.addEventListener("popstate", function () {
    if (searchOf(window.location) === shown) return;
    load(searchOf(window.location), { push: false });
  });

  // Narrow screens: the filters open in a dialog over the results (focus kept inside, Escape
  // closes, focus goes back to the button).
  var filters = document.getElementById("filters");
  var narrow = window.matchMedia("(max-width: 55.99rem)");
  var dialog = null;
  var openButton = null;

  function activeCount() {
    return filters ? filters.querySelectorAll("input[type=checkbox]:checked").length : 0;
  }

  function updateFiltersButton() {
    if (!openButton) return;
    var count = activeCount();
    openButton.textContent = count
      ? message("filtersCount", "Filter and sort (%(count)s)", count)
      : message("filters", "Filter and sort");
    var done = dialog && dialog.querySelector(".filters-dialog-done button");
    var heading = document.getElementById("results-title");
    if (done && heading) {
      var total = Number(heading.getAttribute("data-result-count"));
      var shown = String(total).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
      done.textContent = total === 1
        ? message("showOne", "Show %(count)s result", shown)
        : message("showOther", "Show %(count)s results", shown);
    }
  }

  function focusables() {
    return Array.prototype.filter.call(
      dialog.querySelectorAll("button, [href], input, select, textarea, [tabindex]"),
      function (el) { return !el.disabled && !el.hidden && el.tabIndex >= 0 && el.offsetParent !== null; }
    );
  }

  function buildDialog() {
    dialog = document.createElement("dialog");
    dialog.className = "filters-dialog";
    dialog.setAttribute("aria-labelledby", "filters-dialog-title");
    dialog.innerHTML =
      '<div class="filters-dialog-bar"><h2 id="filters-dialog-title"></h2>' +
      '<button type="button" class="button-secondary filters-dialog-close"></button></div>' +
      '<div class="filters-dialog-body"></div>' +
      '<div class="filters-dialog-done"><button type="button"></button></div>';
    dialog.querySelector("h2").textContent = message("filters", "Filter and sort");
    dialog.querySelector(".filters-dialog-close").textContent = message("close", "Close");
    dialog.querySelector(".filters-dialog-done button").textContent =
      message("showResults", "Show results");
    form.appendChild(dialog);  // inside the form: its controls stay part of the search
    dialog.addEventListener("click", function (event) {
      if (event.target.closest(".filters-dialog-close, .filters-dialog-done button")) dialog.close();
    });
    dialog.addEventListener("keydown", function (event) {
      if (event.key !== "Tab") return;
      var items = focusables();
      if (!items.length) return;
      var first = items[0];
      var last = items[items.length - 1];
      if (event.shiftKey && document.activeElement === first) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first.focus();
      }
    });
    dialog.addEventListener("close", function () {
      // Back where they came from: the sort controls above the results, the filters after.
      var tools = dialog.querySelector(".result-tools");
      var fresh = results.querySelector(".result-tools");
      if (tools && !fresh) {
        var list = results.querySelector(".results-list, .empty");
        results.insertBefore(tools, list);
      } else if (tools) {
        tools.remove();
      }
      layout.appendChild(filters);
      if (openButton) openButton.focus();
    });
  }

  function openDialog() {
    if (!dialog) buildDialog();
    var body = dialog.querySelector(".filters-dialog-body");
    var tools = results.querySelector(".result-tools");
    if (tools) body.appendChild(tools);
    body.appendChild(filters);
    updateFiltersButton();
    dialog.showModal();
    dialog.querySelector(".filters-dialog-close").focus();
  }

  var layout = results ? results.parentNode : null;

  function setUpNarrow() {
    if (!filters || !results || openButton || typeof HTMLDialogElement !== "function") return;
    openButton = document.createElement("button");
    openButton.type = "button";
    openButton.className = "button-secondary filters-open";
    openButton.setAttribute("aria-haspopup", "dialog");
    openButton.addEventListener("click", openDialog);
    var holder = document.createElement("p");
    holder.className = "filters-open-holder";
    holder.appendChild(openButton);
    layout.parentNode.insertBefore(holder, layout);
    form.classList.add("has-filters-dialog");
    updateFiltersButton();
  }

  setUpNarrow();
  if (narrow.addEventListener) {
    narrow.addEventListener("change", function () {
      if (!narrow.matches && dialog && dialog.open) dialog.close();
    });
  }

  // "Use my location": coordinates stay in the page's URL and go nowhere else.
  var button = document.getElementById("use-location");
  var canLocate = !!button && "geolocation" in navigator;
  function mentionLocation() {
    // Words that point at the button, shown only where the button is.
    Array.prototype.forEach.call(document.querySelectorAll(".needs-js"), function (el) {
      el.hidden = !canLocate;
    });
  }
  mentionLocation();
  document.addEventListener("directory:swapped", mentionLocation);
  if (canLocate) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var where = document.getElementById("location-status");
      where.textContent = message("locating", "Finding your location…");
      navigator.geolocation.getCurrentPosition(function (position) {
        lat.value = position.coords.latitude.toFixed(4);
        form.querySelector("input[name=lon]").value = position.coords.longitude.toFixed(4);
        near.value = "";
        if (sort) sort.disabled = true;  // a place is searched by distance
        form.submit();
      }, function () {
        where.textContent = message(
          "locationFailed", "We couldn't get your location. Type a town or ZIP code instead."
        );
      }, { timeout: 10000, maximumAge: 600000 });
    });
  }
})();
