#!/usr/bin/env python3
"""Pins the inline loader scripts Trunk writes into dist/index.html in its Content-Security-Policy.

index.html's CSP allows scripts from its own folder only; Trunk adds one inline
<script type="module"> that starts the WASM. This replaces the placeholder
TRUNK_INLINE_SCRIPTS with the sha256 hash of each inline script, so that exactly those run.
"""
import base64
import hashlib
import re
import sys

PLACEHOLDER = "TRUNK_INLINE_SCRIPTS"


def main(path: str) -> None:
    with open(path, encoding="utf-8") as f:
        html = f.read()
    if PLACEHOLDER not in html:
        sys.exit(f"{path}: no {PLACEHOLDER} placeholder in the Content-Security-Policy")
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, flags=re.S)
    if not inline:
        sys.exit(f"{path}: Trunk wrote no inline script; the console would not start")
    hashes = " ".join(
        "'sha256-%s'" % base64.b64encode(hashlib.sha256(s.encode("utf-8")).digest()).decode()
        for s in inline
    )
    with open(path, "w", encoding="utf-8") as f:
        f.write(html.replace(PLACEHOLDER, hashes))
    print(f"{path}: CSP pins {len(inline)} inline script(s)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "dist/index.html")
