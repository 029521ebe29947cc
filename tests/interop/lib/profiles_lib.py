"""profiles_lib — what the profiles*.py suites share: a khnetd with cheap
scrypt, msgpack/JSON calls, psql, accounts in each role, seeding.

Lives in lib/ so CTest's interop/*.py glob does not run it as a test.
"""

import contextlib
import os
import subprocess
import tempfile
import urllib.parse

from rawhttp import (JSON, MSGPACK, api_call, expect, fast_flags, psql,  # noqa: F401
                     start_khnetd, stop_at_end)

DB = os.environ["KHNET_DATABASE_URL"]
KHNETD = os.environ["KHNETD"]
PW = "correct horse battery"
FAST = fast_flags(2)


class Server:
    """One khnetd for a suite; call() talks to it."""

    def __init__(self, name):
        self.work = tempfile.mkdtemp(prefix="khnet-%s." % name)
        self.log = os.path.join(self.work, "khnetd.log")
        self.proc, self.addr = start_khnetd(FAST, self.log)


S = None  # the suite's Server


@contextlib.contextmanager
def serving(T, name):
    """S is a new Server for the with block; then the check "khnetd exits 0
    on SIGTERM", and the end of its log printed if any check failed."""
    global S
    S = Server(name)
    with stop_at_end(T, S.proc, S.log, "khnetd exits 0 on SIGTERM"):
        yield S


def call(method, path, body=None, token=None, headers=(), json_body=False, accept=MSGPACK):
    """api_call on the suite's server, with time for the large imports."""
    return api_call(method, path, body, token, headers, addr=S.addr, timeout=60.0,
                    accept=accept, json_body=json_body)


def qs(**params):
    return urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})


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
