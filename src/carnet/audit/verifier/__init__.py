"""The self-contained history verifier page (``verifier.html``, built by ``build.py``; no Django here).

Carnet serves the committed file byte for byte (``views.verifier_page``) with a Content-Security-Policy
allowing exactly its inline script and style by hash and forbidding every connection, so the page
cannot call any server even when served by one.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache
from pathlib import Path

PAGE = Path(__file__).resolve().parent / "verifier.html"


@lru_cache(maxsize=1)
def page_bytes() -> bytes:
    return PAGE.read_bytes()


def _inline_hashes(tag: str) -> list[str]:
    text = page_bytes().decode("utf-8")
    blocks = re.findall(rf"<{tag}>(.*?)</{tag}>", text, flags=re.DOTALL)
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(b.encode("utf-8")).digest()).decode() + "'"
        for b in blocks
    ]


@lru_cache(maxsize=1)
def content_security_policy() -> str:
    """The header served with the page: its own inline blocks only, no network, no framing."""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src " + " ".join(_inline_hashes("script")),
            "style-src " + " ".join(_inline_hashes("style")),
            "img-src data:",
            "connect-src 'none'",
            "form-action 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]
    )


def fingerprint(public_key_b64: str) -> str:
    """SHA-256 of the raw public key, in groups of four hex digits (to read aloud or compare on paper)."""
    digest = hashlib.sha256(base64.b64decode(public_key_b64)).hexdigest()
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))
