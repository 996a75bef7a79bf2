/* The offline page (docs/subsystems/pwa.md): offers the emergency summary when this device keeps it,
   and "Réessayer" reloads the address the person wanted. */
(function () {
  "use strict";
  var retry = document.querySelector("[data-offline-retry]");
  if (retry) {
    retry.href = window.location.href;
  }
  var box = document.querySelector("[data-offline-summary]");
  if (!box || !("caches" in window)) {
    return;
  }
  caches.has(box.dataset.cache).then(function (present) {
    if (!present) {
      return null;
    }
    return caches.open(box.dataset.cache).then(function (cache) { return cache.match(box.dataset.url); });
  }).then(function (kept) {
    if (kept && window.location.pathname !== box.dataset.url) {
      box.classList.remove("fr-hidden");
    }
  });
})();
