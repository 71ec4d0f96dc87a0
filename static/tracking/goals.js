// Goals Admin's tracking script: a page view for each page load and each move of a single-page
// app (history.pushState, popstate, a page shown again from the back-forward cache), sent to the
// collect endpoint of the server this script came from, with the site key of its script tag:
//   <script async src="https://GOALS-ADMIN/static/tracking/goals.js" data-site-key="KEY"></script>
// The visitor id is a random id kept in the site's local storage (no cookie), or the one the site
// gives: window.goalsAdmin = [["identify", "ID"]] before the script, goalsAdmin.identify("ID")
// after. With data-honour-gpc on the tag, a browser that sends Global Privacy Control sends nothing.
(function () {
  "use strict";
  var script = document.currentScript;
  var queued = window.goalsAdmin;
  if (!script || (queued && queued.identify)) return; // not a script tag, or loaded twice
  var endpoint = new URL("/api/collect/" + encodeURIComponent(script.getAttribute("data-site-key") || ""), script.src).href;
  var silent = script.hasAttribute("data-honour-gpc") && navigator.globalPrivacyControl === true;
  var KEY = "goalsAdmin.visitor";
  var visitor = null;
  var lastUrl = null;
  var moves = [];

  function randomId() {
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function remember(id) {
    visitor = id;
    try { localStorage.setItem(KEY, id); } catch (e) { /* storage refused: kept for this page only */ }
  }

  function visitorId() {
    if (!visitor) {
      try { visitor = localStorage.getItem(KEY); } catch (e) { /* storage refused */ }
      if (!visitor) remember(randomId());
    }
    return visitor;
  }

  function identify(id) {
    if (typeof id === "string" && id) remember(id);
  }

  function send(url) {
    if (silent || url === lastUrl) return;
    lastUrl = url;
    var body = JSON.stringify({ id: randomId(), visitor_id: visitorId(), url: url, title: document.title.slice(0, 1024) });
    // text/plain keeps the request simple: no CORS preflight, and a beacon survives the page.
    var sent = false;
    try { sent = navigator.sendBeacon(endpoint, new Blob([body], { type: "text/plain" })); } catch (e) { /* none */ }
    if (!sent) {
      fetch(endpoint, { method: "POST", body: body, keepalive: true, mode: "no-cors", credentials: "omit" })
        .catch(function () { /* offline: this page view is lost */ });
    }
  }

  window.goalsAdmin = {
    identify: identify,
    push: function (command) { if (command && command[0] === "identify") identify(command[1]); }
  };
  (Array.isArray(queued) ? queued : []).forEach(window.goalsAdmin.push);

  // A single-page app sets the new page's title after it moves: its page view is sent a task
  // later, with that title, or as the page goes, if it goes first.
  function sendMoves() {
    while (moves.length) send(moves.shift());
  }
  function moved() {
    moves.push(location.href);
    setTimeout(sendMoves, 0);
  }
  var pushState = history.pushState;
  history.pushState = function () {
    var result = pushState.apply(this, arguments);
    moved();
    return result;
  };
  addEventListener("popstate", moved);
  addEventListener("pagehide", sendMoves);
  addEventListener("pageshow", function (event) {
    if (event.persisted) { lastUrl = null; send(location.href); }
  });
  function loaded() { send(location.href); }
  if (document.prerendering) document.addEventListener("prerenderingchange", loaded, { once: true });
  else loaded();
})();
