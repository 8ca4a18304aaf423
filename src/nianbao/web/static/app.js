// nianbao: the little script every page shares (no build step).
// fetch() calls from page scripts send the CSRF token the same way htmx does (hx-headers on <body>).
window.nianbao = {
  csrf: () => document.querySelector('meta[name="csrf-token"]').content,
  post: (url, body, opts = {}) => fetch(url, Object.assign({ method: "POST", body,
      headers: Object.assign({ "X-CSRF-Token": nianbao.csrf() }, opts.headers || {}), credentials: "same-origin" }, opts)),
};
