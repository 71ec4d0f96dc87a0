// Goals Admin's tracking script: a page view for each page load and each move of a single-page
// app (history.pushState, popstate, a page shown again from the back-forward cache; not a move to
// a #fragment of the same page, unless it is a "#/" route), sent to the
// collect endpoint of the server this script came from, with the site key of its script tag:
//   <script async src="https://GOALS-ADMIN/static/tracking/goals.js" data-site-key="KEY"></script>
// The visitor id is a random id kept in the origin's local storage (no cookie), or the one the site
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
  var LONGEST_URL = 4096; // the server's limits: a longer URL or id would be refused
  var LONGEST_ID = 255;
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

  // What the server takes as an id: text, not blank, without control characters or halves of a
  // character (lone surrogates); anything else would have every page view of the visitor refused.
  function valid(id) {
    if (typeof id !== "string" || !/\S/.test(id) || id.length > LONGEST_ID || /[\x00-\x1f\x7f-\x9f]/.test(id)) return false;
    try { encodeURIComponent(id); return true; } catch (e) { return false; }
  }

  // Whole characters: a site may have cut its title in the middle of one.
  function text(value, length) {
    return Array.from(value).filter(function (c) { return c.length > 1 || c < "\ud800" || c > "\udfff"; })
      .slice(0, length).join("");
  }

  function visitorId() {
    if (!visitor) {
      try { visitor = localStorage.getItem(KEY); } catch (e) { /* storage refused */ }
      if (!valid(visitor)) remember(randomId());
    }
    return visitor;
  }

  function identify(id) {
    if (valid(id)) remember(id);
  }

  // The page a URL shows: without its #fragment, unless the fragment is a route ("#/orders",
  // "#!/orders") of a single-page app that routes by fragments.
  function page(url) {
    var at = url ? url.indexOf("#") : -1;
    var route = url && (url.charAt(at + 1) === "/" || url.charAt(at + 1) === "!");
    return at < 0 || route ? url : url.slice(0, at);
  }

  // A move within the page (to a #fragment) is no page view.
  function send(url) {
    if (silent || page(url) === page(lastUrl)) return;
    lastUrl = url;
    if (url.length > LONGEST_URL) return;
    var body = JSON.stringify({ id: randomId(), visitor_id: visitorId(), url: url, title: text(document.title, 1024) });
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
