// Dialogs of the portal and the toolbar page: buttons open them with
// commandfor/command (invoker commands), which this wires up in browsers
// that lack them, and a "Copy" button (data-copy names its field) copies
// its field: a share dialog's link, the account page's new token.
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
    // A browser may also leave the promise pending (a permission it
    // waits to ask for, a page without the focus): after a second, the
    // text is selected for the user to copy.
    const late = new Promise((_, reject) => setTimeout(reject, 1000));
    try {
      await Promise.race([navigator.clipboard.writeText(input.value), late]);
      said.textContent = "Copied.";
    } catch {
      input.select();
      said.textContent = "Selected: copy it with Ctrl+C.";
    }
  });
}
