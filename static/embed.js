// kpcheckout embed: KPCheckout.open(checkoutURL, {onStatus, onPaid, onClose}) shows a checkout in
// a modal frame on the merchant's page and calls back with each status the checkout reaches. The
// merchant's origin must be one of its embed_origins. No dependencies.
(function () {
  "use strict";
  function open(url, cb) {
    cb = cb || {};
    var u = new URL(url, window.location.href);
    u.searchParams.set("embed", "1");
    var overlay = document.createElement("div");
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-modal", "true");
    overlay.setAttribute("aria-label", cb.title || "카카오페이 결제");
    overlay.style.cssText = "position:fixed;inset:0;z-index:2147483647;display:flex;align-items:center;" +
      "justify-content:center;background:rgba(0,0,0,.5)";
    var frame = document.createElement("iframe");
    frame.src = u.href;
    frame.title = cb.title || "카카오페이 결제";
    frame.style.cssText = "width:min(440px,100vw);height:min(760px,100vh);border:0;border-radius:16px;background:#fff";
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "\u00d7";
    close.setAttribute("aria-label", cb.closeLabel || "닫기");
    close.style.cssText = "position:absolute;top:8px;right:12px;font-size:32px;line-height:1;background:none;" +
      "border:0;color:#fff;cursor:pointer";
    function onMessage(e) {
      var d = e.data;
      if (e.origin !== u.origin || e.source !== frame.contentWindow || !d) return;
      if (d.type === "kpcheckout.open" && /^https?:/.test(d.url)) {
        window.location.href = d.url; // a phone: on to KakaoTalk's payment, in the whole window
        return;
      }
      if (d.type !== "kpcheckout.status") return;
      if (cb.onStatus) cb.onStatus(d);
      if (d.status === "paid" && cb.onPaid) cb.onPaid(d);
    }
    function done() {
      window.removeEventListener("message", onMessage);
      overlay.remove();
      if (cb.onClose) cb.onClose();
    }
    window.addEventListener("message", onMessage);
    close.addEventListener("click", done);
    overlay.appendChild(frame);
    overlay.appendChild(close);
    document.body.appendChild(overlay);
    close.focus();
    return { close: done, frame: frame };
  }
  window.KPCheckout = { open: open };
})();
