"""partners_cors.py — partner frontends, CORS, idempotent sign-up and
password reset (PROTOCOL.md "Partners", "CORS", "Idempotency keys",
"password-resets") from an independent peer: hand-written HTTP,
python3-msgpack bodies, psql for what only the database shows.

Runs its own khnetd (2 workers, cheap scrypt, a 300 ms CORS refresh) so
that propagation between workers is tested without long waits; the reset
flow reads the token from the servers' logs (the development mailer).
"""

import glob
import os
import re
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from mailed import log_marks, mail_logs, mailed_token, new_text  # noqa: E402
from rawhttp import (MSGPACK, Checker, api_call, expect, once, pack, psql,  # noqa: E402
                     fast_flags, server_addr, start_khnetd, stop_at_end)

T = Checker("partners_cors")
DB = os.environ["KHNET_DATABASE_URL"]
WORK = tempfile.mkdtemp(prefix="khnet-partners.")
LOG = os.path.join(WORK, "khnetd.log")
REFRESH_MS = 300
FAST = fast_flags(2) + ["--cors-refresh-ms", str(REFRESH_MS)]
ADDR = None
PW = "correct horse battery"
ORIGIN = "https://ntu.example.edu.vn"


def call(method, path, body=None, token=None, headers=(), addr=None):
    return api_call(method, path, body, token, headers, addr or ADDR)


def account(email, role="member", addr=None):
    expect(call("POST", "/v1/accounts", {"email": email, "password": PW}, addr=addr), 201)
    if role != "member":
        psql("UPDATE khnet_accounts SET role = '%s' WHERE email = '%s'" % (role, email))
    r = call("POST", "/v1/sessions", {"email": email, "password": PW}, addr=addr)
    expect(r, 201)
    return r.json["token"]


TOKENS = {}


def tokens():
    if not TOKENS:
        for role in ("member", "moderator", "liaison", "admin"):
            TOKENS[role] = account("%s@partners.example" % role, role)
    return TOKENS


def create(name, origins, adm=None):
    r = call("POST", "/v1/partners", {"name": name, "origins": origins},
             token=adm or tokens()["admin"])
    expect(r, 201)
    return r.json


# ---- partners -------------------------------------------------------------------

def t_create_list_and_key():
    p = create("Trường Đại học Nha Trang", ["HTTPS://NTU.example.edu.vn:443", "http://localhost:3000"])
    assert p["name"] == "Trường Đại học Nha Trang", p
    assert p["origins"] == [ORIGIN, "http://localhost:3000"], p
    assert p["disabled"] is False and p["created_at"].endswith("Z"), p
    key = p["key"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", key), key
    assert psql("SELECT count(*) FROM khnet_partners WHERE key_hash = sha256('%s')" % key) == "1"
    r = call("GET", "/v1/partners", token=tokens()["admin"])
    expect(r, 200)
    item = [i for i in r.json["items"] if i["id"] == p["id"]][0]
    assert "key" not in item and item["origins"] == p["origins"], item
    # sign-ups with the key record the partner
    expect(call("POST", "/v1/accounts", {"email": "via-ntu@example.org", "password": PW},
                headers=[("X-Partner-Key", key)]), 201)
    assert psql("SELECT partner_id FROM khnet_accounts WHERE email = 'via-ntu@example.org'") \
        == str(p["id"])
    # rotation: the old key stops at once, the new one works
    r = call("POST", "/v1/partners/%d/key" % p["id"], token=tokens()["admin"])
    expect(r, 200)
    new = r.json["key"]
    assert new != key and r.json["id"] == p["id"]
    expect(call("POST", "/v1/accounts", {"email": "old-key@example.org", "password": PW},
                headers=[("X-Partner-Key", key)]), 400, "invalid_value", "X-Partner-Key")
    expect(call("POST", "/v1/accounts", {"email": "new-key@example.org", "password": PW},
                headers=[("X-Partner-Key", new)]), 201)
    expect(call("POST", "/v1/partners", {"name": "Trường Đại học Nha Trang", "origins": []},
                token=tokens()["admin"]), 409, "conflict", "name")
    # disabled: the key no longer attributes sign-ups
    p2 = create("Embassy", [])
    expect(call("PATCH", "/v1/partners/%d" % p2["id"], {"disabled": True},
                token=tokens()["admin"]), 200)
    expect(call("POST", "/v1/accounts", {"email": "emb@example.org", "password": PW},
                headers=[("X-Partner-Key", p2["key"])]), 400, "invalid_value", "X-Partner-Key")
    r = call("PATCH", "/v1/partners/%d" % p2["id"], {"origins": ["https://emb.example"],
                                                    "disabled": False}, token=tokens()["admin"])
    expect(r, 200)
    assert r.json["origins"] == ["https://emb.example"] and not r.json["disabled"], r.json
    audit = psql("SELECT string_agg(action, ',' ORDER BY id) FROM khnet_audit_log "
                 "WHERE action LIKE 'partner_%%' AND (detail->>'partner_id')::bigint IN (%d, %d)"
                 % (p["id"], p2["id"]))
    assert audit == "partner_create,partner_key_rotate,partner_create,partner_update,partner_update", audit
    actor = psql("SELECT r.email FROM khnet_audit_log a JOIN khnet_accounts r ON r.id = a.actor_id "
                 "WHERE a.action = 'partner_create' AND (a.detail->>'partner_id')::bigint = %d"
                 % p["id"])
    assert actor == "admin@partners.example", actor


def t_permission_matrix():
    pid = create("Matrix", [])["id"]
    cases = [("GET", "/v1/partners", None), ("POST", "/v1/partners", {"name": "X", "origins": []}),
             ("PATCH", "/v1/partners/%d" % pid, {"disabled": False}),
             ("POST", "/v1/partners/%d/key" % pid, None)]
    for method, path, body in cases:
        r = call(method, path, body)
        expect(r, 401, "unauthenticated")
        assert r.header("www-authenticate") == "Bearer"
        for role in ("member", "moderator", "liaison"):
            try:
                expect(call(method, path, body, token=tokens()[role]), 403, "forbidden")
            except AssertionError as e:
                raise AssertionError("%s %s as %s: %s" % (method, path, role, e)) from None
        r = call(method, path, body, token=tokens()["admin"])
        assert r.status in (200, 201), (method, path, r)


BAD_CREATE = [
    (None, "missing_field", "body"),
    ({"origins": []}, "missing_field", "name"),
    ({"name": "N"}, "missing_field", "origins"),
    ({"name": 5, "origins": []}, "invalid_type", "name"),
    ({"name": "", "origins": []}, "too_short", "name"),
    ({"name": "n" * 201, "origins": []}, "too_long", "name"),
    ({"name": "N", "origins": "https://a.example"}, "invalid_type", "origins"),
    ({"name": "N", "origins": ["https://a%d.example" % i for i in range(21)]}, "too_long", "origins"),
    ({"name": "N", "origins": [5]}, "invalid_type", "origins.0"),
    ({"name": "N", "origins": ["https://a.example", "ftp://a.example"]}, "invalid_value", "origins.1"),
    ({"name": "N", "origins": ["https://a.example/"]}, "invalid_value", "origins.0"),
    ({"name": "N", "origins": ["https://a.example/app"]}, "invalid_value", "origins.0"),
    ({"name": "N", "origins": ["a.example"]}, "invalid_value", "origins.0"),
    ({"name": "N", "origins": ["https://a.example:99999"]}, "invalid_value", "origins.0"),
    ({"name": "N", "origins": ["https://a.example", "HTTPS://A.example:443"]}, "invalid_value",
     "origins.1"),
    ({"name": "N", "origins": [], "key": "mine"}, "unknown_field", "key"),
]


def t_bad_inputs():
    adm = tokens()["admin"]
    for body, code, field in BAD_CREATE:
        try:
            expect(call("POST", "/v1/partners", body, token=adm), 400, code, field)
        except AssertionError as e:
            raise AssertionError("%r: %s" % (body, e)) from None
    pid = create("Bad inputs", [])["id"]
    for body, code, field in [({"disabled": "yes"}, "invalid_type", "disabled"),
                              ({"origins": ["http://x.example/p"]}, "invalid_value", "origins.0"),
                              ({"name": "renamed"}, "unknown_field", "name")]:
        expect(call("PATCH", "/v1/partners/%d" % pid, body, token=adm), 400, code, field)
    expect(call("PATCH", "/v1/partners/abc", {}, token=adm), 400, "invalid_value", "id")
    expect(call("PATCH", "/v1/partners/0", {}, token=adm), 400, "invalid_value", "id")
    expect(call("PATCH", "/v1/partners/999999", {}, token=adm), 404, "not_found")
    expect(call("POST", "/v1/partners/999999/key", token=adm), 404, "not_found")


# ---- CORS -------------------------------------------------------------------------

def cors_get(origin, path="/v1/info"):
    return once("GET", path, [("Accept", MSGPACK), ("Origin", origin)], addr=ADDR)


def preflight(origin, path, method="GET"):
    return once("OPTIONS", path, [("Origin", origin), ("Access-Control-Request-Method", method),
                                  ("Access-Control-Request-Headers", "authorization")], addr=ADDR)


def everywhere(pred, what, timeout):
    """pred holds for 12 fresh connections in a row (spread over the
    workers by SO_REUSEPORT), a streak that began before the deadline;
    returns when it began.  Only the start counts: the 12 checks
    themselves take a second or more on a loaded machine."""
    deadline = time.monotonic() + timeout
    streak, began = 0, None
    while streak < 12:
        now = time.monotonic()
        if streak == 0 and now > deadline:
            raise AssertionError("not %s within %.1f s" % (what, timeout))
        if pred():
            streak, began = streak + 1, began if streak else now
        else:
            streak = 0
        time.sleep(0.02)
    return began


def route_methods():
    """path pattern -> methods, read from every domain's route table
    (server/api/<domain>/domain.c, concatenated into the table the server
    routes by), HEAD added to GET as the router does."""
    src = "".join(open(p).read() for p in sorted(glob.glob(os.path.join(
        os.environ["KHNET_SOURCE_DIR"], "server/api/*/domain.c"))))
    out = {}
    for m, pat in re.findall(r'\{"([A-Z]+)", "(/[^"]*)",', src):
        out.setdefault(pat, []).append(m)
        if m == "GET":
            out[pat].append("HEAD")
    return out


def t_cors():
    create("CORS", [ORIGIN + ":8443", "http://127.0.0.1:5173"])
    allowed = ORIGIN + ":8443"
    everywhere(lambda: cors_get(allowed).header("access-control-allow-origin") == allowed,
               "allowed on every worker", REFRESH_MS / 1000 + 3)
    r = cors_get(allowed)
    assert r.status == 200 and r.header("vary") == "Origin", r.headers
    assert r.header("access-control-expose-headers") == "X-Request-Id, Retry-After", r.headers
    assert r.header("access-control-allow-credentials") is None
    # errors are readable by the page too
    r = once("GET", "/v1/account", [("Accept", MSGPACK), ("Origin", allowed)], addr=ADDR)
    assert r.status == 401 and r.header("access-control-allow-origin") == allowed, r.headers
    for denied in ("https://evil.example", ORIGIN + ":8444", "http://ntu.example.edu.vn:8443",
                   "null", allowed + "/"):
        r = cors_get(denied)
        assert r.status == 200, r
        assert not [k for k, _ in r.headers if k.startswith("access-control-")], (denied, r.headers)
        r = preflight(denied, "/v1/accounts", "POST")
        assert r.status == 403 and r.error_code() == "cors_origin_denied", (denied, r)
        assert r.header("access-control-allow-origin") is None
    # no Origin: no CORS at all
    r = once("GET", "/v1/info", [("Accept", MSGPACK)], addr=ADDR)
    assert r.header("vary") is None and r.header("access-control-allow-origin") is None
    # preflight methods are the route table's
    table = route_methods()
    for path, pattern in [("/v1/partners", "/v1/partners"), ("/v1/partners/7", "/v1/partners/{id}"),
                          ("/v1/partners/7/key", "/v1/partners/{id}/key"),
                          ("/v1/sessions", "/v1/sessions"), ("/v1/accounts", "/v1/accounts"),
                          ("/v1/password-resets/confirm", "/v1/password-resets/confirm")]:
        r = preflight(allowed, path)
        assert r.status == 204, (path, r)
        got = [m.strip() for m in r.header("access-control-allow-methods").split(",")]
        want = list(table[pattern])
        assert sorted(got) == sorted(set(want)), (path, got, want)
        assert r.header("access-control-allow-origin") == allowed
        assert r.header("access-control-max-age") == "600"
        hdrs = r.header("access-control-allow-headers")
        assert hdrs == "Authorization, Content-Type, Idempotency-Key, X-Partner-Key, X-Request-Id", hdrs
    r = preflight(allowed, "/v1/no-such-thing")
    assert r.status == 404, r


def t_disabled_partner_loses_cors():
    origin = "https://consulate.example"
    p = create("Consulate", [origin])
    everywhere(lambda: cors_get(origin).header("access-control-allow-origin") == origin,
               "allowed on every worker", REFRESH_MS / 1000 + 3)
    t0 = time.monotonic()
    expect(call("PATCH", "/v1/partners/%d" % p["id"], {"disabled": True},
                token=tokens()["admin"]), 200)
    began = everywhere(lambda: cors_get(origin).header("access-control-allow-origin") is None,
                       "denied on every worker", REFRESH_MS / 1000 + 1)
    assert began - t0 < REFRESH_MS / 1000 + 1.5, began - t0
    assert preflight(origin, "/v1/accounts", "POST").status == 403
    # origins replaced: the old one goes, the new one comes
    expect(call("PATCH", "/v1/partners/%d" % p["id"],
                {"disabled": False, "origins": ["https://consulate2.example"]},
                token=tokens()["admin"]), 200)
    everywhere(lambda: cors_get("https://consulate2.example").header("access-control-allow-origin")
               == "https://consulate2.example" and
               cors_get(origin).header("access-control-allow-origin") is None,
               "switched on every worker", REFRESH_MS / 1000 + 1)


# ---- idempotent sign-up ------------------------------------------------------------

def t_idempotent_signup():
    body = {"email": "idem@example.org", "password": PW}
    h = [("Idempotency-Key", "signup-0f2c:1")]
    r1 = call("POST", "/v1/accounts", body, headers=h)
    expect(r1, 201)
    assert r1.header("idempotent-replay") is None
    r2 = call("POST", "/v1/accounts", body, headers=h)
    expect(r2, 201)
    assert r2.body == r1.body, (r1.body, r2.body)
    assert r2.header("idempotent-replay") == "true", r2.headers
    # JSON retry of the same request is the same request
    r3 = once("POST", "/v1/accounts", [("Content-Type", "application/json"), ("Accept", MSGPACK)]
              + h, b'{"email":"idem@example.org","password":"%s"}' % PW.encode(), addr=ADDR)
    assert r3.status == 201 and r3.body == r1.body and r3.header("idempotent-replay") == "true"
    assert psql("SELECT count(*) FROM khnet_accounts WHERE email = 'idem@example.org'") == "1"
    # same key, different body
    r = call("POST", "/v1/accounts", {"email": "idem2@example.org", "password": PW}, headers=h)
    expect(r, 422, "idempotency_mismatch")
    assert psql("SELECT count(*) FROM khnet_accounts WHERE email = 'idem2@example.org'") == "0"
    # a replayed failure stays the same failure
    h2 = [("Idempotency-Key", "dup-1")]
    expect(call("POST", "/v1/accounts", body, headers=h2), 409, "conflict", "email")
    r = call("POST", "/v1/accounts", body, headers=h2)
    expect(r, 409, "conflict", "email")
    assert r.header("idempotent-replay") == "true"
    for bad in ("", "a" * 129, "has space", "ünï"):
        r = once("POST", "/v1/accounts", [("Accept", MSGPACK), ("Content-Type", MSGPACK),
                                           ("Idempotency-Key", bad)],
                 pack({"email": "k@example.org", "password": PW}), addr=ADDR)
        r.json = r.decoded()
        expect(r, 400, "invalid_value", "Idempotency-Key")
    # a key older than 24 h is forgotten: the retry runs again (and conflicts)
    psql("UPDATE khnet_idempotency SET created_at = now() - interval '25 hours' "
         "WHERE key = 'signup-0f2c:1'")
    r = call("POST", "/v1/accounts", body, headers=h)
    expect(r, 409, "conflict", "email")
    assert r.header("idempotent-replay") is None


def t_idempotent_concurrent():
    body = pack({"email": "race@example.org", "password": PW})
    req = ("POST /v1/accounts HTTP/1.1\r\nHost: x\r\nAccept: application/msgpack\r\n"
           "Content-Type: application/msgpack\r\nIdempotency-Key: race-1\r\n"
           "Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)).encode() + body
    socks = [socket.create_connection(ADDR) for _ in range(8)]
    for s in socks:
        s.sendall(req)
    replies = []
    for s in socks:
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        head, _, rest = data.partition(b"\r\n\r\n")
        replies.append((head.split(b" ")[1], rest))
    assert all(st == b"201" for st, _ in replies), replies
    assert len({b for _, b in replies}) == 1, replies
    assert psql("SELECT count(*) FROM khnet_accounts WHERE email = 'race@example.org'") == "1"


# ---- password reset: the token from the servers' logs ---------------------------
# Our own khnetd (generous rate limits; the harness's default ones would
# refuse this many logins for one e-mail); its log is LOG.  The harness's
# khnetd serves the same database and its pump may deliver the mail
# instead (lib/mailed.py), so both logs are read.

def t_password_reset():
    h = ADDR
    logs = mail_logs(LOG)
    email = "reset@example.org"
    t1 = account(email, addr=h)
    t2 = call("POST", "/v1/sessions", {"email": email, "password": PW}, addr=h).json["token"]
    start = log_marks(logs)
    r = call("POST", "/v1/password-resets", {"email": "Reset@Example.org"}, addr=h)
    assert r.status == 202 and not r.body, r
    tok = mailed_token(email, "reset_token", logs, start)
    assert psql("SELECT count(*) FROM khnet_password_resets WHERE token_hash = sha256('%s')"
                % tok) == "1"
    # no enumeration: an unknown address gets the same answer and no mail
    start2 = log_marks(logs)
    r = call("POST", "/v1/password-resets", {"email": "nobody@example.org"}, addr=h)
    assert r.status == 202 and not r.body, r
    time.sleep(0.3)
    assert "nobody@example.org" not in new_text(logs, start2)
    new_pw = "a brand new password"
    expect(call("POST", "/v1/password-resets/confirm", {"token": tok, "new_password": new_pw},
                addr=h), 204)
    for t in (t1, t2):
        expect(call("GET", "/v1/account", token=t, addr=h), 401, "unauthenticated")
    expect(call("POST", "/v1/sessions", {"email": email, "password": PW}, addr=h), 401)
    expect(call("POST", "/v1/sessions", {"email": email, "password": new_pw}, addr=h), 201)
    # single use
    expect(call("POST", "/v1/password-resets/confirm", {"token": tok, "new_password": PW},
                addr=h), 400, "invalid_value", "token")
    # expiry
    start = log_marks(logs)
    expect(call("POST", "/v1/password-resets", {"email": email}, addr=h), 202)
    tok2 = mailed_token(email, "reset_token", logs, start)
    psql("UPDATE khnet_password_resets SET expires_at = now() - interval '1 second' "
         "WHERE token_hash = sha256('%s')" % tok2)
    expect(call("POST", "/v1/password-resets/confirm", {"token": tok2, "new_password": PW},
                addr=h), 400, "invalid_value", "token")
    assert psql("SELECT count(*) FROM khnet_audit_log a JOIN khnet_accounts r ON r.id = a.target_id "
                "WHERE a.action = 'password_reset' AND r.email = '%s'" % email) == "1"


def t_password_reset_bad_inputs():
    h = server_addr()  # the harness's server, default settings
    for body, code, field in [(None, "missing_field", "body"), ({}, "missing_field", "email"),
                              ({"email": 1}, "invalid_type", "email"),
                              ({"email": "not-an-email"}, "invalid_value", "email"),
                              ({"email": "a" * 260 + "@x.org"}, "too_long", "email"),
                              ({"email": "a@x.org", "x": 1}, "unknown_field", "x")]:
        expect(call("POST", "/v1/password-resets", body, addr=h), 400, code, field)
    good = "A" * 43
    for body, code, field in [(None, "missing_field", "body"),
                              ({"new_password": PW}, "missing_field", "token"),
                              ({"token": good}, "missing_field", "new_password"),
                              ({"token": 5, "new_password": PW}, "invalid_type", "token"),
                              ({"token": "short", "new_password": PW}, "invalid_value", "token"),
                              ({"token": good, "new_password": PW}, "invalid_value", "token"),
                              ({"token": good, "new_password": "short"}, "too_short", "new_password"),
                              ({"token": good, "new_password": PW, "email": "x"}, "unknown_field",
                               "email")]:
        try:
            expect(call("POST", "/v1/password-resets/confirm", body, addr=h), 400, code, field)
        except AssertionError as e:
            raise AssertionError("%r: %s" % (body, e)) from None


def main():
    global ADDR
    p, ADDR = start_khnetd(FAST, LOG)
    with stop_at_end(T, p, LOG):
        T.run_all(globals())
    T.finish()


if __name__ == "__main__":
    main()
