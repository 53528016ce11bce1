// Follows a start on /starting/MAPPING_ID: polls its state, lists the
// steps, and opens the session once it is ready. A failed poll (a network
// hiccup) is simply tried again.
(function () {
  "use strict";
  var box = document.getElementById("starting");
  if (!box || box.dataset.state === "failed") { return; }
  var status = document.getElementById("status");
  var steps = document.getElementById("steps");
  var url = window.location.pathname + "?format=json";
  // The page follows the start by itself: its reload link is for when
  // this script could not load.
  var reload = document.getElementById("reload");
  if (reload) { reload.hidden = true; }

  function show(st) {
    steps.textContent = "";
    (st.steps || []).forEach(function (s) {
      var li = document.createElement("li");
      li.textContent = s;
      steps.appendChild(li);
    });
    if (st.state === "failed") {
      status.textContent = st.message || "The application did not start.";
      status.className = "flash error";
    }
  }

  // Each poll waits on the server until the start has news (a step, or
  // ready), so that the session opens the moment it is ready; an answer
  // without news (the server's wait ran out) is followed by a pause.
  function tick() {
    var seen = steps.children.length;
    fetch(url + "&wait=" + seen, { cache: "no-store", credentials: "same-origin" })
      .then(function (r) {
        if (r.status === 404) { window.location.replace("/"); return null; }
        return r.json();
      })
      .then(function (st) {
        if (!st) { return; }
        show(st);
        if (st.state === "ready") { window.location.replace(st.url); return; }
        if (st.state === "failed") { return; }
        if (steps.children.length === seen) { window.setTimeout(tick, 250); } else { tick(); }
      })
      .catch(function () { window.setTimeout(tick, 250); });
  }
  tick();
}());
