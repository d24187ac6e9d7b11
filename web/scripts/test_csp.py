"""web/scripts/csp.py: the loader hashes and the FusionAuth origins it puts in the page's CSP."""
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

SCRIPT = Path(__file__).with_name("csp.py")
PAGE = (
    '<meta http-equiv="Content-Security-Policy" content="script-src \'self\' TRUNK_INLINE_SCRIPTS; '
    "connect-src 'self' FUSIONAUTH_ORIGINS\" />"
    '<script type="module">start()</script><script src="./a.js"></script>'
)


def run(origin=None, page=PAGE):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "index.html"
        path.write_text(page, encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k != "FUSIONAUTH_ORIGIN"}
        if origin is not None:
            env["FUSIONAUTH_ORIGIN"] = origin
        done = subprocess.run([sys.executable, str(SCRIPT), str(path)], env=env, capture_output=True, text=True)
        return done.returncode, path.read_text(encoding="utf-8"), done.stderr


class Csp(unittest.TestCase):
    def test_the_inline_loader_is_pinned_by_hash(self):
        code, html, _ = run()
        self.assertEqual(code, 0)
        # sha256 of "start()"
        self.assertIn("'sha256-", html)
        self.assertNotIn("TRUNK_INLINE_SCRIPTS", html)

    def test_unpinned_builds_reach_any_https_origin_and_this_machine(self):
        code, html, _ = run("")
        self.assertEqual(code, 0)
        self.assertIn("connect-src 'self' https: http://localhost:* http://127.0.0.1:*\"", html)

    def test_a_pinned_build_reaches_exactly_that_origin(self):
        code, html, _ = run("https://Auth.Example.com/")
        self.assertEqual(code, 0)
        self.assertIn("connect-src 'self' https://auth.example.com\"", html)
        code, html, _ = run("http://127.0.0.1:9011")
        self.assertEqual(code, 0)
        self.assertIn("connect-src 'self' http://127.0.0.1:9011\"", html)

    def test_what_is_not_an_origin_is_refused(self):
        for bad in ["auth.example.com", "https://auth.example.com/api", "http://auth.example.com",
                    "https://*.example.com", "https://a.io 'unsafe-inline'"]:
            code, html, err = run(bad)
            self.assertNotEqual(code, 0, bad)
            self.assertIn("not an origin", err)
            self.assertIn("FUSIONAUTH_ORIGINS", html, "the page is left as it was")

    def test_a_page_without_the_placeholders_is_refused(self):
        code, _, err = run(page=PAGE.replace("FUSIONAUTH_ORIGINS", ""))
        self.assertNotEqual(code, 0)
        self.assertIn("FUSIONAUTH_ORIGINS", err)


if __name__ == "__main__":
    unittest.main()
