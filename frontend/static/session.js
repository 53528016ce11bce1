// The toolbar page (/sessions/URL_ID): says whether the frame loaded and
// whether the session still runs (polling the JSON API, no WebSocket),
// switches a desktop's display between fit, scale and actual size, and
// shows the frame full screen. A classic script that runs before the page
// is parsed, so that it cannot miss the frame's first load.
(function () {
  "use strict";
  var loaded = false;
  var ended = false;
  var state;

  function say(s, text) {
    if (!state) { return; }
    state.dataset.state = s;
    state.textContent = text;
  }

  // Load events do not bubble, but the document sees them while capturing.
  document.addEventListener("load", function (e) {
    if (e.target && e.target.id === "session-frame") {
      loaded = true;
      if (!ended) { say("loaded", "Loaded"); }
    }
  }, true);

  document.addEventListener("DOMContentLoaded", function () {
    var bar = document.getElementById("toolbar");
    var frame = document.getElementById("session-frame");
    state = document.getElementById("state");
    if (loaded) { say("loaded", "Loaded"); }
    var urlID = bar.dataset.urlId;
    var owned = bar.dataset.owned === "true";

    function end(why) {
      ended = true;
      say("ended", "Ended");
      document.getElementById("ended-why").textContent = why;
      document.getElementById("ended").hidden = false;
      frame.hidden = true;
      bar.querySelectorAll(".tools button, .tools select").forEach(function (b) { b.disabled = true; });
    }

    function poll() {
      return fetch(bar.dataset.poll, { cache: "no-store", credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) {
          if (r.status === 401) { end("You are signed out."); return; }
          if (owned) {
            if (r.status === 404) { end("It was stopped: start it again from your applications."); }
            return;
          }
          if (!r.ok) { return; }
          return r.json().then(function (list) {
            if (!list.some(function (s) { return s.url_id === urlID; })) {
              end("It was stopped, or it is no longer shared with you.");
            }
          });
        })
        .catch(function () { say("unknown", "Appliance not answering…"); });
    }

    var timer = window.setInterval(function () {
      poll().then(function () { if (ended) { window.clearInterval(timer); } });
    }, 3000);

    var resize = document.getElementById("resize");
    if (resize) {
      resize.addEventListener("change", function () {
        var u = new URL(resize.dataset.frame, window.location.href);
        u.searchParams.set("resize", resize.value);
        say("loading", "Connecting…");
        frame.src = u.pathname + u.search;
      });
    }

    var full = document.getElementById("fullscreen");
    if (document.fullscreenEnabled) {
      full.hidden = false;
      full.addEventListener("click", function () { frame.requestFullscreen(); });
    }
  });
}());
