#!/usr/bin/env python3
"""FusionAuth stand-in HTTP server for the delivery integration tests.

THIS IS NOT FUSIONAUTH. FusionAuth cannot run on this machine, so this
stand-in imitates FusionAuth's *documented* behaviour (its API docs at
fusionauth.io/docs/apis, its CORS filter at fusionauth.io/docs/operate/secure/cors,
and its issue tracker). Where that leaves a behaviour unconfirmed, the
stand-in picks one answer (listed below) so that tests are deterministic; a
real instance may differ.

Python 3.11, standard library only.

Process
    python3 fusionauth_standin.py --port 0 [--config FILE]
                                  [--cors-origin ORIGIN]... [--verbose]
    Binds 127.0.0.1 only. Prints exactly one line "listening on <port>" to
    stdout once ready, then nothing more on stdout. Runs until killed.
    --config loads an initial state (same JSON as POST /_standin/config).
    --cors-origin (repeatable) makes the initial state's cors
    {"enabled": true, "allowedOrigins": [ORIGIN, ...],
     "allowedMethods": ["GET", "POST", "DELETE", "OPTIONS"]} (other fields at
    their defaults), replacing any cors of --config.
    --verbose logs requests, and the reason of every CORS 403, to stderr.

HTTP: ThreadingHTTPServer, HTTP/1.1 keep-alive, always Content-Length
(0 on empty bodies), request bodies read by Content-Length (or chunked) on
every method, DELETE included. One global lock guards all state.

Control API (no auth, never CORS-processed)
    POST /_standin/config   replace the whole state (keys, tenants,
                            applications, groups, identityProviders, users,
                            links, importDuplicateStatus, cors); clears the
                            logs. A key left out gets its default, so a config
                            without "cors" turns CORS off again (even after
                            --cors-origin). Fault rules and held requests are
                            NOT touched.
    POST /_standin/faults   replace the fault rule list (JSON array).
    GET  /_standin/state    users, links, groups, requests, forgotPassword,
                            imports, held, faults (with per-rule counters),
                            cors (the setting in force, defaults filled).
    POST /_standin/release  release every held request.

Request log (GET /_standin/state "requests"): one entry per /api request, in
arrival order, preflights and CORS-denied requests included:
    {"method", "path" (no query string, trailing "/" removed), "query" (the
     raw query string, "" when none), "tenantHeader" (X-FusionAuth-TenantId
     or null), "authorization" (bool: an Authorization header was present;
     its value is never recorded), "contentType" (or null), "bodyBytes",
     "status" (the status answered; null while in flight and when nothing was
     answered), "outcome" (null while in flight, then "answered", "dropped"
     (a drop fault) or "abandoned" (the client left before the answer)),
     "origin" (the Origin header or null), "cors" (null: not a CORS request,
     "preflight" or "actual"), "corsDenied" (null, or why the CORS filter
     answered 403)}

CORS (FusionAuth's CORS filter, derived from Tomcat's CorsFilter;
reference section 7.1). The "cors" key of the config is shaped like
systemConfiguration.corsConfiguration; absent fields take FusionAuth's
defaults:
    enabled false; allowedOrigins [] ("*" only alone, else 400);
    allowedMethods ["GET","OPTIONS"]; allowedHeaders [Accept,
    Access-Control-Request-Headers, Access-Control-Request-Method,
    Authorization, Content-Type, Last-Modified, Origin,
    X-FusionAuth-TenantId, X-Requested-With] (compared case-insensitively);
    exposedHeaders ["Access-Control-Allow-Origin",
    "Access-Control-Allow-Credentials"]; allowCredentials false;
    preflightMaxAgeInSeconds 1800 ("debug" is accepted and ignored).
    * only /api/... is CORS-processed (never /_standin/...). A request is a
      CORS request when it has an Origin header other than the stand-in's own
      origin (http://127.0.0.1:<port> or http://localhost:<port>); requests
      without one behave as if there were no filter.
    * the filter runs first: before auth and before the fault rules.
    * disabled -> every CORS request (preflight or actual) is 403, empty body,
      no Access-Control-* headers ("all CORS requests will be denied").
    * preflight = OPTIONS + Origin + Access-Control-Request-Method. Origin not
      allowed, method not allowed (exact, upper case), or any header of
      Access-Control-Request-Headers not allowed -> 403 empty, no CORS
      headers. Else 200, empty body, with Access-Control-Allow-Origin (the
      origin, or "*" for the wildcard when allowCredentials is off),
      Access-Control-Allow-Credentials: true (only with allowCredentials),
      Access-Control-Allow-Methods (the allowed list, comma-separated),
      Access-Control-Allow-Headers (the requested headers, when any),
      Access-Control-Max-Age (when > 0), Vary: Origin. Preflights need no
      key, never match fault rules, never touch the state; they are logged.
    * actual CORS request: origin or method not allowed -> 403 empty, no CORS
      headers (not processed, no fault rule matched or counted). Else it is
      processed as usual and EVERY answer (200, 4xx, 500, injected status,
      delay and hold answers) carries Access-Control-Allow-Origin,
      Access-Control-Allow-Credentials: true (only with allowCredentials),
      Access-Control-Expose-Headers (when non-empty) and Vary: Origin. A drop
      fault still drops the connection (a browser sees a network error).
    * origins are compared as exact strings ("http://a:1" != "http://a:1/").

FusionAuth API implemented (auth: "Authorization: <raw key>", no Bearer;
Basic "apikey:<key>" also accepted on /api/system/version)
    GET    /api/system/version
    GET    /api/tenant, /api/tenant/{id}
    GET    /api/application, /api/application/{id}
    GET    /api/group, /api/group/{id}
    GET    /api/group/search?name=   POST /api/group/search {"search":{"name"}}
    POST   /api/group, /api/group/{id}      DELETE /api/group/{id}
    GET    /api/identity-provider, /api/identity-provider/{id}
    POST   /api/user/import
    GET    /api/user/search?ids=..   POST /api/user/search {"search":{"ids"}}
           (ONLY the ids form; queryString/query answer 400)
    GET    /api/user/{id}, /api/user?email=|username=|loginId=
    POST   /api/user/forgot-password
    GET    /api/identity-provider/link  (?idp&idpUserId[&userId] | ?userId[&idp])
    POST   /api/identity-provider/link  (1.43+ wrapped body or flat body)
    DELETE /api/identity-provider/link?identityProviderId&identityProviderUserId&userId
    DELETE /api/user/bulk  (JSON body {"userIds","hardDelete","dryRun"} or
           query ?userId=..&hardDelete=true&dryRun=true)
    anything else under /api -> 404 empty body.

Cross-cutting rules
    * unknown/missing key -> 401 empty; missing endpoint permission -> 401
      empty (FusionAuth never answers 403 for permissions); permission is
      checked before any validation. Endpoint = longest matching prefix of
      /api/user/import, /api/user/search, /api/user/bulk,
      /api/user/forgot-password, /api/identity-provider/link,
      /api/identity-provider, /api/user, /api/tenant, /api/application,
      /api/group/search, /api/group, /api/system/version. A key whose
      endpoints map is {} or missing is a super key.
    * X-FusionAuth-TenantId: tenant-locked key acts as that header (another
      header value -> 401). Unknown tenant -> 400 fieldErrors tenantId.
      create/ambiguous calls with >1 tenant and no tenant -> 400
      [TenantIdRequired]; scoped calls filter by the tenant when given.
    * 401, 404 and bare 500 have empty bodies; JSON answers carry
      Content-Type: application/json;charset=UTF-8 (what FusionAuth sends).
    * with no tenants configured, one "Default" tenant (DEFAULT_TENANT_ID,
      no forgot-password template) exists.
    * users are stored with email trimmed+lower-cased (FusionAuth stores it in
      lower case), username trimmed; email/username unique per tenant,
      case-insensitively; ids are global. password/salt/encryptionScheme/
      factor are dropped (GET /_standin/state shows "_passwordSet" and
      "_encryptionScheme"); active/verified default false; insertInstant,
      lastUpdateInstant, tenantId and registration/membership ids are filled.

Import (POST /api/user/import), in order:
    tenant required -> invalid JSON 400 [invalidJSON] (also non-UUID ids)
    -> empty/missing users 400 [missing]users -> field errors 400
    ([missing]user.email, [tooLong]user.email/username (>191),
    [missing]/[invalid]user.registrations[i].applicationId,
    [invalid]user.registrations[i].roles, [missing]user.memberships[i].groupId;
    field keys don't say which user) -> with validateDbConstraints: duplicate
    email/username/id (db and inside the batch) 400 [duplicate]user.* listing
    every duplicate -> a membership group that doesn't exist in the tenant:
    bare 500 (FI#2836, even with validateDbConstraints) -> without
    validateDbConstraints: duplicates -> importDuplicateStatus (500 empty, or
    400 [ImportRequestFailed]) -> all users stored at once, 200 empty body.

Choices for UNCONFIRMED behaviour
    * unknown role names are rejected ([invalid]...roles);
    * an id collision behaves like any other duplicate;
    * forgot-password: 403 checked first (template null and the email is to be
      sent; an application's own template counts), then 404, then 422; 422
      only when an email is to be sent (sendForgotPasswordEmail/
      sendForgotPasswordMessage false -> no address needed); inactive users
      are treated like active ones;
    * link: identical link -> 400 [duplicate]identityProviderUserId; linked to
      another user -> 409 [ExistingUserAlreadyLinked]; unknown IdP -> 400
      [invalid]identityProviderId; unknown user -> 400 [invalid]userId;
      disabled IdP -> 400 [disabled]identityProviderId; IdP scoped to another
      tenant -> 400 [invalid]identityProviderId;
    * search/bulk delete: >10,000 ids -> 400 [tooMany]; invalid ids ignored;
    * phoneNumber is not a login identifier here.

Faults (POST /_standin/faults), rules checked in order before anything else
(before auth) on /api/... requests:
    {"method": "POST", "path": "/api/user/import", "skip": 0, "times": 1,
     "action": "status|drop|delay|hold", "status": 503, "retryAfter": 2,
     "seconds": 5, "commit": true, "body": <optional JSON for "status">,
     "location": <optional Location header for "status" (a redirect)>,
     "sideDoor": [<users, shaped like config users>]}
    sideDoor: when the rule fires, these users are stored first, as if made
            outside the run (a login through the Connector, a person, another
            tool) at that moment; one whose id, email or username is taken is
            left out. Works with every action.
    method optional; path exact (query ignored); each rule counts its own
    matches: the first `skip` pass, the next `times` (-1 = forever) get the
    action; a rule that passes lets the following rules be checked.
    status: answer `status` unprocessed (empty body, or a generalErrors body
            for 400/503, or `body`), Retry-After when retryAfter is given;
    drop:   process only if commit (default false), then shut the socket down
            without any response;
    delay:  sleep `seconds` (default 1), then process and answer; if the
            client has gone meanwhile nothing is written;
    hold:   process first if commit (default false), block until
            POST /_standin/release (or `seconds`, if given, elapse), then
            process (if not yet) and answer (nothing is written if the client
            has gone).
    requests[].status stays null for dropped/held/abandoned requests
    (requests[].outcome tells them apart).
    imports[] gets a record for faulted imports too (committed accordingly;
    "fault" names the action; "status" is the status processing produced,
    or the injected status).
"""

import argparse
import base64
import fnmatch
import json
import re
import secrets
import select
import socket
import sys
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

VERSION = "1.62.1"
DEFAULT_TENANT_ID = "00000000-0000-0000-0000-0000000d0fa1"
MAX_IDS = 10_000
MAX_FIELD = 191
JSON_TYPE = "application/json;charset=UTF-8"
VERBOSE = False

ENDPOINTS = sorted(
    [
        "/api/user/import",
        "/api/user/search",
        "/api/user/bulk",
        "/api/user/forgot-password",
        "/api/identity-provider/link",
        "/api/identity-provider",
        "/api/user",
        "/api/tenant",
        "/api/application",
        "/api/group/search",
        "/api/group",
        "/api/system/version",
    ],
    key=len,
    reverse=True,
)

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
ROLE_NS = uuid.UUID("5b0e8f7a-3c2d-4e1f-9a8b-7c6d5e4f3a2b")

TENANT_REQUIRED_MSG = (
    "A Tenant Id is required to complete this request. To complete this request, you must "
    "specify the Tenant Id using the X-FusionAuth-TenantId HTTP request header."
)
IMPORT_FAILED_MSG = (
    "An error occurred during the import request. This is most likely due to a unique key "
    "constraint which would indicate one or more of the users in the import request already "
    "exist in FusionAuth. Re-attempt the request with additional validation by using the "
    "[validateDbConstraints] property. If you are already using the [validateDbConstraints] "
    "property, please review the FusionAuth logs for additional information."
)


def log(msg):
    if VERBOSE:
        sys.stderr.write(msg + "\n")
        sys.stderr.flush()


def now_ms():
    return int(time.time() * 1000)


def is_uuid(v):
    return isinstance(v, str) and UUID_RE.match(v) is not None


def norm_id(v):
    """Lower-case a UUID string (Java's UUID.toString is lower case); None stays None."""
    return v.lower() if isinstance(v, str) else v


# ---------------------------------------------------------------------------
# CORS (FusionAuth's CORS filter, derived from Tomcat's CorsFilter)

CORS_DEFAULTS = {
    "enabled": False,
    "allowedOrigins": [],
    "allowedMethods": ["GET", "OPTIONS"],
    "allowedHeaders": [
        "Accept", "Access-Control-Request-Headers", "Access-Control-Request-Method", "Authorization",
        "Content-Type", "Last-Modified", "Origin", "X-FusionAuth-TenantId", "X-Requested-With",
    ],
    "exposedHeaders": ["Access-Control-Allow-Origin", "Access-Control-Allow-Credentials"],
    "allowCredentials": False,
    "preflightMaxAgeInSeconds": 1800,
}
CORS_CLI_METHODS = ["GET", "POST", "DELETE", "OPTIONS"]


def parse_cors(c):
    """systemConfiguration.corsConfiguration -> the stand-in's CORS setting (defaults filled).

    Raises ValueError on a malformed setting (POST /_standin/config then answers 400)."""
    if c is None:
        c = {}
    if not isinstance(c, dict):
        raise ValueError("cors must be a JSON object")
    unknown = set(c) - set(CORS_DEFAULTS) - {"debug"}
    if unknown:
        raise ValueError("unknown cors fields: %s" % ", ".join(sorted(unknown)))
    out = {}
    for name, default in CORS_DEFAULTS.items():
        v = c.get(name, default)
        if v is None:
            v = default
        if isinstance(default, list):
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                raise ValueError("cors.%s must be a list of strings" % name)
            v = [x.strip() for x in v if x.strip()]
        elif isinstance(default, bool):
            if not isinstance(v, bool):
                raise ValueError("cors.%s must be true or false" % name)
        elif not isinstance(v, int) or isinstance(v, bool):
            raise ValueError("cors.%s must be an integer" % name)
        out[name] = v
    out["allowedMethods"] = [m.upper() for m in out["allowedMethods"]]
    if "*" in out["allowedOrigins"] and len(out["allowedOrigins"]) > 1:
        # FusionAuth: "If the wildcard * is specified, no additional domains may be specified."
        raise ValueError("cors.allowedOrigins: '*' must be the only origin")
    return out


def cors_origin_header(cfg, origin):
    """The Access-Control-Allow-Origin value: '*' for the wildcard without credentials."""
    if "*" in cfg["allowedOrigins"] and not cfg["allowCredentials"]:
        return "*"
    return origin


def cors_origin_allowed(cfg, origin):
    return "*" in cfg["allowedOrigins"] or origin in cfg["allowedOrigins"]


def cors_preflight(cfg, origin, request_method, request_headers):
    """(Resp, denial reason or None) for a preflight (OPTIONS with Origin and
    Access-Control-Request-Method)."""
    if not cfg["enabled"]:
        return empty(403), "CORS is disabled"
    if not cors_origin_allowed(cfg, origin):
        return empty(403), "origin %r is not allowed" % origin
    if request_method not in cfg["allowedMethods"]:
        return empty(403), "method %r is not allowed" % request_method
    requested = [h.strip() for h in (request_headers or "").split(",") if h.strip()]
    allowed = {h.lower() for h in cfg["allowedHeaders"]}
    for h in requested:
        if h.lower() not in allowed:
            return empty(403), "header %r is not allowed" % h
    headers = [("Access-Control-Allow-Origin", cors_origin_header(cfg, origin))]
    if cfg["allowCredentials"]:
        headers.append(("Access-Control-Allow-Credentials", "true"))
    headers.append(("Access-Control-Allow-Methods", ",".join(cfg["allowedMethods"])))
    if requested:
        headers.append(("Access-Control-Allow-Headers", ",".join(requested)))
    if cfg["preflightMaxAgeInSeconds"] > 0:
        headers.append(("Access-Control-Max-Age", str(cfg["preflightMaxAgeInSeconds"])))
    headers.append(("Vary", "Origin"))
    return Resp(200, b"", headers), None


def cors_actual(cfg, origin, method):
    """(headers to add to every answer, denial reason or None) for an actual CORS request."""
    if not cfg["enabled"]:
        return None, "CORS is disabled"
    if not cors_origin_allowed(cfg, origin):
        return None, "origin %r is not allowed" % origin
    if method not in cfg["allowedMethods"]:
        return None, "method %r is not allowed" % method
    headers = [("Access-Control-Allow-Origin", cors_origin_header(cfg, origin))]
    if cfg["allowCredentials"]:
        headers.append(("Access-Control-Allow-Credentials", "true"))
    if cfg["exposedHeaders"]:
        headers.append(("Access-Control-Expose-Headers", ",".join(cfg["exposedHeaders"])))
    headers.append(("Vary", "Origin"))
    return headers, None


# ---------------------------------------------------------------------------
# Responses


class Resp:
    __slots__ = ("status", "body", "headers")

    def __init__(self, status, body=b"", headers=None):
        self.status = status
        self.body = body
        self.headers = headers or []


class ApiError(Exception):
    """Raised inside a handler to answer an error at once."""

    def __init__(self, resp):
        super().__init__(resp.status)
        self.resp = resp


def dumps(obj):
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")


def json_resp(status, obj):
    return Resp(status, dumps(obj), [("Content-Type", JSON_TYPE)])


def empty(status):
    return Resp(status)


def general_error(status, code, message):
    return json_resp(status, {"generalErrors": [{"code": code, "message": message}]})


def invalid_json(detail):
    return general_error(
        400,
        "[invalidJSON]",
        "Invalid JSON in the request body. The property was []. The error was [%s]. "
        "The detailed exception was [%s]." % ("Possible conversion error", detail),
    )


class FieldErrors:
    def __init__(self):
        self.errors = {}
        self._seen = set()

    def add(self, field, code, message):
        k = (field, code, message)
        if k in self._seen:
            return
        self._seen.add(k)
        self.errors.setdefault(field, []).append({"code": code, "message": message})

    def __bool__(self):
        return bool(self.errors)

    def resp(self, status=400):
        return json_resp(status, {"fieldErrors": self.errors})


def field_error(field, code, message, status=400):
    fe = FieldErrors()
    fe.add(field, code, message)
    return fe.resp(status)


def parse_json(body):
    """Parse a request body; raises ApiError(400 [invalidJSON]). Empty body -> None."""
    if not body or not body.strip():
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise ApiError(invalid_json(str(e)))


def want_uuid(v, prop):
    """A UUID-typed property: non-UUID strings fail JSON binding in FusionAuth (400 invalidJSON)."""
    if v is None:
        return None
    if not is_uuid(v):
        raise ApiError(invalid_json("Invalid UUID string [%s] for property [%s]" % (v, prop)))
    return v.lower()


# ---------------------------------------------------------------------------
# State


class State:
    def __init__(self):
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.faults = []
        self.release_gen = 0
        self.held = 0
        self.configure({})

    # -- configuration ------------------------------------------------------

    def configure(self, cfg):
        if not isinstance(cfg, dict):
            raise ValueError("config must be a JSON object")
        self.cors = parse_cors(cfg.get("cors"))
        self.keys = {}
        for k, v in (cfg.get("keys") or {}).items():
            v = v or {}
            eps = {}
            for ep, methods in (v.get("endpoints") or {}).items():
                eps[ep.rstrip("/")] = {m.upper() for m in (methods or [])}
            self.keys[k] = {"endpoints": eps, "tenantId": norm_id(v.get("tenantId"))}

        self.tenants = {}
        for t in cfg.get("tenants") or []:
            self._add_tenant(t)
        if not self.tenants:
            self._add_tenant({"id": DEFAULT_TENANT_ID, "name": "Default"})

        self.applications = {}
        for a in cfg.get("applications") or []:
            a = dict(a)
            a["id"] = norm_id(a.get("id")) or str(uuid.uuid4())
            a["tenantId"] = norm_id(a.get("tenantId")) or self._default_tenant()
            roles = []
            for r in a.get("roles") or []:
                if isinstance(r, str):
                    r = {"name": r}
                r = dict(r)
                r.setdefault("id", str(uuid.uuid5(ROLE_NS, a["id"] + "/" + r["name"])))
                r.setdefault("isDefault", False)
                r.setdefault("isSuperRole", False)
                roles.append(r)
            a["roles"] = roles
            a.setdefault("active", True)
            a.setdefault("name", "Application " + a["id"][:8])
            tmpl = a.pop("forgotPasswordEmailTemplateId", None)
            if tmpl is None:
                tmpl = (a.get("emailConfiguration") or {}).get("forgotPasswordEmailTemplateId")
            a["_forgotTemplate"] = tmpl
            a["_roleNames"] = {r["name"] for r in roles}
            self.applications[a["id"]] = a

        self.groups = {}
        for g in cfg.get("groups") or []:
            g = dict(g)
            g["id"] = norm_id(g.get("id")) or str(uuid.uuid4())
            g["tenantId"] = norm_id(g.get("tenantId")) or self._default_tenant()
            self.groups[g["id"]] = g

        self.idps = {}
        for p in cfg.get("identityProviders") or []:
            p = dict(p)
            p["id"] = norm_id(p.get("id")) or str(uuid.uuid4())
            p.setdefault("type", "OpenIDConnect")
            p.setdefault("name", p["type"])
            p.setdefault("enabled", True)
            p["tenantId"] = norm_id(p.get("tenantId"))
            self.idps[p["id"]] = p

        self.users = {}
        self.user_flags = {}
        self.by_email = {t: {} for t in self.tenants}
        self.by_username = {t: {} for t in self.tenants}
        ts = now_ms()
        for u in cfg.get("users") or []:
            tenant = norm_id(u.get("tenantId")) or self._default_tenant()
            if tenant not in self.tenants:
                raise ValueError("user %r names unknown tenant %r" % (u.get("id"), tenant))
            email, username = self._login_ids(u)
            self._store_user(u, tenant, norm_id(u.get("id")), email, username, ts)

        self.links_by_idp = {}
        self.links_by_user = {}
        for l in cfg.get("links") or []:
            uid = norm_id(l.get("userId"))
            user = self.users.get(uid)
            link = {
                "identityProviderId": norm_id(l.get("identityProviderId")),
                "identityProviderUserId": l.get("identityProviderUserId"),
                "userId": uid,
                "tenantId": user["tenantId"] if user else self._default_tenant(),
                "insertInstant": l.get("insertInstant", ts),
                "lastLoginInstant": l.get("lastLoginInstant", ts),
            }
            for opt in ("displayName", "token"):
                if l.get(opt) is not None:
                    link[opt] = l[opt]
            self._add_link(link)

        status = cfg.get("importDuplicateStatus", 500)
        if status not in (400, 500):
            raise ValueError("importDuplicateStatus must be 400 or 500")
        self.import_dup_status = status

        self.requests = []
        self.forgot = []
        self.imports = []

    def side_door(self, users):
        """Stores `users` (shaped like config users) at once, as if made outside the run:
        through the Connector, by a person in the admin UI, by another tool. A user whose
        id, email or username is already taken is left out."""
        ts = now_ms()
        for u in users or []:
            tenant = norm_id(u.get("tenantId")) or self._default_tenant()
            uid = norm_id(u.get("id"))
            email, username = self._login_ids(u)
            if tenant not in self.tenants or (uid and uid in self.users) or self.find_login(tenant, email, username):
                continue
            self._store_user(u, tenant, uid, email, username, ts)

    def _add_tenant(self, t):
        t = dict(t)
        tid = norm_id(t.pop("id", None)) or str(uuid.uuid4())
        ttl = t.pop("changePasswordIdTimeToLiveInSeconds", None)
        tmpl_given = "forgotPasswordEmailTemplateId" in t
        tmpl = t.pop("forgotPasswordEmailTemplateId", None)
        eic = dict(t.get("externalIdentifierConfiguration") or {})
        ec = dict(t.get("emailConfiguration") or {})
        if ttl is None:
            ttl = eic.get("changePasswordIdTimeToLiveInSeconds", 600)
        if not tmpl_given:
            tmpl = ec.get("forgotPasswordEmailTemplateId")
        eic["changePasswordIdTimeToLiveInSeconds"] = ttl
        ec["forgotPasswordEmailTemplateId"] = tmpl
        t["externalIdentifierConfiguration"] = eic
        t["emailConfiguration"] = ec
        t["id"] = tid
        t.setdefault("name", "Tenant " + tid[:8])
        self.tenants[tid] = t

    def _default_tenant(self):
        return next(iter(self.tenants)) if len(self.tenants) == 1 else None

    # -- users ----------------------------------------------------------------

    @staticmethod
    def _login_ids(u):
        email = u.get("email")
        if isinstance(email, str):
            email = email.strip().lower() or None
        username = u.get("username")
        if isinstance(username, str):
            username = username.strip() or None
        return email, username

    def _store_user(self, u, tenant, uid, email, username, ts):
        s = dict(u)
        flags = {"passwordSet": s.pop("password", None) is not None,
                 "encryptionScheme": s.pop("encryptionScheme", None)}
        s.pop("salt", None)
        s.pop("factor", None)
        s["id"] = uid or str(uuid.uuid4())
        s["tenantId"] = tenant
        s.pop("email", None)
        s.pop("username", None)
        if email:
            s["email"] = email
        if username:
            s["username"] = username
        s.setdefault("active", False)
        s.setdefault("verified", False)
        s.setdefault("insertInstant", ts)
        s["lastUpdateInstant"] = ts
        regs = s.get("registrations")
        if regs:
            s["registrations"] = [
                dict(r, applicationId=norm_id(r.get("applicationId")),
                     id=norm_id(r.get("id")) or str(uuid.uuid4()),
                     insertInstant=r.get("insertInstant", ts))
                for r in regs
            ]
        mems = s.get("memberships")
        if mems:
            s["memberships"] = [
                dict(m, groupId=norm_id(m.get("groupId")), userId=s["id"],
                     id=norm_id(m.get("id")) or str(uuid.uuid4()),
                     insertInstant=m.get("insertInstant", ts))
                for m in mems
            ]
        self.users[s["id"]] = s
        self.user_flags[s["id"]] = flags
        if email:
            self.by_email[tenant][email] = s["id"]
        if username:
            self.by_username[tenant][username.lower()] = s["id"]
        return s

    def _remove_user(self, uid):
        u = self.users.pop(uid)
        self.user_flags.pop(uid, None)
        t = u["tenantId"]
        if u.get("email"):
            self.by_email[t].pop(u["email"], None)
        if u.get("username"):
            self.by_username[t].pop(u["username"].lower(), None)
        for link in list(self.links_by_user.get(uid, [])):
            self._remove_link(link)

    def find_login(self, tenant, email=None, username=None):
        if email is not None:
            uid = self.by_email.get(tenant, {}).get(email.strip().lower())
            if uid:
                return self.users[uid]
        if username is not None:
            uid = self.by_username.get(tenant, {}).get(username.strip().lower())
            if uid:
                return self.users[uid]
        return None

    def state_user(self, u):
        f = self.user_flags.get(u["id"], {})
        return dict(u, _passwordSet=f.get("passwordSet", False),
                    _encryptionScheme=f.get("encryptionScheme"))

    # -- links ----------------------------------------------------------------

    def _add_link(self, link):
        key = (link["identityProviderId"], link["identityProviderUserId"])
        self.links_by_idp.setdefault(key, []).append(link)
        self.links_by_user.setdefault(link["userId"], []).append(link)

    def _remove_link(self, link):
        key = (link["identityProviderId"], link["identityProviderUserId"])
        lst = self.links_by_idp.get(key, [])
        if link in lst:
            lst.remove(link)
            if not lst:
                del self.links_by_idp[key]
        lst = self.links_by_user.get(link["userId"], [])
        if link in lst:
            lst.remove(link)
            if not lst:
                del self.links_by_user[link["userId"]]

    def link_out(self, link):
        out = dict(link)
        idp = self.idps.get(link["identityProviderId"])
        if idp:
            out["identityProviderName"] = idp.get("name")
            out["identityProviderType"] = idp.get("type")
        return out

    # -- faults -----------------------------------------------------------------

    def set_faults(self, rules):
        if not isinstance(rules, list):
            raise ValueError("faults must be a JSON array")
        out = []
        for r in rules:
            if not isinstance(r, dict) or r.get("action") not in ("status", "drop", "delay", "hold"):
                raise ValueError("each fault needs action status|drop|delay|hold: %r" % (r,))
            if not isinstance(r.get("path"), str):
                raise ValueError("each fault needs a path: %r" % (r,))
            if r["action"] == "status" and not isinstance(r.get("status"), int):
                raise ValueError("a status fault needs an integer status: %r" % (r,))
            if not isinstance(r.get("sideDoor", []), list):
                raise ValueError("sideDoor must be a list of users: %r" % (r,))
            r = dict(r)
            r["matched"] = 0
            out.append(r)
        self.faults = out

    def match_fault(self, method, path):
        for r in self.faults:
            if r.get("method") and r["method"].upper() != method:
                continue
            if r["path"].rstrip("/") != path:
                continue
            r["matched"] += 1
            n = r["matched"] - int(r.get("skip", 0))
            times = int(r.get("times", 1))
            if n >= 1 and (times < 0 or n <= times):
                return r
        return None


STATE = State()


# ---------------------------------------------------------------------------
# The API, one call


class Call:
    """One /api request being processed (always under STATE.lock)."""

    def __init__(self, method, path, query, headers, body):
        self.method = method
        self.path = path
        self.q = parse_qs(query, keep_blank_values=True)
        self.headers = headers
        self.body = body
        self.tenant = None  # effective tenant from header or tenant-locked key
        self.endpoint = None

    def q1(self, name):
        v = self.q.get(name)
        return v[0] if v else None

    # -- auth -------------------------------------------------------------------

    def authenticate(self, st):
        auth = self.headers.get("Authorization")
        key = None
        if auth:
            auth = auth.strip()
            if auth.lower().startswith("basic ") and self.endpoint == "/api/system/version":
                try:
                    user, _, pw = base64.b64decode(auth[6:]).decode("utf-8").partition(":")
                    if user == "apikey":
                        key = st.keys.get(pw)
                except ValueError:
                    key = None
            else:
                key = st.keys.get(auth)
        if key is None:
            raise ApiError(empty(401))
        eps = key["endpoints"]
        if eps:
            if self.endpoint is None or self.method not in eps.get(self.endpoint, ()):
                raise ApiError(empty(401))
        header = (self.headers.get("X-FusionAuth-TenantId") or "").strip().lower() or None
        if key["tenantId"]:
            if header and header != key["tenantId"]:
                raise ApiError(empty(401))
            self.tenant = key["tenantId"]
        else:
            self.tenant = header
        if self.tenant is not None and self.tenant not in st.tenants:
            raise ApiError(field_error(
                "tenantId", "[invalid]tenantId",
                "The tenant Id [%s] is not valid. No Tenant was found with this Id." % self.tenant))

    def required_tenant(self, st):
        """create/ambiguous semantics."""
        if self.tenant:
            return self.tenant
        if len(st.tenants) == 1:
            return next(iter(st.tenants))
        raise ApiError(general_error(400, "[TenantIdRequired]", TENANT_REQUIRED_MSG))

    def in_scope(self, tenant_id):
        """scoped semantics: filter by the tenant when one is given."""
        return self.tenant is None or tenant_id == self.tenant


def route(st, call, import_rec=None, fault=None):
    """Authenticate and dispatch; returns a Resp. Runs under STATE.lock."""
    path = call.path
    for ep in ENDPOINTS:
        if path == ep or path.startswith(ep + "/"):
            call.endpoint = ep
            break
    try:
        call.authenticate(st)
        if call.endpoint is None:
            return empty(404)
        rest = path[len(call.endpoint):].strip("/")
        handler = HANDLERS.get((call.method, call.endpoint, bool(rest)))
        if handler is None:
            return empty(404)
        if call.endpoint == "/api/user/import":
            return handler(st, call, rest, import_rec, fault)
        return handler(st, call, rest)
    except ApiError as e:
        return e.resp


# -- simple reads -------------------------------------------------------------


def h_version(st, call, rest):
    return json_resp(200, {"version": VERSION})


def h_tenants(st, call, rest):
    return json_resp(200, {"tenants": [t for t in st.tenants.values() if call.in_scope(t["id"])]})


def h_tenant(st, call, rest):
    t = st.tenants.get(rest.lower())
    if t is None or not call.in_scope(t["id"]):
        return empty(404)
    return json_resp(200, {"tenant": t})


def app_out(a):
    return {k: v for k, v in a.items() if not k.startswith("_")}


def h_applications(st, call, rest):
    return json_resp(200, {"applications": [app_out(a) for a in st.applications.values()
                                            if call.in_scope(a["tenantId"]) and a.get("active", True)]})


def h_application(st, call, rest):
    a = st.applications.get(rest.lower())
    if a is None or not call.in_scope(a["tenantId"]):
        return empty(404)
    return json_resp(200, {"application": app_out(a)})


def h_idps(st, call, rest):
    return json_resp(200, {"identityProviders": [p for p in st.idps.values()
                                                 if p["tenantId"] is None or call.in_scope(p["tenantId"])]})


def h_idp(st, call, rest):
    p = st.idps.get(rest.lower())
    if p is None or not (p["tenantId"] is None or call.in_scope(p["tenantId"])):
        return empty(404)
    return json_resp(200, {"identityProvider": p})


# -- groups -------------------------------------------------------------------


def h_groups(st, call, rest):
    return json_resp(200, {"groups": [g for g in st.groups.values() if call.in_scope(g["tenantId"])]})


def h_group(st, call, rest):
    g = st.groups.get(rest.lower())
    if g is None or not call.in_scope(g["tenantId"]):
        return empty(404)
    return json_resp(200, {"group": g})


def h_group_search(st, call, rest):
    if call.method == "POST":
        body = parse_json(call.body) or {}
        search = body.get("search") or {}
        name, tenant = search.get("name"), norm_id(search.get("tenantId"))
    else:
        name, tenant = call.q1("name"), norm_id(call.q1("tenantId"))
    if call.tenant:
        tenant = call.tenant  # the header / a tenant-locked key overrides tenantId
    pattern = None
    if name:
        pattern = name.lower() if "*" in name else "*" + name.lower() + "*"
    found = [g for g in st.groups.values()
             if (tenant is None or g["tenantId"] == tenant)
             and (pattern is None or fnmatch.fnmatchcase(g["name"].lower(), pattern))]
    found.sort(key=lambda g: g["name"].lower())
    return json_resp(200, {"total": len(found), "groups": found})


def h_group_create(st, call, rest):
    tenant = call.required_tenant(st)
    if rest:
        if not is_uuid(rest):
            return field_error("groupId", "[invalid]groupId", "The Id [%s] is not a valid UUID." % rest)
        gid = rest.lower()
    else:
        gid = None
    body = parse_json(call.body) or {}
    if not isinstance(body, dict):
        raise ApiError(invalid_json("expected a JSON object"))
    group = body.get("group") or {}
    name = group.get("name") if isinstance(group, dict) else None
    fe = FieldErrors()
    if not isinstance(name, str) or not name.strip():
        fe.add("group.name", "[blank]group.name", "You must specify the [group.name] property.")
    elif any(g["tenantId"] == tenant and g["name"].lower() == name.strip().lower()
             for g in st.groups.values()):
        fe.add("group.name", "[duplicate]group.name", "A group with the name [%s] already exists." % name)
    if gid and gid in st.groups:
        fe.add("groupId", "[duplicate]groupId", "A group with Id [%s] already exists." % gid)
    if fe:
        return fe.resp()
    g = {"id": gid or str(uuid.uuid4()), "name": name.strip(), "tenantId": tenant}
    if isinstance(group.get("data"), dict):
        g["data"] = group["data"]
    st.groups[g["id"]] = g
    return json_resp(200, {"group": g})


def h_group_delete(st, call, rest):
    g = st.groups.get(rest.lower())
    if g is None or not call.in_scope(g["tenantId"]):
        return empty(404)
    del st.groups[g["id"]]
    for u in st.users.values():
        mems = u.get("memberships")
        if mems and any(m.get("groupId") == g["id"] for m in mems):
            u["memberships"] = [m for m in mems if m.get("groupId") != g["id"]]
    return empty(200)


# -- users ----------------------------------------------------------------------


def h_user_get(st, call, rest):
    if rest:
        u = st.users.get(rest.lower())
        if u is None or not call.in_scope(u["tenantId"]):
            return empty(404)
        return json_resp(200, {"user": u})
    email, username, login = call.q1("email"), call.q1("username"), call.q1("loginId")
    if email is None and username is None and login is None:
        return empty(404)
    tenant = call.required_tenant(st)
    if login is not None:
        u = st.find_login(tenant, email=login, username=login)
    else:
        u = st.find_login(tenant, email=email, username=username)
    if u is None:
        return empty(404)
    return json_resp(200, {"user": u})


def h_user_search(st, call, rest):
    if call.method == "POST":
        body = parse_json(call.body) or {}
        search = body.get("search") if isinstance(body, dict) else None
        if not isinstance(search, dict):
            search = {}
        ids, field = search.get("ids"), "search.ids"
        other = search.get("queryString") or search.get("query")
    else:
        ids, field = call.q.get("ids"), "ids"
        other = call.q1("queryString") or call.q1("query")
    if ids is None:
        msg = ("This FusionAuth stand-in implements only the ids search form."
               if other else "You must specify either the [ids], [query], or [queryString] property.")
        return general_error(400, "[StandinUnsupported]search" if other else "[missing]search", msg)
    if not isinstance(ids, list):
        raise ApiError(invalid_json("[%s] must be an array" % field))
    if len(ids) > MAX_IDS:
        return field_error(field, "[tooMany]" + field,
                           "You may not request more than [%d] ids in one request." % MAX_IDS)
    out, seen = [], set()
    for i in ids:
        if not is_uuid(i):
            continue
        i = i.lower()
        if i in seen:
            continue
        seen.add(i)
        u = st.users.get(i)
        if u is not None and call.in_scope(u["tenantId"]):
            out.append(u)
    return json_resp(200, {"total": len(out), "users": out})


def h_import(st, call, rest, rec, fault=None):
    t0 = time.perf_counter()
    rec = rec if rec is not None else new_import_rec(st, fault=fault)

    def finish(resp, committed=False):
        rec["status"] = resp.status
        rec["committed"] = committed
        rec["seconds"] = round(time.perf_counter() - t0, 6)
        return resp

    try:
        tenant = call.required_tenant(st)
        body = parse_json(call.body)
        if body is None:
            return finish(field_error("users", "[missing]users",
                                      "Your request is missing the import User information as JSON "
                                      "in the entity-body."))
        if not isinstance(body, dict):
            raise ApiError(invalid_json("expected a JSON object"))
        users = body.get("users")
        vdc = body.get("validateDbConstraints") is True
        rec["validateDbConstraints"] = vdc
        if isinstance(users, list):
            rec["users"] = len(users)
            rec["ids"] = [u.get("id") for u in users if isinstance(u, dict)]
            # Users FusionAuth already held when this request arrived: a client that sends one
            # of them again re-sends a user FusionAuth has (the tests assert this stays empty).
            rec["alreadyPresent"] = [i for i in rec["ids"]
                                     if isinstance(i, str) and i.lower() in st.users]
        if not users:
            return finish(field_error("users", "[missing]users",
                                      "You must specify at least one User in the [users] property."))
        if not isinstance(users, list):
            raise ApiError(invalid_json("[users] must be an array"))

        fe = FieldErrors()
        prepared = []
        group_ids = set()
        for u in users:
            if not isinstance(u, dict):
                raise ApiError(invalid_json("[users] must hold User objects"))
            uid = want_uuid(u.get("id"), "users.id")
            for prop in ("email", "username"):
                if u.get(prop) is not None and not isinstance(u[prop], str):
                    raise ApiError(invalid_json("[users.%s] must be a string" % prop))
            email, username = st._login_ids(u)
            if not email and not username:
                fe.add("user.email", "[missing]user.email",
                       "You must specify either the [user.email] or [user.username] property.")
            if email and len(email) > MAX_FIELD:
                fe.add("user.email", "[tooLong]user.email",
                       "The [user.email] property is longer than the maximum of [%d] characters." % MAX_FIELD)
            if username and len(username) > MAX_FIELD:
                fe.add("user.username", "[tooLong]user.username",
                       "The [user.username] property is longer than the maximum of [%d] characters." % MAX_FIELD)
            regs = u.get("registrations") or []
            if not isinstance(regs, list):
                raise ApiError(invalid_json("[users.registrations] must be an array"))
            for i, r in enumerate(regs):
                f = "user.registrations[%d].applicationId" % i
                if not isinstance(r, dict) or r.get("applicationId") in (None, ""):
                    fe.add(f, "[missing]" + f, "You must specify the [%s] property." % f)
                    continue
                app = st.applications.get(want_uuid(r["applicationId"], "users.registrations.applicationId"))
                if app is None or app["tenantId"] != tenant:
                    fe.add(f, "[invalid]" + f,
                           "The [%s] property does not identify an Application in this Tenant." % f)
                    continue
                roles = r.get("roles") or []
                bad = [x for x in roles if x not in app["_roleNames"]]
                if bad:
                    rf = "user.registrations[%d].roles" % i
                    fe.add(rf, "[invalid]" + rf,
                           "The [%s] property contains role names %s that do not exist in the Application [%s]."
                           % (rf, json.dumps(bad), app["id"]))
            mems = u.get("memberships") or []
            if not isinstance(mems, list):
                raise ApiError(invalid_json("[users.memberships] must be an array"))
            for i, m in enumerate(mems):
                f = "user.memberships[%d].groupId" % i
                if not isinstance(m, dict) or m.get("groupId") in (None, ""):
                    fe.add(f, "[missing]" + f, "You must specify the [%s] property." % f)
                    continue
                group_ids.add(want_uuid(m["groupId"], "users.memberships.groupId"))
            prepared.append((u, uid, email, username))
        if fe:
            return finish(fe.resp())

        # Uniqueness: ids are global, email/username per tenant, case-insensitive.
        emails, unames = st.by_email[tenant], st.by_username[tenant]
        batch_ids, batch_emails, batch_unames = set(), set(), set()
        dup = FieldErrors()
        for u, uid, email, username in prepared:
            if uid:
                if uid in st.users or uid in batch_ids:
                    dup.add("user.id", "[duplicate]user.id", "A User with Id [%s] already exists." % uid)
                batch_ids.add(uid)
            if email:
                if email in emails or email in batch_emails:
                    dup.add("user.email", "[duplicate]user.email",
                            "A User with email [%s] already exists." % email)
                batch_emails.add(email)
            if username:
                lu = username.lower()
                if lu in unames or lu in batch_unames:
                    dup.add("user.username", "[duplicate]user.username",
                            "A User with username [%s] already exists." % username)
                batch_unames.add(lu)
        if dup and vdc:
            return finish(dup.resp())
        missing_groups = [g for g in group_ids
                          if g not in st.groups or st.groups[g]["tenantId"] != tenant]
        if missing_groups:
            return finish(empty(500))  # FI#2836: a missing group is a bare 500, even with validation
        if dup:
            if st.import_dup_status == 400:
                return finish(general_error(400, "[ImportRequestFailed]", IMPORT_FAILED_MSG))
            return finish(empty(500))

        ts = now_ms()
        for u, uid, email, username in prepared:
            st._store_user(u, tenant, uid, email, username, ts)
        return finish(empty(200), committed=True)
    except ApiError as e:
        return finish(e.resp)


def new_import_rec(st, users=0, vdc=False, fault=None):
    rec = {"users": users, "validateDbConstraints": vdc, "status": None, "committed": False,
           "seconds": 0.0, "fault": fault, "ids": [], "alreadyPresent": []}
    st.imports.append(rec)
    return rec


def h_forgot(st, call, rest):
    rec = {"loginId": None, "userId": None, "status": None, "sendEmail": True}
    st.forgot.append(rec)
    try:
        resp = _forgot(st, call, rec)
    except ApiError as e:
        resp = e.resp
    rec["status"] = resp.status
    return resp


def _forgot(st, call, rec):
    tenant = call.required_tenant(st)
    body = parse_json(call.body) or {}
    if not isinstance(body, dict):
        raise ApiError(invalid_json("expected a JSON object"))
    login = body.get("loginId") or body.get("email") or body.get("username")
    rec["loginId"] = login
    send = not (body.get("sendForgotPasswordEmail") is False or body.get("sendForgotPasswordMessage") is False)
    rec["sendEmail"] = send
    if not isinstance(login, str) or not login.strip():
        return field_error("loginId", "[blank]loginId", "You must specify the [loginId] property.")
    template = st.tenants[tenant]["emailConfiguration"].get("forgotPasswordEmailTemplateId")
    app_id = norm_id(body.get("applicationId"))
    if app_id and app_id in st.applications and st.applications[app_id].get("_forgotTemplate"):
        template = st.applications[app_id]["_forgotTemplate"]
    if send and not template:
        return empty(403)
    u = st.find_login(tenant, email=login, username=login)
    if u is None:
        return empty(404)
    rec["userId"] = u["id"]
    if send and not u.get("email") and not (u.get("data") or {}).get("email"):
        return empty(422)
    return json_resp(200, {"changePasswordId": secrets.token_urlsafe(32)})


def h_bulk_delete(st, call, rest):
    body = parse_json(call.body)
    if body is not None:
        if not isinstance(body, dict):
            raise ApiError(invalid_json("expected a JSON object"))
        ids = body.get("userIds")
        hard = body.get("hardDelete") is True
        dry = body.get("dryRun") is True
        other = body.get("queryString") or body.get("query")
    else:
        ids = call.q.get("userId")
        hard = (call.q1("hardDelete") or "").lower() == "true"
        dry = (call.q1("dryRun") or "").lower() == "true"
        other = call.q1("queryString") or call.q1("query")
    if ids is None:
        if other:
            return general_error(400, "[StandinUnsupported]query",
                                 "This FusionAuth stand-in implements only the userIds form of bulk delete.")
        return field_error("userIds", "[missing]userIds",
                           "You must specify either the [userIds], [query], or [queryString] property.")
    if not isinstance(ids, list):
        raise ApiError(invalid_json("[userIds] must be an array"))
    if len(ids) > MAX_IDS:
        return field_error("userIds", "[tooMany]userIds",
                           "You may not delete more than [%d] users in one request." % MAX_IDS)
    affected, seen = [], set()
    for i in ids:
        if not is_uuid(i) or i.lower() in seen:
            continue
        i = i.lower()
        seen.add(i)
        u = st.users.get(i)
        if u is not None and call.in_scope(u["tenantId"]):
            affected.append(i)
    if not dry:
        ts = now_ms()
        for i in affected:
            if hard:
                st._remove_user(i)
            else:
                st.users[i]["active"] = False
                st.users[i]["lastUpdateInstant"] = ts
    out = {"dryRun": dry, "hardDelete": hard, "total": len(affected)}
    if affected:
        out["userIds"] = affected
    return json_resp(200, out)


# -- identity-provider links ------------------------------------------------------


def h_link_get(st, call, rest):
    idp = norm_id(call.q1("identityProviderId"))
    idp_uid = call.q1("identityProviderUserId")
    uid = norm_id(call.q1("userId"))
    if idp and idp_uid is not None:
        for link in st.links_by_idp.get((idp, idp_uid), []):
            if call.in_scope(link["tenantId"]) and (uid is None or link["userId"] == uid):
                return json_resp(200, {"identityProviderLink": st.link_out(link)})
        return empty(404)
    if uid:
        links = [st.link_out(l) for l in st.links_by_user.get(uid, [])
                 if call.in_scope(l["tenantId"]) and (idp is None or l["identityProviderId"] == idp)]
        return json_resp(200, {"identityProviderLinks": links})
    return field_error("userId", "[missing]userId",
                       "You must specify either the [userId] or the [identityProviderId] and "
                       "[identityProviderUserId] parameters.")


def h_link_create(st, call, rest):
    body = parse_json(call.body) or {}
    if not isinstance(body, dict):
        raise ApiError(invalid_json("expected a JSON object"))
    src = body.get("identityProviderLink")
    if not isinstance(src, dict):
        src = body  # deprecated flat body (1.28-1.42)
    fe = FieldErrors()
    for f in ("identityProviderId", "identityProviderUserId", "userId"):
        v = src.get(f)
        if v is None or (isinstance(v, str) and not v.strip()):
            fe.add(f, "[blank]" + f, "You must specify the [%s] property." % f)
    if fe:
        return fe.resp()
    idp_id = want_uuid(src["identityProviderId"], "identityProviderLink.identityProviderId")
    uid = want_uuid(src["userId"], "identityProviderLink.userId")
    idp_uid = str(src["identityProviderUserId"])
    idp = st.idps.get(idp_id)
    if idp is None:
        return field_error("identityProviderId", "[invalid]identityProviderId",
                           "The [identityProviderId] property does not identify an Identity Provider.")
    user = st.users.get(uid)
    if user is None or not call.in_scope(user["tenantId"]):
        return field_error("userId", "[invalid]userId", "The [userId] property does not identify a User.")
    if not idp.get("enabled", True):
        return field_error("identityProviderId", "[disabled]identityProviderId",
                           "The Identity Provider [%s] is disabled." % idp_id)
    if idp.get("tenantId") and idp["tenantId"] != user["tenantId"]:
        return field_error("identityProviderId", "[invalid]identityProviderId",
                           "The Identity Provider [%s] cannot be used in this Tenant." % idp_id)
    for link in st.links_by_idp.get((idp_id, idp_uid), []):
        if link["tenantId"] != user["tenantId"]:
            continue
        if link["userId"] == uid:
            return field_error("identityProviderUserId", "[duplicate]identityProviderUserId",
                               "This user is already linked to the identity provider user [%s]." % idp_uid)
        return general_error(409, "[ExistingUserAlreadyLinked]", "This account is already linked to another user")
    ts = now_ms()
    link = {"identityProviderId": idp_id, "identityProviderUserId": idp_uid, "userId": uid,
            "tenantId": user["tenantId"], "insertInstant": ts, "lastLoginInstant": ts}
    for opt in ("displayName", "token"):
        if src.get(opt) is not None:
            link[opt] = src[opt]
    st._add_link(link)
    return json_resp(200, {"identityProviderLink": st.link_out(link)})


def h_link_delete(st, call, rest):
    idp = norm_id(call.q1("identityProviderId"))
    idp_uid = call.q1("identityProviderUserId")
    uid = norm_id(call.q1("userId"))
    fe = FieldErrors()
    for name, v in (("identityProviderId", idp), ("identityProviderUserId", idp_uid), ("userId", uid)):
        if not v:
            fe.add(name, "[missing]" + name, "You must specify the [%s] parameter." % name)
    if fe:
        return fe.resp()
    for link in st.links_by_idp.get((idp, idp_uid), []):
        if link["userId"] == uid and call.in_scope(link["tenantId"]):
            st._remove_link(link)
            return empty(200)
    return empty(404)


# (method, endpoint, has-path-suffix) -> handler
HANDLERS = {
    ("GET", "/api/system/version", False): h_version,
    ("GET", "/api/tenant", False): h_tenants,
    ("GET", "/api/tenant", True): h_tenant,
    ("GET", "/api/application", False): h_applications,
    ("GET", "/api/application", True): h_application,
    ("GET", "/api/group", False): h_groups,
    ("GET", "/api/group", True): h_group,
    ("POST", "/api/group", False): h_group_create,
    ("POST", "/api/group", True): h_group_create,
    ("DELETE", "/api/group", True): h_group_delete,
    ("GET", "/api/group/search", False): h_group_search,
    ("POST", "/api/group/search", False): h_group_search,
    ("GET", "/api/identity-provider", False): h_idps,
    ("GET", "/api/identity-provider", True): h_idp,
    ("POST", "/api/user/import", False): h_import,
    ("GET", "/api/user/search", False): h_user_search,
    ("POST", "/api/user/search", False): h_user_search,
    ("GET", "/api/user", False): h_user_get,
    ("GET", "/api/user", True): h_user_get,
    ("POST", "/api/user/forgot-password", False): h_forgot,
    ("DELETE", "/api/user/bulk", False): h_bulk_delete,
    ("GET", "/api/identity-provider/link", False): h_link_get,
    ("POST", "/api/identity-provider/link", False): h_link_create,
    ("DELETE", "/api/identity-provider/link", False): h_link_delete,
}


# ---------------------------------------------------------------------------
# HTTP layer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        # Headers and body go out in two writes: without TCP_NODELAY the body waits for the
        # client's delayed ACK (40 ms a request), which no real server has.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    server_version = "FusionAuthStandin/" + VERSION

    def log_message(self, fmt, *args):
        log("%s - %s" % (self.address_string(), fmt % args))

    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    # -- plumbing -----------------------------------------------------------------

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def _peer_gone(self):
        try:
            r, _, _ = select.select([self.connection], [], [], 0)
            if not r:
                return False
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def _send(self, resp, entry=None, check_peer=False):
        """Writes `resp`, plus the CORS headers of an allowed actual CORS request."""
        if check_peer and self._peer_gone():
            self.close_connection = True
            self._outcome(entry, "abandoned")
            return
        try:
            self.send_response(resp.status)
            for k, v in resp.headers:
                self.send_header(k, v)
            for k, v in self._cors_headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(resp.body)))
            # logged as answered before the first byte leaves, so a client that has the
            # answer always finds it in the request log (undone below if the write fails)
            self._answered(entry, resp.status)
            self.end_headers()
            if resp.body:
                self.wfile.write(resp.body)
            self.wfile.flush()
        except OSError:
            self.close_connection = True
            self._answered(entry, None)
            self._outcome(entry, "abandoned")

    @staticmethod
    def _answered(entry, status):
        if entry is not None:
            with STATE.lock:
                entry["status"] = status
                entry["outcome"] = "answered" if status is not None else None

    @staticmethod
    def _outcome(entry, outcome):
        if entry is not None:
            with STATE.lock:
                entry["outcome"] = outcome

    def _drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _dispatch(self):
        self._cors_headers = []  # the handler object lives as long as a keep-alive connection
        try:
            try:
                body = self._read_body()
            except (ValueError, OSError):
                self.close_connection = True
                self._send(empty(400))
                return
            split = urlsplit(self.path)
            path = split.path.rstrip("/") or "/"
            if path.startswith("/_standin/"):
                self._send(self._control(path, body))
            elif path == "/api" or path.startswith("/api/"):
                self._api(path, split.query, body)
            else:
                self._send(empty(404))
        except Exception:  # noqa: BLE001 - a stand-in must never kill its handler thread
            traceback.print_exc(file=sys.stderr)
            self.close_connection = True
            try:
                self._send(empty(500))
            except Exception:  # noqa: BLE001
                pass

    # -- control API --------------------------------------------------------------

    def _control(self, path, body):
        st = STATE
        if self.command == "GET" and path == "/_standin/state":
            with st.lock:
                state = {
                    "users": [st.state_user(u) for u in st.users.values()],
                    "links": [st.link_out(l) for lst in st.links_by_idp.values() for l in lst],
                    "groups": list(st.groups.values()),
                    "requests": st.requests,
                    "forgotPassword": st.forgot,
                    "imports": st.imports,
                    "held": st.held,
                    "faults": st.faults,
                    "cors": st.cors,
                }
                return json_resp(200, state)
        if self.command == "POST" and path in ("/_standin/config", "/_standin/faults"):
            try:
                obj = json.loads(body or b"null")
                with st.lock:
                    if path == "/_standin/config":
                        st.configure(obj if obj is not None else {})
                    else:
                        st.set_faults(obj if obj is not None else [])
            except (ValueError, TypeError, AttributeError, KeyError) as e:
                return json_resp(400, {"error": str(e)})
            return json_resp(200, {"ok": True})
        if self.command == "POST" and path == "/_standin/release":
            with st.cond:
                n = st.held
                st.release_gen += 1
                st.cond.notify_all()
            return json_resp(200, {"released": n})
        return empty(404)

    # -- /api ---------------------------------------------------------------------

    def _cors_kind(self, method):
        """None (not a CORS request), "preflight" or "actual". A request is a CORS request when
        it carries an Origin header other than the stand-in's own origin; a preflight is an
        OPTIONS CORS request with Access-Control-Request-Method."""
        origin = self.headers.get("Origin")
        if origin is None:
            return None
        port = self.server.server_address[1]
        if origin in ("http://127.0.0.1:%d" % port, "http://localhost:%d" % port):
            return None
        if method == "OPTIONS" and self.headers.get("Access-Control-Request-Method") is not None:
            return "preflight"
        return "actual"

    def _api(self, path, query, body):
        st = STATE
        method = self.command
        origin = self.headers.get("Origin")
        kind = self._cors_kind(method)
        entry = {
            "method": method,
            "path": path,
            "query": query,
            "tenantHeader": self.headers.get("X-FusionAuth-TenantId"),
            "authorization": self.headers.get("Authorization") is not None,
            "contentType": self.headers.get("Content-Type"),
            "status": None,
            "bodyBytes": len(body),
            "origin": origin,
            "cors": kind,
            "corsDenied": None,
            "outcome": None,
        }
        is_import = method == "POST" and path == "/api/user/import"
        # One critical section, so that the log's order is the order fault rules count in.
        with st.lock:
            st.requests.append(entry)
            # FusionAuth's CORS filter runs before anything else: before auth and before the
            # fault rules (which therefore neither match nor count a preflight or a denied request).
            denied = None
            if kind == "preflight":
                resp, denied = cors_preflight(st.cors, origin, self.headers.get("Access-Control-Request-Method"),
                                              self.headers.get("Access-Control-Request-Headers"))
            elif kind == "actual":
                cors_headers, denied = cors_actual(st.cors, origin, method)
                if denied:
                    resp = empty(403)
                else:
                    self._cors_headers = cors_headers
            entry["corsDenied"] = denied
            rule = None
            if kind != "preflight" and not denied:
                rule = st.match_fault(method, path)
                rule = dict(rule) if rule else None
                if rule and rule.get("sideDoor"):
                    st.side_door(rule["sideDoor"])
        if kind == "preflight" or denied:
            if denied:
                log("CORS 403 (%s) on %s %s" % (denied, method, path))
            self._send(resp, entry)
            return

        def process(rec=None, fault=None):
            with st.lock:
                return route(st, Call(method, path, query, self.headers, body), rec, fault)

        def unprocessed_import_rec(status=None):
            if not is_import:
                return None
            users, vdc = 0, False
            try:
                b = json.loads(body)
                users = len(b.get("users") or [])
                vdc = b.get("validateDbConstraints") is True
            except Exception:  # noqa: BLE001 - best effort count only
                pass
            with st.lock:
                rec = new_import_rec(st, users, vdc, rule["action"])
                rec["status"] = status
            return rec

        if rule is None:
            self._send(process(), entry)
            return

        action = rule["action"]
        log("fault %s on %s %s" % (action, method, path))
        commit = rule.get("commit") is True
        if action == "status":
            status = int(rule["status"])
            headers = []
            if rule.get("retryAfter") is not None:
                headers.append(("Retry-After", str(rule["retryAfter"])))
            if rule.get("location") is not None:
                headers.append(("Location", str(rule["location"])))
            if "body" in rule:
                resp = Resp(status, dumps(rule["body"]), [("Content-Type", JSON_TYPE)])
            elif status in (400, 503):
                resp = general_error(status, "[StandinInjectedFault]",
                                     "Injected fault: status %d from the FusionAuth stand-in." % status)
            else:
                resp = empty(status)
            resp.headers.extend(headers)
            unprocessed_import_rec(status)
            self._send(resp, entry)
        elif action == "drop":
            if commit:
                process(fault="drop")
            else:
                unprocessed_import_rec()
            self._outcome(entry, "dropped")
            self._drop()
        elif action == "delay":
            time.sleep(float(rule.get("seconds", 1)))
            self._send(process(fault="delay"), entry, check_peer=True)
        elif action == "hold":
            if commit:
                rec = None
                resp = process(fault="hold")
            else:
                rec = unprocessed_import_rec()
                resp = None
            deadline = None if rule.get("seconds") is None else time.monotonic() + float(rule["seconds"])
            with st.cond:
                gen = st.release_gen
                st.held += 1
                try:
                    while st.release_gen == gen:
                        if deadline is None:
                            st.cond.wait()
                        else:
                            left = deadline - time.monotonic()
                            if left <= 0:
                                break
                            st.cond.wait(left)
                finally:
                    st.held -= 1
            if resp is None:
                resp = process(rec, "hold")
            self._send(resp, entry, check_peer=True)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def main(argv=None):
    global VERBOSE
    ap = argparse.ArgumentParser(description="FusionAuth stand-in (not FusionAuth; see the module docstring).")
    ap.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 = any free port)")
    ap.add_argument("--config", help="JSON file with an initial state, as POST /_standin/config")
    ap.add_argument("--verbose", action="store_true", help="log requests to stderr")
    ap.add_argument("--cors-origin", action="append", default=[], metavar="ORIGIN",
                    help="enable CORS for ORIGIN (repeatable) with methods GET, POST, DELETE, OPTIONS; "
                         "overrides the cors of --config; POST /_standin/config replaces it")
    args = ap.parse_args(argv)
    VERBOSE = args.verbose
    cfg = {}
    if args.config:
        with open(args.config, "rb") as f:
            cfg = json.loads(f.read())
    if args.cors_origin:
        if not isinstance(cfg, dict):
            ap.error("--config must hold a JSON object")
        cfg = dict(cfg, cors={"enabled": True, "allowedOrigins": args.cors_origin,
                              "allowedMethods": CORS_CLI_METHODS})
    if args.config or args.cors_origin:
        try:
            STATE.configure(cfg)
        except ValueError as e:
            ap.error(str(e))
    server = Server(("127.0.0.1", args.port), Handler)
    sys.stdout.write("listening on %d\n" % server.server_address[1])
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
