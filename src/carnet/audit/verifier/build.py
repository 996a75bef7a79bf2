"""Build the self-contained history verifier page: ``python -m carnet.audit.verifier.build``.

``verifier.html`` (committed, served by Carnet, downloadable) is ``page.html`` with ``verifier.css``,
the vendored JavaScript libraries and ``verifier.js`` inlined, plus a Content-Security-Policy ``<meta>``
that allows exactly these inline blocks (by SHA-256) and **no network at all** (``connect-src 'none'``).
Nobody needs npm or node to run the test suite: ``tests/audit/test_verifier_page.py`` rebuilds the page
in memory and checks it equals the committed file byte for byte.

Vendored libraries (``vendor/``, copied unmodified from the npm packages, licences kept and inlined):

* ``@noble/hashes`` 2.4.0 — SHA-256 and SHA-512 (``utils.js``, ``_u64.js``, ``_md.js``, ``sha2.js``);
* ``@noble/ed25519`` 3.2.0 — Ed25519 verification (``index.js``).

Each file's SHA-256 is pinned in ``VENDORED``; the build refuses a file that differs. The library files
are ES modules: the build wraps each in a function scope and turns its top-level ``import``/``export``
lines into plain assignments (``_to_script``), refusing any line it does not recognise.

To re-vendor (a new version), with npm on any machine::

    npm pack @noble/hashes@X.Y.Z @noble/ed25519@A.B.C   # check the tarballs' integrity with `npm view`
    tar xzf noble-hashes-X.Y.Z.tgz && tar xzf noble-ed25519-A.B.C.tgz
    # copy package/{LICENSE,package.json,<files below>} into vendor/noble-<name>-<version>/
    # update VENDORED (paths, versions, sha256sum of each file) and run this script; commit everything.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "verifier.html"

#: (module name, path under vendor/, SHA-256 of the file) in load order.
VENDORED: tuple[tuple[str, str, str], ...] = (
    (
        "utils",
        "noble-hashes-2.4.0/utils.js",
        "037ad49adb78168b6b699598fd33f85f7877456b1d28b4d032e2a1a16807947c",
    ),
    (
        "_u64",
        "noble-hashes-2.4.0/_u64.js",
        "b09da8c07fe8187c07649494cdb7cd0bcf13df90b506a9473d19e4d5f8c2e102",
    ),
    ("_md", "noble-hashes-2.4.0/_md.js", "60cf3010fda89e3e4d3f0e7ff1ce249e9c467f34b4fd41b6fd6101d9f69be763"),
    (
        "sha2",
        "noble-hashes-2.4.0/sha2.js",
        "471746bba6ec4c6238ca41358d1d3b40b6ff31cf3363f0b4d550c649c1a8e83b",
    ),
    (
        "ed25519",
        "noble-ed25519-3.2.0/index.js",
        "a4f631d1876b5d9e43a86cd71194ca27b5e1451edf4ba4db9a418f40a475569a",
    ),
)
LICENCES: tuple[tuple[str, str], ...] = (
    ("@noble/hashes 2.4.0", "noble-hashes-2.4.0/LICENSE"),
    ("@noble/ed25519 3.2.0", "noble-ed25519-3.2.0/LICENSE"),
)
#: npm's integrity of the packages the files come from (``npm view <pkg>@<version> dist.integrity``).
NPM_INTEGRITY = {
    "@noble/hashes@2.4.0": "sha512-X5XaVWZIBCT7HHZGm5I7ZQXDwLG+bGXuSrMQAW+7Zvl87h1kmc1ZB1VSRJcpUfoUrGQp4Fkoxm5kZ+Ms+aW+eA==",
    "@noble/ed25519@3.2.0": "sha512-criDgRlnUA09hchYrTy/JUWPIEap5rZxQe6wDWzRx51oWWpDRcUpuNzlgPxDJaOK6AsW9c0wKcj3rKRv6t+bPQ==",
}

_IMPORT = re.compile(r"^import \{([^}]*)\} from ['\"]\./([\w.]+)\.js['\"];\s*$")
_IMPORT_ALL = re.compile(r"^import \* as (\w+) from ['\"]\./([\w.]+)\.js['\"];\s*$")
_EXPORT_LIST = re.compile(r"^export \{([^}]*)\};\s*$")
_EXPORT_DECL = re.compile(r"^export (async function\*?|function\*?|const|let|class) (\w+)")


class BuildError(RuntimeError):
    pass


def _names(listing: str, *, rename: str) -> list[str]:
    out = []
    for part in (p.strip() for p in listing.split(",")):
        if not part:
            continue
        if " as " in part:
            src, dst = (x.strip() for x in part.split(" as "))
            out.append(f"{src}{rename}{dst}")
        else:
            out.append(part)
    return out


def _exported(entry: str) -> str:
    """``a`` → ``a``; ``a as b`` (exported under the name b) → ``b: a``."""
    if " as " in entry:
        src, dst = entry.split(" as ")
        return f"{dst}: {src}"
    return entry


def _to_script(name: str, source: str) -> str:
    """An ES module as ``__noble["name"] = (() => { ...; return {exports}; })();``."""
    lines: list[str] = []
    exports: list[str] = []
    in_comment = False
    for line in source.splitlines():
        if line.startswith("//# sourceMappingURL="):
            continue  # no source maps: nothing may be fetched
        stripped = line.strip()
        if not in_comment and (line.startswith("import ") or line.startswith("export ")):
            if m := _IMPORT.match(line):
                lines.append(
                    f"const {{ {', '.join(_names(m.group(1), rename=': '))} }} = __noble[{m.group(2)!r}];"
                )
            elif m := _IMPORT_ALL.match(line):
                lines.append(f"const {m.group(1)} = __noble[{m.group(2)!r}];")
            elif m := _EXPORT_LIST.match(line):
                exports += _names(m.group(1), rename=" as ")
            elif m := _EXPORT_DECL.match(line):
                exports.append(m.group(2))
                lines.append(line[len("export ") :])
            else:
                raise BuildError(f"{name}: unrecognised module line: {line[:80]!r}")
            continue
        # track block comments (enough for these files: no '/*' inside strings at line level)
        for marker in re.findall(r"/\*|\*/", stripped):
            in_comment = marker == "/*"
        lines.append(line)
    returned = ", ".join(_exported(e) for e in exports)
    body = "\n".join(lines)
    if "</script" in body.lower():
        raise BuildError(f"{name}: contains '</script'")
    return f'__noble[{name!r}] = (() => {{\n"use strict";\n{body}\nreturn {{ {returned} }};\n}})();\n'


def _vendored() -> str:
    parts = ["const __noble = {};\n"]
    for name, path, digest in VENDORED:
        data = (HERE / "vendor" / path).read_bytes()
        if hashlib.sha256(data).hexdigest() != digest:
            raise BuildError(f"vendor/{path} differs from the pinned file (sha256)")
        parts.append(f"// ---- vendor/{path} (unmodified apart from its module lines) ----\n")
        parts.append(_to_script(name, data.decode("utf-8")))
    return "".join(parts)


def _licence_comment() -> str:
    notices = []
    for package, path in LICENCES:
        text = (HERE / "vendor" / path).read_text(encoding="utf-8").strip()
        notices.append(f"{package} — {path}\n\n{text}")
    body = "\n\n".join(notices).replace("*/", "* /")
    return f"/*!\nThird-party code inlined below, with its licence:\n\n{body}\n*/\n"


def csp_hash(block: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(block.encode("utf-8")).digest()).decode() + "'"


def policy(script: str, style: str) -> str:
    """The page's policy: its own inline blocks only, no network, no forms, no framing."""
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {csp_hash(script)}",
            f"style-src {csp_hash(style)}",
            "img-src data:",
            "connect-src 'none'",
            "form-action 'none'",
            "base-uri 'none'",
        ]
    )


def build() -> str:
    template = (HERE / "page.html").read_text(encoding="utf-8")
    style = "\n" + (HERE / "verifier.css").read_text(encoding="utf-8")
    script = "\n" + _licence_comment() + _vendored() + (HERE / "verifier.js").read_text(encoding="utf-8")
    if "</script" in script.lower() or "</style" in style.lower():
        raise BuildError("an inline block would close its tag early")
    page = template.replace("{{CSP}}", policy(script, style))
    page = page.replace("{{STYLE}}", style).replace("{{SCRIPT}}", script)
    return page


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m carnet.audit.verifier.build", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--check", action="store_true", help="only check that verifier.html is up to date")
    args = parser.parse_args(argv)
    page = build()
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != page:
            print("verifier.html is out of date: run python -m carnet.audit.verifier.build", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(page, encoding="utf-8")
    print(f"wrote {OUTPUT} ({len(page.encode()):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
