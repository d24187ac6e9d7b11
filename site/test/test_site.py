"""site/: the template (cfn-lint, its promises, its CSP against the built page) and deploy.py
against a real S3/CloudFront/CloudFormation emulator (moto_server on loopback), on dist/ as
`make dist` built it."""
from __future__ import annotations

import hashlib
import io
import re
import subprocess
import sys
import tempfile
import unittest
from contextlib import redirect_stderr
from pathlib import Path

import support
from support import deploy

ROOT = support.ROOT
# The files Trunk does not name after their content: the page and the worker's three files.
PLAIN = {"index.html", "worker.js", "worker_bg.wasm", "worker-loader.js"}


def cfn_lint(path: Path) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["cfn-lint", str(path)], capture_output=True, text=True)
    except FileNotFoundError:
        raise RuntimeError("cfn-lint is missing: run scripts/setup.sh") from None


class Template(unittest.TestCase):
    """site/template.yaml: cfn-lint clean, and the properties the issue and README promise."""

    @classmethod
    def setUpClass(cls):
        cls.t = support.load_template()
        cls.r = cls.t["Resources"]

    def test_cfn_lint_passes(self):
        run = cfn_lint(support.TEMPLATE)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)

    def test_cfn_lint_really_checks_a_broken_copy(self):
        with tempfile.TemporaryDirectory() as d:
            broken = Path(d) / "broken.yaml"
            broken.write_text(support.TEMPLATE.read_text().replace("SigningProtocol: sigv4", "SigningProtocol: sigv5"))
            run = cfn_lint(broken)
        self.assertNotEqual(run.returncode, 0)
        self.assertIn("sigv5", run.stdout)

    def test_bucket_is_private_encrypted_and_versioned(self):
        bucket = self.r["Bucket"]["Properties"]
        self.assertEqual(bucket["PublicAccessBlockConfiguration"], dict.fromkeys(
            ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"], True))
        self.assertEqual(bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
                         ["ServerSideEncryptionByDefault"]["SSEAlgorithm"], "AES256")
        self.assertEqual(bucket["VersioningConfiguration"], {"Status": "Enabled"})
        self.assertEqual(bucket["OwnershipControls"]["Rules"], [{"ObjectOwnership": "BucketOwnerEnforced"}])
        expiry = bucket["LifecycleConfiguration"]["Rules"][0]["NoncurrentVersionExpiration"]
        self.assertEqual(expiry, {"NoncurrentDays": {"Ref": "PreviousVersionsDays"}})
        self.assertEqual(self.r["Bucket"]["DeletionPolicy"], "Retain")

    def test_only_this_distribution_reads_the_bucket_through_oac(self):
        allow, deny = self.r["BucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
        self.assertEqual(allow["Principal"], {"Service": "cloudfront.amazonaws.com"})
        self.assertEqual(allow["Action"], "s3:GetObject")
        self.assertIn("distribution/${Distribution}", allow["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"])
        self.assertEqual((deny["Effect"], deny["Condition"]), ("Deny", {"Bool": {"aws:SecureTransport": "false"}}))
        oac = self.r["OriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
        self.assertEqual((oac["OriginAccessControlOriginType"], oac["SigningBehavior"], oac["SigningProtocol"]),
                         ("s3", "always", "sigv4"))
        config = self.r["Distribution"]["Properties"]["DistributionConfig"]
        (origin,) = config["Origins"]
        self.assertEqual(origin["DomainName"], {"Fn::GetAtt": ["Bucket", "RegionalDomainName"]})
        self.assertEqual(origin["OriginAccessControlId"], {"Fn::GetAtt": ["OriginAccessControl", "Id"]})
        self.assertEqual(origin["S3OriginConfig"], {"OriginAccessIdentity": ""})

    def test_https_only_with_optional_domain_and_certificate(self):
        config = self.r["Distribution"]["Properties"]["DistributionConfig"]
        behavior = config["DefaultCacheBehavior"]
        self.assertEqual(behavior["ViewerProtocolPolicy"], "redirect-to-https")
        self.assertEqual(behavior["AllowedMethods"], ["GET", "HEAD"])
        self.assertEqual(behavior["ResponseHeadersPolicyId"], {"Ref": "ResponseHeadersPolicy"})
        self.assertEqual(config["DefaultRootObject"], "index.html")
        custom, default = config["ViewerCertificate"]["Fn::If"][1:]
        self.assertEqual(custom["AcmCertificateArn"], {"Ref": "CertificateArn"})
        self.assertEqual(custom["MinimumProtocolVersion"], "TLSv1.2_2021")
        self.assertEqual(default, {"CloudFrontDefaultCertificate": True})
        params = self.t["Parameters"]
        self.assertEqual((params["DomainName"]["Default"], params["CertificateArn"]["Default"]), ("", ""))
        self.assertIn("CertificateForDomain", self.t["Rules"])

    def test_security_headers(self):
        headers = support.cloudfront_headers(self.t, {"PageContentSecurityPolicy": "default-src 'none'"})
        self.assertEqual(headers, {
            "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
            "strict-transport-security": "max-age=63072000; includeSubDomains",
            "x-content-type-options": "nosniff",
            "referrer-policy": "no-referrer",
            "x-frame-options": "DENY",
        })
        security = self.r["ResponseHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
        self.assertTrue(all(h["Override"] for h in security.values()))

    def test_outputs_site_url_and_bucket(self):
        outputs = self.t["Outputs"]
        self.assertEqual(outputs["BucketName"]["Value"], {"Ref": "Bucket"})
        self.assertEqual(outputs["DistributionId"]["Value"], {"Ref": "Distribution"})
        url = outputs["SiteURL"]["Value"]["Fn::If"]
        self.assertEqual(url[1:], [{"Fn::Sub": "https://${DomainName}/"}, {"Fn::Sub": "https://${Distribution.DomainName}/"}])


class PolicyAgreement(unittest.TestCase):
    """The CSP the stack's header sends is the built page's own policy plus frame-ancestors."""

    def test_header_policy_is_the_page_policy_plus_frame_ancestors(self):
        dist = support.require_dist()
        page = support.page_policy_by_regex((dist / "index.html").read_text(encoding="utf-8"))
        self.assertRegex(page, r"'sha256-[A-Za-z0-9+/]{43}='")
        self.assertNotIn("frame-ancestors", page)
        build = deploy.read_build(dist)
        self.assertEqual(build.policy, page)
        params = deploy.stack_parameters(build.policy)
        self.assertEqual(params, {"PageContentSecurityPolicy": page})
        template = support.load_template()
        header = support.cloudfront_headers(template, params)["content-security-policy"]
        self.assertEqual(header, page + "; frame-ancestors 'none'")
        self.assertEqual(header, deploy.header_policy(page))
        # The parameter passes the template's own constraints, and the header CloudFront's limit.
        spec = template["Parameters"]["PageContentSecurityPolicy"]
        self.assertRegex(page, spec["AllowedPattern"])
        self.assertLessEqual(len(page), spec["MaxLength"])
        self.assertLessEqual(len(header), 1783)

    def test_during_a_change_the_header_also_allows_the_replaced_page_loader(self):
        dist = support.require_dist()
        page = deploy.read_build(dist).policy
        with tempfile.TemporaryDirectory() as d:
            live = deploy.read_build(support.rebuilt(dist, Path(d) / "live")).policy
        (mine,), (theirs,) = deploy.script_hashes(page), deploy.script_hashes(live)
        self.assertNotEqual(mine, theirs)
        params = deploy.stack_parameters(page, live)
        header = support.cloudfront_headers(support.load_template(), params)["content-security-policy"]
        self.assertEqual(deploy.script_hashes(header), [mine, theirs])
        self.assertEqual(header.replace(" " + theirs, ""), page + "; frame-ancestors 'none'")
        self.assertEqual(deploy.stack_parameters(page, page), {"PageContentSecurityPolicy": page})
        self.assertRegex(params["PageContentSecurityPolicy"],
                         support.load_template()["Parameters"]["PageContentSecurityPolicy"]["AllowedPattern"])

    def test_an_unpinned_page_is_refused(self):
        with tempfile.TemporaryDirectory() as d:
            (Path(d) / "index.html").write_text((ROOT / "index.html").read_text())
            with self.assertRaisesRegex(deploy.DeployError, "TRUNK_INLINE_SCRIPTS"):
                deploy.read_build(Path(d))


class Emulated(unittest.TestCase):
    """A test class with its own moto_server; each test gets fresh buckets."""

    @classmethod
    def setUpClass(cls):
        cls.dist = support.require_dist()
        cls.moto = support.MotoServer()
        cls.addClassCleanup(cls.moto.stop)
        cls.moto.use()
        cls.aws = deploy.session()
        cls.s3 = cls.aws.client("s3")
        cls.cloudfront = cls.aws.client("cloudfront")
        cls.buckets = 0

    def setUp(self):
        self.stderr = io.StringIO()
        ctx = redirect_stderr(self.stderr)
        ctx.__enter__()
        self.addCleanup(ctx.__exit__, None, None, None)

    def bucket(self, versioned=True) -> str:
        type(self).buckets += 1
        name = f"console-{type(self).buckets}"
        self.s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        if versioned:
            self.s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        return name

    def keys(self, bucket, prefix=""):
        return {o["Key"]: o for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
                for o in page.get("Contents", [])}

    def body(self, bucket, key) -> bytes:
        return self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    def assert_whole(self, bucket, prefix):
        """The site as a browser would find it now: index.html, every file it refers to, and
        the files the worker's loader refers to."""
        keys = sorted(self.keys(bucket, prefix))
        self.assertIn(prefix + "index.html", keys)
        refs = re.findall(r'(?:src|href)="\./([^"]+)"', self.body(bucket, prefix + "index.html").decode())
        refs += re.findall(r'"\./([^"]+)"', self.body(bucket, prefix + "worker-loader.js").decode())
        self.assertTrue(refs)
        for ref in refs:
            self.assertIn(prefix + ref, keys, f"{ref}, which the live page needs, is there")

    def distribution(self, bucket, origin_path="") -> str:
        return self.cloudfront.create_distribution(DistributionConfig={
            "CallerReference": bucket, "Comment": "an existing CDN", "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [{
                "Id": "s3", "DomainName": f"{bucket}.s3.eu-west-1.amazonaws.com", "OriginPath": origin_path,
                "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
            "DefaultCacheBehavior": {"TargetOriginId": "s3", "ViewerProtocolPolicy": "https-only",
                                     "MinTTL": 0, "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}}},
        })["Distribution"]["Id"]

    def invalidated_paths(self, distribution) -> list[list[str]]:
        out = []
        for summary in self.cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"].get("Items", []):
            inv = self.cloudfront.get_invalidation(DistributionId=distribution, Id=summary["Id"])["Invalidation"]
            out.append(sorted(inv["InvalidationBatch"]["Paths"]["Items"]))
        return out


class Deploy(Emulated):
    """deploy.py into an existing bucket, under a prefix (plain S3 behind an existing CDN)."""

    PREFIX = "exports/console/"

    def test_every_object_has_its_content_type_and_cache_control(self):
        bucket = self.bucket()
        self.s3.put_object(Bucket=bucket, Key="other/console-0123456789abcdef.js", Body=b"not ours")
        build = deploy.read_build(self.dist)
        deploy.deploy(deploy.Site(self.s3, bucket, self.PREFIX), build)
        keys = self.keys(bucket)
        files = {p.relative_to(self.dist).as_posix() for p in self.dist.rglob("*") if p.is_file()}
        self.assertEqual(set(keys), {self.PREFIX + f for f in files} | {"other/console-0123456789abcdef.js"})
        plain = set()
        types = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                 ".wasm": "application/wasm", ".css": "text/css; charset=utf-8"}
        for rel in sorted(files):
            head = self.s3.head_object(Bucket=bucket, Key=self.PREFIX + rel)
            self.assertEqual(head["ContentType"], types[Path(rel).suffix], rel)
            if head["CacheControl"] == "no-cache":
                plain.add(rel)
            else:
                self.assertEqual(head["CacheControl"], "public, max-age=31536000, immutable", rel)
                self.assertRegex(rel, r"-[0-9a-f]{10,16}(_bg)?\.(js|wasm|css)$")
            self.assertEqual(head["Metadata"]["site-build"], build.id)
            self.assertEqual(self.body(bucket, self.PREFIX + rel), (self.dist / rel).read_bytes(), rel)
        self.assertEqual(plain, PLAIN)
        self.assertTrue(any(f.endswith(".wasm") and f not in PLAIN for f in files), "the main module is hashed")
        index = self.s3.head_object(Bucket=bucket, Key=self.PREFIX + "index.html")
        self.assertEqual(sorted(index["Metadata"]["site-files"].split(",")), sorted(files))
        self.assertEqual(self.body(bucket, "other/console-0123456789abcdef.js"), b"not ours")

    def test_a_new_build_replaces_the_old_one_and_the_site_stays_whole_throughout(self):
        bucket = self.bucket()
        distribution = self.distribution(bucket, origin_path="/exports")
        site = deploy.Site(self.s3, bucket, self.PREFIX, self.cloudfront, distribution)
        outside = {"other/console-0123456789abcdef.js": b"another site", "exports/console-0123456789abcdef.js": b"beside",
                   self.PREFIX + "notes.txt": b"a person's file", self.PREFIX + "old/app-0123456789abcdef.js": b"nested"}
        for key, body in outside.items():
            self.s3.put_object(Bucket=bucket, Key=key, Body=body)
        first = deploy.read_build(self.dist)
        deploy.deploy(site, first)
        self.assert_whole(bucket, self.PREFIX)
        with tempfile.TemporaryDirectory() as d:
            second = deploy.read_build(support.rebuilt(self.dist, Path(d) / "dist"))
            gone = sorted(set(first.names()) - set(second.names()))
            added = sorted(set(second.names()) - set(first.names()))
            self.assertEqual(len(gone), 1)
            self.assertEqual(len(added), 2)
            events = []

            def hook(action, key):
                events.append((action, key))
                self.assert_whole(bucket, self.PREFIX)

            deploy.deploy(site, second, hook=hook)
            expected_body = (Path(d) / "dist" / "index.html").read_bytes()
        keys = self.keys(bucket)
        for rel in gone:
            self.assertNotIn(self.PREFIX + rel, keys)
        for rel in second.names():
            self.assertIn(self.PREFIX + rel, keys)
        for key, body in outside.items():
            self.assertEqual(self.body(bucket, key), body, f"{key} is not the deploy's to remove")
        self.assertEqual(self.body(bucket, self.PREFIX + "index.html"), expected_body)
        # The order: new hashed files, the worker's plain ones, index.html, the invalidation,
        # then the previous build's file. Unchanged hashed files are not written again.
        actions = [a for a, _ in events]
        self.assertEqual(actions, ["put"] * actions.count("put") + ["invalidate", "delete"])
        puts = [k[len(self.PREFIX):] for a, k in events if a == "put"]
        self.assertEqual(sorted(p for p in puts if deploy.is_hashed(p)), added)
        self.assertEqual(puts[len(added):], ["worker_bg.wasm", "worker.js", "worker-loader.js", "index.html"])
        self.assertEqual(events[-1], ("delete", self.PREFIX + gone[0]))
        # Only the plain files are invalidated (hashed ones are new names), through the origin path.
        self.assertEqual(self.invalidated_paths(distribution)[-1], sorted(
            ["/console/"] + ["/console/" + p for p in PLAIN]))
        # Versioning keeps what the deploy replaced or removed.
        versions = self.s3.list_object_versions(Bucket=bucket, Prefix=self.PREFIX + gone[0])
        self.assertEqual(len(versions["Versions"]), 1)
        self.assertEqual(len(versions["DeleteMarkers"]), 1)

    def test_the_same_build_again_rewrites_only_the_plain_files(self):
        bucket = self.bucket()
        site = deploy.Site(self.s3, bucket, self.PREFIX)
        build = deploy.read_build(self.dist)
        deploy.deploy(site, build)
        events = []
        deploy.deploy(site, build, hook=lambda a, k: events.append((a, k[len(self.PREFIX):])))
        self.assertEqual(sorted(k for _, k in events), sorted(PLAIN))
        self.assertIn("unchanged s3://", self.stderr.getvalue())

    def test_the_bucket_root_and_its_distribution(self):
        bucket = self.bucket(versioned=False)
        distribution = self.distribution(bucket)
        deploy.deploy(deploy.Site(self.s3, bucket, "", self.cloudfront, distribution), deploy.read_build(self.dist))
        self.assert_whole(bucket, "")
        self.assertEqual(self.invalidated_paths(distribution), [sorted(["/"] + ["/" + p for p in PLAIN])])

    def test_refusals_leave_the_bucket_untouched(self):
        bucket = self.bucket()
        site = deploy.Site(self.s3, bucket, self.PREFIX)
        with tempfile.TemporaryDirectory() as d:
            odd = Path(d) / "dist"
            support.shutil.copytree(self.dist, odd)
            (odd / "data.bin").write_bytes(b"\0")
            with self.assertRaisesRegex(deploy.DeployError, "no Content-Type known for '.bin'"):
                deploy.deploy(site, deploy.read_build(odd))
            (odd / "data.bin").unlink()
            next(p for p in odd.iterdir() if p.suffix == ".wasm" and deploy.is_hashed(p.name)).unlink()
            with self.assertRaisesRegex(deploy.DeployError, r"index.html refers to \./.*_bg\.wasm"):
                deploy.read_build(odd)
        for prefix in ["../x/", "a//b", "a/./b"]:
            with self.assertRaisesRegex(deploy.DeployError, "path segment"):
                deploy.normalize_prefix(prefix)
        self.assertEqual(deploy.normalize_prefix("/exports/console"), "exports/console/")
        self.assertEqual(self.keys(bucket), {})

    def test_the_command_line_with_the_standard_aws_environment(self):
        bucket = self.bucket()
        run = subprocess.run(
            [sys.executable, str(support.SITE / "deploy.py"), "deploy", "--bucket", bucket, "--prefix", "/cli",
             "--dist", str(self.dist)],
            capture_output=True, text=True, env=self.moto.env(), timeout=120)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(run.stdout.strip(), f"s3://{bucket}/cli/index.html")
        self.assertIn("cli/index.html", self.keys(bucket))
        wrong = subprocess.run(
            [sys.executable, str(support.SITE / "deploy.py"), "deploy", "--bucket", "no-such-bucket", "--dist", str(self.dist)],
            capture_output=True, text=True, env=self.moto.env(), timeout=120)
        self.assertEqual(wrong.returncode, 1)
        self.assertRegex(wrong.stderr, r"deploy-site: error: .*NoSuchBucket")
        both = subprocess.run([sys.executable, str(support.SITE / "deploy.py"), "deploy", "--stack", "s", "--prefix", "p/"],
                              capture_output=True, text=True, env=self.moto.env(), timeout=60)
        self.assertEqual(both.returncode, 2)


class Rollback(Emulated):
    """Bucket versioning as the way back: `rollback` makes the previous build live again."""

    PREFIX = "console/"

    def test_rollback_and_roll_forward(self):
        bucket = self.bucket()
        distribution = self.distribution(bucket)
        site = deploy.Site(self.s3, bucket, self.PREFIX, self.cloudfront, distribution)
        first = deploy.read_build(self.dist)
        deploy.deploy(site, first)
        with tempfile.TemporaryDirectory() as d:
            changed = support.rebuilt(self.dist, Path(d) / "dist")
            (changed / "worker-loader.js").write_text((changed / "worker-loader.js").read_text() + "// build two\n")
            second = deploy.read_build(changed)
            deploy.deploy(site, second)
            second_bodies = {rel: (changed / rel).read_bytes() for rel in second.names()}
        self.assertEqual([b.build for b in deploy.list_builds(site)], [second.id, first.id])

        hook = lambda action, key: self.assert_whole(bucket, self.PREFIX)  # noqa: E731
        self.assertEqual(deploy.rollback(site, hook=hook), first.id)
        keys = self.keys(bucket, self.PREFIX)
        self.assertEqual(set(keys), {self.PREFIX + rel for rel in first.names()})
        for rel in first.names():
            self.assertEqual(self.body(bucket, self.PREFIX + rel), (self.dist / rel).read_bytes(), rel)
            head = self.s3.head_object(Bucket=bucket, Key=self.PREFIX + rel)
            self.assertEqual((head["ContentType"], head["CacheControl"]), (deploy.content_type(rel), deploy.cache_control(rel)))
        self.assertEqual(deploy.list_builds(site)[0].build, first.id)
        self.assertIn(sorted(["/console/"] + ["/console/" + p for p in PLAIN]), self.invalidated_paths(distribution))

        # And forward again: the build rolled back from is still kept.
        self.assertEqual(deploy.rollback(site, to=second.id, hook=hook), second.id)
        for rel, body in second_bodies.items():
            self.assertEqual(self.body(bucket, self.PREFIX + rel), body, rel)
        self.assertEqual(set(self.keys(bucket, self.PREFIX)), {self.PREFIX + rel for rel in second.names()})

    def test_nothing_to_roll_back_to(self):
        bucket = self.bucket()
        site = deploy.Site(self.s3, bucket, self.PREFIX)
        deploy.deploy(site, deploy.read_build(self.dist))
        with self.assertRaisesRegex(deploy.DeployError, "no earlier build"):
            deploy.rollback(site)


class Stack(Emulated):
    """`deploy --stack`: create or update the stack, then deploy into its bucket. moto's
    CloudFormation cannot create CloudFront resources (its GetAtt on them fails), so the stack
    here is template.yaml without them, its distribution made in moto's CloudFront beforehand,
    and the CSP header's expression kept as an output for moto's engine to evaluate."""

    def reduced_template(self, distribution: str) -> str:
        t = support.load_template()
        csp = t["Resources"]["ResponseHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"][
            "SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]
        for name in [n for n, r in t["Resources"].items() if r["Type"].startswith("AWS::CloudFront::")]:
            del t["Resources"][name]
        del t["Resources"]["BucketPolicy"]  # it names the distribution
        t["Parameters"]["TestDistributionId"] = {"Type": "String", "Default": distribution}
        t["Outputs"]["DistributionId"]["Value"] = {"Ref": "TestDistributionId"}
        t["Outputs"]["SiteURL"]["Value"]["Fn::If"][2] = {"Fn::Sub": "https://${TestDistributionId}.cloudfront.test/"}
        del t["Outputs"]["DistributionDomainName"]
        t["Outputs"]["HeaderPolicy"] = {"Value": csp}
        return support.json.dumps(t, indent=1)

    def test_create_then_update_and_deploy_into_the_stack_bucket(self):
        distribution = self.distribution("stack")
        with tempfile.TemporaryDirectory() as d:
            template = Path(d) / "template.json"
            template.write_text(self.reduced_template(distribution))
            command = [sys.executable, str(support.SITE / "deploy.py"), "deploy", "--stack", "console",
                       "--template", str(template), "--dist", str(self.dist)]
            first = subprocess.run(command + ["--domain-name", "console.example.com", "--certificate-arn",
                                              "arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-1111-2222-3333-444455556666"],
                                   capture_output=True, text=True, env=self.moto.env(), timeout=120)
            self.assertEqual(first.returncode, 0, first.stderr)
            self.assertIn("creating stack console", first.stderr)
            self.assertEqual(first.stdout.strip(), "https://console.example.com/")
            cfn = self.aws.client("cloudformation")
            stack = cfn.describe_stacks(StackName="console")["Stacks"][0]
            params = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
            outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
            page = deploy.read_build(self.dist).policy
            self.assertEqual(params["PageContentSecurityPolicy"], page)
            self.assertEqual(outputs["HeaderPolicy"], page + "; frame-ancestors 'none'")
            bucket = outputs["BucketName"]
            self.assert_whole(bucket, "")
            self.assertEqual(self.s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
                             ["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"], "AES256")
            self.assertEqual(self.invalidated_paths(distribution), [sorted(["/"] + ["/" + p for p in PLAIN])])

            # Versioning as the real template sets it (moto's CloudFormation leaves it off).
            self.s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})

            # Again with new builds: updates, the domain kept, the header allowing the loaders
            # of both the new page and the page it replaces.
            policies = [page]
            for n, tag in enumerate(["0123456789abcdef", "abcdef0123456789"]):
                changed = support.rebuilt(self.dist, Path(d) / f"dist{n}", tag)
                again = subprocess.run(command[:-1] + [str(changed)], capture_output=True, text=True,
                                       env=self.moto.env(), timeout=120)
                self.assertEqual(again.returncode, 0, again.stderr)
                self.assertIn("updating stack console", again.stderr)
                self.assertEqual(again.stdout.strip(), "https://console.example.com/")
                self.assertEqual(self.body(bucket, "index.html"), (changed / "index.html").read_bytes())
                new = deploy.read_build(changed).policy
                stack = cfn.describe_stacks(StackName="console")["Stacks"][0]
                params = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
                self.assertEqual(params["DomainName"], "console.example.com")
                self.assertEqual(deploy.script_hashes(params["PageContentSecurityPolicy"]),
                                 deploy.script_hashes(new) + deploy.script_hashes(policies[-1]))
                policies.append(new)
            self.assertEqual(len(self.invalidated_paths(distribution)), 3)

            listed = subprocess.run([sys.executable, str(support.SITE / "deploy.py"), "builds", "--stack", "console"],
                                    capture_output=True, text=True, env=self.moto.env(), timeout=60)
            self.assertEqual(listed.returncode, 0, listed.stderr)
            lines = listed.stdout.strip().splitlines()
            self.assertEqual(len(lines), 3)
            self.assertTrue(lines[0].endswith("\tlive"))

            # Rollback: the header first allows the restored page's loader, then the files.
            back = subprocess.run([sys.executable, str(support.SITE / "deploy.py"), "rollback", "--stack", "console"],
                                  capture_output=True, text=True, env=self.moto.env(), timeout=120)
            self.assertEqual(back.returncode, 0, back.stderr)
            self.assertEqual(self.body(bucket, "index.html"), (Path(d) / "dist0" / "index.html").read_bytes())
            params = {p["ParameterKey"]: p["ParameterValue"]
                      for p in cfn.describe_stacks(StackName="console")["Stacks"][0]["Parameters"]}
            self.assertEqual(deploy.script_hashes(params["PageContentSecurityPolicy"]),
                             deploy.script_hashes(policies[1]) + deploy.script_hashes(policies[2]))
            self.assertLess(back.stderr.index("updating stack console"), back.stderr.index("restored version"))


if __name__ == "__main__":
    unittest.main()
