"""accounts.py — accounts, sessions and roles (PROTOCOL.md "Accounts and
sessions") from an independent peer: hand-written HTTP, python3-msgpack
bodies, psql for what only the database can show (audit rows, expiry).

Starts its own khnetd with cheap scrypt and generous rate limits for the
flows, and a second one with tiny limits for the 429 cases; the harness's
server answers one smoke check.
"""

import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from rawhttp import (MSGPACK, Checker, api_call, expect, once, psql,  # noqa: E402
                     fast_flags, server_addr, start_khnetd, stop_at_end,
                     stop_khnetd)

T = Checker("accounts")
DB = os.environ["KHNET_DATABASE_URL"]
WORK = tempfile.mkdtemp(prefix="khnet-accounts.")
LOG = os.path.join(WORK, "khnetd.log")
FAST = fast_flags(1)
ADDR = None
PW = "correct horse battery"


def call(method, path, body=None, token=None, headers=(), addr=None):
    return api_call(method, path, body, token, headers, addr or ADDR)


def register(email, pw=PW):
    r = call("POST", "/v1/accounts", {"email": email, "password": pw})
    expect(r, 201)
    return r.json


def login(email, pw=PW, ua=None):
    r = call("POST", "/v1/sessions", {"email": email, "password": pw},
             headers=[("User-Agent", ua)] if ua else ())
    expect(r, 201)
    return r.json["token"]


# ---- cases ----------------------------------------------------------------------

def t_register_login_me():
    a = register("Thu.Nguyen@Example.org")
    assert a["email"] == "thu.nguyen@example.org" and a["role"] == "member", a
    assert isinstance(a["id"], int)
    r = call("POST", "/v1/sessions", {"email": "THU.nguyen@example.org", "password": PW})
    expect(r, 201)
    tok = r.json["token"]
    assert len(tok) == 43 and r.json["account"]["id"] == a["id"], r.json
    assert r.json["expires_at"].endswith("Z")
    me = call("GET", "/v1/account", token=tok)
    expect(me, 200)
    assert me.json["id"] == a["id"] and me.json["role"] == "member", me.json
    # only the hash is stored
    assert psql("SELECT count(*) FROM khnet_sessions WHERE token_hash = sha256('%s')" % tok) == "1"


def t_wrong_password_and_unknown_email():
    register("wrong@example.org")
    r1 = call("POST", "/v1/sessions", {"email": "wrong@example.org", "password": "not the password"})
    r2 = call("POST", "/v1/sessions", {"email": "nobody@example.org", "password": "not the password"})
    expect(r1, 401, "unauthenticated")
    expect(r2, 401, "unauthenticated")
    assert r1.json["error"]["message"] == r2.json["error"]["message"]


def t_duplicate():
    register("dup@example.org")
    expect(call("POST", "/v1/accounts", {"email": "DUP@example.org", "password": PW}),
           409, "conflict", "email")


def t_logout():
    register("out@example.org")
    t1, t2 = login("out@example.org"), login("out@example.org")
    expect(call("DELETE", "/v1/sessions/current", token=t1), 204)
    expect(call("GET", "/v1/account", token=t1), 401, "unauthenticated")
    r = call("GET", "/v1/account", token=t1)
    assert r.header("www-authenticate") == "Bearer", r.headers
    expect(call("GET", "/v1/account", token=t2), 200)


def t_logout_everywhere():
    register("all@example.org")
    t1, t2 = login("all@example.org"), login("all@example.org")
    expect(call("DELETE", "/v1/sessions", token=t1), 204)
    expect(call("GET", "/v1/account", token=t1), 401, "unauthenticated")
    expect(call("GET", "/v1/account", token=t2), 401, "unauthenticated")


def t_sessions_list_and_revoke():
    register("list@example.org")
    register("other@example.org")
    t1 = login("list@example.org", ua="khnet-test/1.0")
    t2 = login("list@example.org")
    other = login("other@example.org")
    r = call("GET", "/v1/sessions", token=t1)
    expect(r, 200)
    items = r.json["items"]
    assert len(items) == 2, items
    cur = [s for s in items if s["current"]]
    assert len(cur) == 1 and cur[0]["user_agent"] == "khnet-test/1.0", items
    assert all("token" not in s for s in items)
    other_id = [s for s in call("GET", "/v1/sessions", token=other).json["items"]][0]["id"]
    expect(call("DELETE", "/v1/sessions/%d" % other_id, token=t1), 404, "not_found")
    expect(call("GET", "/v1/account", token=other), 200)  # still alive
    expect(call("DELETE", "/v1/sessions/abc", token=t1), 400, "invalid_value", "id")
    t2_id = [s["id"] for s in items if not s["current"]][0]
    expect(call("DELETE", "/v1/sessions/%d" % t2_id, token=t1), 204)
    expect(call("GET", "/v1/account", token=t2), 401, "unauthenticated")
    expect(call("DELETE", "/v1/sessions/%d" % t2_id, token=t1), 404, "not_found")


def t_expired():
    register("exp@example.org")
    tok = login("exp@example.org")
    expect(call("GET", "/v1/account", token=tok), 200)
    psql("UPDATE khnet_sessions SET expires_at = now() - interval '1 second' "
         "WHERE token_hash = sha256('%s')" % tok)
    expect(call("GET", "/v1/account", token=tok), 401, "unauthenticated")


def t_bad_tokens():
    for h in ["", "Bearer", "Bearer short", "Basic abc", "Bearer " + "A" * 43]:
        r = once("GET", "/v1/account", [("Accept", MSGPACK), ("Authorization", h)], addr=ADDR)
        expect(r, 401)
    expect(call("GET", "/v1/account"), 401, "unauthenticated")


def t_password_change():
    register("pw@example.org")
    t1, t2 = login("pw@example.org"), login("pw@example.org")
    expect(call("POST", "/v1/account/password",
                {"current_password": "wrong password!", "new_password": "new password 123"},
                token=t1), 403, "forbidden", "current_password")
    expect(call("POST", "/v1/account/password",
                {"current_password": PW, "new_password": "short"}, token=t1),
           400, "too_short", "new_password")
    expect(call("POST", "/v1/account/password",
                {"current_password": PW, "new_password": "new password 123"}, token=t1), 204)
    expect(call("GET", "/v1/account", token=t1), 200)     # this session stays
    expect(call("GET", "/v1/account", token=t2), 401)     # the others are gone
    expect(call("POST", "/v1/sessions", {"email": "pw@example.org", "password": PW}), 401)
    login("pw@example.org", "new password 123")
    expect(call("POST", "/v1/account/password", {"current_password": PW, "new_password": PW}),
           401, "unauthenticated")


BAD = [  # (body, status, code, field) for both register and login
    (None, 400, "missing_field", "body"),
    ([1, 2], 400, "invalid_body", None),
    ({"password": PW}, 400, "missing_field", "email"),
    ({"email": "x@example.org"}, 400, "missing_field", "password"),
    ({"email": 5, "password": PW}, 400, "invalid_type", "email"),
    ({"email": "x@example.org", "password": 1234567890}, 400, "invalid_type", "password"),
    ({"email": "a" * 250 + "@example.org", "password": PW}, 400, "too_long", "email"),
    ({"email": "not-an-email", "password": PW}, 400, "invalid_value", "email"),
    ({"email": "a@b@example.org", "password": PW}, 400, "invalid_value", "email"),
    ({"email": "x@example.org", "password": "short"}, 400, "too_short", "password"),
    ({"email": "x@example.org", "password": "p" * 201}, 400, "too_long", "password"),
    ({"email": "x@example.org", "password": PW, "role": "admin"}, 400, "unknown_field", "role"),
]


def t_bad_inputs():
    for path in ("/v1/accounts", "/v1/sessions"):
        for body, status, code, field in BAD:
            r = call("POST", path, body)
            try:
                expect(r, status, code, field)
            except AssertionError as e:
                raise AssertionError("%s %r: %s" % (path, body, e)) from None
    expect(call("POST", "/v1/accounts", {"email": "p@example.org", "password": PW},
                headers=[("X-Partner-Key", "no-such-key")]), 400, "invalid_value", "X-Partner-Key")


def t_partner():
    psql("INSERT INTO khnet_partners (name, key_hash) VALUES ('Uni', sha256('pk-uni'))")
    r = call("POST", "/v1/accounts", {"email": "p2@example.org", "password": PW},
             headers=[("X-Partner-Key", "pk-uni")])
    expect(r, 201)
    assert psql("SELECT p.name FROM khnet_accounts a JOIN khnet_partners p ON p.id = a.partner_id "
                "WHERE a.email = 'p2@example.org'") == "Uni"


def admin_token():
    out = subprocess.run([os.environ["KHNETD"], "admin", "create", "--database-url", DB,
                          "--email", "Root@Example.org", "--password", "admin password 1",
                          "--scrypt-n", "1024"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    again = subprocess.run([os.environ["KHNETD"], "admin", "create", "--database-url", DB,
                            "--email", "root@example.org", "--password", "admin password 1"],
                           capture_output=True, text=True)
    assert again.returncode == 1 and "exists" in again.stderr, again
    assert psql("SELECT count(*) FROM khnet_audit_log WHERE action = 'admin_create' "
                "AND actor_id IS NULL") == "1"
    return login("root@example.org", "admin password 1")


def t_roles_and_matrix():
    adm = admin_token()
    m = register("member@example.org")
    mod = register("mod@example.org")
    mtok = login("member@example.org")
    # anonymous
    expect(call("PUT", "/v1/accounts/%d/role" % m["id"], {"role": "admin"}), 401)
    # member, on self and on another
    for target in (m["id"], mod["id"]):
        expect(call("PUT", "/v1/accounts/%d/role" % target, {"role": "admin"}, token=mtok),
               403, "forbidden")
    # admin
    r = call("PUT", "/v1/accounts/%d/role" % mod["id"], {"role": "moderator"}, token=adm)
    expect(r, 200)
    assert r.json["role"] == "moderator" and r.json["previous_role"] == "member", r.json
    audit = psql("SELECT a.actor_id = r.id, detail->>'old_role', detail->>'new_role' "
                 "FROM khnet_audit_log a, khnet_accounts r WHERE a.action = 'role_change' "
                 "AND a.target_id = %d AND r.email = 'root@example.org'" % mod["id"])
    assert audit == "t|member|moderator", audit
    modtok = login("mod@example.org")
    expect(call("GET", "/v1/account", token=modtok), 200)
    expect(call("PUT", "/v1/accounts/%d/role" % m["id"], {"role": "liaison"}, token=modtok),
           403, "forbidden")
    # role is read per request: a demoted token loses its rights at once
    expect(call("PUT", "/v1/accounts/%d/role" % m["id"], {"role": "liaison"}, token=adm), 200)
    expect(call("PUT", "/v1/accounts/999999/role", {"role": "member"}, token=adm), 404, "not_found")
    expect(call("PUT", "/v1/accounts/x/role", {"role": "member"}, token=adm),
           400, "invalid_value", "id")
    expect(call("PUT", "/v1/accounts/%d/role" % m["id"], {"role": "king"}, token=adm),
           400, "invalid_value", "role")
    expect(call("PUT", "/v1/accounts/%d/role" % m["id"], {"role": 1}, token=adm),
           400, "invalid_type", "role")
    expect(call("PUT", "/v1/accounts/%d/role" % m["id"], {}, token=adm),
           400, "missing_field", "role")
    # own/other's for the session endpoints is in t_sessions_list_and_revoke;
    # anonymous on each token endpoint:
    for method, path in [("GET", "/v1/account"), ("POST", "/v1/account/password"),
                         ("GET", "/v1/sessions"), ("DELETE", "/v1/sessions"),
                         ("DELETE", "/v1/sessions/current"), ("DELETE", "/v1/sessions/1")]:
        r = call(method, path, {} if method == "POST" else None)
        expect(r, 401, "unauthenticated")
        assert r.header("www-authenticate") == "Bearer"


def t_rate_limits():
    p, addr = start_khnetd(["--workers", "1", "--scrypt-n", "1024", "--auth-burst-addr", "3",
                            "--auth-burst-email", "2", "--auth-rate-per-min", "1"], LOG)
    try:
        body = {"email": "rl@example.org", "password": "wrong password"}
        codes = [call("POST", "/v1/sessions", body, addr=addr).status for _ in range(3)]
        assert codes == [401, 401, 429], codes  # per e-mail: 2
        r = call("POST", "/v1/sessions", body, addr=addr)
        expect(r, 429, "rate_limited")
        ra = int(r.header("retry-after"))
        assert 1 <= ra <= 60, ra
        # per address: a third distinct e-mail from the same address is refused
        r = call("POST", "/v1/accounts", {"email": "rl2@example.org", "password": PW}, addr=addr)
        expect(r, 429, "rate_limited")
        assert r.header("retry-after")
    finally:
        assert stop_khnetd(p) == 0


def t_rate_limits_across_workers():
    # one set of buckets for the process: 10 attempts on 10 connections,
    # spread by the kernel over 4 workers, get exactly the burst of 3
    p, addr = start_khnetd(["--workers", "4", "--scrypt-n", "1024", "--auth-burst-addr", "3",
                            "--auth-burst-email", "100", "--auth-rate-per-min", "1"], LOG)
    try:
        codes = [call("POST", "/v1/sessions", {"email": "w%d@example.org" % i,
                                               "password": "wrong password"}, addr=addr).status
                 for i in range(10)]
        assert codes == [401] * 3 + [429] * 7, codes
    finally:
        assert stop_khnetd(p) == 0


def t_harness_server():
    r = call("POST", "/v1/accounts", {"email": "h@example.org", "password": PW},
             addr=server_addr())
    expect(r, 201)


def main():
    global ADDR
    T.check("harness khnetd registers", t_harness_server)
    p, ADDR = start_khnetd(FAST, LOG)
    with stop_at_end(T, p, LOG):
        T.run_all(globals(), skip=("t_rate_limits", "t_rate_limits_across_workers",
                                   "t_harness_server"))
        T.check("rate_limits", t_rate_limits)
        T.check("rate_limits_across_workers", t_rate_limits_across_workers)
    T.finish()


if __name__ == "__main__":
    main()
