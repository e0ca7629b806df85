// kpcheckout: live status, countdowns and the KakaoTalk hand-off. The page works without it.
(function () {
  "use strict";
  var root = document.querySelector("[data-testid=checkout]");
  if (!root) return;

  // What is true only while this script runs ("this page moves on by itself") shows now.
  Array.prototype.forEach.call(document.querySelectorAll("[data-live-only]"), function (el) { el.hidden = false; });

  // Countdowns: <time data-countdown="unix seconds">.
  var clocks = Array.prototype.slice.call(document.querySelectorAll("[data-countdown]"));
  function pad(n) { return n < 10 ? "0" + n : "" + n; }
  function tick() {
    var now = Date.now() / 1000;
    clocks.forEach(function (el) {
      var left = Math.max(0, Math.floor(Number(el.getAttribute("data-countdown")) - now));
      var m = Math.floor(left / 60), s = left % 60;
      el.textContent = m >= 60 ? Math.floor(m / 60) + ":" + pad(m % 60) + ":" + pad(s) : m + ":" + pad(s);
    });
  }
  if (clocks.length) { tick(); setInterval(tick, 1000); }

  // Announce the time left to screen readers at 5, 3 and 1 minutes (not every second).
  var announcer = document.querySelector("[data-countdown-announce]");
  if (announcer && clocks.length) {
    var said = {};
    setInterval(function () {
      var left = Number(clocks[0].getAttribute("data-countdown")) - Date.now() / 1000;
      [5, 3, 1].forEach(function (m) {
        if (left <= m * 60 && left > (m - 1) * 60 && !said[m]) {
          said[m] = true;
          // The server words both plural forms; one minute takes the singular.
          var form = m === 1 ? "data-countdown-announce-one" : "data-countdown-announce";
          announcer.textContent = announcer.getAttribute(form).replace("%d", m);
        }
      });
    }, 1000);
  }

  // After a live reload, say the new status again so that screen readers announce it; a live
  // reload that lands on the paid page goes on to the shop, as the status poll would have.
  var live = document.querySelector("[aria-live][role=status]");
  try {
    if (live && sessionStorage.getItem("kp-announce") === "1") {
      sessionStorage.removeItem("kp-announce");
      var onward = document.querySelector("[data-testid=paid] [data-testid=continue]");
      var framed = window.parent !== window && root.hasAttribute("data-embed-origins");
      if (onward && !framed) { window.location.assign(onward.getAttribute("href")); return; }
      var html = live.innerHTML;
      live.innerHTML = "";
      setTimeout(function () { live.innerHTML = html; }, 150);
    }
  } catch (e) { /* storage may be off */ }

  // Inside a merchant's frame (/c/{id}?embed=1): tell the parent page, at its registered origin
  // only, that the checkout is there and each status it reaches; the parent decides where to go.
  var embedOrigins = (root.getAttribute("data-embed-origins") || "").split(" ").filter(Boolean);
  var parentOrigin = null;
  if (window.parent !== window && embedOrigins.length) {
    var ancestors = window.location.ancestorOrigins;
    var candidate = ancestors && ancestors.length ? ancestors[0] : (document.referrer ? new URL(document.referrer).origin : "");
    if (embedOrigins.indexOf(candidate) >= 0) parentOrigin = candidate;
  }
  var checkoutID = window.location.pathname.split("/")[2];
  function tellParent(type, s) {
    if (!parentOrigin) return;
    window.parent.postMessage({ type: type, checkout: checkoutID, status: s.status, redirect_url: s.redirect_url || null }, parentOrigin);
  }
  tellParent("kpcheckout.status", { status: root.getAttribute("data-view") === "paid" ? "paid" : (root.getAttribute("data-state") || "open").split(".")[0] });

  // Live status: long-poll the status endpoint; reload the server-rendered page on a change,
  // or go on to the merchant when the checkout is paid.
  var statusURL = root.getAttribute("data-status-url");
  var state = root.getAttribute("data-state");
  var delay = 1000;
  // A submitted form (pay, try again, pay with QR) is already taking the shopper to the new page:
  // a reload now would cancel that navigation, so the news waits for the page it leads to.
  var submitted = false;
  document.addEventListener("submit", function () { submitted = true; });
  function poll() {
    var url = statusURL + (statusURL.indexOf("?") < 0 ? "?" : "&") + "wait=25&known=" + encodeURIComponent(state);
    fetch(url, { headers: { Accept: "application/json" }, cache: "no-store", credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (s) {
        delay = 1000;
        if (submitted) return;
        if (s.state === state) { poll(); return; }
        tellParent("kpcheckout.status", s);
        if (s.status === "paid" && s.redirect_url && !parentOrigin) { window.location.assign(s.redirect_url); return; }
        try { sessionStorage.setItem("kp-announce", "1"); } catch (e) { /* storage may be off */ }
        window.location.reload();
      })
      .catch(function () { delay = Math.min(delay * 2, 15000); setTimeout(poll, delay); });
  }
  if (statusURL) poll();

  // Hand-off to KakaoTalk on a phone; if the page is still in front after ~2 s, KakaoTalk did
  // not open: offer the app store and the QR code instead.
  var handoff = document.querySelector("[data-handoff]");
  var fallback = document.querySelector("[data-fallback]");
  if (handoff && fallback) {
    var left = false;
    var timer;
    var opening = document.querySelector("[data-opening]");
    if (opening) opening.hidden = false;
    function reveal() { fallback.hidden = false; if (opening) opening.hidden = true; }
    function showFallback() { if (!left && document.visibilityState === "visible") reveal(); }
    window.addEventListener("pagehide", function () { left = true; clearTimeout(timer); });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") { left = true; clearTimeout(timer); }
    });
    window.addEventListener("pageshow", function (e) { if (e.persisted) { left = false; reveal(); } });
    timer = setTimeout(showFallback, 2000);
    if (parentOrigin) {
      // Framed: a page may not move its parent by itself, so the parent's embed script does.
      window.parent.postMessage({ type: "kpcheckout.open", checkout: checkoutID, url: handoff.href }, parentOrigin);
    } else {
      window.location.href = handoff.getAttribute("href");
    }
  }
})();

// Dashboard: a read-only URL field selects itself when focused, and its copy button, hidden
// without this script, copies it.
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("input[data-select-all]"), function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });
  if (!navigator.clipboard || !window.isSecureContext) return;
  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    if (!input) return;
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(input.value).then(function () {
        button.textContent = button.getAttribute("data-copied");
        setTimeout(function () { button.textContent = label; }, 2000);
      }, function () { input.focus(); input.select(); });
    });
  });
})();
