// RustStack console: the little the pages need beyond HTML (no framework, no CDN).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // A <select data-autosubmit> submits its form when changed.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  // Page timing for the browser tests and the curious: data-rendered on <body>.
  var timing = performance.getEntriesByType("navigation")[0];
  if (timing) { document.body.dataset.rendered = "1"; }
});
