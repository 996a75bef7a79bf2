/* Carnet's page script for the installable app (docs/subsystems/pwa.md). Loaded by every page from
   our origin (no inline script: the Content-Security-Policy allows 'self').

   1. Registers the service worker (/sw.js, scope "/").
   2. Keeps or deletes the offline copy of the emergency summary, as <meta name="carnet-offline-summary">
      says: "keep" (this device's owner turned it on: fetch it when missing or older than MAX_AGE_MS),
      "clear" (turned off, another kind of user, or this device was logged out or revoked: delete it).
   3. On the devices page, turns Web Push on for this device when the person clicks the button (the
      browser asks its permission then, never on load) and sends the subscription to the server; turning
      it off also unsubscribes the browser. */
(function () {
  "use strict";

  var MAX_AGE_MS = 6 * 3600 * 1000;
  var script = document.currentScript;
  var workerUrl = (script && script.dataset.sw) || "/sw.js";

  function register() {
    if (!("serviceWorker" in navigator)) {
      return Promise.resolve(null);
    }
    return navigator.serviceWorker.register(workerUrl, { scope: "/" }).catch(function () {
      return null;
    });
  }

  function keepSummary(url, name) {
    return caches.open(name).then(function (cache) {
      return cache.match(url).then(function (kept) {
        var fetchedAt = kept ? Date.parse(kept.headers.get("Date") || "") : NaN;
        if (kept && !isNaN(fetchedAt) && Date.now() - fetchedAt < MAX_AGE_MS) {
          return kept;
        }
        return fetch(url, { credentials: "same-origin", cache: "no-store", redirect: "follow" }).then(function (response) {
          if (response.status === 200 && !response.redirected) {
            return cache.put(url, response);
          }
          return null;
        });
      });
    });
  }

  function syncSummary() {
    var meta = document.querySelector('meta[name="carnet-offline-summary"]');
    if (!meta || !("caches" in window)) {
      return Promise.resolve();
    }
    var name = meta.dataset.cache || "carnet-emergency-summary";
    if (meta.content === "keep") {
      return keepSummary(meta.dataset.url, name).catch(function () { return null; });
    }
    if (meta.content === "clear") {
      return caches.delete(name);
    }
    return Promise.resolve();
  }

  function base64UrlToBytes(text) {
    var padded = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) {
      bytes[i] = raw.charCodeAt(i);
    }
    return bytes;
  }

  function csrfToken(element) {
    var input = element.closest("[data-pwa-push]").querySelector('input[name="csrfmiddlewaretoken"]');
    return input ? input.value : "";
  }

  function say(box, text) {
    var status = box.querySelector("[data-pwa-push-status]");
    if (status) {
      status.textContent = text;
      status.classList.remove("fr-hidden");
    }
  }

  function pushOn(button) {
    var box = button.closest("[data-pwa-push]");
    button.disabled = true;
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") {
        say(box, box.dataset.msgDenied);
        button.disabled = false;
        return null;
      }
      return navigator.serviceWorker.ready.then(function (registration) {
        return registration.pushManager.getSubscription().then(function (old) {
          return old || registration.pushManager.subscribe({
            userVisibleOnly: true,
            applicationServerKey: base64UrlToBytes(box.dataset.key)
          });
        });
      }).then(function (subscription) {
        return fetch(box.dataset.url, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(button) },
          body: JSON.stringify(subscription.toJSON())
        });
      }).then(function (response) {
        if (response.status === 201) {
          window.location.reload();
        } else {
          say(box, box.dataset.msgFailed);
          button.disabled = false;
        }
      });
    }).catch(function () {
      say(box, box.dataset.msgFailed);
      button.disabled = false;
    });
  }

  function pushOff(form, event) {
    if (form.dataset.unsubscribed === "1" || !("serviceWorker" in navigator)) {
      return;
    }
    event.preventDefault();
    navigator.serviceWorker.ready.then(function (registration) {
      return registration.pushManager.getSubscription();
    }).then(function (subscription) {
      return subscription ? subscription.unsubscribe() : true;
    }).catch(function () {
      return true;
    }).then(function () {
      form.dataset.unsubscribed = "1";
      form.submit();
    });
  }

  function wirePush() {
    var box = document.querySelector("[data-pwa-push]");
    if (!box) {
      return;
    }
    var supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
    var button = box.querySelector("[data-pwa-push-on]");
    var unsupported = box.querySelector("[data-pwa-push-unsupported]");
    if (button && supported) {
      button.classList.remove("fr-hidden");  // DSFR's display rules beat the hidden attribute
      if (unsupported) {
        unsupported.classList.add("fr-hidden");
      }
      button.addEventListener("click", function () { pushOn(button); });
    }
    var off = box.querySelector("form[data-pwa-push-off]");
    if (off) {
      off.addEventListener("submit", function (event) { pushOff(off, event); });
    }
  }

  function start() {
    register();
    wirePush();
    syncSummary().then(function () {
      document.documentElement.dataset.carnetOfflineSynced = "1";
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
