"""profiles_lib — what the profiles*.py suites share: a khnetd with cheap
scrypt, msgpack/JSON calls, psql, accounts in each role, seeding.

Lives in lib/ so CTest's interop/*.py glob does not run it as a test.
"""

import json
import os
import subprocess
import tempfile
import urllib.parse

from rawhttp import JSON, MSGPACK, once, pack, start_khnetd, stop_khnetd  # noqa: F401

DB = os.environ["KHNET_DATABASE_URL"]
KHNETD = os.environ["KHNETD"]
PW = "correct horse battery"
FAST = ["--workers", "2", "--scrypt-n", "1024", "--auth-burst-addr", "100000",
        "--auth-burst-email", "100000", "--auth-rate-per-min", "100000"]


class Server:
    """One khnetd for a suite; call() talks to it."""

    def __init__(self, name):
        self.work = tempfile.mkdtemp(prefix="khnet-%s." % name)
        self.log = os.path.join(self.work, "khnetd.log")
        self.proc, self.addr = start_khnetd(FAST, self.log)

    def stop(self):
        return stop_khnetd(self.proc)

    def tail(self):
        with open(self.log, errors="replace") as f:
            return f.read()[-4000:]


S = None  # the suite's Server


def call(method, path, body=None, token=None, headers=(), json_body=False, accept=MSGPACK):
    h = [("Accept", accept)] + list(headers)
    data = b""
    if body is not None:
        if json_body:
            h.append(("Content-Type", JSON))
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
        else:
            h.append(("Content-Type", MSGPACK))
            data = body if isinstance(body, bytes) else pack(body)
    if token:
        h.append(("Authorization", "Bearer " + token))
    r = once(method, path, h, data, addr=S.addr, timeout=60.0)
    r.json = r.decoded() if r.body else None
    return r


def qs(**params):
    return urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})


def psql(sql, db=None):
    return subprocess.run(["psql", db or DB, "-XAtqc", sql], check=True, capture_output=True,
                          text=True).stdout.strip()


def expect(r, status, code=None, field=None):
    assert r.status == status, "status %d, want %d: %r" % (r.status, status, r.body[:400])
    if code:
        err = r.json["error"]
        assert err["code"] == code, "code %r, want %r (%r)" % (err["code"], code, err)
        if field is not None:
            assert err.get("field") == field, "field %r, want %r (%r)" % (
                err.get("field"), field, err)


def register(email, pw=PW):
    r = call("POST", "/v1/accounts", {"email": email, "password": pw})
    expect(r, 201)
    return r.json["id"]


def login(email, pw=PW):
    r = call("POST", "/v1/sessions", {"email": email, "password": pw})
    expect(r, 201)
    return r.json["token"]


def seed(n, s=7):
    out = subprocess.run([KHNETD, "seed", "--profiles", str(n), "--seed", str(s),
                          "--database-url", DB], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


_admin = {}


def admin_token():
    """An admin made on the command line (once per database)."""
    if "tok" not in _admin:
        out = subprocess.run([KHNETD, "admin", "create", "--database-url", DB,
                              "--email", "root@example.org", "--password", "admin password 1",
                              "--scrypt-n", "1024"], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        _admin["tok"] = login("root@example.org", "admin password 1")
        _admin["id"] = int(psql("SELECT id FROM khnet_accounts WHERE email = 'root@example.org'"))
    return _admin["tok"]


def account(email, role="member"):
    """(id, token) of a new account with `role` (set through the admin endpoint)."""
    aid = register(email)
    if role != "member":
        expect(call("PUT", "/v1/accounts/%d/role" % aid, {"role": role}, token=admin_token()),
               200)
    return aid, login(email)
