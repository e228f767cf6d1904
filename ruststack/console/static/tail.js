// The live tail of a function's log: an EventSource on the element's
// data-source that appends each "log" event as a line (no library).
(function () {
  "use strict";
  function start() {
    var box = document.getElementById("tail");
    if (!box || !window.EventSource) { return; }
    var seen = {};
    var source = new EventSource(box.getAttribute("data-source"));
    box.setAttribute("data-state", "connecting");
    source.addEventListener("open", function () { box.setAttribute("data-state", "open"); });
    source.addEventListener("log", function (message) {
      if (message.lastEventId && seen[message.lastEventId]) { return; }
      seen[message.lastEventId] = true;
      var event = JSON.parse(message.data);
      var line = document.createElement("div");
      line.className = "line";
      var time = document.createElement("time");
      time.textContent = new Date(event.timestamp).toISOString().substring(11, 23) + " ";
      line.appendChild(time);
      line.appendChild(document.createTextNode(event.message));
      box.appendChild(line);
      box.scrollTop = box.scrollHeight;
    });
    source.addEventListener("failure", function (message) {
      var line = document.createElement("div");
      line.className = "line error";
      line.textContent = JSON.parse(message.data).message;
      box.appendChild(line);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
