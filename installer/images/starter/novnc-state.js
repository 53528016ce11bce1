// Tells the page this desktop is framed in (the appliance's session page)
// noVNC's connection state, read from the classes noVNC's UI puts on
// <html>: noVNC_connecting, noVNC_connected, noVNC_disconnecting,
// noVNC_reconnecting, and none of them once disconnected. The state is all
// it tells, to whichever page frames it.
(function () {
  "use strict";
  if (window.parent === window) { return; }
  var names = ["connecting", "connected", "disconnecting", "reconnecting"];
  var last = "";
  function tell() {
    var classes = document.documentElement.classList;
    var now = last ? "disconnected" : "";
    for (var i = 0; i < names.length; i++) {
      if (classes.contains("noVNC_" + names[i])) { now = names[i]; break; }
    }
    if (now && now !== last) {
      last = now;
      window.parent.postMessage({ "simphony-remote": "vnc-state", state: now }, "*");
    }
  }
  new MutationObserver(tell).observe(document.documentElement, { attributes: true, attributeFilter: ["class"] });
  tell();
}());
