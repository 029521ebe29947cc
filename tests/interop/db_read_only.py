"""db_read_only.py — a database that refuses writes gives a clear 503, not a
crash (issue 12, Tests; PROTOCOL.md errors `db_read_only`, `db_full`).

`ALTER DATABASE <this test's db> SET default_transaction_read_only = on`,
then every backend of the database is terminated so khnetd's pool opens
fresh connections, which start read-only.  Then:
  writes (register, profile patch, message send) -> 503 db_read_only with
  Retry-After, nothing written; reads (my profile, history, public profile,
  a forum thread page, /v1/info) -> 200 as before; the server stays up.
Switched off again (and backends recycled): the same writes succeed.

Full disk (SQLSTATE 53100 -> 503 db_full) is not exercised: it needs a
tablespace on a small filesystem owned by the cluster's OS user (`khnet`),
and making a loop-back or tmpfs mount needs root in the cluster's mount
namespace, which a test run by an ordinary user (and the shared dev cluster)
does not have.  The mapping is the same code path as 25006 (query.c
refusal_code).

psql runs with PGOPTIONS default_transaction_read_only=off so the test's own
statements (ALTER DATABASE among them) are never refused.
"""

import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from rawhttp import (Checker, api_call, expect, fast_flags, pid_alive, psql,  # noqa: E402
                     start_khnetd, stop_at_end)

T = Checker("db_read_only")
DB = os.environ["KHNET_DATABASE_URL"]
WORK = tempfile.mkdtemp(prefix="khnet-db-read-only.")
LOG = os.path.join(WORK, "khnetd.log")
ADDR = None
PW = "correct horse battery"


def call(method, path, body=None, token=None):
    return api_call(method, path, body, token, addr=ADDR, timeout=15)


def register(email):
    return call("POST", "/v1/accounts", {"email": email, "password": PW})


def session(email):
    return expect(call("POST", "/v1/sessions", {"email": email, "password": PW}), 201)["token"]


def counts():
    return psql("SELECT (SELECT count(*) FROM khnet_accounts) || ' ' ||"
                " (SELECT count(*) FROM khnet_messages) || ' ' ||"
                " (SELECT string_agg(version::text, ',' ORDER BY account_id) FROM khnet_profiles)")


def set_read_only(on):
    """Sets the database default and recycles every other backend of it, then
    waits until khnetd's pool answers a read again on its new connections."""
    dbname = psql("SELECT current_database()")
    psql('ALTER DATABASE "%s" SET default_transaction_read_only = %s'
         % (dbname, "on" if on else "off"))
    psql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
         " WHERE datname = current_database() AND pid <> pg_backend_pid()")
    deadline, good = time.monotonic() + 15, 0
    while time.monotonic() < deadline:
        # five 200s in a row: every pool connection has noticed its backend
        # is gone and reconnected (a stale one answers 503 db_unavailable)
        good = good + 1 if call("GET", "/v1/info").status == 200 else 0
        if good == 5:
            return
        time.sleep(0.1)
    raise AssertionError("no 200 from /v1/info within 15 s after recycling the pool")


def refused(r):
    expect(r, 503, "db_read_only")
    assert r.header("retry-after") == "1", r.header("retry-after")


CTX = {}


def setup():
    CTX["a"] = expect(register("ro-a@example.org"), 201)["id"]
    CTX["b"] = expect(register("ro-b@example.org"), 201)["id"]
    CTX["ta"], CTX["tb"] = session("ro-a@example.org"), session("ro-b@example.org")
    expect(call("POST", "/v1/profiles", {"full_name": "Lê Thị Hoa"}, CTX["ta"]), 201)
    conv = expect(call("POST", "/v1/conversations", {"type": "direct", "member_id": CTX["b"]},
                       CTX["ta"]), 201)["id"]
    CTX["conv"] = conv
    expect(send("ro-0", "trước"), 201)
    cats = expect(call("GET", "/v1/forum/categories"), 200)["items"]
    general = [c["id"] for c in cats if c["slug"] == "general"][0]
    CTX["thread"] = expect(call("POST", "/v1/forum/categories/%d/threads" % general,
                                {"title": "Chỉ đọc", "markdown": "Bài đầu"}, CTX["ta"]),
                           201)["thread"]["id"]
    # sessions last seen long ago: a signed-in read would refresh last_seen_at
    # (a write) unless the session check knows the transaction is read-only
    psql("UPDATE khnet_sessions SET last_seen_at = now() - interval '1 hour'")


def send(cid, text, tok=None):
    return call("POST", "/v1/conversations/%d/messages" % CTX["conv"],
                {"client_id": cid, "text": text}, tok or CTX["ta"])


def patch(version):
    return call("PATCH", "/v1/profiles/me", {"version": version, "city": "Huế"}, CTX["ta"])


def t_1_writes_refused():
    before = counts()
    refused(register("ro-c@example.org"))
    refused(patch(1))
    refused(send("ro-1", "trong lúc chỉ đọc"))
    refused(send("ro-1", "trong lúc chỉ đọc", CTX["ta"]))
    assert counts() == before, (counts(), before)


def t_2a_read_own_profile():
    me = expect(call("GET", "/v1/profiles/me", token=CTX["ta"]), 200)
    assert me["full_name"] == "Lê Thị Hoa" and me["version"] == 1, me


def t_2b_read_history():
    h = expect(call("GET", "/v1/conversations/%d/messages" % CTX["conv"], token=CTX["tb"]), 200)
    assert [m["text"] for m in h["items"]] == ["trước"], h


def t_2c_read_profile_and_lists():
    expect(call("GET", "/v1/profiles/%d" % CTX["a"], token=CTX["tb"]), 200)
    expect(call("GET", "/v1/conversations", token=CTX["ta"]), 200)
    expect(call("GET", "/v1/account", token=CTX["ta"]), 200)
    info = expect(call("GET", "/v1/info"), 200)
    assert info["service"] == "khnet", info


def t_2d_read_thread_page():
    # one statement checks the session (no last_seen_at write when
    # read-only) and reads the page
    path = "/v1/forum/threads/%d/posts" % CTX["thread"]
    page = expect(call("GET", path, token=CTX["tb"]), 200)
    assert [p["markdown"] for p in page["items"]] == ["Bài đầu"], page
    expect(call("GET", path), 200)


def t_3_server_up():
    assert pid_alive(PROC[0].pid), "khnetd died"
    assert expect(call("GET", "/healthz"), 200)


def t_4_writes_again():
    set_read_only(False)
    expect(register("ro-c@example.org"), 201)
    assert expect(patch(1), 200)["version"] == 2
    m = expect(send("ro-1", "trong lúc chỉ đọc"), 201)
    assert m["client_id"] == "ro-1", m
    assert psql("SELECT count(*) FROM khnet_messages WHERE client_id = 'ro-1'") == "1"


PROC = [None]


def main():
    global ADDR
    PROC[0], ADDR = start_khnetd(fast_flags(2), LOG)
    # only for psql: khnetd's libpq must not inherit it (set after the start)
    os.environ["PGOPTIONS"] = "-c default_transaction_read_only=off"
    with stop_at_end(T, PROC[0], LOG):
        if T.check("setup", setup) and T.check("read_only_on", set_read_only, True):
            T.run_all(globals())
    T.finish()


if __name__ == "__main__":
    main()
