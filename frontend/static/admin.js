// Progressive enhancement of the admin pages: a part marked data-refresh
// reloads itself every few seconds (its plain "reload" link stays for when
// scripts are off), and the image upload form shows its progress.
const REFRESH_MS = 5000;

// In the desktop console, the page after a form is served as the form's
// answer (its window follows no redirect): the page says its own address.
const own = document.querySelector('meta[name="simphony-location"]');
if (own && own.content && own.content !== window.location.pathname + window.location.search) {
  window.history.replaceState(null, "", own.content);
}

function refresh(box) {
  const tick = async () => {
    try {
      const r = await fetch(window.location.href, { cache: "no-store", credentials: "same-origin" });
      if (r.ok) {
        const doc = new DOMParser().parseFromString(await r.text(), "text/html");
        const fresh = doc.getElementById(box.id);
        if (fresh && fresh.innerHTML !== box.innerHTML) {
          box.innerHTML = fresh.innerHTML;
        }
        if (fresh && fresh.dataset.refresh === "off") { return; }
      }
    } catch (e) {
      // A failed poll (a network hiccup) is simply tried again.
    }
    window.setTimeout(tick, REFRESH_MS);
  };
  window.setTimeout(tick, REFRESH_MS);
}

document.querySelectorAll("[data-refresh]").forEach((box) => {
  if (box.id && box.dataset.refresh !== "off") { refresh(box); }
});

import("./admin-upload.js").then((m) => m.enhance(document));
