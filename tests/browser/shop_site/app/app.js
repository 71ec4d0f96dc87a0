// The shop's account section: a single-page app. Its links change the address with
// history.pushState and draw the view in place; the back button (popstate) draws the view of the
// address it returns to. No page loads again, so only the snippet's history hooks see the moves.
(function () {
  "use strict";
  var views = {
    "/app/": { title: "Your account", html: '<h1>Your account</h1><p><a href="/app/orders">Your orders</a></p>' },
    "/app/orders": { title: "Your orders", html: '<h1>Your orders</h1><ul><li><a href="/app/orders/1042">Order 1042</a>: the Kyoto teapot</li></ul>' },
    "/app/orders/1042": { title: "Order 1042", html: '<h1>Order 1042</h1><p>The Kyoto teapot, shipped today.</p><p><a href="/app/orders">Your orders</a></p>' }
  };
  var missing = { title: "Not found", html: "<h1>Not found</h1>" };

  function draw() {
    var view = views[location.pathname] || missing;
    document.title = view.title + " · Teapot Shop";
    document.getElementById("view").innerHTML = view.html;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='/app/']");
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey) return;
    event.preventDefault();
    history.pushState(null, "", link.getAttribute("href"));
    draw();
  });
  addEventListener("popstate", draw);
  draw();
})();
