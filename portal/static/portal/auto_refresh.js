/*
 * Pages that follow work in progress (the command-centre screen, an import's progress) reload
 * themselves, as a meta refresh once did, but a person can stop it (WCAG 2.2.1, Timing Adjustable;
 * axe flags a meta refresh as critical). The page carries portal/_auto_refresh.html:
 *
 *   <p data-auto-refresh="60" data-pause-label="…" data-resume-label="…" data-paused-text="…">
 *     <span data-auto-refresh-status hidden>…</span>
 *     <a href="(this page)">Refresh now</a>
 *   </p>
 *
 * Without scripts only the link shows, and the page says nothing of refreshing itself. With them,
 * the status shows, a pause button is added before the link (made here, so that no stylesheet's
 * `button { display: … }` can show a dead one), and the page reloads (same address, same filters)
 * after the given number of seconds unless paused; resuming starts the wait afresh. The button's words say
 * what it does next (pause, resume), so it carries no aria-pressed, which would contradict them.
 */
(function () {
  "use strict";

  var box = document.querySelector("[data-auto-refresh]");
  if (!box) {
    return;
  }
  var seconds = parseInt(box.getAttribute("data-auto-refresh"), 10);
  if (!(seconds > 0)) {
    return;
  }
  var status = box.querySelector("[data-auto-refresh-status]");
  var toggle = document.createElement("button");
  toggle.type = "button";
  toggle.className = "secondary";
  box.insertBefore(toggle, box.querySelector("a"));
  var runningText = status ? status.textContent : "";
  var timer = null;

  function start() {
    timer = window.setTimeout(function () {
      window.location.reload();
    }, seconds * 1000);
    toggle.textContent = box.getAttribute("data-pause-label");
    if (status) {
      status.textContent = runningText;
    }
  }

  function pause() {
    window.clearTimeout(timer);
    timer = null;
    toggle.textContent = box.getAttribute("data-resume-label");
    if (status) {
      status.textContent = box.getAttribute("data-paused-text");
    }
  }

  if (status) {
    status.hidden = false;
  }
  toggle.addEventListener("click", function () {
    if (timer === null) {
      start();
    } else {
      pause();
    }
  });
  start();
})();
