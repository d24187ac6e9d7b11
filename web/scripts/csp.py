#!/usr/bin/env python3
"""Completes the Content-Security-Policy of dist/index.html.

index.html's CSP allows scripts from its own folder only; Trunk adds one inline
<script type="module"> that starts the WASM. This replaces the placeholder
TRUNK_INLINE_SCRIPTS with the sha256 hash of each inline script, so that exactly those run.

It also replaces FUSIONAUTH_ORIGINS in connect-src, the origins "Send to FusionAuth" may
reach: with the environment's FUSIONAUTH_ORIGIN when the console is built for one FusionAuth
(`make dist FUSIONAUTH_ORIGIN=https://auth.example.com`), else with DEFAULT_ORIGINS: any
HTTPS origin (the page cannot know which FusionAuth a person will name) and plain HTTP on
this machine (a FusionAuth on the person's own computer). The page itself sends requests
only to the URL the person enters, and only when they press Check, Send, Verify or Undo.
"""
import base64
import hashlib
import os
import re
import sys

SCRIPTS = "TRUNK_INLINE_SCRIPTS"
ORIGINS = "FUSIONAUTH_ORIGINS"
DEFAULT_ORIGINS = "https: http://localhost:* http://127.0.0.1:*"
# An origin: scheme, host, optional port; no path, no wildcard.
ORIGIN = re.compile(r"^https://[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$|^http://(localhost|127\.0\.0\.1)(:\d{1,5})?$")


def fusionauth_origins(pinned: str) -> str:
    """connect-src's FusionAuth part: the pinned origin, or DEFAULT_ORIGINS."""
    if not pinned:
        return DEFAULT_ORIGINS
    origin = pinned.strip().rstrip("/").lower()
    if not ORIGIN.match(origin):
        sys.exit(f"FUSIONAUTH_ORIGIN={pinned!r} is not an origin such as https://auth.example.com "
                 "(HTTPS, no path; plain HTTP only for localhost or 127.0.0.1)")
    return origin


def main(path: str) -> None:
    with open(path, encoding="utf-8") as f:
        html = f.read()
    for placeholder in (SCRIPTS, ORIGINS):
        if placeholder not in html:
            sys.exit(f"{path}: no {placeholder} placeholder in the Content-Security-Policy")
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, flags=re.S)
    if not inline:
        sys.exit(f"{path}: Trunk wrote no inline script; the console would not start")
    hashes = " ".join(
        "'sha256-%s'" % base64.b64encode(hashlib.sha256(s.encode("utf-8")).digest()).decode()
        for s in inline
    )
    origins = fusionauth_origins(os.environ.get("FUSIONAUTH_ORIGIN", ""))
    with open(path, "w", encoding="utf-8") as f:
        f.write(html.replace(SCRIPTS, hashes).replace(ORIGINS, origins))
    print(f"{path}: CSP pins {len(inline)} inline script(s); FusionAuth: {origins}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "dist/index.html")
