// Search within a file on the file viewer: marks the matching lines and steps
// through them. Without this script the page is the same, minus the box.
(function () {
  "use strict";
  const box = document.querySelector("[data-file-search]");
  const lines = document.querySelector("[data-numbered]");
  if (!box || !lines) return;
  const input = box.querySelector("input");
  const count = box.querySelector("[data-file-search-count]");
  const rows = Array.from(lines.querySelectorAll("tr"));
  let hits = [];
  let current = -1;

  function show(index) {
    if (!hits.length) return;
    if (current >= 0) hits[current].classList.remove("current");
    current = (index + hits.length) % hits.length;
    hits[current].classList.add("current");
    hits[current].scrollIntoView({ block: "center" });
    count.textContent = (current + 1) + " of " + hits.length;
  }

  function search() {
    const needle = input.value.toLowerCase();
    rows.forEach((row) => row.classList.remove("hit", "current"));
    hits = needle ? rows.filter((row) => row.lastElementChild.textContent.toLowerCase().includes(needle)) : [];
    hits.forEach((row) => row.classList.add("hit"));
    current = -1;
    count.textContent = needle ? (hits.length ? "" : "no match") : "";
    show(0);
  }

  box.hidden = false;
  input.addEventListener("input", search);
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); show(current + (event.shiftKey ? -1 : 1)); }
  });
  box.querySelector("[data-file-search-next]").addEventListener("click", () => show(current + 1));
  box.querySelector("[data-file-search-prev]").addEventListener("click", () => show(current - 1));
})();
