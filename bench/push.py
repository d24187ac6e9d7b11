#!/usr/bin/env python3
"""Benchmark of `push`: what delivery costs on top of what FusionAuth itself spends.

FusionAuth cannot run here, so the target is the test stand-in (tests/standin/): it parses
and stores each import like FusionAuth's API does, and it times itself. The script
generates an N-user list-users export (no file from outside the repository), converts it
into import files of 10,000 users with the release CLI, pushes it into a fresh stand-in, and
prints per import request of 10,000 users:

  - the stand-in's own time (parse + checks + store, its clock),
  - the time the CLI waited for the answer (network and the stand-in included),
  - the CLI's own time in the import step (reading the file, building the request, reading
    the answer: `timings` in push/report.json),

then the same for the whole run (pre-flight with its per-user look-ups, links, verify).

Usage: bench/push.py [N]   (default 100000; the release binary must be built:
                            cargo build --release -p cognito-fusionauth-cli)
"""

import glob
import json
import os
import subprocess
import sys
import tempfile
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "cognito-fusionauth")
STANDIN = os.path.join(ROOT, "tests", "standin", "fusionauth_standin.py")
TENANT = "11111111-1111-4111-8111-111111111111"
APP = "22222222-2222-4222-8222-222222222222"
GOOGLE = "82339786-3dff-42a6-aac6-1f1ceecb6c46"
KEY = "bench-key-0f1e2d3c4b5a69788796a5b4c3d2e1f0"


def pool(n, path):
    """A list-users export: one user per line; every 7th has a Google identity."""
    with open(path, "w") as f:
        f.write('{"Users":[\n')
        for i in range(n):
            attrs = [
                {"Name": "sub", "Value": "5ca1ab1e-0000-4000-8000-%012x" % i},
                {"Name": "email", "Value": "user%d@example.com" % i},
                {"Name": "email_verified", "Value": "true"},
                {"Name": "given_name", "Value": "Given%d" % i},
                {"Name": "family_name", "Value": "Family%d" % i},
                {"Name": "custom:plan", "Value": ["free", "pro", "team"][i % 3]},
            ]
            if i % 7 == 3:
                ident = [{"userId": "10%08d" % i, "providerName": "Google", "providerType": "Google",
                          "issuer": None, "primary": True, "dateCreated": 1700000000000}]
                attrs.append({"Name": "identities", "Value": json.dumps(ident)})
            user = {"Username": "user%d" % i, "Attributes": attrs, "UserCreateDate": 1700000000.5,
                    "UserLastModifiedDate": 1700000100.5, "Enabled": True, "UserStatus": "CONFIRMED"}
            f.write(("," if i else "") + json.dumps(user) + "\n")
        f.write("]}\n")


def control(port, what, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request("http://127.0.0.1:%d/_standin/%s" % (port, what), data=data,
                                 method="POST" if data is not None else "GET")
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


def convert_pool(n, tmp):
    """Generates an n-user export in `tmp` and converts it with the release CLI into import
    files of 10,000 (the tenant and application of the stand-in's config); the output folder."""
    export = os.path.join(tmp, "pool.json")
    pool(n, export)
    rules = json.loads(subprocess.run([BIN, "rules"], check=True, capture_output=True).stdout)
    rules["settings"].update({"tenantId": TENANT,
                              "registrations": [{"applicationId": APP, "roles": ["user"]}]})
    rules_path = os.path.join(tmp, "rules.json")
    with open(rules_path, "w") as f:
        json.dump(rules, f)
    out = os.path.join(tmp, "out")
    subprocess.run([BIN, "convert", "--rules", rules_path, "--chunk-size", "10000", "--out", out,
                    export], check=True, capture_output=True)
    os.remove(export)
    return out


def configure(port):
    """The stand-in as the pushes need it: the key, the tenant, the application, Google."""
    control(port, "config", {
        "keys": {KEY: {}},
        "tenants": [{"id": TENANT, "name": "T", "changePasswordIdTimeToLiveInSeconds": 86400,
                     "forgotPasswordEmailTemplateId": "44444444-4444-4444-8444-444444444444"}],
        "applications": [{"id": APP, "tenantId": TENANT, "name": "A", "roles": ["user"]}],
        "identityProviders": [{"id": GOOGLE, "type": "Google", "name": "Google", "enabled": True}],
    })


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    if not os.access(BIN, os.X_OK):
        sys.exit("bench: build the release binary first: cargo build --release -p cognito-fusionauth-cli")
    with tempfile.TemporaryDirectory() as tmp:
        out = convert_pool(n, tmp)
        standin = subprocess.Popen([sys.executable, STANDIN, "--port", "0"], stdout=subprocess.PIPE)
        try:
            port = int(standin.stdout.readline().split()[-1])
            configure(port)
            env = dict(os.environ, FUSIONAUTH_API_KEY=KEY)
            run = subprocess.run([BIN, "push", out, "--url", "http://127.0.0.1:%d" % port], env=env,
                                 capture_output=True, text=True)
            if run.returncode != 0:
                sys.exit("bench: push failed (%d):\n%s" % (run.returncode, run.stderr))
            state = control(port, "state")
        finally:
            standin.kill()
            standin.wait()
        # One run folder per FusionAuth: push/<host>-<hash>/.
        (report_path,) = glob.glob(os.path.join(out, "push", "*", "report.json"))
        with open(report_path) as f:
            report = json.load(f)
    imports = [i for i in state["imports"] if i["users"] > 0]
    batches = len(imports)
    standin_s = sum(i["seconds"] for i in imports) / batches
    timing = {t["step"]: t for t in report["timings"]}
    imp = timing["import"]
    waited_s = imp["fusionauthMicros"] / 1e6 / batches
    own_s = imp["ownMicros"] / 1e6 / batches
    print("push of %d users in %d import requests of %d (stand-in, loopback)" % (n, batches, imports[0]["users"]))
    print()
    print("| per import request | seconds | vs the stand-in's own time |")
    print("|---|---:|---:|")
    print("| the stand-in's own time (parse, checks, store) | %.3f | 1.00x |" % standin_s)
    print("| the CLI waiting for the answer (transfer + stand-in) | %.3f | %.2fx |" % (waited_s, waited_s / standin_s))
    print("| the CLI's own time (file, request, answer) | %.4f | %.1f%% |" % (own_s, 100 * own_s / standin_s))
    print()
    print("| step | requests | CLI own (s) | waiting for FusionAuth (s) |")
    print("|---|---:|---:|---:|")
    for t in report["timings"]:
        print("| %s | %d | %.2f | %.2f |" % (t["step"], t["requests"], t["ownMicros"] / 1e6, t["fusionauthMicros"] / 1e6))


if __name__ == "__main__":
    main()
