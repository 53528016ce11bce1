// The toolbar page (/sessions/URL_ID): says whether the frame loaded and
// whether the session still runs (polling the JSON API, no WebSocket),
// switches a desktop's display between fit, scale and actual size, and
// shows the frame full screen.
import "./dialogs.js";

const bar = document.getElementById("toolbar");
const frame = document.getElementById("session-frame");
const state = document.getElementById("state");
const urlID = bar.dataset.urlId;
const owned = bar.dataset.owned === "true";
let ended = false;

function say(s, text) {
  state.dataset.state = s;
  state.textContent = text;
}

frame.addEventListener("load", () => { if (!ended) { say("loaded", "Loaded"); } });

function end(why) {
  ended = true;
  say("ended", "Ended");
  document.getElementById("ended-why").textContent = why;
  document.getElementById("ended").hidden = false;
  frame.hidden = true;
  for (const b of bar.querySelectorAll(".tools button, .tools select")) { b.disabled = true; }
}

async function poll() {
  let r;
  try {
    r = await fetch(bar.dataset.poll, { cache: "no-store", credentials: "same-origin", headers: { Accept: "application/json" } });
  } catch {
    say("unknown", "Appliance not answering…");
    return;
  }
  if (r.status === 401) {
    end("You are signed out.");
    return;
  }
  if (owned) {
    if (r.status === 404) { end("It was stopped: start it again from your applications."); }
    return;
  }
  if (!r.ok) { return; }
  const list = await r.json();
  if (!list.some((s) => s.url_id === urlID)) {
    end("It was stopped, or it is no longer shared with you.");
  }
}

const timer = window.setInterval(async () => {
  await poll();
  if (ended) { window.clearInterval(timer); }
}, 3000);

const resize = document.getElementById("resize");
if (resize) {
  resize.addEventListener("change", () => {
    const u = new URL(resize.dataset.frame, window.location.href);
    u.searchParams.set("resize", resize.value);
    say("loading", "Connecting…");
    frame.src = u.pathname + u.search;
  });
}

const full = document.getElementById("fullscreen");
if (document.fullscreenEnabled) {
  full.hidden = false;
  full.addEventListener("click", () => frame.requestFullscreen());
}
