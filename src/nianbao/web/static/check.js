// The check page: drop files on the zone (or choose them), see their names, submit the form.
(function () {
  const zone = document.getElementById("dropzone");
  const input = document.getElementById("files");
  const list = document.getElementById("chosen");
  const form = document.getElementById("check-form");
  if (!zone || !input || !form) return;

  function show() {
    list.innerHTML = "";
    Array.from(input.files).forEach((f) => {
      const li = document.createElement("li");
      li.textContent = f.name + "（" + Math.max(1, Math.round(f.size / 1024)) + " KB）";
      list.appendChild(li);
    });
  }
  input.addEventListener("change", show);
  ["dragenter", "dragover"].forEach((t) => zone.addEventListener(t, (ev) => {
    ev.preventDefault(); zone.classList.add("over");
  }));
  ["dragleave", "drop"].forEach((t) => zone.addEventListener(t, (ev) => {
    ev.preventDefault(); zone.classList.remove("over");
  }));
  zone.addEventListener("drop", (ev) => {
    if (!ev.dataTransfer || !ev.dataTransfer.files.length) return;
    input.files = ev.dataTransfer.files;
    show();
  });
  form.addEventListener("submit", (ev) => {
    if (!input.files.length) { ev.preventDefault(); list.innerHTML = '<li class="error-text">请先选择或拖入年报文件</li>'; return; }
    document.getElementById("busy").style.display = "inline";
    document.getElementById("check-button").disabled = true;
  });
})();
