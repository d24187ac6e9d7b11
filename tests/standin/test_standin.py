"""Self-test of the FusionAuth stand-in (fusionauth_standin.py).

Run from the repository root:  python3 -m unittest tests/standin/test_standin.py
Starts the stand-in on a free loopback port and talks to it with http.client.
"""

import http.client
import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid
from pathlib import Path

SERVER = Path(__file__).resolve().parent / "fusionauth_standin.py"

T1 = "11111111-1111-4111-8111-111111111111"
T2 = "22222222-2222-4222-8222-222222222222"
APP1 = "a1a1a1a1-0000-4000-8000-000000000001"
APP2 = "a2a2a2a2-0000-4000-8000-000000000002"  # in T2
G1 = "91919191-0000-4000-8000-000000000001"
GOOGLE = "82339786-3dff-42a6-aac6-1f1ceecb6c46"
DISABLED_IDP = "d15ab1ed-0000-4000-8000-000000000001"
T2_IDP = "7e2a7e2a-0000-4000-8000-000000000002"
U1 = "00000000-0000-4000-8000-000000000001"
U2 = "00000000-0000-4000-8000-000000000002"  # username only
U3 = "00000000-0000-4000-8000-000000000003"  # username + data.email
U4 = "00000000-0000-4000-8000-000000000004"  # T2, same email as U1
TEMPLATE = "7e3d7e3d-0000-4000-8000-000000000001"
ORIGIN = "http://127.0.0.1:1"  # a page on another port, as the console's worker

SUPER, LIMITED, LOCKED, SEARCH_ONLY = "super-key", "limited-key", "locked-key", "user-get-key"

BASE_CONFIG = {
    "keys": {
        SUPER: {"endpoints": {}},
        LIMITED: {"endpoints": {"/api/user/search": ["GET"]}},
        SEARCH_ONLY: {"endpoints": {"/api/user": ["GET"]}},
        LOCKED: {"endpoints": {}, "tenantId": T1},
    },
    "tenants": [
        {"id": T1, "name": "One", "changePasswordIdTimeToLiveInSeconds": 600,
         "forgotPasswordEmailTemplateId": TEMPLATE},
        {"id": T2, "name": "Two", "forgotPasswordEmailTemplateId": None},
    ],
    "applications": [
        {"id": APP1, "tenantId": T1, "name": "App", "roles": ["admin", "user"]},
        {"id": APP2, "tenantId": T2, "name": "App2", "roles": ["user"]},
    ],
    "groups": [{"id": G1, "tenantId": T1, "name": "Staff"}],
    "identityProviders": [
        {"id": GOOGLE, "type": "Google", "name": "Google", "enabled": True, "tenantId": None},
        {"id": DISABLED_IDP, "type": "OpenIDConnect", "name": "Off", "enabled": False, "tenantId": None},
        {"id": T2_IDP, "type": "OpenIDConnect", "name": "T2 only", "enabled": True, "tenantId": T2},
    ],
    "users": [
        {"id": U1, "tenantId": T1, "email": "one@example.com", "username": "One", "active": True},
        {"id": U2, "tenantId": T1, "username": "nomail", "active": True},
        {"id": U3, "tenantId": T1, "username": "datamail", "data": {"email": "dm@example.com"}, "active": True},
        {"id": U4, "tenantId": T2, "email": "one@example.com", "active": True},
    ],
    "links": [],
}

DEFAULT = object()


def uid():
    return str(uuid.uuid4())


class Reply:
    def __init__(self, resp, body):
        self.status = resp.status
        self.headers = resp.headers
        self.body = body
        ctype = resp.getheader("Content-Type") or ""
        self.json = json.loads(body) if body and ctype.startswith("application/json") else None


class StandinTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stderr = tempfile.TemporaryFile(mode="w+")
        cls.proc = subprocess.Popen([sys.executable, str(SERVER), "--port", "0"],
                                    stdout=subprocess.PIPE, stderr=cls.stderr, text=True)
        line = cls.proc.stdout.readline()
        assert line.startswith("listening on "), line
        cls.port = int(line.split()[2])

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        cls.proc.wait(5)
        rest = cls.proc.stdout.read()
        cls.proc.stdout.close()
        cls.stderr.seek(0)
        err = cls.stderr.read()
        cls.stderr.close()
        assert rest == "", "stand-in wrote to stdout after the ready line: %r" % rest
        assert "Traceback" not in err, "stand-in raised:\n" + err

    def setUp(self):
        self.configure(BASE_CONFIG)
        self.faults([])

    # -- helpers ------------------------------------------------------------------

    def conn(self, timeout=10):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def call(self, method, path, body=None, key=SUPER, tenant=DEFAULT, conn=None, raw=None, headers=None):
        h = {}
        if key is not None:
            h["Authorization"] = key
        if tenant is DEFAULT:
            tenant = T1
        if tenant is not None:
            h["X-FusionAuth-TenantId"] = tenant
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        own = conn is None
        c = conn or self.conn()
        try:
            c.request(method, path, body=data, headers=h)
            r = c.getresponse()
            return Reply(r, r.read())
        finally:
            if own:
                c.close()

    def control(self, method, path, body=None):
        c = self.conn()
        try:
            c.request(method, path, body=None if body is None else json.dumps(body).encode(),
                      headers={"Content-Type": "application/json"})
            r = c.getresponse()
            rep = Reply(r, r.read())
        finally:
            c.close()
        self.assertEqual(rep.status, 200, rep.body)
        return rep.json

    def configure(self, cfg):
        return self.control("POST", "/_standin/config", cfg)

    def faults(self, rules):
        return self.control("POST", "/_standin/faults", rules)

    def state(self):
        return self.control("GET", "/_standin/state")

    def assertEmpty(self, rep, status):
        self.assertEqual(rep.status, status, rep.body)
        self.assertEqual(rep.body, b"")
        self.assertEqual(rep.headers.get("Content-Length"), "0")

    def assertField(self, rep, field, code, status=400):
        self.assertEqual(rep.status, status, rep.body)
        codes = [e["code"] for e in rep.json["fieldErrors"][field]]
        self.assertIn(code, codes, rep.json)
        return rep.json["fieldErrors"][field]

    def assertGeneral(self, rep, code, status=400):
        self.assertEqual(rep.status, status, rep.body)
        self.assertEqual(rep.json["generalErrors"][0]["code"], code, rep.json)
        return rep.json["generalErrors"][0]

    def import_users(self, users, vdc=None, **kw):
        body = {"users": users}
        if vdc is not None:
            body["validateDbConstraints"] = vdc
        return self.call("POST", "/api/user/import", body, **kw)

    def user_ids(self):
        return {u["id"] for u in self.state()["users"]}

    # -- system, auth, permissions ---------------------------------------------------

    def test_version_and_keys(self):
        r = self.call("GET", "/api/system/version")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.headers["Content-Type"].startswith("application/json"))
        self.assertEqual(r.json, {"version": "1.62.1"})
        self.assertEmpty(self.call("GET", "/api/system/version", key="wrong"), 401)
        self.assertEmpty(self.call("GET", "/api/system/version", key=None), 401)
        self.assertEmpty(self.call("GET", "/api/system/version", key="Bearer " + SUPER), 401)
        import base64
        basic = "Basic " + base64.b64encode(("apikey:" + SUPER).encode()).decode()
        self.assertEqual(self.call("GET", "/api/system/version", key=basic).status, 200)
        self.assertEmpty(self.call("GET", "/api/nothing/here"), 404)
        self.assertEmpty(self.call("GET", "/api/nothing/here", key=LIMITED), 401)
        st = self.state()
        self.assertEqual(st["requests"][0]["status"], 200)
        self.assertTrue(st["requests"][0]["authorization"])
        self.assertFalse(st["requests"][2]["authorization"])
        self.assertNotIn(SUPER, json.dumps(st))

    def test_missing_permission_is_401_for_every_endpoint(self):
        calls = [
            ("POST", "/api/user/import", {"users": []}),
            ("POST", "/api/user/search", {"search": {"ids": [U1]}}),
            ("DELETE", "/api/user/bulk", {"userIds": [U1], "dryRun": True}),
            ("POST", "/api/user/forgot-password", {"loginId": "x@invalid.example"}),
            ("GET", "/api/identity-provider/link?userId=" + U1, None),
            ("POST", "/api/identity-provider/link", {}),
            ("DELETE", "/api/identity-provider/link?identityProviderId=%s&identityProviderUserId=1&userId=%s"
             % (GOOGLE, U1), None),
            ("GET", "/api/identity-provider/" + GOOGLE, None),
            ("GET", "/api/user/" + U1, None),
            ("GET", "/api/tenant/" + T1, None),
            ("GET", "/api/application/" + APP1, None),
            ("GET", "/api/group/" + G1, None),
            ("POST", "/api/group", {"group": {"name": "X"}}),
            ("DELETE", "/api/group/" + G1, None),
            ("GET", "/api/system/version", None),
        ]
        for method, path, body in calls:
            with self.subTest(method=method, path=path):
                self.assertEmpty(self.call(method, path, body, key=LIMITED), 401)
        # the allowed one works; permission is checked before validation
        self.assertEqual(self.call("GET", "/api/user/search?ids=" + U1, key=LIMITED).status, 200)
        self.assertEmpty(self.call("POST", "/api/user/import", raw=b"{not json", key=LIMITED), 401)
        # longest prefix: /api/user GET does not grant /api/user/search
        self.assertEqual(self.call("GET", "/api/user/" + U1, key=SEARCH_ONLY).status, 200)
        self.assertEmpty(self.call("GET", "/api/user/search?ids=" + U1, key=SEARCH_ONLY), 401)
        self.assertEmpty(self.call("POST", "/api/user/search", {"search": {"ids": [U1]}}, key=LIMITED), 401)

    def test_tenant_header_semantics(self):
        for method, path, body in [
            ("POST", "/api/user/import", {"users": [{"email": "n@example.com"}]}),
            ("POST", "/api/group", {"group": {"name": "New"}}),
            ("POST", "/api/group/" + uid(), {"group": {"name": "New"}}),
            ("POST", "/api/user/forgot-password", {"loginId": "one@example.com"}),
            ("GET", "/api/user?email=one@example.com", None),
            ("GET", "/api/user?username=One", None),
            ("GET", "/api/user?loginId=One", None),
        ]:
            with self.subTest(path=path):
                e = self.assertGeneral(self.call(method, path, body, tenant=None), "[TenantIdRequired]")
                self.assertTrue(e["message"].startswith("A Tenant Id is required to complete this request."))
        # scoped calls work without it and filter with it
        r = self.call("GET", "/api/user/search?ids=%s&ids=%s" % (U1, U4), tenant=None)
        self.assertEqual(r.json["total"], 2)
        r = self.call("GET", "/api/user/search?ids=%s&ids=%s" % (U1, U4), tenant=T2)
        self.assertEqual([u["id"] for u in r.json["users"]], [U4])
        self.assertEmpty(self.call("GET", "/api/user/" + U1, tenant=T2), 404)
        self.assertEqual(self.call("GET", "/api/user/" + U1, tenant=None).status, 200)
        self.assertEmpty(self.call("GET", "/api/group/" + G1, tenant=T2), 404)
        self.assertEmpty(self.call("GET", "/api/application/" + APP1, tenant=T2), 404)
        # unknown tenant
        self.assertField(self.call("GET", "/api/user/" + U1, tenant=uid()), "tenantId", "[invalid]tenantId")
        # tenant-locked key acts as the header; another header value is 401
        r = self.call("GET", "/api/user?email=one@example.com", key=LOCKED, tenant=None)
        self.assertEqual(r.json["user"]["id"], U1)
        self.assertEmpty(self.call("GET", "/api/user/" + U1, key=LOCKED, tenant=T2), 401)
        self.assertEqual(self.call("GET", "/api/user/" + U1, key=LOCKED, tenant=T1).status, 200)
        # a single tenant is the default
        cfg = dict(BASE_CONFIG, tenants=[BASE_CONFIG["tenants"][0]], applications=[], users=[],
                   identityProviders=[])
        self.configure(cfg)
        self.assertEmpty(self.import_users([{"email": "solo@example.com"}], tenant=None), 200)
        self.assertEqual(self.state()["users"][0]["tenantId"], T1)

    # -- tenants, applications, identity providers, groups -----------------------------------

    def test_tenant_application_idp_reads(self):
        r = self.call("GET", "/api/tenant", tenant=None)
        self.assertEqual({t["id"] for t in r.json["tenants"]}, {T1, T2})
        t = self.call("GET", "/api/tenant/" + T1).json["tenant"]
        self.assertEqual(t["name"], "One")
        self.assertEqual(t["externalIdentifierConfiguration"]["changePasswordIdTimeToLiveInSeconds"], 600)
        self.assertEqual(t["emailConfiguration"]["forgotPasswordEmailTemplateId"], TEMPLATE)
        t2 = self.call("GET", "/api/tenant/" + T2, tenant=None).json["tenant"]
        self.assertIsNone(t2["emailConfiguration"]["forgotPasswordEmailTemplateId"])
        self.assertEmpty(self.call("GET", "/api/tenant/" + uid(), tenant=None), 404)

        a = self.call("GET", "/api/application/" + APP1).json["application"]
        self.assertEqual((a["id"], a["tenantId"], a["name"], a["active"]), (APP1, T1, "App", True))
        self.assertEqual([r["name"] for r in a["roles"]], ["admin", "user"])
        self.assertTrue(all(uuid.UUID(r["id"]) and r["isDefault"] is False for r in a["roles"]))
        self.assertEqual(a, self.call("GET", "/api/application/" + APP1).json["application"])  # stable ids
        self.assertEmpty(self.call("GET", "/api/application/" + uid()), 404)

        p = self.call("GET", "/api/identity-provider/" + GOOGLE).json["identityProvider"]
        self.assertEqual((p["type"], p["enabled"], p["tenantId"]), ("Google", True, None))
        self.assertEqual(self.call("GET", "/api/identity-provider/" + DISABLED_IDP).json
                         ["identityProvider"]["enabled"], False)
        self.assertEmpty(self.call("GET", "/api/identity-provider/" + uid()), 404)

    def test_groups(self):
        g = self.call("GET", "/api/group/" + G1).json["group"]
        self.assertEqual(g, {"id": G1, "name": "Staff", "tenantId": T1})
        self.assertEmpty(self.call("GET", "/api/group/" + uid()), 404)

        new = uid()
        r = self.call("POST", "/api/group/" + new, {"group": {"name": "Admins"}})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json["group"], {"id": new, "name": "Admins", "tenantId": T1})
        e = self.assertField(self.call("POST", "/api/group/" + uid(), {"group": {"name": "sTaFf"}}),
                             "group.name", "[duplicate]group.name")
        self.assertEqual(e[0]["message"], "A group with the name [sTaFf] already exists.")
        self.assertField(self.call("POST", "/api/group/" + new, {"group": {"name": "Other"}}),
                         "groupId", "[duplicate]groupId")
        self.assertField(self.call("POST", "/api/group", {"group": {"name": "  "}}),
                         "group.name", "[blank]group.name")
        self.assertField(self.call("POST", "/api/group", {}), "group.name", "[blank]group.name")
        # same name in another tenant is fine; random id
        r = self.call("POST", "/api/group", {"group": {"name": "Staff"}}, tenant=T2)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json["group"]["tenantId"], T2)
        uuid.UUID(r.json["group"]["id"])
        # search (name is *value*, case-insensitive)
        r = self.call("GET", "/api/group/search?name=adm")
        self.assertEqual([g["id"] for g in r.json["groups"]], [new])
        # delete
        self.assertEmpty(self.call("DELETE", "/api/group/" + new), 200)
        self.assertEmpty(self.call("DELETE", "/api/group/" + new), 404)
        self.assertEmpty(self.call("GET", "/api/group/" + new), 404)

    # -- import -----------------------------------------------------------------------------

    def test_import_happy_path(self):
        a, b = uid(), uid()
        users = [
            {"id": a, "email": "New.User@Example.com", "password": "c2VjcmV0", "encryptionScheme": "salted-sha256",
             "salt": "c2FsdA==", "factor": 1, "tenantId": T2, "active": True,
             "registrations": [{"applicationId": APP1, "roles": ["admin"]}],
             "memberships": [{"groupId": G1}], "data": {"cognito": {"sub": "x"}}},
            {"id": b.upper(), "username": "UserName2"},
        ]
        r = self.import_users(users)
        self.assertEmpty(r, 200)
        self.assertNotIn("Content-Type", r.headers)
        st = self.state()
        got = {u["id"]: u for u in st["users"]}
        self.assertIn(b, got)
        ua = got[a]
        self.assertEqual(ua["tenantId"], T1)  # the header wins over users[x].tenantId
        self.assertEqual(ua["email"], "new.user@example.com")
        self.assertNotIn("password", ua)
        self.assertNotIn("salt", ua)
        self.assertTrue(ua["_passwordSet"])
        self.assertEqual(ua["registrations"][0]["roles"], ["admin"])
        self.assertEqual(ua["memberships"][0]["groupId"], G1)
        self.assertFalse(got[b]["active"])
        imp = st["imports"][-1]
        self.assertEqual((imp["users"], imp["validateDbConstraints"], imp["status"], imp["committed"]),
                         (2, False, 200, True))
        self.assertIsInstance(imp["seconds"], float)
        api = self.call("GET", "/api/user/" + a).json["user"]
        self.assertNotIn("_passwordSet", api)
        self.assertEqual(api["data"], {"cognito": {"sub": "x"}})

    def test_import_validation_errors(self):
        before = self.user_ids()
        self.assertGeneral(self.call("POST", "/api/user/import", raw=b'{"users": ['), "[invalidJSON]")
        self.assertField(self.import_users([]), "users", "[missing]users")
        self.assertField(self.call("POST", "/api/user/import", {}), "users", "[missing]users")
        good = {"email": "fine@example.com"}
        self.assertField(self.import_users([good, {"firstName": "x"}]), "user.email", "[missing]user.email")
        self.assertField(self.import_users([good, {"email": "a" * 180 + "@example.com"}]),
                         "user.email", "[tooLong]user.email")
        self.assertField(self.import_users([{"username": "u" * 192}]), "user.username", "[tooLong]user.username")
        self.assertField(self.import_users([{"email": "r@example.com", "registrations": [{"applicationId": uid()}]}]),
                         "user.registrations[0].applicationId", "[invalid]user.registrations[0].applicationId")
        # an application of another tenant is invalid too
        self.assertField(self.import_users([{"email": "r@example.com", "registrations": [{"applicationId": APP2}]}]),
                         "user.registrations[0].applicationId", "[invalid]user.registrations[0].applicationId")
        self.assertField(self.import_users([{"email": "r@example.com", "registrations": [
            {"applicationId": APP1, "roles": ["admin", "nope"]}]}]),
            "user.registrations[0].roles", "[invalid]user.registrations[0].roles")
        # missing group: bare 500 with or without validateDbConstraints
        for vdc in (None, True):
            self.assertEmpty(self.import_users([good, {"email": "g@example.com", "memberships": [{"groupId": uid()}]}],
                                               vdc=vdc), 500)
        self.assertEqual(self.user_ids(), before)
        self.assertFalse(any(i["committed"] for i in self.state()["imports"]))

    def test_import_duplicates(self):
        new = {"id": uid(), "email": "brand-new@example.com"}
        dup_email = {"id": uid(), "email": "ONE@example.com"}
        dup_name = {"id": uid(), "username": "one"}
        dup_id = {"id": U2, "email": "other@example.com"}
        before = self.user_ids()
        # default: bare 500; nothing imported (all or nothing)
        self.assertEmpty(self.import_users([new, dup_email]), 500)
        self.assertEmpty(self.import_users([new, dup_id], vdc=False), 500)
        # in-batch duplicates
        self.assertEmpty(self.import_users([new, dict(new, id=uid(), email="Brand-New@example.com")]), 500)
        self.assertEqual(self.user_ids(), before)
        # validateDbConstraints: field errors listing every duplicate
        r = self.import_users([new, dup_email, dup_name, dup_id], vdc=True)
        self.assertEqual(r.status, 400)
        fe = r.json["fieldErrors"]
        self.assertEqual(fe["user.email"], [{"code": "[duplicate]user.email",
                                             "message": "A User with email [one@example.com] already exists."}])
        self.assertEqual(fe["user.username"], [{"code": "[duplicate]user.username",
                                                "message": "A User with username [one] already exists."}])
        self.assertEqual(fe["user.id"], [{"code": "[duplicate]user.id",
                                          "message": "A User with Id [%s] already exists." % U2}])
        self.assertEqual(self.user_ids(), before)
        # the migration guide's 400 flavour
        self.configure(dict(BASE_CONFIG, importDuplicateStatus=400))
        e = self.assertGeneral(self.import_users([new, dup_email]), "[ImportRequestFailed]")
        self.assertIn("validateDbConstraints", e["message"])
        # uniqueness is per tenant: U1's username (T1) is free in T2, U4's email (T2) is taken there
        self.assertEmpty(self.import_users([{"username": "One"}], tenant=T2), 200)
        self.assertGeneral(self.import_users([{"email": "one@example.com"}], tenant=T2), "[ImportRequestFailed]")

    def test_import_10k_users_is_fast(self):
        users = [{"id": uid(), "email": "user%05d@example.com" % i, "username": "user%05d" % i,
                  "password": "cmFuZG9tcmFuZG9tcmFuZG9tcmFuZG9t", "encryptionScheme": "salted-sha256",
                  "salt": "c2FsdHNhbHRzYWx0", "factor": 1, "active": True, "verified": True,
                  "firstName": "First%d" % i, "lastName": "Last%d" % i, "insertInstant": 1700000000000,
                  "registrations": [{"applicationId": APP1, "roles": ["user"]}],
                  "data": {"cognito": {"sub": uid(), "status": "CONFIRMED", "pool": "eu-west-1_ABCDEFGHI",
                                       "attributes": {"phone_number_verified": "false", "locale": "en_GB",
                                                      "custom:tier": "gold" * 40}}}}
                 for i in range(10_000)]
        body = json.dumps({"users": users, "validateDbConstraints": False}).encode()
        self.assertGreater(len(body), 6_000_000)
        t0 = time.monotonic()
        r = self.call("POST", "/api/user/import", raw=body)
        self.assertEmpty(r, 200)
        imp = self.state()["imports"][-1]
        self.assertLess(imp["seconds"], 1.0, imp)
        print("\n10k import: %.1f MB, server %.3f s" % (len(body) / 1e6, imp["seconds"]), file=sys.stderr)
        ids = [u["id"] for u in users]
        r = self.call("POST", "/api/user/search", {"search": {"ids": ids}})
        self.assertEqual(r.json["total"], 10_000)
        self.assertLess(time.monotonic() - t0, 8)

    # -- users: search and retrieve ---------------------------------------------------------

    def test_search_by_ids(self):
        r = self.call("GET", "/api/user/search?ids=%s&ids=%s&ids=not-a-uuid&ids=%s" % (U1, U2, uid()))
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json["total"], 2)
        self.assertEqual({u["id"] for u in r.json["users"]}, {U1, U2})
        r = self.call("POST", "/api/user/search", {"search": {"ids": [U3, uid()]}})
        self.assertEqual((r.json["total"], r.json["users"][0]["id"]), (1, U3))
        self.assertField(self.call("POST", "/api/user/search", {"search": {"ids": [uid()] * 10_001}}),
                         "search.ids", "[tooMany]search.ids")
        self.assertEqual(self.call("POST", "/api/user/search", {"search": {"queryString": "one"}}).status, 400)

    def test_retrieve_user(self):
        self.assertEqual(self.call("GET", "/api/user/" + U1).json["user"]["email"], "one@example.com")
        self.assertEmpty(self.call("GET", "/api/user/" + uid()), 404)
        self.assertEqual(self.call("GET", "/api/user?email=ONE@example.com").json["user"]["id"], U1)
        self.assertEqual(self.call("GET", "/api/user?email=one@example.com", tenant=T2).json["user"]["id"], U4)
        self.assertEqual(self.call("GET", "/api/user?username=NOMAIL").json["user"]["id"], U2)
        self.assertEqual(self.call("GET", "/api/user?loginId=datamail").json["user"]["id"], U3)
        self.assertEqual(self.call("GET", "/api/user?loginId=one@example.com").json["user"]["id"], U1)
        self.assertEmpty(self.call("GET", "/api/user?email=nobody@example.com"), 404)

    # -- forgot password ------------------------------------------------------------------------

    def test_forgot_password(self):
        fp = "/api/user/forgot-password"
        r = self.call("POST", fp, {"loginId": "one@example.com", "sendForgotPasswordEmail": True})
        self.assertEqual(r.status, 200)
        self.assertGreater(len(r.json["changePasswordId"]), 10)
        self.assertEqual(self.call("POST", fp, {"loginId": "datamail"}).status, 200)  # data.email counts
        self.assertEmpty(self.call("POST", fp, {"loginId": "nomail"}), 422)
        self.assertEmpty(self.call("POST", fp, {"loginId": "nobody@example.com"}), 404)
        self.assertEmpty(self.call("POST", fp, {"loginId": "one@example.com"}, tenant=T2), 403)  # no template
        r = self.call("POST", fp, {"loginId": "one@example.com", "sendForgotPasswordEmail": False}, tenant=T2)
        self.assertEqual(r.status, 200)
        recs = self.state()["forgotPassword"]
        self.assertEqual([x["status"] for x in recs], [200, 200, 422, 404, 403, 200])
        self.assertEqual(recs[0], {"loginId": "one@example.com", "userId": U1, "status": 200, "sendEmail": True})
        self.assertIsNone(recs[3]["userId"])
        self.assertEqual(recs[5]["userId"], U4)
        self.assertFalse(recs[5]["sendEmail"])

    # -- identity-provider links ------------------------------------------------------------------

    def test_links(self):
        lp = "/api/identity-provider/link"
        body = {"identityProviderLink": {"identityProviderId": GOOGLE, "identityProviderUserId": "g-1",
                                         "userId": U1, "displayName": "one@example.com"}}
        r = self.call("POST", lp, body)
        self.assertEqual(r.status, 200, r.body)
        link = r.json["identityProviderLink"]
        self.assertEqual((link["userId"], link["identityProviderType"], link["displayName"]),
                         (U1, "Google", "one@example.com"))
        self.assertIn("insertInstant", link)
        # flat (deprecated) body
        r = self.call("POST", lp, {"identityProviderId": GOOGLE, "identityProviderUserId": "g-2", "userId": U2})
        self.assertEqual(r.status, 200)
        # reads
        q = "%s?identityProviderId=%s&identityProviderUserId=g-1" % (lp, GOOGLE)
        self.assertEqual(self.call("GET", q).json["identityProviderLink"]["userId"], U1)
        self.assertEqual(self.call("GET", q + "&userId=" + U1).status, 200)
        self.assertEmpty(self.call("GET", q + "&userId=" + U2), 404)
        self.assertEmpty(self.call("GET", "%s?identityProviderId=%s&identityProviderUserId=zz" % (lp, GOOGLE)), 404)
        links = self.call("GET", "%s?userId=%s" % (lp, U1)).json["identityProviderLinks"]
        self.assertEqual([l["identityProviderUserId"] for l in links], ["g-1"])
        self.assertEqual(self.call("GET", "%s?userId=%s&identityProviderId=%s" % (lp, U1, T2_IDP))
                         .json["identityProviderLinks"], [])
        # errors
        self.assertField(self.call("POST", lp, body), "identityProviderUserId", "[duplicate]identityProviderUserId")
        other = {"identityProviderLink": dict(body["identityProviderLink"], userId=U3)}
        e = self.assertGeneral(self.call("POST", lp, other), "[ExistingUserAlreadyLinked]", status=409)
        self.assertEqual(e["message"], "This account is already linked to another user")
        self.assertEqual(self.call("POST", lp, {}).status, 400)
        self.assertField(self.call("POST", lp, {"identityProviderLink": {"identityProviderId": GOOGLE, "userId": U1}}),
                         "identityProviderUserId", "[blank]identityProviderUserId")
        mk = lambda **kw: {"identityProviderLink": dict(body["identityProviderLink"], identityProviderUserId="n", **kw)}
        self.assertField(self.call("POST", lp, mk(identityProviderId=uid())),
                         "identityProviderId", "[invalid]identityProviderId")
        self.assertField(self.call("POST", lp, mk(userId=uid())), "userId", "[invalid]userId")
        self.assertField(self.call("POST", lp, mk(identityProviderId=DISABLED_IDP)),
                         "identityProviderId", "[disabled]identityProviderId")
        self.assertField(self.call("POST", lp, mk(identityProviderId=T2_IDP)),
                         "identityProviderId", "[invalid]identityProviderId")
        # delete
        d = "%s?identityProviderId=%s&identityProviderUserId=g-1&userId=%s" % (lp, GOOGLE, U1)
        self.assertEmpty(self.call("DELETE", d), 200)
        self.assertEmpty(self.call("DELETE", d), 404)
        self.assertEmpty(self.call("GET", q), 404)
        self.assertEqual(len(self.state()["links"]), 1)

    # -- bulk delete ------------------------------------------------------------------------------

    def test_bulk_delete(self):
        bd = "/api/user/bulk"
        self.call("POST", "/api/identity-provider/link",
                  {"identityProviderLink": {"identityProviderId": GOOGLE, "identityProviderUserId": "g", "userId": U1}})
        ghost = uid()
        r = self.call("DELETE", bd, {"userIds": [U1, ghost], "hardDelete": True, "dryRun": True})
        self.assertEqual(r.json, {"dryRun": True, "hardDelete": True, "total": 1, "userIds": [U1]})
        self.assertIn(U1, self.user_ids())
        # soft delete: the user stays (inactive) and keeps the email
        r = self.call("DELETE", bd, {"userIds": [U1], "hardDelete": False})
        self.assertEqual(r.json, {"dryRun": False, "hardDelete": False, "total": 1, "userIds": [U1]})
        self.assertFalse(self.call("GET", "/api/user/" + U1).json["user"]["active"])
        self.assertEmpty(self.import_users([{"email": "one@example.com"}]), 500)
        # hard delete removes the user and its links; the email is free again
        r = self.call("DELETE", bd, {"userIds": [U1], "hardDelete": True})
        self.assertEqual(r.json["total"], 1)
        self.assertNotIn(U1, self.user_ids())
        self.assertEqual(self.state()["links"], [])
        self.assertEmpty(self.import_users([{"email": "one@example.com"}]), 200)
        # nothing affected: userIds omitted
        r = self.call("DELETE", bd, {"userIds": [ghost], "hardDelete": True})
        self.assertEqual(r.json, {"dryRun": False, "hardDelete": True, "total": 0})
        # tenant scope: U4 is in T2
        self.assertEqual(self.call("DELETE", bd, {"userIds": [U4], "hardDelete": True}).json["total"], 0)
        # query form
        r = self.call("DELETE", "%s?userId=%s&userId=%s&hardDelete=true&dryRun=true" % (bd, U2, U3))
        self.assertEqual(r.json, {"dryRun": True, "hardDelete": True, "total": 2, "userIds": [U2, U3]})
        self.assertField(self.call("DELETE", bd, {"userIds": [ghost] * 10_001}), "userIds", "[tooMany]userIds")

    # -- faults -------------------------------------------------------------------------------------

    def test_fault_status_with_retry_after_skip_and_times(self):
        self.faults([{"method": "POST", "path": "/api/user/import", "skip": 1, "times": 2, "action": "status",
                      "status": 503, "retryAfter": 2},
                     {"path": "/api/user/search", "times": -1, "action": "status", "status": 429}])
        mk = lambda: [{"email": "%s@example.com" % uid()}]
        self.assertEmpty(self.import_users(mk()), 200)  # skipped
        for _ in range(2):
            r = self.import_users(mk())
            self.assertEqual(r.status, 503)
            self.assertEqual(r.headers["Retry-After"], "2")
            self.assertTrue(r.json["generalErrors"])
        self.assertEmpty(self.import_users(mk()), 200)  # rule exhausted
        for _ in range(3):
            r = self.call("GET", "/api/user/search?ids=" + U1)
            self.assertEmpty(r, 429)
            self.assertIsNone(r.headers.get("Retry-After"))
        self.assertEqual(self.call("GET", "/api/user/" + U1).status, 200)  # other paths untouched
        st = self.state()
        self.assertEqual([i["status"] for i in st["imports"]], [200, 503, 503, 200])
        self.assertEqual([i["committed"] for i in st["imports"]], [True, False, False, True])

    def test_fault_side_door_and_redirect(self):
        side = uid()
        self.faults([{"method": "POST", "path": "/api/user/import", "action": "status", "status": 302,
                      "location": "https://maintenance.example/", "sideDoor": [
                          {"id": side, "email": "connector@example.com", "tenantId": T1,
                           "data": {"migratedFrom": "cognito"}}]}])
        r = self.import_users([{"id": uid(), "email": "batch@example.com"}])
        self.assertEqual(r.status, 302)
        self.assertEqual(r.headers["Location"], "https://maintenance.example/")
        st = self.state()
        self.assertIn(side, {u["id"] for u in st["users"]})
        self.assertNotIn("batch@example.com", {u.get("email") for u in st["users"]})
        self.assertEqual(st["imports"][-1]["committed"], False)
        # a side-door user whose id is taken is left out
        self.faults([{"path": "/api/user/search", "action": "status", "status": 503,
                      "sideDoor": [{"id": side, "email": "other@example.com", "tenantId": T1}]}])
        self.call("GET", "/api/user/search?ids=" + side)
        self.assertEqual([u.get("email") for u in self.state()["users"] if u["id"] == side],
                         ["connector@example.com"])

    def test_fault_drop(self):
        for commit in (True, False):
            with self.subTest(commit=commit):
                self.configure(BASE_CONFIG)
                self.faults([{"method": "POST", "path": "/api/user/import", "action": "drop", "commit": commit}])
                new = uid()
                with self.assertRaises((http.client.HTTPException, OSError)):
                    self.import_users([{"id": new, "email": "drop@example.com"}])
                st = self.state()
                self.assertEqual(new in {u["id"] for u in st["users"]}, commit)
                self.assertIsNone(st["requests"][-1]["status"])
                self.assertEqual(st["requests"][-1]["outcome"], "dropped")
                self.assertEqual(st["imports"][-1]["committed"], commit)
                self.assertEqual(st["imports"][-1]["users"], 1)
                # the next request (new connection) is normal
                self.assertEqual(self.import_users([{"email": "after@example.com"}]).status, 200)

    def test_fault_delay(self):
        self.faults([{"path": "/api/system/version", "action": "delay", "seconds": 0.4}])
        t0 = time.monotonic()
        self.assertEqual(self.call("GET", "/api/system/version").status, 200)
        self.assertGreaterEqual(time.monotonic() - t0, 0.4)
        t0 = time.monotonic()
        self.assertEqual(self.call("GET", "/api/system/version").status, 200)
        self.assertLess(time.monotonic() - t0, 0.3)
        # a client that gives up: the import still commits after the delay, nothing is answered
        self.faults([{"path": "/api/user/import", "action": "delay", "seconds": 0.5}])
        new = uid()
        c = self.conn(timeout=0.1)
        with self.assertRaises(OSError):
            self.import_users([{"id": new, "email": "slow@example.com"}], conn=c)
        c.close()
        deadline = time.monotonic() + 3
        while new not in self.user_ids() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertIn(new, self.user_ids())
        time.sleep(0.1)
        self.assertIsNone(self.state()["requests"][-1]["status"])

    def _wait_held(self, n):
        deadline = time.monotonic() + 5
        while self.state()["held"] != n:
            self.assertLess(time.monotonic(), deadline, "held never reached %d" % n)
            time.sleep(0.02)

    def test_fault_hold_and_release(self):
        for commit in (True, False):
            with self.subTest(commit=commit):
                self.configure(BASE_CONFIG)
                self.faults([{"method": "POST", "path": "/api/user/import", "action": "hold", "commit": commit}])
                new = uid()
                out = {}
                t = threading.Thread(target=lambda: out.setdefault(
                    "r", self.import_users([{"id": new, "email": "held@example.com"}])))
                t.start()
                self._wait_held(1)
                st = self.state()
                self.assertEqual(new in {u["id"] for u in st["users"]}, commit)
                self.assertIsNone(st["requests"][-1]["status"])
                self.assertIsNone(st["requests"][-1]["outcome"])
                self.assertEqual(st["imports"][-1]["committed"], commit)
                self.assertTrue(t.is_alive())
                self.assertEqual(self.control("POST", "/_standin/release"), {"released": 1})
                t.join(5)
                self.assertEmpty(out["r"], 200)
                st = self.state()
                self.assertEqual(st["held"], 0)
                self.assertIn(new, {u["id"] for u in st["users"]})
                self.assertEqual(st["requests"][-1]["status"], 200)
                self.assertTrue(st["imports"][-1]["committed"])

    def test_fault_hold_client_killed(self):
        self.faults([{"path": "/api/user/import", "action": "hold", "commit": True}])
        new = uid()
        body = json.dumps({"users": [{"id": new, "email": "killed@example.com"}]}).encode()
        s = socket.create_connection(("127.0.0.1", self.port))
        s.sendall(b"POST /api/user/import HTTP/1.1\r\nHost: x\r\nAuthorization: " + SUPER.encode() +
                  b"\r\nX-FusionAuth-TenantId: " + T1.encode() + b"\r\nContent-Type: application/json\r\n"
                  b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        self._wait_held(1)
        s.close()  # the client dies while the request is in flight
        self.assertIn(new, self.user_ids())
        self.control("POST", "/_standin/release")
        self._wait_held(0)
        time.sleep(0.1)
        st = self.state()
        self.assertIsNone(st["requests"][-1]["status"])
        self.assertEqual(st["requests"][-1]["outcome"], "abandoned")
        self.assertTrue(st["imports"][-1]["committed"])


    # -- CORS -------------------------------------------------------------------------------------------

    def cors_config(self, **cors):
        return dict(BASE_CONFIG, cors=dict({"enabled": True, "allowedOrigins": [ORIGIN]}, **cors))

    def preflight(self, path, method, headers=None, origin=ORIGIN):
        h = {"Origin": origin, "Access-Control-Request-Method": method}
        if headers is not None:
            h["Access-Control-Request-Headers"] = headers
        return self.call("OPTIONS", path, key=None, tenant=None, headers=h)

    def assertNoCors(self, rep):
        names = [k.lower() for k in rep.headers.keys()]
        self.assertEqual([k for k in names if k.startswith("access-control-") or k == "vary"], [], rep.headers)

    def assertCors(self, rep, origin=ORIGIN, expose="Access-Control-Allow-Origin,Access-Control-Allow-Credentials"):
        self.assertEqual(rep.headers.get("Access-Control-Allow-Origin"), origin, rep.headers)
        self.assertEqual(rep.headers.get("Access-Control-Expose-Headers"), expose, rep.headers)
        self.assertEqual(rep.headers.get("Vary"), "Origin")
        self.assertIsNone(rep.headers.get("Access-Control-Allow-Credentials"))

    def test_cors_disabled_denies_every_cors_request(self):
        self.assertEqual(self.state()["cors"]["enabled"], False)
        for rep in (self.preflight("/api/system/version", "GET"),
                    self.call("GET", "/api/system/version", headers={"Origin": ORIGIN}),
                    self.call("POST", "/api/group", {"group": {"name": "Cors"}}, headers={"Origin": ORIGIN}),
                    self.call("GET", "/api/system/version", headers={"Origin": ""})):
            self.assertEmpty(rep, 403)
            self.assertNoCors(rep)
        self.assertNotIn("Cors", {g["name"] for g in self.state()["groups"]})
        # without Origin nothing changes
        rep = self.call("GET", "/api/system/version")
        self.assertEqual(rep.status, 200)
        self.assertNoCors(rep)
        reqs = self.state()["requests"]
        self.assertEqual([r["corsDenied"] for r in reqs], ["CORS is disabled"] * 4 + [None])
        self.assertEqual([r["cors"] for r in reqs], ["preflight", "actual", "actual", "actual", None])

    def test_cors_allowed_preflight(self):
        self.configure(self.cors_config(allowedMethods=["GET", "POST", "DELETE", "OPTIONS"]))
        self.faults([{"path": "/api/user/import", "times": -1, "action": "status", "status": 503},
                     {"path": "/api/user/import", "times": -1, "action": "drop"}])
        before = self.state()
        rep = self.preflight("/api/user/import", "POST", "authorization, Content-Type,X-FUSIONAUTH-TENANTID")
        self.assertEmpty(rep, 200)
        self.assertEqual(rep.headers["Access-Control-Allow-Origin"], ORIGIN)
        self.assertEqual(rep.headers["Access-Control-Allow-Methods"], "GET,POST,DELETE,OPTIONS")
        self.assertEqual(rep.headers["Access-Control-Allow-Headers"],
                         "authorization,Content-Type,X-FUSIONAUTH-TENANTID")
        self.assertEqual(rep.headers["Access-Control-Max-Age"], "1800")
        self.assertEqual(rep.headers["Vary"], "Origin")
        self.assertIsNone(rep.headers.get("Access-Control-Allow-Credentials"))
        self.assertIsNone(rep.headers.get("Access-Control-Expose-Headers"))
        # no Access-Control-Request-Headers: no Allow-Headers; a bad key changes nothing
        rep = self.call("OPTIONS", "/api/user/bulk", key="wrong", tenant=None,
                        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "DELETE"})
        self.assertEmpty(rep, 200)
        self.assertIsNone(rep.headers.get("Access-Control-Allow-Headers"))
        after = self.state()
        self.assertEqual([f["matched"] for f in after["faults"]], [0, 0])
        for k in ("users", "links", "groups", "imports", "forgotPassword"):
            self.assertEqual(after[k], before[k], k)
        self.assertEqual([(r["method"], r["path"], r["status"], r["cors"]) for r in after["requests"]],
                         [("OPTIONS", "/api/user/import", 200, "preflight"),
                          ("OPTIONS", "/api/user/bulk", 200, "preflight")])

    def test_cors_preflight_denials(self):
        self.configure(self.cors_config(allowedMethods=["GET", "POST", "OPTIONS"]))
        cases = [
            (self.preflight("/api/system/version", "GET", origin="http://127.0.0.1:2"), "origin"),
            (self.preflight("/api/system/version", "GET", origin=ORIGIN + "/"), "origin"),
            (self.preflight("/api/user/bulk", "DELETE"), "method"),
            (self.preflight("/api/user/import", "POST", "Authorization, X-Custom"), "header"),
        ]
        for rep, why in cases:
            with self.subTest(why=why):
                self.assertEmpty(rep, 403)
                self.assertNoCors(rep)
        self.assertEqual([r["corsDenied"].split()[0] for r in self.state()["requests"]],
                         ["origin", "origin", "method", "header"])
        # FusionAuth's default methods are GET and OPTIONS only: a POST preflight is refused
        self.configure(self.cors_config())
        self.assertEmpty(self.preflight("/api/user/import", "POST", "Authorization"), 403)
        self.assertEmpty(self.preflight("/api/system/version", "GET", "Authorization"), 200)
        # configured headers replace the defaults
        self.configure(self.cors_config(allowedHeaders=["X-Custom"]))
        self.assertEmpty(self.preflight("/api/system/version", "GET", "x-custom"), 200)
        self.assertEmpty(self.preflight("/api/system/version", "GET", "Authorization"), 403)

    def test_cors_actual_requests_carry_the_headers_on_every_answer(self):
        self.configure(self.cors_config(allowedMethods=["GET", "POST", "OPTIONS"]))
        o = {"Origin": ORIGIN}
        rep = self.call("GET", "/api/system/version", headers=o)
        self.assertEqual(rep.status, 200)
        self.assertEqual(rep.json, {"version": "1.62.1"})
        self.assertCors(rep)
        for rep, status in ((self.call("GET", "/api/system/version", key="wrong", headers=o), 401),
                            (self.call("GET", "/api/system/version", key=None, headers=o), 401),
                            (self.call("GET", "/api/nothing/here", headers=o), 404),
                            (self.call("OPTIONS", "/api/user", headers=o), 404)):  # OPTIONS without ACRM
            self.assertEmpty(rep, status)
            self.assertCors(rep)
        rep = self.call("POST", "/api/group/search", {"search": {"name": "Staff"}}, headers=o)
        self.assertEqual(rep.json["total"], 1)
        self.assertCors(rep)
        self.faults([{"path": "/api/user/search", "action": "status", "status": 503, "retryAfter": 3},
                     {"path": "/api/user/search", "action": "status", "status": 429},
                     {"path": "/api/system/version", "action": "delay", "seconds": 0.05}])
        rep = self.call("GET", "/api/user/search?ids=" + U1, headers=o)
        self.assertEqual(rep.status, 503)
        self.assertEqual(rep.headers["Retry-After"], "3")
        self.assertCors(rep)
        rep = self.call("GET", "/api/user/search?ids=" + U1, headers=o)
        self.assertEmpty(rep, 429)
        self.assertCors(rep)
        rep = self.call("GET", "/api/system/version", headers=o)
        self.assertEqual(rep.status, 200)
        self.assertCors(rep)
        # a hold fault's answer too
        self.faults([{"path": "/api/system/version", "action": "hold"}])
        out = {}
        t = threading.Thread(target=lambda: out.setdefault("r", self.call("GET", "/api/system/version", headers=o)))
        t.start()
        self._wait_held(1)
        self.control("POST", "/_standin/release")
        t.join(5)
        self.assertEqual(out["r"].status, 200)
        self.assertCors(out["r"])
        # not allowed: the origin, or the method (DELETE); nothing processed, no fault rule counted
        self.faults([{"path": "/api/group/" + G1, "times": -1, "action": "status", "status": 503}])
        for rep in (self.call("GET", "/api/system/version", headers={"Origin": "http://evil.example"}),
                    self.call("DELETE", "/api/group/" + G1, headers=o)):
            self.assertEmpty(rep, 403)
            self.assertNoCors(rep)
        st = self.state()
        self.assertIn(G1, {g["id"] for g in st["groups"]})
        self.assertEqual(st["faults"][0]["matched"], 0)
        # a request without Origin on the same keep-alive path gets no CORS headers
        rep = self.call("GET", "/api/system/version")
        self.assertEqual(rep.status, 200)
        self.assertNoCors(rep)

    def test_cors_drop_still_drops(self):
        self.configure(self.cors_config(allowedMethods=["GET", "POST", "OPTIONS"]))
        self.faults([{"path": "/api/user/import", "action": "drop"}])
        with self.assertRaises((http.client.HTTPException, OSError)):
            self.import_users([{"email": "x@example.com"}], headers={"Origin": ORIGIN})
        req = self.state()["requests"][-1]
        self.assertEqual((req["status"], req["outcome"], req["cors"], req["origin"]), (None, "dropped", "actual", ORIGIN))

    def test_cors_standin_paths_unaffected(self):
        for cfg in (BASE_CONFIG, self.cors_config()):
            self.configure(cfg)
            c = self.conn()
            try:
                c.request("GET", "/_standin/state", headers={"Origin": "http://evil.example"})
                r = c.getresponse()
                rep = Reply(r, r.read())
                c.request("OPTIONS", "/_standin/state", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"})
                r = c.getresponse()
                rep2 = Reply(r, r.read())
            finally:
                c.close()
            self.assertEqual(rep.status, 200)
            self.assertNoCors(rep)
            self.assertEmpty(rep2, 404)
            self.assertNoCors(rep2)
            self.assertEqual(rep.json["requests"], [])

    def test_cors_same_origin_is_not_cors(self):
        for own in ("http://127.0.0.1:%d" % self.port, "http://localhost:%d" % self.port):
            rep = self.call("GET", "/api/system/version", headers={"Origin": own})
            self.assertEqual(rep.status, 200)
            self.assertNoCors(rep)
            rep = self.call("OPTIONS", "/api/system/version", headers={"Origin": own, "Access-Control-Request-Method": "GET"})
            self.assertEmpty(rep, 404)  # an ordinary OPTIONS: no handler
        self.assertEqual([r["cors"] for r in self.state()["requests"]], [None] * 4)
        # another port of the same host is another origin
        self.assertEmpty(self.call("GET", "/api/system/version", headers={"Origin": "http://127.0.0.1:%d" % (self.port + 1)}), 403)

    def test_cors_wildcard_credentials_and_exposed_headers(self):
        self.configure(dict(BASE_CONFIG, cors={"enabled": True, "allowedOrigins": ["*"]}))
        rep = self.preflight("/api/system/version", "GET", "Authorization", origin="http://anything.example:8443")
        self.assertEqual(rep.status, 200)
        self.assertEqual(rep.headers["Access-Control-Allow-Origin"], "*")
        rep = self.call("GET", "/api/system/version", headers={"Origin": "http://anything.example:8443"})
        self.assertCors(rep, origin="*")
        # with credentials the origin is echoed, never "*"
        self.configure(dict(BASE_CONFIG, cors={"enabled": True, "allowedOrigins": ["*"], "allowCredentials": True,
                                               "exposedHeaders": ["Retry-After"], "preflightMaxAgeInSeconds": 0}))
        rep = self.preflight("/api/system/version", "GET", origin="http://x.example")
        self.assertEqual(rep.headers["Access-Control-Allow-Origin"], "http://x.example")
        self.assertEqual(rep.headers["Access-Control-Allow-Credentials"], "true")
        self.assertIsNone(rep.headers.get("Access-Control-Max-Age"))
        rep = self.call("GET", "/api/system/version", headers={"Origin": "http://x.example"})
        self.assertEqual(rep.headers["Access-Control-Allow-Origin"], "http://x.example")
        self.assertEqual(rep.headers["Access-Control-Allow-Credentials"], "true")
        self.assertEqual(rep.headers["Access-Control-Expose-Headers"], "Retry-After")
        # no exposed headers: no Expose header
        self.configure(self.cors_config(exposedHeaders=[]))
        rep = self.call("GET", "/api/system/version", headers={"Origin": ORIGIN})
        self.assertEqual(rep.headers["Access-Control-Allow-Origin"], ORIGIN)
        self.assertIsNone(rep.headers.get("Access-Control-Expose-Headers"))
        # "*" must stand alone; bad shapes are refused
        for bad in ({"allowedOrigins": ["*", ORIGIN]}, {"allowedMethods": "GET"}, {"enabled": "yes"},
                    {"allowedOrigin": [ORIGIN]}, {"preflightMaxAgeInSeconds": "1800"}):
            c = self.conn()
            c.request("POST", "/_standin/config", body=json.dumps(dict(BASE_CONFIG, cors=bad)).encode())
            r = c.getresponse()
            r.read()
            c.close()
            self.assertEqual(r.status, 400, bad)
        # config replaces the whole state: without "cors", CORS is back to FusionAuth's defaults
        self.configure(self.cors_config())
        self.configure(BASE_CONFIG)
        self.assertEqual(self.state()["cors"], {
            "enabled": False, "allowedOrigins": [], "allowedMethods": ["GET", "OPTIONS"],
            "allowedHeaders": ["Accept", "Access-Control-Request-Headers", "Access-Control-Request-Method",
                               "Authorization", "Content-Type", "Last-Modified", "Origin",
                               "X-FusionAuth-TenantId", "X-Requested-With"],
            "exposedHeaders": ["Access-Control-Allow-Origin", "Access-Control-Allow-Credentials"],
            "allowCredentials": False, "preflightMaxAgeInSeconds": 1800})

    def test_cors_request_log(self):
        secret = "cors-secret-key-8d1f2a"
        cfg = self.cors_config(allowedMethods=["GET", "POST", "OPTIONS"])
        cfg["keys"] = dict(cfg["keys"], **{secret: {}})
        self.configure(cfg)
        self.preflight("/api/user/search", "POST", "authorization,content-type")
        self.call("POST", "/api/user/search?x=1", {"search": {"ids": [U1]}}, key=secret, headers={"Origin": ORIGIN})
        self.call("GET", "/api/system/version", key=secret, tenant=None, headers={"Origin": "http://evil.example"})
        self.call("GET", "/api/system/version", key=secret, tenant=None)
        st = self.state()
        self.assertNotIn(secret, json.dumps(st))
        pre, actual, denied, plain = st["requests"]
        self.assertEqual(pre, {"method": "OPTIONS", "path": "/api/user/search", "query": "", "tenantHeader": None,
                               "authorization": False, "contentType": None, "status": 200, "bodyBytes": 0,
                               "origin": ORIGIN, "cors": "preflight", "corsDenied": None, "outcome": "answered"})
        self.assertEqual({k: actual[k] for k in ("method", "path", "query", "authorization", "status", "origin",
                                                 "cors", "corsDenied", "outcome")},
                         {"method": "POST", "path": "/api/user/search", "query": "x=1", "authorization": True,
                          "status": 200, "origin": ORIGIN, "cors": "actual", "corsDenied": None,
                          "outcome": "answered"})
        self.assertEqual((denied["status"], denied["origin"], denied["authorization"], denied["cors"]),
                         (403, "http://evil.example", True, "actual"))
        self.assertIn("origin", denied["corsDenied"])
        self.assertEqual((plain["status"], plain["origin"], plain["cors"], plain["corsDenied"]), (200, None, None, None))

    def test_cors_origin_flag(self):
        other = "http://localhost:9"
        proc = subprocess.Popen([sys.executable, str(SERVER), "--port", "0", "--cors-origin", ORIGIN,
                                 "--cors-origin", other], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            line = proc.stdout.readline()
            self.assertTrue(line.startswith("listening on "), line)
            port = int(line.split()[2])

            def req(method, path, headers, body=None):
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                try:
                    c.request(method, path, body=body, headers=headers)
                    r = c.getresponse()
                    return Reply(r, r.read())
                finally:
                    c.close()

            for origin in (ORIGIN, other):
                rep = req("OPTIONS", "/api/user/import", {"Origin": origin, "Access-Control-Request-Method": "POST",
                                                          "Access-Control-Request-Headers": "authorization,content-type"})
                self.assertEmpty(rep, 200)
                self.assertEqual(rep.headers["Access-Control-Allow-Origin"], origin)
                self.assertEqual(rep.headers["Access-Control-Allow-Methods"], "GET,POST,DELETE,OPTIONS")
            self.assertEmpty(req("OPTIONS", "/api/user/import", {"Origin": "http://evil.example",
                                                                 "Access-Control-Request-Method": "POST"}), 403)
            self.assertEmpty(req("OPTIONS", "/api/user/bulk", {"Origin": ORIGIN,
                                                               "Access-Control-Request-Method": "PUT"}), 403)
            # no key configured: 401, with the CORS headers
            rep = req("GET", "/api/system/version", {"Origin": ORIGIN, "Authorization": "k"})
            self.assertEmpty(rep, 401)
            self.assertEqual(rep.headers["Access-Control-Allow-Origin"], ORIGIN)
            # POST /_standin/config replaces cors too
            self.assertEqual(req("POST", "/_standin/config", {}, b'{"keys": {"k": {}}}').status, 200)
            self.assertEmpty(req("OPTIONS", "/api/user/import", {"Origin": ORIGIN,
                                                                 "Access-Control-Request-Method": "POST"}), 403)
        finally:
            proc.terminate()
            proc.wait(5)
            proc.stdout.close()
            err = proc.stderr.read()
            proc.stderr.close()
        self.assertNotIn("Traceback", err)

    # -- transport ----------------------------------------------------------------------------------

    def test_keep_alive(self):
        c = self.conn()
        self.assertEqual(self.call("GET", "/api/system/version", conn=c).status, 200)
        sock = c.sock
        self.assertIsNotNone(sock)
        self.assertEmpty(self.call("GET", "/api/user/" + uid(), conn=c), 404)
        self.assertEmpty(self.call("GET", "/api/system/version", key="bad", conn=c), 401)
        r = self.call("DELETE", "/api/user/bulk", {"userIds": [U2], "dryRun": True}, conn=c)  # DELETE with a body
        self.assertEqual(r.json["total"], 1)
        self.assertEmpty(self.import_users([{"email": "ka@example.com"}], conn=c), 200)
        self.assertField(self.import_users([], conn=c), "users", "[missing]users")
        # a GET that carries a body must not desynchronise the stream
        self.assertEqual(self.call("GET", "/api/system/version", raw=b'{"x":1}', conn=c).status, 200)
        self.assertEqual(self.call("GET", "/api/user/" + U1, conn=c).status, 200)
        self.assertIs(c.sock, sock)
        c.close()

    def test_control_api(self):
        c = self.conn()
        c.request("POST", "/_standin/faults", body=b'[{"action":"nope"}]')
        r = c.getresponse()
        r.read()
        self.assertEqual(r.status, 400)
        c.close()
        self.call("GET", "/api/user/search?ids=" + U1, headers={"Content-Type": "application/json"})
        st = self.state()
        req = st["requests"][-1]
        self.assertEqual(req, {"method": "GET", "path": "/api/user/search", "query": "ids=" + U1,
                               "tenantHeader": T1, "authorization": True, "contentType": "application/json",
                               "status": 200, "bodyBytes": 0, "origin": None, "cors": None,
                               "corsDenied": None, "outcome": "answered"})
        self.assertEqual(len(st["users"]), 4)
        self.assertEqual(st["held"], 0)


if __name__ == "__main__":
    unittest.main()
