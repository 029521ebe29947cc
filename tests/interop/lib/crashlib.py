"""crashlib — what the crash-safety suites share (issue 12, Tests):
crash_safety.py (kill -9 a khnetd) and crash_safety_pg.py (PostgreSQL
stopped and started).

The deployment is the documented one: two khnetd (--trusted-proxies
127.0.0.1) on the suite's database behind HAProxy running
deploy/haproxy.cfg itself, its ${VAR-default} variables set to this
test's addresses.  Two tests/load/crash_load drivers (the public libkhnet),
each signed in as its own member, write messages, profile edits and forum
posts and retry every unacknowledged write with the same client id,
Idempotency-Key or profile version (see crash_load.c).

What "exactly once" means, per kind, checked in PostgreSQL afterwards:
  message  its client id is stored once (acknowledged: exactly once;
           retried: at most once; no client id of the run twice);
  post     its text (unique per write, also its Idempotency-Key) is in the
           thread once, the same way;
  edit     each sets the headline to its own id under the version the
           previous acknowledged edit returned; PATCH adds 1 to the version
           in the statement that applies it, so the edits applied are the
           final version minus the version before the run.  Acknowledged
           edits must have returned versions v0+1, v0+2, ... without a gap,
           the stored profile must be the last acknowledged one (version and
           headline: nothing acknowledged lost), and applied must equal
           acknowledged (an edit applied twice would take a version more).
"""

import os
import subprocess
import tempfile
import time

from rawhttp import api_call, expect, fast_flags, free_port, psql, stop_all, wait_healthy

PW = "correct horse battery"
SECONDS = 10


class Deployment:
    """HAProxy (deploy/haproxy.cfg) in front of two khnetd."""

    def __init__(self, T):
        self.T = T
        self.work = tempfile.mkdtemp(prefix="khnet-crash.")
        self.log = os.path.join(self.work, "khnetd.log")
        self.src = os.environ["KHNET_SOURCE_DIR"]
        self.ports = [free_port(), free_port()]
        self.procs = [self.start_backend(p) for p in self.ports]
        self.hap, self.addr = self.start_haproxy()

    def start_backend(self, port):
        log = open(self.log, "ab")
        p = subprocess.Popen([os.environ["KHNETD"], "--listen", "127.0.0.1:%d" % port,
                              "--database-url", os.environ["KHNET_DATABASE_URL"],
                              "--trusted-proxies", "127.0.0.1"] + fast_flags(2),
                             stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        wait_healthy(("127.0.0.1", port), 30.0, p)
        return p

    def start_haproxy(self):
        port, tls_port = free_port(), free_port()
        tls = os.path.join(self.work, "tls")
        subprocess.run([os.path.join(self.src, "deploy", "tls-dev-ca"), tls, "IP:127.0.0.1"],
                       check=True, capture_output=True)
        b1, b2 = ("127.0.0.1:%d" % p for p in self.ports)
        # KHNET_BACKEND3 names khnetd2 again: the file lists three servers.
        env = dict(os.environ, KHNET_HAPROXY_BIND="127.0.0.1:%d" % port,
                   KHNET_HAPROXY_TLS_BIND="127.0.0.1:%d" % tls_port,
                   KHNET_TLS_CERT=os.path.join(tls, "server.pem"), KHNET_HAPROXY_MAXCONN="1000",
                   KHNET_BACKEND1=b1, KHNET_BACKEND2=b2, KHNET_BACKEND3=b2)
        log = open(os.path.join(self.work, "haproxy.log"), "ab")
        p = subprocess.Popen(["haproxy", "-db", "-f",
                              os.path.join(self.src, "deploy", "haproxy.cfg")],
                             env=env, stdout=log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL)
        log.close()
        wait_healthy(("127.0.0.1", port), 10.0, p)
        return p, ("127.0.0.1", port)

    def khnetd_of_port(self, port):
        """The index of the khnetd owning the TCP socket whose local port is
        `port` (the client side of a PostgreSQL connection), or None."""
        inodes = set()
        for path in ("/proc/net/tcp", "/proc/net/tcp6"):
            with open(path) as f:
                for line in f.readlines()[1:]:
                    cols = line.split()
                    if int(cols[1].rsplit(":", 1)[1], 16) == port:
                        inodes.add("socket:[%s]" % cols[9])
        for i, p in enumerate(self.procs):
            fds = "/proc/%d/fd" % p.pid
            for fd in os.listdir(fds):
                try:
                    if os.readlink(os.path.join(fds, fd)) in inodes:
                        return i
                except OSError:
                    continue
        return None

    def close(self):
        self.hap.terminate()
        self.hap.wait()
        stop_all(self.T, self.procs, self.log)


# The tables of the rows Gate locks; every write of the load takes a lock
# on one of them (RowShareLock: SELECT ... FOR UPDATE) before its row.
GATED = ("khnet_conversations", "khnet_forum_threads", "khnet_profiles")
HOLD_BACK = "crashlib hold-back"  # application_name of Gate.hold_back()'s sessions


def psql_session(script, appname="crashlib"):
    """A psql process on KHNET_DATABASE_URL running `script` from its stdin
    (left open: the caller writes more, then closes it)."""
    p = subprocess.Popen(["psql", os.environ["KHNET_DATABASE_URL"], "-XAtq",
                          "-v", "ON_ERROR_STOP=1"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True,
                         env=dict(os.environ, PGAPPNAME=appname))
    p.stdin.write(script)
    p.stdin.flush()
    return p


def end_session(p, what):
    """Closes a psql_session's stdin; asserts that psql ran it all."""
    p.stdin.close()
    rc = p.wait(30)
    assert rc == 0, "%s: psql exited %d" % (what, rc)


class Gate:
    """Holds, in a psql session of its own, the row locks every write of
    the load takes (the conversation, the thread, both profiles): writes
    sent meanwhile wait inside PostgreSQL, received but neither committed
    nor answered.  A khnetd killed then leaves them to commit after
    release() with nobody to answer: acknowledgements lost, writes done —
    the case a retry must not double.

    Its retry must come after it, or that case did not happen: a retry
    that writes first leaves the dead session nothing to do (it finds the
    client id stored, the key taken or the version stale) and no retry
    finds its write done.  A retry queued on the row before release()
    stays behind the dead session (row lockers queue on the row's tuple
    lock), but one reaching the row after release() committed and before
    the dead session's backend ran again finds the row unlocked and takes
    it first — on a busy machine, one CI run in ~15.  hold_back() closes
    that window: called while the writes wait, it queues LOCK TABLE ... IN
    EXCLUSIVE MODE on each gated table (a session each).  EXCLUSIVE
    conflicts with the RowShareLock or RowExclusiveLock every write takes
    on its table before it touches the row, and a relation lock is granted
    in queue order, so a write arriving later (any retry) waits behind the
    LOCK TABLE, which waits until the writes already holding the table —
    the dead session's among them — have committed.  Those go on: a
    session holding the table passes a queued conflicting request.  Reads
    (ACCESS SHARE) are never held back."""

    def __init__(self, world):
        self.holds = []
        self.p = psql_session(
            "BEGIN;\n"
            "SELECT 1 FROM khnet_conversations WHERE id = %d FOR UPDATE;\n"
            "SELECT 1 FROM khnet_forum_threads WHERE id = %d FOR UPDATE;\n"
            "SELECT 1 FROM khnet_profiles WHERE account_id IN (%d, %d) FOR UPDATE;\n"
            "\\echo locked\n" % (world["conv"], world["thread"], *world["accounts"]))
        while True:
            line = self.p.stdout.readline()
            assert line, "psql exited before taking the locks"
            if line.strip() == "locked":
                break

    @staticmethod
    def waiting():
        """Client ports of the sessions waiting for a lock in this database
        (hold_back()'s own not counted)."""
        return [int(x) for x in psql("SELECT client_port FROM pg_stat_activity WHERE datname"
                                     " = current_database() AND wait_event_type = 'Lock'"
                                     " AND application_name <> '%s'" % HOLD_BACK).split()]

    def hold_back(self):
        """Queues the LOCK TABLEs (see the class comment) behind the writes
        waiting now; returns once all of them wait in PostgreSQL's queues.
        Writes sent from now on wait until every write that holds a gated
        table now has committed."""
        self.holds = [psql_session("BEGIN;\nLOCK TABLE %s IN EXCLUSIVE MODE;\nCOMMIT;\n" % t,
                                   HOLD_BACK) for t in GATED]
        deadline = time.monotonic() + 10.0
        while int(psql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                       " AND application_name = '%s' AND wait_event_type = 'Lock'"
                       " AND query LIKE 'LOCK TABLE%%'" % HOLD_BACK)) < len(GATED):
            assert time.monotonic() < deadline, "hold_back: the LOCK TABLEs are not queued"
            time.sleep(0.01)

    def release(self):
        """Commits the gate, so the waiting writes go on, and returns once
        the hold-back sessions had their tables (every write that waited
        has committed) and let them go."""
        self.p.stdin.write("COMMIT;\n")
        end_session(self.p, "the gate")
        for h in self.holds:
            end_session(h, "hold_back")


def member(addr, who):
    """A member with a profile, backdated past the forum's trust rule
    window (a new member may post 5 times an hour); (id, token)."""
    email = "crash-%s-%d@example.org" % (who, os.getpid())
    aid = expect(api_call("POST", "/v1/accounts", {"email": email, "password": PW},
                          addr=addr, timeout=15), 201)["id"]
    psql("UPDATE khnet_accounts SET created_at = now() - interval '30 days' WHERE id = %d" % aid)
    tok = expect(api_call("POST", "/v1/sessions", {"email": email, "password": PW},
                          addr=addr, timeout=15), 201)["token"]
    expect(api_call("POST", "/v1/profiles", {"full_name": "Crash %s" % who}, tok, addr=addr,
                    timeout=15), 201)
    return aid, tok


def setup(addr):
    """Two members, their direct conversation and a thread in "general"."""
    (a, ta), (b, tb) = member(addr, "a"), member(addr, "b")
    conv = expect(api_call("POST", "/v1/conversations", {"type": "direct", "member_id": b},
                           ta, addr=addr, timeout=15), 201)["id"]
    cats = expect(api_call("GET", "/v1/forum/categories", addr=addr, timeout=15), 200)["items"]
    general = [c["id"] for c in cats if c["slug"] == "general"][0]
    thread = expect(api_call("POST", "/v1/forum/categories/%d/threads" % general,
                             {"title": "Crash safety", "markdown": "the load's thread"},
                             ta, addr=addr, timeout=15), 201)["thread"]["id"]
    return {"accounts": [a, b], "tokens": [ta, tb], "conv": conv, "thread": thread}


def profile(aid):
    version, headline = psql("SELECT version || '|' || coalesce(headline, '') FROM khnet_profiles"
                             " WHERE account_id = %d" % aid).split("|", 1)
    return int(version), headline


def run_load(addr, world, tag, fault):
    """Two drivers for SECONDS; fault() runs 2 s in and returns (t_fault,
    t_back, figures) in time.monotonic() seconds.  Returns a dict: acks
    {(kind, id): (t_start, t_end, attempts, status, version, found)} (times
    in ms), fails [(kind, id, t_start, t_end, driver)], per-driver ack
    order, exit codes, the fault's times and figures."""
    url = "http://%s:%d" % addr
    before = [profile(a) for a in world["accounts"]]
    load = os.environ["KHNET_CRASH_LOAD"]
    drivers = [subprocess.Popen([load, url, world["tokens"][i], str(world["conv"]),
                                 str(world["thread"]), "%s%d" % (tag, i), str(SECONDS)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for i in range(2)]
    time.sleep(2.0)
    t_fault, t_back, extra = fault()
    run = {"acks": {}, "fails": [], "order": [[], []], "rcs": [], "before": before,
           "t_fault": t_fault * 1000, "t_back": t_back * 1000, "extra": extra}
    for i, d in enumerate(drivers):
        out, err = d.communicate(timeout=SECONDS + 120)
        run["rcs"].append((d.returncode, err[-500:]))
        for line in out.splitlines():
            f = line.split()
            if f[0] == "ack":
                run["acks"][(f[1], f[2])] = tuple(int(x) for x in f[3:9])
                run["order"][i].append((f[1], f[2]))
            elif f[0] == "fail":
                run["fails"].append((f[1], f[2], int(f[3]), int(f[4]), i))
    return run


# Rows per message client id and per post text of a run (tag: the drivers'
# prefix); format arguments: the conversation or thread id, the tag.
STORED = (("msg", "conv", "SELECT client_id || ' ' || count(*) FROM khnet_messages"
                          " WHERE conversation_id = %d AND client_id LIKE '%s%%'"
                          " GROUP BY client_id"),
          ("post", "thread", "SELECT body || ' ' || count(*) FROM khnet_forum_posts"
                             " WHERE thread_id = %d AND body LIKE '%s%%' GROUP BY body"))


def stored_counts(world, tag):
    """{(kind, id): rows} for the messages and posts of this run."""
    out = {}
    for kind, where, sql in STORED:
        for row in psql(sql % (world[where], tag)).splitlines():
            k, n = row.split()
            out[(kind, k)] = int(n)
    return out


def edit_verdict(world, run, i):
    """(acknowledged edits, lost, duplicates, problems) for driver i."""
    v0, _ = run["before"][i]
    edits = [run["acks"][k] for k in run["order"][i] if k[0] == "edit"]
    last = [k for k in run["order"][i] if k[0] == "edit"][-1:]
    version, headline = profile(world["accounts"][i])
    problems = []
    chain = [e[4] for e in edits]
    if chain != list(range(v0 + 1, v0 + 1 + len(edits))):
        problems.append("driver %d: acknowledged versions %r..., not %d, %d, ..."
                        % (i, chain[:5], v0 + 1, v0 + 2))
    lost = 0
    if last and (version, headline) != (edits[-1][4], last[0][1]):
        lost = 1
        problems.append("driver %d: stored (%d, %r), last acknowledged (%d, %r)"
                        % (i, version, headline, edits[-1][4], last[0][1]))
    applied = version - v0
    dups = max(0, applied - len(edits))
    lost += max(0, len(edits) - applied)
    return len(edits), lost, dups, problems


def verify(T, world, run, what, tag, want_found=False):
    """Checks and prints the figures of one run as `name value unit` lines.
    want_found: at least one retry must have found its write done (the
    fault was made to cut acknowledgements of committed writes)."""
    acks, fails = run["acks"], run["fails"]
    stored = stored_counts(world, tag)
    rows = [k for k in acks if k[0] != "edit"]
    lost = [k for k in rows if stored.get(k, 0) == 0]
    dups = [k for k, n in stored.items() if n > 1]
    retried = {(f[0], f[1]) for f in fails}
    strays = [k for k in stored if k not in acks and k not in retried]
    n_edits, e_lost, e_dups, e_problems = 0, 0, 0, []
    for i in (0, 1):
        n, lo, du, pr = edit_verdict(world, run, i)
        n_edits, e_lost, e_dups, e_problems = n_edits + n, e_lost + lo, e_dups + du, e_problems + pr
    t_fault, t_back = run["t_fault"], run["t_back"]
    # attempts in flight at any time of the outage as clients saw it (from
    # the fault until it was over and the last failed attempt ended)
    t_over = max([t_back] + [f[3] for f in fails])
    during = sum(1 for a in acks.values() if a[0] <= t_over and a[1] >= t_fault) + \
        sum(1 for f in fails if f[2] <= t_over and f[3] >= t_fault)
    # writes sent again (a retry of the driver's, or libkhnet's one resend
    # of a keyed request) that found themselves done by a delivery whose
    # answer was lost (crash_load.c: FOUND)
    found = sum(a[5] for a in acks.values())
    figures = [
        ("requests_during_outage", during, "requests"),
        ("failed_attempts", len(fails), "requests"),
        ("writes_retried", len(retried), "writes"),
        ("resent_writes_found_done", found, "writes"),
        ("recovery_time", recovery_ms(run), "ms"),
        ("outage", round(t_back - t_fault), "ms"),
        ("acknowledged_writes", len(rows) + n_edits, "writes"),
        ("acknowledged_messages", sum(1 for k in rows if k[0] == "msg"), "writes"),
        ("acknowledged_posts", sum(1 for k in rows if k[0] == "post"), "writes"),
        ("acknowledged_edits", n_edits, "writes"),
        ("acknowledged_writes_lost", len(lost) + e_lost, "writes"),
        ("duplicates", len(dups) + e_dups, "writes"),
    ] + [(k, v, u) for k, v, u in run["extra"]]
    for name, value, unit in figures:
        print("%s.%s %s %s" % (what, name, value, unit), flush=True)

    def no_write_lost_or_doubled():
        assert all(rc == 0 for rc, _ in run["rcs"]), run["rcs"]
        assert len(rows) + n_edits > 60, "only %d writes acknowledged" % (len(rows) + n_edits)
        kinds = {k[0] for k in rows} | ({"edit"} if n_edits else set())
        assert kinds == {"msg", "edit", "post"}, "acknowledged kinds: %r" % kinds
        assert not lost and not e_lost, "acknowledged but not stored: %r %r" % (lost[:10],
                                                                                e_problems)
        assert not dups and not e_dups, "stored more than once: %r %r" % (dups[:10], e_problems)
        assert all(stored.get(k, 0) <= 1 for k in retried)
        assert not strays, "stored, never sent: %r" % strays[:10]
        assert not e_problems, e_problems
    T.check(what + ": every acknowledged write stored exactly once", no_write_lost_or_doubled)

    def outage_was_felt():
        assert fails, "no request failed: the fault did not reach the load"
        assert all(f[3] >= t_fault for f in fails), "a failure answered before the fault"
        assert found or not want_found, "no resent write met its lost-answer twin"
    T.check(what + ": the outage reached the load", outage_was_felt)


def recovery_ms(run):
    """From the fault until every driver had a write acknowledged after its
    last failed attempt (or, for a driver that saw no failure, after the
    fault): how long until all clients made progress again."""
    t_fault, worst = run["t_fault"], 0
    for i in (0, 1):
        mine = [f[3] for f in run["fails"] if f[4] == i]
        since = max(mine) if mine else t_fault
        later = [run["acks"][k][1] for k in run["order"][i] if run["acks"][k][1] >= since]
        if later:
            worst = max(worst, min(later) - t_fault)
    return round(worst)
