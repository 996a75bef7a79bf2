"""What the installable app remembers about this browser (docs/subsystems/pwa.md).

* ``OFFLINE_SUMMARY_KEY`` (session): this device's owner turned on "Consulter ma synthèse d'urgence hors
  ligne". The session is the device (one browser's login, ``accounts.Device``): it ends with a logout or a
  revocation, and the choice with it. Every page of a patient then tells the page script (``<meta
  name="carnet-offline-summary">``) to keep the summary in the browser's Cache Storage ("keep") or to
  delete it ("clear").
* ``DEVICE_COOKIE`` (signed cookie, the Device's id): lets the first anonymous request after a logout or
  a revocation know that this browser's device ended, so the page it leads to says "clear" too
  (``CLEAR_SESSION_KEY``, consumed by the next page). A session that merely expired leaves the device
  alive: the summary stays readable offline, which is the point of keeping it.
"""

from __future__ import annotations

OFFLINE_SUMMARY_KEY = "carnet_offline_summary"
CLEAR_SESSION_KEY = "carnet_offline_clear"
DEVICE_COOKIE = "carnet_device"
DEVICE_COOKIE_SALT = "carnet.pwa.device"
DEVICE_COOKIE_MAX_AGE = 400 * 24 * 3600  # browsers cap cookie lifetimes at 400 days

# The Cache Storage names the page script and the service worker share.
SUMMARY_CACHE = "carnet-emergency-summary"
STATIC_CACHE_PREFIX = "carnet-static-"
