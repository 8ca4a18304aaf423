// The report view: clicking a finding (or a number in a table) highlights its cells, scrolls to them and
// shows where the value was printed in the file (the source fragment is rendered on the server).
(function () {
  function view(el) { return el.closest(".report-view"); }

  function showSource(root, url) {
    const panel = root.querySelector(".source-panel");
    if (!panel || !url) return;
    panel.innerHTML = '<p class="muted">正在载入原文……</p>';
    fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then((r) => r.text().then((t) => ({ ok: r.ok, t })))
      .then(({ ok, t }) => {
        if (ok) { panel.innerHTML = t; return; }
        let msg = "无法载入原文";
        try { msg = JSON.parse(t).detail || msg; } catch (e) { /* an error page */ }
        panel.innerHTML = '<p class="alert error"></p>';
        panel.firstChild.textContent = msg;
      })
      .catch(() => { panel.innerHTML = '<p class="alert error">网络错误，无法载入原文</p>'; });
  }

  function focusCells(root, paths) {
    root.querySelectorAll(".focus").forEach((c) => c.classList.remove("focus"));
    let first = null;
    paths.forEach((p) => {
      root.querySelectorAll('td[data-path="' + CSS.escape(p) + '"]').forEach((td) => {
        td.classList.add("focus");
        first = first || td;
      });
    });
    if (first) first.scrollIntoView({ behavior: "smooth", block: "center", inline: "center" });
  }

  function openFinding(li) {
    const root = view(li);
    if (!root) return;
    root.querySelectorAll(".findings li.active").forEach((x) => x.classList.remove("active"));
    li.classList.add("active");
    const cells = (li.dataset.cells || "").split(" ").filter(Boolean);
    focusCells(root, cells);
    if (li.dataset.source) showSource(root, li.dataset.source);
    else {
      const panel = root.querySelector(".source-panel");
      if (panel) {
        const where = li.querySelector(".where");
        panel.innerHTML = '<p class="muted"></p>';
        panel.firstChild.textContent = where ? where.textContent + "（这个问题没有对应的表格单元格）" : "这个问题没有对应的原文位置。";
      }
    }
  }

  document.addEventListener("click", (ev) => {
    if (ev.target.closest("form, a, button, input")) return;
    const li = ev.target.closest(".findings li[data-cells]");
    if (li) { openFinding(li); return; }
    const td = ev.target.closest("td[data-path]");
    if (td) {
      const root = view(td);
      if (!root) return;
      focusCells(root, [td.dataset.path]);
      showSource(root, root.dataset.sourceBase + "/source?path=" + encodeURIComponent(td.dataset.path));
    }
  });
  document.addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter") return;
    const li = ev.target.closest && ev.target.closest(".findings li[data-cells]");
    if (li && ev.target === li) openFinding(li);
  });
})();
