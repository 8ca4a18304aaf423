// nianbao: the compose form ("写年报"). No build step.
//
// Totals: computed from the formula table the server embeds (#compose-spec, made in web/compose.py from
// compose.derive), never from formulas written here. Validation: the same rules and messages as
// compose/fill.py's parse_number, at once; the server's check (htmx, #findings) follows 500 ms later.
// Draft: every change is kept in localStorage so a closed tab loses nothing; nothing goes to the server.
(function () {
  "use strict";
  const DRAFT_KEY = "nianbao.compose.draft";
  const SEVERITIES = ["sev-error", "sev-warning", "sev-notice"];
  const qsa = (sel, root = document) => Array.from(root.querySelectorAll(sel));

  // ---------------------------------------------------------------- start page: offer the draft
  const restoreBox = document.getElementById("draft-restore");
  if (restoreBox) {
    const saved = loadDraft();
    if (saved) {
      const when = saved.saved ? new Date(saved.saved).toLocaleString("zh-CN") : "";
      document.getElementById("draft-info").textContent =
        `${saved.unit || "（未填单位）"} ${saved.year || ""} 年度，保存于 ${when}`;
      restoreBox.hidden = false;
      document.getElementById("draft-clear").addEventListener("click", () => {
        localStorage.removeItem(DRAFT_KEY);
        restoreBox.hidden = true;
      });
    }
  }

  const form = document.getElementById("compose");
  if (!form) return;
  const spec = JSON.parse(document.getElementById("compose-spec").textContent);
  const decimal = new Set(spec.decimal);
  const leaves = qsa("td.leaf input", form);
  const byPath = new Map(leaves.map((el) => [el.name, el]));
  const derived = new Map(qsa("td.derived", form).map((td) => [td.dataset.path, td]));
  const message = document.getElementById("cell-message");

  // ---------------------------------------------------------------- parsing, as fill.parse_number
  function parseCell(raw, isDecimal) {
    if (!raw.trim()) return { err: "没有填写（没有的请填 0）" };
    const s = raw.normalize("NFKC").trim().replace(/,/g, "");
    if (!/^[+-]?\d+(\.\d+)?$/.test(s)) {
      return { err: `应为${isDecimal ? "不小于 0 的数（单位：万元）" : "非负整数"}，填写的是“${raw}”` };
    }
    const v = Number(s);
    if (v < 0) return { err: `${isDecimal ? "金额" : "件数"}不能为负数，填写的是“${raw}”` };
    if (!Number.isInteger(v) && !isDecimal) return { err: `件数应为整数，填写的是“${raw}”` };
    return { value: v };
  }

  function validate(input) {
    const r = parseCell(input.value, decimal.has(input.name));
    const td = input.closest("td");
    td.classList.toggle("bad", !!r.err);
    if (r.err) {
      input.setAttribute("aria-invalid", "true");
      input.title = r.err;
    } else {
      input.removeAttribute("aria-invalid");
      input.removeAttribute("title");
    }
    return r;
  }

  // ---------------------------------------------------------------- live totals
  function recompute() {
    const values = new Map();
    for (const [path, el] of byPath) {
      const r = parseCell(el.value, decimal.has(path));
      values.set(path, r.err ? null : r.value);
    }
    for (const [path, terms] of Object.entries(spec.formulas)) {
      const td = derived.get(path);
      if (!td) continue;
      let sum = 0;
      let blank = false;
      for (const [leaf, k] of terms) {
        const v = values.get(leaf);
        if (v === null || v === undefined) { blank = true; break; }
        sum += k * v;
      }
      td.querySelector("output").textContent = blank ? "" : String(sum);
      const negative = !blank && sum < 0;
      td.classList.toggle("bad", negative);
      td.title = negative ? "结转下年度继续办理不能为负数：办理结果多于本年新收与上年结转之和" : "";
    }
  }

  function showMessage(input, r) {
    if (r.err) message.textContent = `${input.getAttribute("aria-label")}：${r.err}`;
    else if (message.dataset.for === input.name) message.textContent = "";
    message.dataset.for = input.name;
  }

  form.addEventListener("input", (ev) => {
    const el = ev.target;
    if (byPath.has(el.name)) {
      showMessage(el, validate(el));
      recompute();
    }
    scheduleSave();
  });
  form.addEventListener("focusin", (ev) => {
    if (ev.target.tagName === "TEXTAREA") lastText = ev.target;
  });

  // ---------------------------------------------------------------- server findings → highlighted cells
  function targets(key) {
    let m;
    if ((m = key.match(/^applications\.row\.(.+)$/))) return qsa(`[data-path^="applications.${m[1]}."]`, form);
    if ((m = key.match(/^applications\.column\.(.+)$/))) {
      return qsa(`[data-path^="applications."][data-path$=".${m[1]}"]`, form);
    }
    if ((m = key.match(/^table\.(.+)$/))) return qsa(`table[data-table="${m[1]}"]`, form);
    return qsa(`[data-path="${CSS.escape(key)}"]`, form);
  }

  function applyMarks() {
    const box = document.querySelector("#findings .compose-findings");
    if (!box) return;
    qsa(".sev-error, .sev-warning, .sev-notice", form).forEach((el) => el.classList.remove(...SEVERITIES));
    const marks = JSON.parse(box.dataset.marks || "{}");
    for (const [key, severity] of Object.entries(marks)) {
      targets(key).forEach((el) => el.classList.add("sev-" + severity));
    }
  }

  document.addEventListener("click", (ev) => {
    const li = ev.target.closest("#findings li[data-cells]");
    if (!li) return;
    qsa(".focus", form).forEach((el) => el.classList.remove("focus"));
    qsa("#findings li.active").forEach((el) => el.classList.remove("active"));
    li.classList.add("active");
    const els = JSON.parse(li.dataset.cells).flatMap(targets);
    els.forEach((el) => el.classList.add("focus"));
    if (els.length) {
      els[0].scrollIntoView({ block: "center", behavior: "smooth" });
      const input = els[0].matches("input, textarea") ? els[0] : els[0].querySelector("input, textarea");
      if (input) input.focus({ preventScroll: true });
    }
  });
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && ev.target.matches("#findings li[data-cells]")) ev.target.click();
  });
  document.body.addEventListener("htmx:afterSwap", (ev) => {
    if (ev.detail.target && ev.detail.target.id === "findings") applyMarks();
  });

  // ---------------------------------------------------------------- 生成正文数字句
  let lastText = null;
  document.getElementById("insert-sentences").addEventListener("click", async () => {
    const target = lastText || document.getElementById("section-overview");
    const resp = await nianbao.post("/compose/sentences", new FormData(form), { headers: { Accept: "application/json" } });
    const data = await resp.json();
    if (!resp.ok) {
      message.textContent = data.detail || "无法生成数字句";
      return;
    }
    const at = target.selectionEnd ?? target.value.length;
    const before = target.value.slice(0, at);
    const after = target.value.slice(at);
    const text = (before && !before.endsWith("\n") ? "\n" : "") + data.text + (after && !after.startsWith("\n") ? "\n" : "");
    target.value = before + text + after;
    target.dispatchEvent(new Event("input", { bubbles: true }));
    target.focus();
  });

  // ---------------------------------------------------------------- draft in localStorage
  function loadDraft() {
    try { return JSON.parse(localStorage.getItem(DRAFT_KEY) || "null"); } catch (e) { return null; }
  }
  let saveTimer = null;
  function scheduleSave() {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(() => {
      const fields = {};
      for (const el of form.elements) {
        if (el.name && el.name !== "csrf_token" && el.name !== "force") fields[el.name] = el.value;
      }
      try {
        localStorage.setItem(DRAFT_KEY, JSON.stringify({ unit: fields.unit, year: fields.year, fields,
                                                        saved: new Date().toISOString() }));
      } catch (e) { /* storage full or disabled: the form still works */ }
    }, 300);
  }
  if (form.dataset.draft === "restore") {
    const saved = loadDraft();
    if (saved && saved.fields) {
      for (const el of form.elements) {
        if (el.name && Object.prototype.hasOwnProperty.call(saved.fields, el.name)) el.value = saved.fields[el.name];
      }
    }
  } else {
    scheduleSave();
  }

  leaves.forEach(validate);
  recompute();
  applyMarks();
})();
