// Uploads runs with a real progress bar. Without this script the form still
// posts normally; with it, each upload gets a row showing the bytes sent, then
// the status fragment the server answers with, which htmx keeps polling.
(function () {
  "use strict";

  const ARCHIVE = /\.(zip|tar\.gz|tgz)$/i;
  // Folders left out of a folder upload, as MassGen's own `massgen share` does (agent
  // workspace copies, dependency trees). The server skips the same list:
  // SKIPPED_FOLDERS in webapp/runs/services/staging.py.
  const SKIPPED_FOLDERS = ["node_modules", ".venv", "workspace"];

  // The SKIPPED_FOLDERS name a file's path runs through (its own name aside), or null.
  function skippedFolder(path) {
    const parts = path.split("/").slice(0, -1);
    return parts.find((part) => SKIPPED_FOLDERS.includes(part)) || null;
  }

  function describeSkipped(counts) {
    const parts = Object.keys(counts).sort().map((name) =>
      counts[name].toLocaleString("en") + " file" + (counts[name] === 1 ? "" : "s") + " under " + name + "/");
    return parts.length ? "Left out as massgen share does: " + parts.join(", ") + "." : "";
  }

  function formatBytes(n) {
    const units = ["B", "KB", "MB", "GB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
    return (i ? n.toFixed(1) : String(n)) + " " + units[i];
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  // Chromium drops a directory as an entry, not as files: walk it so a dropped
  // log_* folder is posted the same way as one chosen with the folder picker.
  function readEntry(entry) {
    if (entry.isFile) {
      return new Promise((resolve, reject) => entry.file(
        (file) => resolve([{ file: file, name: entry.fullPath.replace(/^\//, "") }]), reject));
    }
    const reader = entry.createReader();
    const batches = [];
    return new Promise((resolve, reject) => {
      (function next() {
        // readEntries returns at most 100 entries per call; an empty batch ends it.
        reader.readEntries((entries) => {
          if (!entries.length) {
            Promise.all(batches).then((lists) => resolve(lists.flat()), reject);
            return;
          }
          entries.forEach((child) => batches.push(readEntry(child)));
          next();
        }, reject);
      })();
    });
  }

  function init(form) {
    const zone = form.querySelector("[data-dropzone]");
    const fileInput = form.querySelector("input[name=file]");
    const folderInput = form.querySelector("input[name=files]");
    const list = form.querySelector("[data-upload-list]");
    const maxBytes = Number(form.dataset.maxBytes) || 0;
    const maxFiles = Number(form.dataset.maxFiles) || 0;

    // One row per upload: its name, a progress bar, a note, then the server's answer.
    function addRow(label) {
      const item = el("li", "upload-item");
      const bar = el("progress", "upload-progress");
      const note = el("span", "upload-note muted", "Starting…");
      const result = el("div", "upload-result");
      bar.max = 100;
      bar.value = 0;
      bar.setAttribute("aria-label", "Upload progress of " + label);
      note.setAttribute("role", "status");
      result.setAttribute("aria-live", "polite");
      item.append(el("span", "upload-name", label), bar, note, result);
      list.prepend(item);
      return {
        bar: bar, note: note, result: result,
        fail(message) {
          item.classList.add("failed");
          bar.hidden = true;
          note.className = "upload-note error";
          note.textContent = message;
          // A failed upload stays until dismissed, so its reason can be read.
          const dismiss = el("button", "link upload-dismiss", "Dismiss");
          dismiss.type = "button";
          dismiss.setAttribute("aria-label", "Dismiss " + label);
          dismiss.addEventListener("click", () => item.remove());
          item.append(dismiss);
        },
      };
    }

    function send(payload, label, totalBytes, fileCount, skippedNote) {
      const row = addRow(label);
      const { bar, note } = row;
      if (skippedNote) {
        const skipped = el("span", "upload-skipped muted", skippedNote);
        skipped.setAttribute("data-upload-skipped", "");
        row.note.after(skipped);
      }
      // The server refuses these too (413), but only after receiving the body.
      if (maxBytes && totalBytes > maxBytes) {
        row.fail("Too large: " + formatBytes(totalBytes) + " is over the upload limit of " + formatBytes(maxBytes) + ".");
        return;
      }
      if (maxFiles && fileCount > maxFiles) {
        row.fail("Too many files: " + fileCount + " is over the upload limit of " + maxFiles + " files.");
        return;
      }

      const xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      // The server answers an htmx-style request with the status fragment rather than a redirect.
      xhr.setRequestHeader("HX-Request", "true");
      xhr.setRequestHeader("X-CSRFToken", form.querySelector("input[name=csrfmiddlewaretoken]").value);
      xhr.upload.onprogress = (event) => {
        if (!event.lengthComputable) return;
        bar.value = Math.round((event.loaded / event.total) * 100);
        note.textContent = formatBytes(event.loaded) + " of " + formatBytes(event.total) + " (" + bar.value + "%)";
      };
      xhr.upload.onload = () => { note.textContent = "Uploaded, waiting for the server…"; };
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) {
          bar.value = 100;
          note.textContent = "Uploaded " + formatBytes(totalBytes) + ".";
          // Our own server's fragment: the run's status, which htmx then polls.
          row.result.innerHTML = xhr.responseText;
          if (window.htmx) window.htmx.process(row.result);
          // The runs list (if on this page) refreshes to show the new row.
          document.body.dispatchEvent(new CustomEvent("run-uploaded"));
        } else {
          const body = new DOMParser().parseFromString(xhr.responseText, "text/html");
          const reason = body.querySelector("[data-upload-error]");
          row.fail(reason ? reason.textContent.trim() : "Upload failed (HTTP " + xhr.status + ").");
        }
      };
      // A server refusing a body mid-stream (over the limit) closes the connection.
      xhr.onerror = () => row.fail("The upload was cut off. The file may be over the upload limit, or the server is unreachable.");
      xhr.send(payload);
    }

    function sendArchive(file) {
      if (!ARCHIVE.test(file.name)) {
        addRow(file.name).fail("Not a .zip, .tar.gz or .tgz archive. To upload a log_* folder, use “Choose folder”.");
        return;
      }
      const data = new FormData();
      data.append("file", file, file.name);
      send(data, file.name, file.size, 1);
    }

    function sendFolder(all) {
      if (!all.length) return;
      const skipped = {};
      const files = all.filter(({ name }) => {
        const folder = skippedFolder(name);
        if (folder) skipped[folder] = (skipped[folder] || 0) + 1;
        return !folder;
      });
      const folder = all[0].name.split("/")[0];
      if (!files.length) {
        addRow(folder + "/").fail("Nothing to upload: every file is under " + Object.keys(skipped).join("/, ") + "/.");
        return;
      }
      const data = new FormData();
      let total = 0;
      files.forEach(({ file, name }) => { data.append("files", file, name); total += file.size; });
      // The limits apply to what is sent, after the skipped folders are left out.
      send(data, folder + "/ (" + files.length + " files)", total, files.length, describeSkipped(skipped));
    }

    fileInput.addEventListener("change", () => {
      Array.from(fileInput.files).forEach(sendArchive);
      fileInput.value = "";
    });
    folderInput.addEventListener("change", () => {
      sendFolder(Array.from(folderInput.files).map((file) => ({ file: file, name: file.webkitRelativePath || file.name })));
      folderInput.value = "";
    });
    // Choosing a file starts its upload, so the no-script submit button goes.
    form.classList.add("uploads-on-choice");

    ["dragenter", "dragover"].forEach((type) => zone.addEventListener(type, (event) => {
      event.preventDefault();
      zone.classList.add("dragging");
    }));
    ["dragleave", "drop"].forEach((type) => zone.addEventListener(type, () => zone.classList.remove("dragging")));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      Array.from(event.dataTransfer.items).forEach((item) => {
        const entry = item.webkitGetAsEntry && item.webkitGetAsEntry();
        if (entry && entry.isDirectory) {
          readEntry(entry).then(sendFolder, () => addRow(entry.name).fail("The dropped folder could not be read."));
        } else if (item.kind === "file") {
          sendArchive(item.getAsFile());
        }
      });
    });
  }

  document.querySelectorAll("form[data-upload]").forEach(init);
})();
