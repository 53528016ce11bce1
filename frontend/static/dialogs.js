// Dialogs of the portal and the toolbar page: buttons open them with
// commandfor/command (invoker commands), which this wires up in browsers
// that lack them, and a share dialog's "Copy link" copies its link.
const invokers = "commandForElement" in HTMLButtonElement.prototype;

if (!invokers) {
  for (const b of document.querySelectorAll("button[commandfor]")) {
    b.addEventListener("click", () => {
      const d = document.getElementById(b.getAttribute("commandfor"));
      if (!d) { return; }
      if (b.getAttribute("command") === "close") { d.close(); } else { d.showModal(); }
    });
  }
}

for (const b of document.querySelectorAll("button[data-copy]")) {
  const input = document.getElementById(b.dataset.copy);
  const said = b.parentElement.querySelector(".copied");
  b.hidden = false;
  b.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(input.value);
      said.textContent = "Copied.";
    } catch {
      input.select();
      said.textContent = "Selected: copy it with Ctrl+C.";
    }
  });
}
