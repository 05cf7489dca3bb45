// Idle sign-out warning. The server signs a session out after IDLE_TIMEOUT_SECONDS without a
// request (security.middleware.IdleTimeoutMiddleware); this script only warns a little before and
// offers to stay signed in. No inline script: settings come from <meta> tags in base.html.
(function () {
  "use strict";
  function meta(name) {
    var el = document.querySelector('meta[name="' + name + '"]');
    return el ? el.getAttribute("content") : null;
  }
  var timeout = parseInt(meta("idle-timeout"), 10);
  if (!timeout) { return; } // signed out: nothing to watch
  var warning = Math.min(parseInt(meta("idle-warning"), 10) || 120, Math.floor(timeout / 2));
  var statusUrl = meta("idle-status-url");
  var keepaliveUrl = meta("idle-keepalive-url");
  var loginUrl = meta("idle-login-url");
  var timer = null;
  var countdown = null;
  var dialog = null;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) { return ""; }
  }

  function signedOut() {
    window.location.assign(loginUrl + "?next=" + encodeURIComponent(window.location.pathname + window.location.search));
  }

  function schedule(remaining) {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, Math.max(1, remaining - warning) * 1000);
  }

  // Ask the server (without counting as activity): another tab may have kept the session alive.
  function check() {
    fetch(statusUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (body) {
        // Only the server decides that the session is over (it answers 401 once it signed it out).
        if (!body.signed_in) { signedOut(); return; }
        if (body.remaining > warning + 5) { hideWarning(); schedule(body.remaining); return; }
        showWarning(body.remaining);
      })
      .catch(function () { schedule(warning + 10); });
  }

  function buildDialog() {
    dialog = document.createElement("dialog");
    dialog.setAttribute("role", "alertdialog");
    dialog.setAttribute("aria-labelledby", "idle-title");
    dialog.id = "idle-warning";
    var h = document.createElement("h2");
    h.id = "idle-title";
    h.textContent = "You will be signed out soon";
    var p = document.createElement("p");
    p.id = "idle-countdown";
    var stay = document.createElement("button");
    stay.type = "button";
    stay.className = "primary";
    stay.textContent = "Stay signed in";
    stay.addEventListener("click", stayIn);
    dialog.appendChild(h);
    dialog.appendChild(p);
    dialog.appendChild(stay);
    document.body.appendChild(dialog);
  }

  function showWarning(remaining) {
    if (!dialog) { buildDialog(); }
    var left = remaining;
    var text = dialog.querySelector("#idle-countdown");
    function tick() {
      text.textContent = "For your patients' privacy, PortalGov signs you out after a period without activity. " +
        "Signing out in " + left + " seconds.";
      if (left <= 0) { window.clearInterval(countdown); window.setTimeout(check, 1500); return; }
      left -= 1;
    }
    window.clearInterval(countdown);
    tick();
    countdown = window.setInterval(tick, 1000);
    if (!dialog.open) {
      if (dialog.showModal) { dialog.showModal(); } else { dialog.setAttribute("open", ""); }
    }
  }

  function hideWarning() {
    window.clearInterval(countdown);
    if (dialog && dialog.open) { dialog.close(); }
  }

  function stayIn() {
    fetch(keepaliveUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" }
    })
      .then(function (r) { return r.json(); })
      .then(function (body) {
        if (!body.signed_in) { signedOut(); return; }
        hideWarning();
        schedule(body.remaining);
      })
      .catch(signedOut);
  }

  // Every htmx request is activity on the server too.
  document.addEventListener("htmx:afterRequest", function () { hideWarning(); schedule(timeout); });
  schedule(timeout);
})();
