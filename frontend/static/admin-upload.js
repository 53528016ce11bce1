// The image import form with a progress bar: the browser sends the file
// with XMLHttpRequest, whose upload progress fetch does not report, and
// shows the page the server answers with.
export function enhance(doc) {
  const form = doc.querySelector("form[data-upload]");
  if (!form) { return; }
  const bar = doc.getElementById("upload-progress");
  const status = doc.getElementById("upload-status");
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.responseType = "document";
    bar.hidden = false;
    bar.value = 0;
    form.querySelector("button[type=submit]").disabled = true;
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) {
        bar.max = e.total;
        bar.value = e.loaded;
        status.textContent = "Uploaded " + Math.round((100 * e.loaded) / e.total) + "%";
      }
    });
    xhr.upload.addEventListener("load", () => { status.textContent = "Uploaded; Docker is loading the images…"; });
    xhr.addEventListener("load", () => {
      const page = xhr.response;
      const main = page && page.querySelector("main");
      if (!main) { window.location.reload(); return; }
      doc.querySelector("main").replaceWith(doc.importNode(main, true));
      doc.title = page.title;
      if (xhr.responseURL) { window.history.replaceState(null, "", xhr.responseURL); }
      enhance(doc);
    });
    xhr.addEventListener("error", () => {
      status.textContent = "The upload failed: the connection broke. Try again.";
      form.querySelector("button[type=submit]").disabled = false;
    });
    xhr.send(new FormData(form));
  });
}
