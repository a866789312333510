// The workbench's filters start closed on a phone, so the queue is on the first screen; on a wide
// screen there is room, so they start open. A filter that is set opens them on the server's side.
(function () {
  "use strict";
  if (!window.matchMedia("(min-width: 700px)").matches) {
    return;
  }
  document.querySelectorAll("details[data-open-wide]").forEach(function (details) {
    details.open = true;
  });
})();
