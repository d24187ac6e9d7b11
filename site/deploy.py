#!/usr/bin/env python3
"""Deploys the console (dist/) to S3, and rolls a deploy back.

    deploy.py deploy --bucket NAME [--prefix PATH/] [--distribution ID]   an existing bucket
    deploy.py deploy --stack NAME [--domain-name D --certificate-arn ARN] template.yaml's stack
    deploy.py builds   (--bucket NAME [--prefix PATH/] | --stack NAME)     the builds kept
    deploy.py rollback (--bucket NAME [--prefix PATH/] [--distribution ID] | --stack NAME) [--to BUILD]

Credentials, Region and endpoint come from the standard AWS environment (AWS_PROFILE,
AWS_REGION, AWS_ENDPOINT_URL, ...). Each file gets its Content-Type, and a Cache-Control
that matches how Trunk names it: content-hashed files (console-<hex>.js) never change and are
cached for a year; index.html and the worker's files keep their names across builds and are
revalidated on every load. The order keeps the site whole at every moment: hashed files first,
then the worker's, then index.html (overwritten in place), then the CloudFront invalidation,
and only then the previous build's files are removed. Nothing outside the prefix is touched.

With --stack, the stack (template.yaml) is created or updated first: its header's CSP is the
built page's, plus the loader hashes of the page being replaced; the upload starts once the
distribution runs that header.

Every object a deploy writes carries its build id (metadata `site-build`); index.html also
lists the build's files (`site-files`). With the bucket versioned, `rollback` makes an earlier
build current again from the versions the bucket kept (with --stack, after the header allows
that build's page).
"""
from __future__ import annotations

import argparse
import hashlib
import html.parser
import os
import re
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "template.yaml"
DIST = HERE.parent / "dist"

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".wasm": "application/wasm",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
}
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Trunk's content-hashed names: `{name}-{seahash:x}.{ext}`, and `{name}-{hash:x}_bg.wasm` for
# the main WASM module; the hash is a u64 in hex without leading zeros (10 digits or more but
# once in 16^6 builds). The worker keeps its plain names: its loader must know them.
HASHED = re.compile(r"^[^/]+-[0-9a-f]{10,16}(?:_bg)?\.[A-Za-z0-9]+$")
# Where the page's own policy lives; the header adds what a meta tag cannot carry.
FRAME_ANCESTORS = "frame-ancestors 'none'"
# S3 allows 2 KB of user metadata per object.
MAX_FILE_LIST = 1800

Hook = Callable[[str, str], None]


class DeployError(Exception):
    """A deploy that cannot or must not go on; the message says why."""


def say(message: str) -> None:
    print(f"deploy-site: {message}", file=sys.stderr, flush=True)


def is_hashed(rel: str) -> bool:
    """Whether Trunk named this file after its content (so it never changes under its name)."""
    return HASHED.match(rel.rsplit("/", 1)[-1]) is not None


def cache_control(rel: str) -> str:
    return IMMUTABLE if is_hashed(rel) else REVALIDATE


def content_type(rel: str) -> str:
    ext = os.path.splitext(rel)[1].lower()
    if ext not in TYPES:
        raise DeployError(f"{rel}: no Content-Type known for '{ext}' files (add it to TYPES in {__file__})")
    return TYPES[ext]


def normalize_prefix(prefix: str) -> str:
    """"" for the bucket's root, else "a/b/": no leading slash, one trailing slash."""
    prefix = prefix.strip("/")
    if not prefix:
        return ""
    parts = prefix.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise DeployError(f"prefix {prefix!r}: empty, '.' or '..' path segment")
    return prefix + "/"


class _PageScan(html.parser.HTMLParser):
    """The CSP meta tag and the relative URLs of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.csp: list[str] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, Optional[str]]]) -> None:
        a = {k.lower(): v or "" for k, v in attrs}
        if tag == "meta" and a.get("http-equiv", "").lower() == "content-security-policy":
            self.csp.append(a.get("content", ""))
        for name in ("src", "href"):
            if name in a:
                self.urls.append(a[name])


def page_policy(index_html: str) -> str:
    """The Content-Security-Policy of the page's meta tag, as `make dist` pinned it."""
    scan = _PageScan()
    scan.feed(index_html)
    if len(scan.csp) != 1:
        raise DeployError(f"index.html has {len(scan.csp)} Content-Security-Policy meta tags, not one")
    policy = " ".join(scan.csp[0].split())
    for placeholder in ("TRUNK_INLINE_SCRIPTS", "FUSIONAUTH_ORIGINS"):
        if placeholder in policy:
            raise DeployError(f"index.html's CSP still has {placeholder}: build with `make dist` (web/scripts/csp.py)")
    return policy


def header_policy(page: str) -> str:
    """The policy the site's header sends: the page's, and no framing (template.yaml's !Sub)."""
    return f"{page}; {FRAME_ANCESTORS}"


def script_hashes(policy: str) -> list[str]:
    """The inline-script hashes ('sha256-...') of a policy's script-src."""
    for directive in policy.split(";"):
        words = directive.split()
        if words and words[0] == "script-src":
            return [w for w in words[1:] if re.fullmatch(r"'sha(256|384|512)-[A-Za-z0-9+/=]+'", w)]
    return []


def with_script_hashes(policy: str, extra: list[str]) -> str:
    """The policy with these hashes added to its script-src (those it lacks, in order)."""
    out = []
    for directive in policy.split(";"):
        words = directive.split()
        if words and words[0] == "script-src":
            words += [h for h in dict.fromkeys(extra) if h not in words]
        out.append(" ".join(words))
    return "; ".join(out)


@dataclass(frozen=True)
class File:
    """One file of a build, by its path relative to dist/."""

    rel: str
    path: Path

    @property
    def hashed(self) -> bool:
        return is_hashed(self.rel)


@dataclass(frozen=True)
class Build:
    root: Path
    files: tuple[File, ...]
    policy: str
    id: str

    def names(self) -> list[str]:
        return [f.rel for f in self.files]


def read_build(root: Path) -> Build:
    """dist/ checked: index.html with a pinned CSP, its files present, every type known."""
    index = root / "index.html"
    if not index.is_file():
        raise DeployError(f"no {index}: run `make dist` first")
    text = index.read_text(encoding="utf-8")
    policy = page_policy(text)
    files = tuple(
        File(p.relative_to(root).as_posix(), p) for p in sorted(root.rglob("*")) if p.is_file()
    )
    names = {f.rel for f in files}
    for f in files:
        content_type(f.rel)
    scan = _PageScan()
    scan.feed(text)
    for url in scan.urls:
        if url.startswith("./") and url[2:].split("?")[0].split("#")[0] not in names:
            raise DeployError(f"index.html refers to {url}, which is not in {root}")
    digest = hashlib.sha256(index.read_bytes()).hexdigest()[:8]
    return Build(root, files, policy, time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + digest)


def upload_order(names: list[str], text: Callable[[str], Optional[str]]) -> list[str]:
    """Hashed files first (new names: nothing uses them yet); then the plain files, each after
    the plain files its text names (the worker's WASM, then its glue, then the loader);
    index.html last. `text(rel)` is a file's text, or None for a binary one."""
    hashed = sorted(r for r in names if is_hashed(r))
    # Binary modules before text, then by name: where nothing says otherwise, the WASM goes
    # before the glue that instantiates it.
    rank = {".wasm": 0, ".css": 1}
    plain = sorted((r for r in names if not is_hashed(r) and r != "index.html"),
                   key=lambda r: (rank.get(os.path.splitext(r)[1], 2), r))
    base = {r: r.rsplit("/", 1)[-1] for r in plain}
    needs = {}
    for r in plain:
        body = text(r) if os.path.splitext(r)[1] in (".js", ".mjs", ".css", ".html") else None
        needs[r] = {o for o in plain if o != r and body and re.search(r"\b" + re.escape(base[o]) + r"\b", body)}
    ordered: list[str] = []
    while len(ordered) < len(plain):
        ready = [r for r in plain if r not in ordered and needs[r] <= set(ordered)]
        # A cycle (two plain files naming each other) has no right order: take them by name.
        ordered.append(ready[0] if ready else next(r for r in plain if r not in ordered))
    return hashed + ordered + (["index.html"] if "index.html" in names else [])


@dataclass
class Site:
    """Where a build goes: a bucket, a prefix in it, and the distribution in front of it."""

    s3: object
    bucket: str
    prefix: str = ""
    cloudfront: object = None
    distribution: Optional[str] = None

    def key(self, rel: str) -> str:
        return self.prefix + rel

    def listing(self) -> dict[str, dict]:
        """Every object under the prefix, by key."""
        out = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix):
            for obj in page.get("Contents", []):
                out[obj["Key"]] = obj
        return out

    def head(self, key: str, version: dict) -> dict:
        """One listed version's metadata. ("null", the version of an object written while the
        bucket was unversioned, is a valid id to S3 but not to moto when it is the latest.)"""
        kw = {} if version["VersionId"] == "null" and version["IsLatest"] else {"VersionId": version["VersionId"]}
        return self.s3.head_object(Bucket=self.bucket, Key=key, **kw)

    def live_policy(self, version: Optional[str] = None) -> Optional[str]:
        """The CSP of the index.html served now (or of one version of it), if there is one."""
        kw = {"VersionId": version} if version else {}
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=self.key("index.html"), **kw)["Body"].read()
        except self.s3.exceptions.ClientError as e:
            if e.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        try:
            return page_policy(body.decode("utf-8"))
        except (DeployError, UnicodeDecodeError):
            return None

    def await_distribution(self) -> None:
        """Waits until the distribution runs its latest configuration (a new header policy)."""
        deadline = time.monotonic() + 1800
        while self.cloudfront.get_distribution(Id=self.distribution)["Distribution"]["Status"] != "Deployed":
            if time.monotonic() > deadline:
                raise DeployError(f"distribution {self.distribution} still deploying after 30 minutes")
            say(f"waiting for distribution {self.distribution} to deploy its new headers")
            time.sleep(15)

    def current_build(self) -> Optional[dict]:
        """The build index.html says is live: {"build", "files"}, or None."""
        try:
            head = self.s3.head_object(Bucket=self.bucket, Key=self.key("index.html"))
        except self.s3.exceptions.ClientError as e:
            if e.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        meta = head.get("Metadata", {})
        files = meta.get("site-files")
        return {"build": meta.get("site-build"), "files": files.split(",") if files else None}

    def is_stale(self, key: str, keep: set[str], previous: list[str]) -> bool:
        """A file of an earlier build: listed by the previous index.html, or a hashed name
        directly under the prefix. Never a key outside the prefix or one of the new build."""
        if not key.startswith(self.prefix) or key in keep:
            return False
        rel = key[len(self.prefix):]
        return rel in previous or ("/" not in rel and is_hashed(rel))

    def cdn_paths(self, rels: list[str]) -> list[str]:
        """The CloudFront paths of these files (and of the prefix itself, which may serve
        index.html), allowing for an origin path on the bucket's origin."""
        path_prefix = self.prefix
        config = self.cloudfront.get_distribution_config(Id=self.distribution)["DistributionConfig"]
        origins = [
            o for o in config["Origins"].get("Items", [])
            if o["DomainName"].startswith((f"{self.bucket}.s3.", f"{self.bucket}.s3-"))
        ]
        if not origins:
            say(f"warning: distribution {self.distribution} has no origin on bucket {self.bucket}; "
                f"invalidating /{self.prefix}... as if it served the bucket's root")
        else:
            origin_path = origins[0].get("OriginPath", "").strip("/")
            if origin_path:
                if not self.prefix.startswith(origin_path + "/"):
                    raise DeployError(
                        f"distribution {self.distribution} serves {self.bucket}/{origin_path}/, "
                        f"which does not hold the prefix {self.prefix!r}")
                path_prefix = self.prefix[len(origin_path) + 1:]
        paths = ["/" + path_prefix] + ["/" + path_prefix + rel for rel in rels]
        return [re.sub(r"[^A-Za-z0-9/._~*-]", lambda m: "%%%02X" % ord(m.group()), p) for p in paths]

    def invalidate(self, rels: list[str], reference: str, wait: bool) -> None:
        paths = self.cdn_paths(rels)
        made = self.cloudfront.create_invalidation(
            DistributionId=self.distribution,
            InvalidationBatch={"Paths": {"Quantity": len(paths), "Items": paths},
                               "CallerReference": f"{reference}-{uuid.uuid4().hex[:8]}"},
        )["Invalidation"]
        say(f"invalidation {made['Id']} on {self.distribution}: {' '.join(paths)}")
        if wait:
            say("waiting for it to complete before removing the previous build's files")
            # Polled here rather than with boto3's waiter, which needs "Completed" exactly
            # (moto answers "COMPLETED").
            deadline = time.monotonic() + 1800
            while self.cloudfront.get_invalidation(DistributionId=self.distribution, Id=made["Id"])[
                    "Invalidation"]["Status"].lower() != "completed":
                if time.monotonic() > deadline:
                    raise DeployError(f"invalidation {made['Id']} still in progress after 30 minutes; "
                                      "the previous build's files are left in place")
                time.sleep(10)

    def publish(self, build_id: str, names: list[str], write: Callable[[str, str], str],
                text: Callable[[str], Optional[str]], previous: list[str], wait: bool = True,
                hook: Optional[Hook] = None) -> None:
        """Writes each file with `write(rel, key)` in upload order, invalidates, then removes
        the previous build's files. `hook(action, key)` runs after each change of the bucket."""
        before = self.listing()
        for rel in upload_order(names, text):
            key = self.key(rel)
            done = write(rel, key)
            say(f"{done} s3://{self.bucket}/{key}")
            if done != "unchanged" and hook:
                hook("put", key)
        if self.distribution:
            self.invalidate([r for r in names if not is_hashed(r)], build_id, wait)
            if hook:
                hook("invalidate", self.distribution)
        keep = {self.key(r) for r in names}
        stale = sorted(k for k in before if self.is_stale(k, keep, previous))
        for i in range(0, len(stale), 1000):
            batch = stale[i:i + 1000]
            answer = self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True})
            if answer.get("Errors"):
                raise DeployError(f"could not remove {answer['Errors'][0]['Key']}: {answer['Errors'][0]['Message']}")
            for key in batch:
                say(f"removed s3://{self.bucket}/{key} (previous build)")
                if hook:
                    hook("delete", key)


def deploy(site: Site, build: Build, wait: bool = True, hook: Optional[Hook] = None) -> None:
    """Uploads a build under the site's prefix (see the module's doc for the order)."""
    names = build.names()
    listed = ",".join(names)
    if len(listed) > MAX_FILE_LIST or not listed.isascii():
        say(f"warning: {len(names)} files are too many to list on index.html; `rollback` will not know this build")
        listed = ""
    try:
        versioning = site.s3.get_bucket_versioning(Bucket=site.bucket).get("Status")
    except site.s3.exceptions.ClientError as e:
        if e.response["Error"]["Code"] != "AccessDenied":
            raise
        versioning = "unknown (no s3:GetBucketVersioning)"
    if versioning != "Enabled":
        say(f"warning: bucket {site.bucket}'s versioning is {versioning or 'off'}: without it what this deploy "
            "replaces or removes is gone for good, and `rollback` has nothing to go back to")
    current = site.current_build()
    previous = (current or {}).get("files") or []
    existing = site.listing()
    by_rel = {f.rel: f for f in build.files}

    def write(rel: str, key: str) -> str:
        f = by_rel[rel]
        body = f.path.read_bytes()
        ctype, cache = content_type(rel), cache_control(rel)
        if f.hashed and key in existing and existing[key]["ETag"].strip('"') == hashlib.md5(body, usedforsecurity=False).hexdigest():
            head = site.s3.head_object(Bucket=site.bucket, Key=key)
            if head.get("ContentType") == ctype and head.get("CacheControl") == cache:
                return "unchanged"
        meta = {"site-build": build.id}
        if rel == "index.html" and listed:
            meta["site-files"] = listed
        site.s3.put_object(Bucket=site.bucket, Key=key, Body=body, ContentType=ctype, CacheControl=cache, Metadata=meta)
        return f"uploaded ({ctype}; {cache})"

    say(f"build {build.id} ({len(names)} files) to s3://{site.bucket}/{site.prefix}")
    site.publish(build.id, names, write, lambda rel: by_rel[rel].path.read_text(encoding="utf-8"),
                 previous, wait, hook)
    say(f"build {build.id} is live; the previous one was {(current or {}).get('build') or 'none'}")


@dataclass(frozen=True)
class BuildVersion:
    """One version of index.html: one deploy (or rollback) of a build."""

    build: Optional[str]
    files: list[str]
    version_id: str
    modified: object
    latest: bool


def list_builds(site: Site) -> list[BuildVersion]:
    """The versions of index.html the bucket keeps, newest first."""
    key = site.key("index.html")
    out = []
    for page in site.s3.get_paginator("list_object_versions").paginate(Bucket=site.bucket, Prefix=key):
        for v in page.get("Versions", []):
            if v["Key"] != key:
                continue
            meta = site.head(key, v).get("Metadata", {})
            files = meta.get("site-files")
            out.append(BuildVersion(meta.get("site-build"), files.split(",") if files else [],
                                    v["VersionId"], v["LastModified"], v["IsLatest"]))
    out.sort(key=lambda b: (b.latest, b.modified), reverse=True)
    return out


def rollback(site: Site, to: Optional[str] = None, wait: bool = True, hook: Optional[Hook] = None,
             prepare: Optional[Callable[[BuildVersion], None]] = None) -> str:
    """Makes an earlier build current again (default: the last one before the live build),
    copying its kept versions over the current objects in the deploy's order. `prepare(target)`
    runs once the versions are found, before anything is copied (the stack's header policy)."""
    builds = list_builds(site)
    live = builds[0].build if builds and builds[0].latest else None
    candidates = [b for b in builds if b.build and b.files and (b.build == to if to else b.build != live)]
    if not candidates:
        raise DeployError(f"no build {to} kept under s3://{site.bucket}/{site.prefix}" if to
                          else f"no earlier build kept under s3://{site.bucket}/{site.prefix}")
    target = candidates[0]
    existing = site.listing()
    sources: dict[str, str] = {}
    for rel in target.files:
        key = site.key(rel)
        if rel == "index.html":
            sources[rel] = target.version_id
            continue
        if is_hashed(rel) and key in existing:
            continue  # the same content under the same name
        versions = [v for page in site.s3.get_paginator("list_object_versions").paginate(Bucket=site.bucket, Prefix=key)
                    for v in page.get("Versions", []) if v["Key"] == key]
        versions.sort(key=lambda v: v["LastModified"], reverse=True)
        for v in versions:
            if is_hashed(rel) or site.head(key, v).get("Metadata", {}).get("site-build") == target.build:
                sources[rel] = v["VersionId"]
                break
        else:
            raise DeployError(f"{key}: no version of build {target.build} is left (expired?); nothing was changed")

    def write(rel: str, key: str) -> str:
        if rel not in sources:
            return "unchanged"
        site.s3.copy_object(Bucket=site.bucket, Key=key, MetadataDirective="COPY",
                            CopySource={"Bucket": site.bucket, "Key": key, "VersionId": sources[rel]})
        return f"restored version {sources[rel]} of"

    if prepare:
        prepare(target)
    say(f"rolling s3://{site.bucket}/{site.prefix} back from build {live} to {target.build}")
    previous = builds[0].files if builds and builds[0].latest else []
    def text(rel: str) -> str:
        version = {"VersionId": sources[rel]} if rel in sources else {}
        return site.s3.get_object(Bucket=site.bucket, Key=site.key(rel), **version)["Body"].read().decode("utf-8")

    site.publish(target.build, target.files, write, text, previous, wait, hook)
    return target.build


def stack_parameters(policy: str, live: Optional[str] = None, domain: Optional[str] = None,
                     certificate: Optional[str] = None) -> dict[str, str]:
    """template.yaml's parameters for a page with this policy (the header adds frame-ancestors).

    `live` is the policy of the page being replaced. Its loader's hashes join script-src for
    the time of the change: CloudFront applies the new header over minutes, and browsers may hold
    the old page, so each page must run under either header. This costs nothing: a page is also
    bound by its own meta policy, which allows its own loader only."""
    params = {"PageContentSecurityPolicy": with_script_hashes(policy, script_hashes(live)) if live else policy}
    if domain is not None:
        params["DomainName"] = domain
    if certificate is not None:
        params["CertificateArn"] = certificate
    return params


def stack_outputs(cfn, name: str) -> dict[str, str]:
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def ensure_stack(cfn, name: str, template: Optional[str], params: dict[str, str]) -> dict[str, str]:
    """Creates the stack or updates it with these parameters (the others keep their values;
    template None keeps the stack's template); waits for it and returns its outputs."""
    try:
        stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    except cfn.exceptions.ClientError as e:
        if "does not exist" not in str(e):
            raise
        stack = None
    if stack and stack["StackStatus"] == "ROLLBACK_COMPLETE":
        raise DeployError(f"stack {name} failed to create (ROLLBACK_COMPLETE): delete it, then deploy again")
    if stack is None and template is None:
        raise DeployError(f"no stack {name}")
    if stack is None:
        say(f"creating stack {name} (CloudFront takes several minutes)")
        cfn.create_stack(StackName=name, TemplateBody=template,
                         Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()])
        waiter = "stack_create_complete"
    else:
        # The others keep their values. (Passed as values rather than UsePreviousValue, which
        # moto honours only for parameters given at creation; the template has no NoEcho one.)
        body = {"UsePreviousTemplate": True} if template is None else {"TemplateBody": template}
        declared = {p["ParameterKey"] for p in cfn.get_template_summary(
            **({"StackName": name} if template is None else body))["Parameters"]}
        kept = {p["ParameterKey"]: p["ParameterValue"] for p in stack.get("Parameters", []) if p["ParameterKey"] in declared}
        say(f"updating stack {name}")
        try:
            cfn.update_stack(StackName=name, **body,
                             Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in {**kept, **params}.items()])
        except cfn.exceptions.ClientError as e:
            if "No updates are to be performed" not in str(e):
                raise
            say(f"stack {name} is up to date")
            return stack_outputs(cfn, name)
        waiter = "stack_update_complete"
    try:
        cfn.get_waiter(waiter).wait(StackName=name, WaiterConfig={"Delay": 15, "MaxAttempts": 240})
    except Exception as e:  # botocore's WaiterError: say what the stack says
        reason = cfn.describe_stacks(StackName=name)["Stacks"][0]
        raise DeployError(f"stack {name}: {reason['StackStatus']} {reason.get('StackStatusReason', '')} ({e})") from e
    return stack_outputs(cfn, name)


def session():
    try:
        import boto3
    except ImportError:
        raise DeployError("boto3 is missing: python3 -m pip install boto3") from None
    # boto3 reads AWS_DEFAULT_REGION; AWS_REGION is the variable the other SDKs and the CLI use.
    return boto3.Session(region_name=os.environ.get("AWS_REGION") or None)


def deploy_site_policy(aws, bucket: Optional[str]) -> Optional[str]:
    """The CSP of the page a stack's bucket serves now, if any."""
    return Site(aws.client("s3"), bucket).live_policy() if bucket else None


def site_from_args(args, aws) -> tuple[Site, dict[str, str]]:
    """The bucket, prefix and distribution of --bucket/--prefix/--distribution or of --stack's outputs."""
    cloudfront = aws.client("cloudfront")
    if args.stack:
        outputs = stack_outputs(aws.client("cloudformation"), args.stack)
        return Site(aws.client("s3"), outputs["BucketName"], "", cloudfront, outputs.get("DistributionId")), outputs
    return Site(aws.client("s3"), args.bucket, normalize_prefix(args.prefix), cloudfront, args.distribution), {}


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="deploy.py", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in [("deploy", "upload dist/ (and create or update the stack with --stack)"),
                       ("builds", "list the builds the bucket keeps under the prefix"),
                       ("rollback", "make an earlier build current again")]:
        p = commands.add_parser(name, help=text, description=text)
        where = p.add_mutually_exclusive_group(required=True)
        where.add_argument("--bucket", help="an existing bucket")
        where.add_argument("--stack", help="the CloudFormation stack of site/template.yaml")
        p.add_argument("--prefix", default="", help="with --bucket: the folder to deploy into (default: the root)")
        if name != "builds":
            p.add_argument("--distribution", help="with --bucket: the CloudFront distribution to invalidate")
            p.add_argument("--no-wait", dest="wait", action="store_false",
                           help="remove the previous build without waiting for the invalidation")
        if name == "deploy":
            p.add_argument("--dist", type=Path, default=DIST, help="the built console (default: dist/)")
            p.add_argument("--template", type=Path, default=TEMPLATE, help=argparse.SUPPRESS)
            p.add_argument("--domain-name", help="with --stack: a custom domain")
            p.add_argument("--certificate-arn", help="with --stack: its ACM certificate (us-east-1)")
        if name == "rollback":
            p.add_argument("--to", help="the build id (see `builds`; default: the one before the live build)")
    args = parser.parse_args(argv)
    if args.stack and (args.prefix or getattr(args, "distribution", None)):
        parser.error("--prefix and --distribution go with --bucket; a stack has its own")
    if args.bucket and (getattr(args, "domain_name", None) or getattr(args, "certificate_arn", None)):
        parser.error("--domain-name and --certificate-arn go with --stack")

    from botocore.exceptions import BotoCoreError, ClientError

    try:
        aws = session()
        if args.command == "deploy":
            build = read_build(args.dist)
            if args.stack:
                cfn = aws.client("cloudformation")
                try:
                    bucket = stack_outputs(cfn, args.stack).get("BucketName")
                except ClientError as e:
                    if "does not exist" not in str(e):
                        raise
                    bucket = None
                live = deploy_site_policy(aws, bucket)
                ensure_stack(cfn, args.stack, args.template.read_text(),
                             stack_parameters(build.policy, live, args.domain_name, args.certificate_arn))
            site, outputs = site_from_args(args, aws)
            if args.stack:
                site.await_distribution()
            deploy(site, build, args.wait)
            url = outputs.get("SiteURL") or (f"https://<your CDN>/{site.prefix}" if site.distribution else
                                              f"s3://{site.bucket}/{site.prefix}index.html")
            print(url)
        elif args.command == "builds":
            site, _ = site_from_args(args, aws)
            for b in list_builds(site):
                print(f"{b.build or '(not deployed by deploy.py)'}\t{b.modified:%Y-%m-%d %H:%M:%S %Z}\t"
                      f"{len(b.files)} files{chr(9) + 'live' if b.latest else ''}")
        else:
            site, _ = site_from_args(args, aws)
            prepare = None
            if args.stack:
                def prepare(target: BuildVersion) -> None:
                    # The header must allow the restored page's loader before it is served.
                    policy = site.live_policy(target.version_id)
                    if policy is None:
                        raise DeployError(f"build {target.build}'s index.html has no readable CSP")
                    ensure_stack(aws.client("cloudformation"), args.stack, None,
                                 stack_parameters(policy, site.live_policy()))
                    site.await_distribution()
            print(rollback(site, args.to, args.wait, prepare=prepare))
    except DeployError as e:
        say(f"error: {e}")
        return 1
    except (BotoCoreError, ClientError) as e:
        say(f"error: {e}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
