// Keeps an order status page current without reloading it.
// Every few seconds it asks for the page's changing part with the tag it last saw; the
// server answers 304 (nothing new) until the order changes. Hidden tabs don't poll.
(function () {
  "use strict";
  var live = document.getElementById("live");
  var announce = document.getElementById("announce");
  if (!live || !window.fetch) { return; }

  var url = live.getAttribute("data-live-url");
  var every = (Number(live.getAttribute("data-poll-seconds")) || 5) * 1000;
  var settledEvery = 60000;
  var longest = 120000;
  var etag = live.getAttribute("data-etag");
  var failures = 0;
  var timer = null;

  function localTimes(root) {
    var format = window.Intl && Intl.DateTimeFormat
      ? new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" })
      : null;
    if (!format) { return; }
    root.querySelectorAll("time[data-local]").forEach(function (node) {
      var when = new Date(node.getAttribute("datetime"));
      if (!isNaN(when.getTime())) { node.textContent = format.format(when); }
    });
  }

  function headline() {
    var node = document.getElementById("headline");
    return node ? node.textContent.trim() : "";
  }

  function settled() {
    var status = live.querySelector("[data-settled]");
    return status && status.getAttribute("data-settled") === "yes";
  }

  function show(html) {
    var before = headline();
    live.innerHTML = html;
    localTimes(live);
    var after = headline();
    if (announce && after && after !== before) {
      announce.textContent = "Order status updated: " + after;
    }
  }

  function schedule(delay) {
    window.clearTimeout(timer);
    timer = window.setTimeout(poll, delay);
  }

  function nextDelay() {
    return settled() ? settledEvery : every;
  }

  function poll() {
    if (document.hidden) { return; }
    var headers = { "Accept": "text/html" };
    if (etag) { headers["If-None-Match"] = etag; }
    window.fetch(url, { headers: headers, cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 304) { return null; }
        if (response.status !== 200) { throw new Error("HTTP " + response.status); }
        etag = response.headers.get("ETag") || etag;
        return response.text();
      })
      .then(function (html) {
        if (html !== null) { show(html); }
        failures = 0;
        schedule(nextDelay());
      })
      .catch(function () {
        failures += 1;
        schedule(Math.min(every * Math.pow(2, failures), longest));
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { schedule(0); }
  });
  localTimes(live);
  schedule(nextDelay());
})();
