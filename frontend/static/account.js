// The account page: the button that copies a new API token (shown only
// with scripts on; without them the field can still be selected).
const button = document.querySelector("button[data-copy]");
if (button) {
  const field = document.getElementById(button.dataset.copy);
  const status = document.getElementById("copy-status");
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(field.value);
      status.textContent = "Copied.";
    } catch {
      field.select();
      status.textContent = "Selected: press Ctrl+C to copy.";
    }
  });
}
