// The desktop console's "This machine" page: it calls the console's bound
// Go methods (window.go.app.Machine, injected by Wails) to show the
// appliance's state, control its systemd service, open the portal, and
// tail its log. Outside the console's window it only says so.
const machine = window.go && window.go.app && window.go.app.Machine;
const STATUS_MS = 5000;
const LOG_MS = 1000;
const LOG_KEEP = 1000;

const $ = (id) => document.getElementById(id);

function show(el, text) {
  el.hidden = !text;
  el.textContent = text || "";
}

function fail(err) {
  show($("action-error"), String(err && err.message ? err.message : err));
}

async function status() {
  let s;
  try {
    s = await machine.Status();
  } catch (err) {
    fail(err);
    return;
  }
  if (s.started) {
    restarted = restarted || (started !== null && s.started !== started);
    started = s.started;
  }
  $("running").textContent = s.running ? "running" : "not running";
  $("running").classList.toggle("off", !s.running);
  $("trouble").hidden = !s.problem;
  $("problem").textContent = s.problem;
  $("fix").textContent = s.fix;
  show($("version-warning"), s.version_warning);
  $("url").textContent = s.url || "—";
  $("open-portal").disabled = !s.running;
  $("version").textContent = s.version || "—";
  $("console-version").textContent = s.console_version;
  $("uptime").textContent = s.started ? `${new Date(s.started).toLocaleString()} (${s.uptime})` : "—";
  $("pid").textContent = s.pid ? String(s.pid) : "—";
  $("fingerprint").textContent = s.ca_fingerprint || (s.running ? "— (the appliance does not use its own certificate authority)" : "—");
  $("docker").textContent = s.docker || "—";
  const u = s.unit;
  if (u.error) {
    $("unit").textContent = u.error;
  } else if (!u.exists) {
    $("unit").textContent = "systemd has no unit simphony-remote.service on this machine: the appliance runs by hand.";
  } else {
    $("unit").textContent = `simphony-remote.service is ${u.active} (${u.sub}).`;
  }
  const controllable = !u.error && u.exists;
  const active = u.active === "active" || u.active === "activating" || u.active === "reloading";
  document.querySelector('[data-service="start"]').disabled = !controllable || active;
  document.querySelector('[data-service="restart"]').disabled = !controllable || !active;
  document.querySelector('[data-service="stop"]').disabled = !controllable || !active;
}

// line renders one JSON log line as "time level component message k=v".
function line(raw) {
  let o;
  try {
    o = JSON.parse(raw);
  } catch (e) {
    return raw;
  }
  const { time, level, component, message, ...rest } = o;
  const fields = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
  return [time, (level || "").toUpperCase(), component ? `[${component}]` : "", message, ...fields].filter(Boolean).join(" ");
}

let next = 0;
// started is when the appliance whose log is shown started; restarted says
// that one started since (the status tells).
let started = null;
let restarted = false;
async function tail() {
  try {
    const log = $("log");
    if (restarted) {
      // Its line numbers start again: its whole log is new.
      restarted = false;
      log.append("— the appliance started again —\n");
      next = 0;
    }
    const page = await machine.LogAfter(next);
    const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    if (page.dropped) {
      log.append(`… ${page.dropped} older lines are gone\n`);
    }
    for (const l of page.lines) {
      log.append(line(l) + "\n");
    }
    while (log.childNodes.length > LOG_KEEP) {
      log.firstChild.remove();
    }
    if (atEnd) {
      log.scrollTop = log.scrollHeight;
    }
    next = page.next;
  } catch (err) {
    // Not running: the status says so; try again later.
  }
  window.setTimeout(tail, LOG_MS);
}

if (machine) {
  $("needs-console").hidden = true;
  $("open-portal").addEventListener("click", () => machine.OpenPortal().catch(fail));
  document.querySelectorAll("[data-service]").forEach((b) => {
    b.addEventListener("click", async () => {
      const verb = b.dataset.service;
      const method = { start: "StartService", stop: "StopService", restart: "RestartService" }[verb];
      show($("action-error"), "");
      b.disabled = true;
      try {
        await machine[method]();
      } catch (err) {
        fail(err);
      }
      status();
    });
  });
  status();
  window.setInterval(status, STATUS_MS);
  tail();
}
