/* Payvand web chat widget: <script src="https://crm.example/chat/widget/<version>/chat.js"
   data-payvand-chat="https://crm.example" [data-lang="fa|en"] defer></script>
   Vanilla JS, no inline code or style elements; polls for new messages while open. */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-payvand-chat]");
  if (!script || window.PayvandChat) { return; }
  var base = (script.getAttribute("data-payvand-chat") || new URL(script.src).origin).replace(/\/+$/, "");
  var lang = (script.getAttribute("data-lang") || document.documentElement.lang || "fa").slice(0, 2).toLowerCase();
  if (lang !== "en") { lang = "fa"; }
  var T = {
    fa: { open: "گفت‌وگو با ما", title: "گفت‌وگوی آنلاین", close: "بستن", name: "نام (اختیاری)",
      contact: "ایمیل یا تلفن (اختیاری)", start: "شروع گفت‌وگو", message: "پیام شما", send: "ارسال",
      you: "شما", staff: "پشتیبانی", error: "ارسال نشد؛ دوباره تلاش کنید.", wait: "لطفاً کمی صبر کنید.",
      closed: "این گفت‌وگو بسته شده است." },
    en: { open: "Chat with us", title: "Live chat", close: "Close", name: "Name (optional)",
      contact: "Email or phone (optional)", start: "Start chat", message: "Your message", send: "Send",
      you: "You", staff: "Support", error: "Not sent; please try again.", wait: "Please wait a little.",
      closed: "This conversation is closed." }
  }[lang];
  var KEY = "payvand-chat:" + base;
  var state = { token: null, since: 0, timer: null, seen: {} };
  try { state.token = window.localStorage.getItem(KEY); } catch (e) { state.token = null; }

  var version = (script.src.match(/\/chat\/widget\/([^/]+)\/chat\.js/) || [])[1];
  if (version) {
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = base + "/chat/widget/" + version + "/chat.css";
    document.head.appendChild(css);
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) { node.textContent = text; }
    return node;
  }

  var root = el("div", { "class": "pvc", dir: lang === "fa" ? "rtl" : "ltr", lang: lang });
  var button = el("button", { type: "button", "class": "pvc-open", "aria-expanded": "false",
    "aria-controls": "pvc-panel", id: "pvc-open" }, T.open);
  var panel = el("section", { "class": "pvc-panel", id: "pvc-panel", role: "dialog",
    "aria-labelledby": "pvc-title", hidden: "" });
  var head = el("div", { "class": "pvc-head" });
  head.appendChild(el("h2", { id: "pvc-title" }, T.title));
  var closer = el("button", { type: "button", "class": "pvc-close", "aria-label": T.close }, "×");
  head.appendChild(closer);
  var log = el("ol", { "class": "pvc-log", id: "pvc-log", "aria-live": "polite", "aria-relevant": "additions" });
  var status = el("p", { "class": "pvc-status", role: "status" });
  var intro = el("form", { "class": "pvc-intro", id: "pvc-intro" });
  var nameInput = el("input", { id: "pvc-name", name: "name", maxlength: "120", autocomplete: "name" });
  var contactInput = el("input", { id: "pvc-contact", name: "contact", maxlength: "254", dir: "ltr", autocomplete: "email" });
  intro.appendChild(el("label", { "for": "pvc-name" }, T.name));
  intro.appendChild(nameInput);
  intro.appendChild(el("label", { "for": "pvc-contact" }, T.contact));
  intro.appendChild(contactInput);
  intro.appendChild(el("button", { type: "submit", id: "pvc-start" }, T.start));
  var form = el("form", { "class": "pvc-form", id: "pvc-form", hidden: "" });
  var text = el("textarea", { id: "pvc-text", name: "text", maxlength: "2000", rows: "2", dir: "auto", required: "" });
  form.appendChild(el("label", { "for": "pvc-text", "class": "pvc-label" }, T.message));
  form.appendChild(text);
  form.appendChild(el("button", { type: "submit", id: "pvc-send" }, T.send));
  [head, log, status, intro, form].forEach(function (n) { panel.appendChild(n); });
  root.appendChild(button);
  root.appendChild(panel);

  function api(method, path, body) {
    var headers = { "Content-Type": "application/json" };
    if (state.token) { headers.Authorization = "Bearer " + state.token; }
    return fetch(base + path, { method: method, headers: headers, credentials: "omit",
      body: body ? JSON.stringify(body) : undefined }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) { var err = new Error(data.message || r.status); err.status = r.status; throw err; }
        return data;
      });
    });
  }

  function show(message) {
    if (state.seen[message.id]) { return; }
    state.seen[message.id] = true;
    var item = el("li", { "class": "pvc-msg pvc-" + message.from, "data-id": String(message.id) });
    item.appendChild(el("span", { "class": "pvc-who" }, message.from === "visitor" ? T.you : T.staff));
    item.appendChild(el("span", { "class": "pvc-text", dir: "auto" }, message.text));
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
    state.since = Math.max(state.since, message.id);
  }

  function fetchNew() {
    if (!state.token) { return Promise.resolve(); }
    return api("GET", "/chat/v1/messages?since=" + state.since).then(function (data) {
      (data.messages || []).forEach(show);
      if (data.closed) { status.textContent = T.closed; forget(); }
    }).catch(function (err) {
      if (err.status === 401) { forget(); }
    });
  }

  function forget() {
    state.token = null;
    try { window.localStorage.removeItem(KEY); } catch (e) { /* private mode */ }
    form.hidden = true;
    intro.hidden = false;
    stop();
  }

  function poll() {
    stop();
    state.timer = window.setInterval(function () { if (!document.hidden) { fetchNew(); } }, 3000);
  }

  function stop() { if (state.timer) { window.clearInterval(state.timer); state.timer = null; } }

  function ready() {
    intro.hidden = true;
    form.hidden = false;
    fetchNew();
    poll();
  }

  function newId() {
    var bytes = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function sendText(value, clientId, attempt) {
    return api("POST", "/chat/v1/messages", { text: value, client_id: clientId }).catch(function (err) {
      if (err.status === 429) { status.textContent = T.wait; throw err; }
      if (!err.status && attempt < 3) { // network trouble: retry with the same id (recorded once)
        return new Promise(function (resolve) { window.setTimeout(resolve, 1000 * attempt); })
          .then(function () { return sendText(value, clientId, attempt + 1); });
      }
      throw err;
    });
  }

  intro.addEventListener("submit", function (event) {
    event.preventDefault();
    var contact = contactInput.value.trim();
    var body = { name: nameInput.value.trim(), lang: lang, page: String(window.location.href).slice(0, 500) };
    if (contact.indexOf("@") > 0) { body.email = contact; } else if (contact) { body.phone = contact; }
    api("POST", "/chat/v1/conversations", body).then(function (data) {
      state.token = data.token;
      try { window.localStorage.setItem(KEY, data.token); } catch (e) { /* private mode */ }
      status.textContent = "";
      ready();
      text.focus();
    }).catch(function (err) { status.textContent = err.status === 429 ? T.wait : (err.message || T.error); });
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var value = text.value.trim();
    if (!value) { return; }
    sendText(value, newId(), 1).then(function () {
      text.value = "";
      status.textContent = "";
      return fetchNew();
    }).catch(function (err) { if (err.status !== 429) { status.textContent = T.error; } });
  });

  text.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
  });

  function toggle(open) {
    panel.hidden = !open;
    button.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      if (state.token) { ready(); text.focus(); } else { nameInput.focus(); }
    } else { stop(); button.focus(); }
  }
  button.addEventListener("click", function () { toggle(panel.hidden); });
  closer.addEventListener("click", function () { toggle(false); });
  panel.addEventListener("keydown", function (event) { if (event.key === "Escape") { toggle(false); } });

  window.PayvandChat = { open: function () { toggle(true); }, close: function () { toggle(false); } };
  if (document.body) { document.body.appendChild(root); } else {
    document.addEventListener("DOMContentLoaded", function () { document.body.appendChild(root); });
  }
})();
