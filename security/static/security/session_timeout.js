/*
 * Staff sessions end after a time without activity (security/session_idle.py). This script:
 * - asks the server how long is left shortly before the end (another tab may have been busy) and
 *   shows a dialog a couple of minutes before it, whose "continue" counts as activity;
 * - counts typing and clicking on the page as activity (a ping at most every five minutes), so
 *   someone filling a long form is not signed out while working;
 * - keeps what the page's forms hold in sessionStorage (this tab only) as it is typed, and puts it
 *   back when the same user returns to the page straight from signing in again.
 *   Kept: text, number, date and similar inputs, text areas, selects, checkboxes and radio buttons.
 *   Never kept: passwords, files, hidden fields (CSRF tokens), and forms marked
 *   data-session-keep="off". Kept entries older than a day are dropped, and all on signing out.
 */
(function () {
  "use strict";

  var dialog = document.getElementById("session-timeout");
  if (!dialog || typeof dialog.showModal !== "function") {
    return;
  }
  var idleSeconds = parseInt(dialog.dataset.idleSeconds, 10);
  var warnSeconds = parseInt(dialog.dataset.warnSeconds, 10) || 120;
  var statusUrl = dialog.dataset.statusUrl;
  var userId = dialog.dataset.user;
  var keepAliveForm = dialog.querySelector("form");
  var countdown = dialog.querySelector("[data-countdown]");
  var STORE = "portal.unsentForms";
  var PING_EVERY_MS = 5 * 60 * 1000;
  var KEEP_FOR_MS = 24 * 60 * 60 * 1000;
  var SKIPPED_TYPES = ["password", "file", "hidden", "submit", "button", "image", "reset"];

  /* ---- what the forms hold ---- */

  function keptForms() {
    return Array.prototype.filter.call(document.forms, function (form) {
      return (
        form !== keepAliveForm &&
        (form.getAttribute("method") || "get").toLowerCase() === "post" &&
        form.dataset.sessionKeep !== "off" &&
        !form.closest(".lang") &&
        !form.closest(".nav")
      );
    });
  }

  function keptFields(form) {
    return Array.prototype.filter.call(form.elements, function (field) {
      if (!field.name || field.disabled) {
        return false;
      }
      if (field.tagName === "INPUT") {
        return SKIPPED_TYPES.indexOf((field.type || "text").toLowerCase()) === -1;
      }
      return field.tagName === "TEXTAREA" || field.tagName === "SELECT";
    });
  }

  function readStore() {
    try {
      return JSON.parse(window.sessionStorage.getItem(STORE)) || {};
    } catch (error) {
      return {};
    }
  }

  function writeStore(store) {
    try {
      window.sessionStorage.setItem(STORE, JSON.stringify(store));
    } catch (error) {
      /* Storage full or refused: the page still works, only the safety net is missing. */
    }
  }

  function snapshot() {
    var forms = keptForms().map(function (form) {
      var values = {};
      keptFields(form).forEach(function (field) {
        var type = (field.type || "").toLowerCase();
        if (type === "checkbox" || type === "radio") {
          values[field.name] = values[field.name] || [];
          if (field.checked) {
            values[field.name].push(field.value);
          }
        } else if (field.tagName === "SELECT" && field.multiple) {
          values[field.name] = Array.prototype.filter
            .call(field.options, function (option) { return option.selected; })
            .map(function (option) { return option.value; });
        } else {
          values[field.name] = field.value;
        }
      });
      return { action: form.getAttribute("action") || "", values: values };
    });
    var store = readStore();
    store[location.pathname] = { user: userId, savedAt: Date.now(), forms: forms };
    writeStore(store);
  }

  function restore(entry) {
    keptForms().forEach(function (form, index) {
      var saved = entry.forms[index];
      if (!saved || saved.action !== (form.getAttribute("action") || "")) {
        return;
      }
      keptFields(form).forEach(function (field) {
        if (!Object.prototype.hasOwnProperty.call(saved.values, field.name)) {
          return;
        }
        var value = saved.values[field.name];
        var type = (field.type || "").toLowerCase();
        if (type === "checkbox" || type === "radio") {
          field.checked = value.indexOf(field.value) !== -1;
        } else if (field.tagName === "SELECT" && field.multiple) {
          Array.prototype.forEach.call(field.options, function (option) {
            option.selected = value.indexOf(option.value) !== -1;
          });
        } else {
          field.value = value;
        }
      });
    });
  }

  function cameFromSigningIn() {
    if (!document.referrer) {
      return false;
    }
    try {
      var from = new URL(document.referrer);
      return from.origin === location.origin && from.pathname.indexOf("/accounts/") === 0;
    } catch (error) {
      return false;
    }
  }

  function settleStore() {
    var store = readStore();
    var now = Date.now();
    Object.keys(store).forEach(function (path) {
      if (!store[path] || now - store[path].savedAt > KEEP_FOR_MS || store[path].user !== userId) {
        delete store[path];
      }
    });
    var entry = store[location.pathname];
    if (entry && cameFromSigningIn()) {
      restore(entry);
    }
    // Either put back or, reached any other way, stale: the page's own values stand.
    delete store[location.pathname];
    writeStore(store);
  }

  settleStore();
  keptForms().forEach(function (form) {
    form.addEventListener("input", snapshot);
    form.addEventListener("change", snapshot);
  });
  document.querySelectorAll("form[action$='/accounts/logout/']").forEach(function (form) {
    form.addEventListener("submit", function () {
      window.sessionStorage.removeItem(STORE);
    });
  });

  /* ---- the idle timer ---- */

  var timer = null;
  var ticker = null;
  var lastPing = Date.now();

  function schedule(secondsLeft) {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, Math.max(1, secondsLeft - warnSeconds) * 1000);
  }

  function signInAgain() {
    snapshot();
    // The server has ended the session: reloading leads to the sign-in page and back here.
    window.location.reload();
  }

  function check() {
    fetch(statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (status) {
        if (!status.signed_in) {
          signInAgain();
        } else if (status.seconds_left > warnSeconds + 5) {
          schedule(status.seconds_left);
        } else {
          warn(status.seconds_left);
        }
      })
      .catch(function () {
        schedule(warnSeconds + 60);
      });
  }

  function showCountdown(deadline) {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    countdown.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
    if (left === 0) {
      window.clearInterval(ticker);
      signInAgain();
    }
  }

  function warn(secondsLeft) {
    var deadline = Date.now() + secondsLeft * 1000;
    showCountdown(deadline);
    window.clearInterval(ticker);
    ticker = window.setInterval(function () { showCountdown(deadline); }, 1000);
    if (!dialog.open) {
      dialog.showModal();
    }
  }

  function keepAlive() {
    lastPing = Date.now();
    return fetch(statusUrl, {
      method: "POST",
      body: new FormData(keepAliveForm),
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) { return response.json(); })
      .then(function (status) {
        if (!status.signed_in) {
          signInAgain();
        } else {
          schedule(status.seconds_left);
        }
      });
  }

  keepAliveForm.addEventListener("submit", function (event) {
    event.preventDefault();
    window.clearInterval(ticker);
    dialog.close();
    keepAlive();
  });

  function noteActivity() {
    // While the dialog is open only "continue" counts: a stray key must not hide the warning's purpose.
    if (!dialog.open && Date.now() - lastPing >= PING_EVERY_MS) {
      keepAlive();
    }
  }
  ["keydown", "pointerdown"].forEach(function (name) {
    document.addEventListener(name, noteActivity, { passive: true });
  });

  if (idleSeconds > 0) {
    schedule(idleSeconds);
  }
})();
