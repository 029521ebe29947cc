"""crash_safety.py — no acknowledged write is lost and none is doubled when a
khnetd is killed, or PostgreSQL restarted, under load (issue 12, Tests).

Two khnetd (--trusted-proxies 127.0.0.1) on this test's database behind
HAProxy with deploy/haproxy.cfg.  Two tests/load/crash_load drivers (the
public libkhnet) send messages with client ids into one conversation and
retry each unacknowledged send with the same client id.  Mid-load khnetd #1
gets SIGKILL and is started again on its port.  Then, in PostgreSQL: every
acknowledged client id is there exactly once, every retried one at most
once, and no client id of the run is there twice.  Prints the figures:
requests failed during the outage, recovery time (the longest stretch
without an acknowledgement), acknowledged writes lost, duplicates.

With KHNET_TEST_PGCTL (deploy/dev test only; never against the shared dev
cluster) the same load runs again while PostgreSQL is stopped and started;
the same checks.  Without it that part says so (it is not counted as passed).
RUN_SERIAL in tests/CMakeLists.txt: it may stop the cluster.
"""

import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from rawhttp import (Checker, api_call, expect, fast_flags, free_port, pgctl,  # noqa: E402
                     psql, stop_all, wait_healthy)

T = Checker("crash_safety")
WORK = tempfile.mkdtemp(prefix="khnet-crash.")
LOG = os.path.join(WORK, "khnetd.log")
SRC = os.environ["KHNET_SOURCE_DIR"]
LOAD = os.environ["KHNET_CRASH_LOAD"]
PW = "correct horse battery"
SECONDS = 10


def start_backend(port):
    log = open(LOG, "ab")
    p = subprocess.Popen([os.environ["KHNETD"], "--listen", "127.0.0.1:%d" % port,
                          "--database-url", os.environ["KHNET_DATABASE_URL"],
                          "--trusted-proxies", "127.0.0.1"] + fast_flags(2),
                         stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    log.close()
    wait_healthy(("127.0.0.1", port), 15.0, p)
    return p


def start_haproxy(b1, b2):
    port, tls_port = free_port(), free_port()
    subprocess.run([os.path.join(SRC, "deploy", "tls-dev-ca"), os.path.join(WORK, "tls"),
                    "IP:127.0.0.1"], check=True, capture_output=True)
    env = dict(os.environ, KHNET_HAPROXY_BIND="127.0.0.1:%d" % port,
               KHNET_HAPROXY_TLS_BIND="127.0.0.1:%d" % tls_port,
               KHNET_TLS_CERT=os.path.join(WORK, "tls", "server.pem"),
               KHNET_HAPROXY_MAXCONN="1000", KHNET_BACKEND1="127.0.0.1:%d" % b1,
               KHNET_BACKEND2="127.0.0.1:%d" % b2, KHNET_BACKEND3="127.0.0.1:%d" % b2)
    log = open(os.path.join(WORK, "haproxy.log"), "ab")
    p = subprocess.Popen(["haproxy", "-db", "-f", os.path.join(SRC, "deploy", "haproxy.cfg")],
                         env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    log.close()
    wait_healthy(("127.0.0.1", port), 10.0, p)
    return p, ("127.0.0.1", port)


def setup(addr):
    ids, toks = [], []
    for who in ("a", "b"):
        email = "crash-%s@example.org" % who
        ids.append(expect(api_call("POST", "/v1/accounts", {"email": email, "password": PW},
                                   addr=addr, timeout=15), 201)["id"])
        toks.append(expect(api_call("POST", "/v1/sessions", {"email": email, "password": PW},
                                    addr=addr, timeout=15), 201)["token"])
    conv = expect(api_call("POST", "/v1/conversations", {"type": "direct", "member_id": ids[1]},
                           toks[0], addr=addr, timeout=15), 201)["id"]
    return toks, conv


def run_load(addr, toks, conv, tag, fault):
    """Two drivers for SECONDS; fault() runs in between; returns
    (acks: {cid: t_ms}, fails: [(cid, t_ms)], driver exit codes, fault's result)."""
    url = "http://%s:%d" % addr
    drivers = [subprocess.Popen([LOAD, url, toks[i], str(conv), "%s%d" % (tag, i), str(SECONDS)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for i in range(2)]
    t0 = time.monotonic()
    time.sleep(2.0)
    figures = fault()
    acks, fails, rcs = {}, [], []
    for d in drivers:
        out, err = d.communicate(timeout=120)
        rcs.append((d.returncode, err[-300:]))
        for line in out.splitlines():
            f = line.split()
            if f[0] == "ack":
                acks[f[1]] = int(f[3])
            elif f[0] == "fail":
                fails.append((f[1], int(f[2])))
    figures["fault_at_ms"] = round(figures.pop("t_fault") - t0, 3) * 1000
    return acks, fails, rcs, figures


def verify(what, tag, acks, fails, rcs):
    rows = psql("SELECT client_id || ' ' || count(*) FROM khnet_messages"
                " WHERE client_id LIKE '%s%%' GROUP BY client_id" % tag)
    stored = dict((r.split()[0], int(r.split()[1])) for r in rows.splitlines() if r)
    lost = [c for c in acks if stored.get(c, 0) == 0]
    dups = [c for c, n in stored.items() if n > 1]
    retried = set(c for c, _ in fails)
    times = sorted(acks.values())
    gap = max((b - a for a, b in zip(times, times[1:])), default=0)
    print("%s: %d acknowledged, %d failed attempts (requests during the outage), "
          "%d client ids retried, recovery %d ms (longest stretch without an ack), "
          "acknowledged writes lost %d, duplicates %d"
          % (what, len(acks), len(fails), len(retried), gap, len(lost), len(dups)), flush=True)

    def check():
        assert all(rc == 0 for rc, _ in rcs), rcs
        assert len(acks) > 50, "only %d writes acknowledged" % len(acks)
        assert not lost, "acknowledged but not stored: %r" % lost[:10]
        assert not dups, "stored more than once: %r" % dups[:10]
        assert all(stored.get(c, 0) <= 1 for c in retried)
        assert set(stored) <= set(acks) | retried, set(stored) - set(acks)
    T.check(what, check)
    return len(fails)


def kill_one(procs, port):
    def fault():
        t = time.monotonic()
        procs[0].kill()
        procs[0].wait()
        time.sleep(1.0)
        procs[0] = start_backend(port)
        return {"t_fault": t}
    return fault


def main():
    ports = [free_port(), free_port()]
    procs = [start_backend(p) for p in ports]
    hap, addr = start_haproxy(*ports)
    try:
        toks, conv = setup(addr)
        acks, fails, rcs, fig = run_load(addr, toks, conv, "k", kill_one(procs, ports[0]))
        print("kill -9 at %d ms of the load" % fig["fault_at_ms"])
        n = verify("kill_9_khnetd", "k", acks, fails, rcs)

        def outage_was_felt():
            assert n > 0, "no request failed: the kill did not hit the load"
        T.check("outage_was_felt", outage_was_felt)
        pg = os.environ.get("KHNET_TEST_PGCTL")
        if pg:
            def restart_pg():
                t = time.monotonic()
                pgctl(pg, "stop")
                time.sleep(1.0)
                pgctl(pg, "start")
                return {"t_fault": t}
            acks, fails, rcs, fig = run_load(addr, toks, conv, "p", restart_pg)
            print("PostgreSQL stopped at %d ms of the load" % fig["fault_at_ms"])
            verify("postgresql_restart", "p", acks, fails, rcs)
        else:
            print("crash_safety: KHNET_TEST_PGCTL is not set: the PostgreSQL restart part "
                  "did not run (deploy/dev test runs it)")
    finally:
        hap.terminate()
        hap.wait()
        stop_all(T, procs, LOG)
    T.finish()


if __name__ == "__main__":
    main()
