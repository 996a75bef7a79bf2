"""Screenshots of the main pages of each role, at phone and computer widths, in French and English.

    python -m tests.screenshots OUT [--widths 375,1280] [--languages fr,en] [--roles patient,operator]

Run from the checkout with the test dependencies installed (``python3.11 run.py test --co -q`` makes the
``.venv``; then ``.venv/bin/python -m tests.screenshots /tmp/shots``). It builds the world of
``tests/e2e/site.py`` (the demo population and a year of its use) in a new SQLite database in a temporary
data directory, serves it on 127.0.0.1 (a free port, or ``--port``), and drives Debian's chromium
(``/usr/bin/chromium``, or ``CARNET_CHROMIUM``) through Playwright. It writes
``OUT/<language>/<width>/<role>--<page>.png`` (whole pages) and, at phone widths, ``<role>--menu.png``: the
header's menu opened. Nothing is downloaded; the temporary data directory is removed at the end.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

MAIN_PAGES: dict[str, tuple[str, ...]] = {
    "anonymous": ("spaces:public_home", "accounts:login", "accounts:activate", "spaces:opposition"),
    "patient": (
        "spaces:home",
        "records:documents",
        "records:document",
        "messaging:inbox",
        "messaging:conversation",
        "profile:overview",
        "vitals:vaccinations",
        "vitals:measures",
        "agenda:list",
        "prevention:page",
        "access:sharing",
        "audit:history",
        "notification_centre:list",
        "spaces:settings",
    ),
    "parent": ("spaces:home", "vitals:growth", "prevention:page"),
    "caregiver": ("spaces:home", "agenda:list"),
    "professional": ("spaces:pro_home", "records:pro_record", "messaging:pro_inbox"),
    "operator": ("backoffice:home", "backoffice:space_list", "backoffice:space_detail"),
}


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.screenshots", description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder to write the PNG files into (created if missing)")
    parser.add_argument(
        "--widths", default="375,1280", help="comma-separated widths in px (default 375,1280)"
    )
    parser.add_argument("--languages", default="fr,en", help="comma-separated languages (default fr,en)")
    parser.add_argument("--roles", default=",".join(MAIN_PAGES), help="comma-separated roles (default: all)")
    parser.add_argument(
        "--port", type=int, default=0, help="port to serve on, on 127.0.0.1 (default: a free one)"
    )
    return parser.parse_args(argv)


def _serve(port: int) -> tuple[Any, str]:
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadedWSGIServer(("127.0.0.1", port), Quiet)
    server.set_app(get_wsgi_application())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _shoot(args: argparse.Namespace, base_url: str, world: Any) -> int:
    from django.conf import settings
    from playwright.sync_api import sync_playwright

    from tests.e2e import site
    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    widths = [int(w) for w in args.widths.split(",") if w]
    roles = [r for r in args.roles.split(",") if r]
    unknown = set(roles) - set(MAIN_PAGES)
    if unknown:
        sys.exit(f"unknown roles {sorted(unknown)}: choose among {', '.join(MAIN_PAGES)}")
    paths = {(v.role, v.name): v.path for v in site.visits(world)}
    written = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        for language in [lang for lang in args.languages.split(",") if lang]:
            for role in roles:
                context = browser.new_context(base_url=base_url, locale=f"{language}-FR")
                cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base_url}]
                if role in world.sessions:
                    cookies.append(
                        {"name": settings.SESSION_COOKIE_NAME, "value": world.sessions[role], "url": base_url}
                    )
                context.add_cookies(cookies)
                page = context.new_page()
                page.set_default_timeout(20_000)
                for width in widths:
                    folder = args.out / language / str(width)
                    folder.mkdir(parents=True, exist_ok=True)
                    page.set_viewport_size({"width": width, "height": 900})
                    for name in MAIN_PAGES[role]:
                        page.goto(paths[(role, name)], wait_until="load")
                        page.evaluate("() => document.fonts.ready")
                        page.screenshot(path=str(folder / f"{role}--{_slug(name)}.png"), full_page=True)
                        written += 1
                    if width < 992:  # the DSFR header shows its "Menu" button below 992 px
                        page.locator(".fr-header__navbar .fr-btn--menu").click()
                        page.wait_for_timeout(400)  # the modal's opening transition
                        page.screenshot(path=str(folder / f"{role}--menu.png"))
                        written += 1
                context.close()
        browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    args = _arguments(sys.argv[1:] if argv is None else argv)
    data = Path(tempfile.mkdtemp(prefix="carnet-screenshots-"))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="carnet.config.settings",
        CARNET_DATA_DIR=str(data),
        CARNET_DEMO="1",
        DJANGO_ALLOW_ASYNC_UNSAFE="true",  # Playwright's sync API runs an event loop in this thread
    )
    try:
        import django

        django.setup()
        from django.core.management import call_command

        from tests.e2e import site

        call_command("migrate", interactive=False, verbosity=0)
        print("Building the demo world…", flush=True)
        world = site.build()
        server, base_url = _serve(args.port)
        try:
            print(f"Serving on {base_url}; writing screenshots into {args.out}", flush=True)
            written = _shoot(args, base_url, world)
        finally:
            server.shutdown()
            server.server_close()
    finally:
        shutil.rmtree(data, ignore_errors=True)
    print(f"{written} screenshots in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
