"""What other apps keep per device, forgotten when the device ends (R-LC-12).

A device (``models.Device``, one browser's login) ends when its owner revokes it or logs out of it. Apps
that keep something per device — the Web Push subscription (``notifications.push``), the offline
emergency summary choice (``pwa``) — register a function in their ``AppConfig.ready()``; the accounts
services call every registered function inside the transaction that ends the device, so the end and the
forgetting commit together. Accounts does not import those apps, nor they accounts: the registry lives in common, below both
(ADR 0009).
"""

from __future__ import annotations

from collections.abc import Callable

DeviceHook = Callable[[int], None]  # receives the Device's primary key

_hooks: dict[str, DeviceHook] = {}


def on_device_end(name: str, hook: DeviceHook) -> None:
    """Register ``hook`` under ``name`` (registering the same name again replaces it)."""
    _hooks[name] = hook


def registered() -> list[str]:
    return sorted(_hooks)


def device_ended(device_id: int) -> None:
    """Call every registered hook for this device; call inside the transaction that ends it."""
    for name in sorted(_hooks):
        _hooks[name](device_id)
