"""A human label for a browser ("Firefox sur Linux") from its User-Agent header (R-LC-12 device list).

Deliberately small: the label only helps a person recognise his own devices; it is not a security control.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext

# Order matters: Edge and Opera also announce "Chrome", Chrome also announces "Safari".
_BROWSERS: tuple[tuple[str, str], ...] = (
    (r"Edg(e|A|iOS)?/", "Edge"),
    (r"OPR/|Opera", "Opera"),
    (r"SamsungBrowser/", "Samsung Internet"),
    (r"Firefox/|FxiOS/", "Firefox"),
    (r"Chrome/|CriOS/|Chromium/", "Chrome"),
    (r"Safari/", "Safari"),
)
_SYSTEMS: tuple[tuple[str, str], ...] = (
    (r"Android", "Android"),
    (r"iPhone|iPad|iPod", "iOS"),
    (r"CrOS", "ChromeOS"),
    (r"Windows", "Windows"),
    (r"Mac OS X|Macintosh", "macOS"),
    (r"Linux|X11", "Linux"),
)


def device_label(user_agent: str) -> str:
    ua = user_agent or ""
    browser = next((name for pattern, name in _BROWSERS if re.search(pattern, ua)), "")
    system = next((name for pattern, name in _SYSTEMS if re.search(pattern, ua)), "")
    if browser and system:
        return gettext("%(browser)s sur %(system)s") % {"browser": browser, "system": system}
    if browser or system:
        return browser or system
    return gettext("Navigateur inconnu")
