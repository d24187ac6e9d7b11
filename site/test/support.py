"""What the site's tests share: moto_server on a free loopback port, the AWS environment that
points boto3 (and deploy.py) at it, builds derived from dist/, and template.yaml read as
CloudFormation reads it.

Also a command line for the browser test (console.test.mjs):
    support.py public-prefix ENDPOINT BUCKET PREFIX   a bucket whose PREFIX anybody may read
    support.py headers DIST                           the headers the stack's CloudFront sends, as JSON
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
SITE = HERE.parent
ROOT = SITE.parent
sys.path.insert(0, str(SITE))

import deploy  # noqa: E402  (site/deploy.py, the tool under test)

TEMPLATE = SITE / "template.yaml"
DIST = Path(os.environ.get("SITE_DIST", ROOT / "dist"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MotoServer:
    """moto_server (S3, CloudFront, CloudFormation, ...) on a free loopback port, for one test class."""

    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            ["moto_server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(self.endpoint + "/moto-api/", timeout=1).read()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("moto_server did not start (run scripts/setup.sh)")
                time.sleep(0.1)

    def env(self) -> dict[str, str]:
        """The standard AWS variables a person would set, pointing at this server."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                   AWS_REGION="eu-west-1", AWS_ENDPOINT_URL=self.endpoint)
        return env

    def use(self) -> None:
        """Points this process's boto3 at the server, as env() does for a child."""
        for k in [k for k in os.environ if k.startswith("AWS_")]:
            del os.environ[k]
        os.environ.update({k: v for k, v in self.env().items() if k.startswith("AWS_")})

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def require_dist() -> Path:
    if not (DIST / "index.html").is_file():
        raise RuntimeError(f"no {DIST}/index.html: run `make dist` first")
    return DIST


def rebuilt(dist: Path, into: Path, tag: str = "0123456789abcdef") -> Path:
    """A copy of dist/ standing in for the next build: the main module's JS renamed to a new
    content hash `tag` (index.html follows, its CSP pinned again to its changed loader as
    web/scripts/csp.py pins it), and a hashed file added."""
    shutil.copytree(dist, into)
    index = into / "index.html"
    text = index.read_text(encoding="utf-8")
    js = next(p for p in sorted(into.iterdir()) if p.suffix == ".js" and deploy.is_hashed(p.name))
    renamed = re.sub(r"-[0-9a-f]{10,16}\.js$", f"-{tag}.js", js.name)
    assert renamed != js.name
    js.rename(into / renamed)
    text = text.replace(js.name, renamed)
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", text, flags=re.S)
    pinned = " ".join("'sha256-%s'" % base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() for s in inline)
    old = deploy.script_hashes(deploy.page_policy(text))
    text = text.replace(" ".join(old), pinned)
    index.write_text(text, encoding="utf-8")
    (into / f"extra-{tag[::-1]}.css").write_text("/* new in this build */\n")
    return into


def page_policy_by_regex(index_html: str) -> str:
    """The meta tag's policy read as web/e2e reads it, independently of deploy.py's parser."""
    return re.search(r'http-equiv="Content-Security-Policy"\s+content="([^"]+)"', index_html).group(1)


def load_template(path: Path = TEMPLATE) -> dict:
    """template.yaml with its short forms (!Sub, !Ref, ...) as the long ones, as cfn-lint reads it."""
    from cfnlint.decode import cfn_yaml

    return json.loads(json.dumps(cfn_yaml.loads(path.read_text())))


def resolve(value, params: dict[str, str]):
    """Evaluates the Fn::Sub and Ref of a template value over parameters (what the stack does)."""
    if isinstance(value, dict) and list(value) == ["Fn::Sub"]:
        return re.sub(r"\$\{([^}!]+)\}", lambda m: params[m.group(1)], value["Fn::Sub"])
    if isinstance(value, dict) and list(value) == ["Ref"]:
        return params[value["Ref"]]
    return value


def cloudfront_headers(template: dict, params: dict[str, str]) -> dict[str, str]:
    """The headers the template's response headers policy adds to every response, written as
    CloudFront writes them (SecurityHeadersConfig → HTTP)."""
    config = template["Resources"]["ResponseHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    security = config["SecurityHeadersConfig"]
    headers = {}
    if "ContentSecurityPolicy" in security:
        headers["content-security-policy"] = resolve(security["ContentSecurityPolicy"]["ContentSecurityPolicy"], params)
    if "StrictTransportSecurity" in security:
        hsts = security["StrictTransportSecurity"]
        headers["strict-transport-security"] = f"max-age={hsts['AccessControlMaxAgeSec']}" + (
            "; includeSubDomains" if hsts.get("IncludeSubdomains") else "") + ("; preload" if hsts.get("Preload") else "")
    if "ContentTypeOptions" in security:
        headers["x-content-type-options"] = "nosniff"
    if "ReferrerPolicy" in security:
        headers["referrer-policy"] = security["ReferrerPolicy"]["ReferrerPolicy"]
    if "FrameOptions" in security:
        headers["x-frame-options"] = security["FrameOptions"]["FrameOption"]
    return headers


def public_prefix(endpoint: str, bucket: str, prefix: str) -> None:
    """A versioned bucket whose prefix anybody may read: S3 behind a CDN that does not sign."""
    import boto3

    s3 = boto3.Session(region_name="eu-west-1").client("s3", endpoint_url=endpoint)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/{prefix}*"}]}))


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "public-prefix":
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
        public_prefix(*args)
    elif command == "headers":
        build = deploy.read_build(Path(args[0]))
        print(json.dumps(cloudfront_headers(load_template(), deploy.stack_parameters(build.policy))))
    else:
        sys.exit(f"unknown command {command}")
