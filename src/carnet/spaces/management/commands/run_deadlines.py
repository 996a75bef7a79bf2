"""``carnet run-deadlines``: apply the lifecycle deadlines once and print what was done."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from carnet.spaces.services import spaces_apply_deadlines


class Command(BaseCommand):
    help = "Apply lifecycle deadlines (opening, deletion, archive purge, suspension, majority, expiries)."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = spaces_apply_deadlines()
        for name, count in counts.items():
            self.stdout.write(f"{name}: {count}")
