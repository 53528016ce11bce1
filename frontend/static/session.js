// The toolbar page (/sessions/URL_ID): says whether the frame loaded (and,
// for a desktop whose page tells it, noVNC's connection state) and whether
// the session still runs (polling the JSON API, no WebSocket), switches a
// desktop's display between fit, scale and actual size, reloads the frame,
// and shows it full screen. A classic script that runs before the page is
// parsed, so that it cannot miss the frame's first load.
(function () {
  "use strict";
  var loaded = false;
  var ended = false;
  var vnc = false; // the frame's page has told its connection state
  var state;

  var vncStates = {
    connecting: "Connecting…", connected: "Connected", disconnecting: "Disconnecting…",
    reconnecting: "Reconnecting…", disconnected: "Disconnected"
  };

  var shown = ["loading", "Connecting…"]; // the frame's state, under "unknown"

  function say(s, text) {
    if (s !== "unknown") { shown = [s, text]; }
    if (!state || ended) { return; }
    state.dataset.state = s;
    state.textContent = text;
  }

  function frame() { return document.getElementById("session-frame"); }

  // What a load of the frame says. A page of the portal's own origin (path
  // mode) can be looked into: without a document of that origin, it is
  // the browser's error page (refused, unreachable). A page of the
  // session's own origin cannot: the browser only says it opened.
  function onLoad() {
    var bar = document.getElementById("toolbar");
    var f = frame();
    if (!bar || !f) { return; }
    document.getElementById("reload").hidden = false;
    if (bar.dataset.sameOrigin !== "true") {
      if (!vnc) { say("loaded", "Opened"); }
      return;
    }
    var doc = null;
    try { doc = f.contentDocument; } catch (e) { doc = null; }
    if (!doc || doc.URL.indexOf("chrome-error:") === 0) {
      vnc = false;
      say("failed", "Did not load: reload it");
      return;
    }
    if (!vnc) { say("loaded", "Loaded"); }
  }

  // Load events do not bubble, but the document sees them while capturing.
  document.addEventListener("load", function (e) {
    if (e.target && e.target.id === "session-frame") {
      loaded = true;
      onLoad();
    }
  }, true);

  // A desktop's page tells its noVNC state (the starter images do).
  window.addEventListener("message", function (e) {
    var f = frame();
    var d = e.data;
    if (!f || e.source !== f.contentWindow || !d || d["simphony-remote"] !== "vnc-state" || !vncStates.hasOwnProperty(d.state)) {
      return;
    }
    vnc = true;
    say(d.state, vncStates[d.state]);
  });

  document.addEventListener("DOMContentLoaded", function () {
    var bar = document.getElementById("toolbar");
    var frame = document.getElementById("session-frame");
    state = document.getElementById("state");
    if (loaded) { onLoad(); }
    var urlID = bar.dataset.urlId;
    var owned = bar.dataset.owned === "true";

    function end(why) {
      say("ended", "Ended");
      ended = true;
      document.getElementById("ended-why").textContent = why;
      document.getElementById("ended").hidden = false;
      frame.hidden = true;
      bar.querySelectorAll(".tools button, .tools select").forEach(function (b) { b.disabled = true; });
    }

    function poll() {
      return fetch(bar.dataset.poll, { cache: "no-store", credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) {
          if (state.dataset.state === "unknown") { say(shown[0], shown[1]); }
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
        vnc = false;
        say("loading", "Connecting…");
        frame.src = u.pathname + u.search;
      });
    }

    document.getElementById("reload").addEventListener("click", function () {
      vnc = false;
      say("loading", "Connecting…");
      frame.src = frame.getAttribute("src");
    });

    var full = document.getElementById("fullscreen");
    if (document.fullscreenEnabled) {
      full.hidden = false;
      full.addEventListener("click", function () { frame.requestFullscreen(); });
    }
  });
}());
