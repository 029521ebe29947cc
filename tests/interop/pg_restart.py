"""pg_restart.py — PostgreSQL stops and starts under load.

Needs KHNET_TEST_PGCTL: an executable taking `stop` / `start` for the test
cluster that KHNET_TEST_DATABASE_URL is on.  Without it this test prints
why and exits 77 (CTest: SKIP_RETURN_CODE 77) — it never passes silently.

While several threads hammer GET /v1/info on keep-alive connections:
  stop   -> within ~2 s every /v1/info is 503 db_unavailable, each answered
            within 2 s (a timeout or a dropped connection is a failure);
            the server stays up and /healthz says "degraded";
  start  -> /v1/info is 200 again within 10 s; /healthz back to "ok".
PostgreSQL is always started again (finally).  Prints the measured figures.
"""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from rawhttp import (JSON, Checker, Closed, Conn, once, pgctl, pgctl_from_env,  # noqa: E402
                     pid_alive)

PGCTL = pgctl_from_env("pg_restart")

T = Checker("pg_restart")
PID = int(os.environ["KHNET_SERVER_PID"])
THREADS = 4
REQ_TIMEOUT = 2.0


class Load:
    """THREADS threads, each GET /v1/info in a loop on a keep-alive
    connection; every outcome is recorded as (t_sent, t_done, status, code)
    where status is an int, or "timeout" / "conn" for client-side failures."""

    def __init__(self):
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.log = []
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True)
                        for i in range(THREADS)]

    def record(self, *rec):
        with self.lock:
            self.log.append(rec)

    def run(self, i):
        conn = None
        while not self.stop.is_set():
            t0 = time.monotonic()
            try:
                if conn is None:
                    conn = Conn(timeout=REQ_TIMEOUT)
                r = conn.request("GET", "/v1/info", [("Accept", JSON),
                                                     ("X-Request-Id", "load-%d" % i)],
                                 timeout=REQ_TIMEOUT)
                code = None
                if r.status != 200:
                    try:
                        code = r.error_code()
                    except Exception as e:  # noqa: BLE001 — recorded as a bad body
                        code = "undecodable: %s" % e
                else:
                    d = r.decoded()
                    code = "ok" if d.get("service") == "khnet" and d.get("db_time") else "bad-200"
                self.record(t0, time.monotonic(), r.status, code)
                if (r.header("connection") or "").lower() == "close":
                    conn.close()
                    conn = None
            except OSError as e:  # socket.timeout is an OSError
                kind = "timeout" if "timed out" in str(e) or isinstance(e, TimeoutError) else "conn"
                self.record(t0, time.monotonic(), kind, repr(e))
                if conn:
                    conn.close()
                conn = None
            except Closed as e:
                self.record(t0, time.monotonic(), "conn", str(e)[:100])
                if conn:
                    conn.close()
                conn = None
            time.sleep(0.005)
        if conn:
            conn.close()

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(REQ_TIMEOUT + 3)

    def between(self, a, b):
        with self.lock:
            return [x for x in self.log if a <= x[0] < b]


def healthz_states(n=6):
    """status of n /healthz calls on new connections (they spread over workers)."""
    out = []
    for _ in range(n):
        r = once("GET", "/healthz", [("Accept", JSON)], timeout=REQ_TIMEOUT)
        assert r.status == 200, r
        out.append(r.decoded()["status"])
    return out


def wait_for(pred, timeout, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return None


def summarize(recs):
    s = {}
    for r in recs:
        key = "%s %s" % (r[2], r[3]) if r[2] != 200 else "200"
        s[key] = s.get(key, 0) + 1
    return s


def main():
    load = Load()
    stopped = False
    figures = {}
    try:
        # warm up: every worker has its pool connected
        T.check("before: /healthz ok", lambda: wait_for(
            lambda: all(x == "ok" for x in healthz_states()), 10) or
            (_ for _ in ()).throw(AssertionError("healthz not ok")))
        load.start()
        time.sleep(1.0)
        t_base_end = time.monotonic()
        base = load.between(0, t_base_end)

        def baseline():
            assert len(base) >= 10, "only %d requests in 1 s" % len(base)
            bad = [r for r in base if r[2] != 200 or r[3] != "ok"]
            assert not bad, "non-200 before the stop: %r" % bad[:5]
        T.check("before: /v1/info 200 under load (%d requests)" % len(base), baseline)

        # ---- stop PostgreSQL ----
        t_stop = time.monotonic()
        stopped = True
        figures["pg_ctl stop took"] = pgctl(PGCTL, "stop")
        t_stopped = time.monotonic()

        def first_503():
            for r in sorted(load.between(t_stop, time.monotonic()), key=lambda x: x[1]):
                if r[2] == 503:
                    return r
            return None
        r503 = wait_for(first_503, 2.0 + (t_stopped - t_stop))
        if r503:
            figures["first 503 after stop began (s)"] = round(r503[1] - t_stop, 3)
            figures["first 503 after stop returned (s)"] = round(r503[1] - t_stopped, 3)

        def got_503():
            assert r503, "no 503 within 2 s of PostgreSQL stopping: %r" % summarize(
                load.between(t_stop, time.monotonic()))
            assert r503[3] == "db_unavailable", "first 503 has code %r" % (r503[3],)
            assert r503[1] - t_stopped <= 2.0, r503
        T.check("stop: 503 db_unavailable within 2 s", got_503)

        # from 2 s after the stop on, for 3 s: only 503 db_unavailable, each fast
        time.sleep(max(0.0, t_stopped + 2.0 - time.monotonic()))
        t_win = time.monotonic()

        def degraded():
            st = wait_for(lambda: all(x == "degraded" for x in healthz_states()), 3.0)
            assert st, "healthz never said degraded on every worker: %r" % healthz_states()
            assert pid_alive(PID), "khnetd died"
        T.check("stop: khnetd alive, /healthz 200 with status degraded", degraded)
        time.sleep(max(0.0, t_win + 3.0 - time.monotonic()))
        down = load.between(t_win, time.monotonic())
        figures["requests while down (window of 3 s)"] = len(down)
        figures["outcomes while down"] = summarize(down)

        def down_window():
            assert len(down) >= 10, "only %d requests answered in 3 s: %r" % (
                len(down), summarize(down))
            bad = [r for r in down if r[2] != 503 or r[3] != "db_unavailable"]
            assert not bad, "%d of %d not 503 db_unavailable: %r" % (len(bad), len(down),
                                                                    summarize(bad))
            slow = [r for r in down if r[1] - r[0] > REQ_TIMEOUT]
            assert not slow, "%d answers slower than %.0f s" % (len(slow), REQ_TIMEOUT)
        T.check("stop: every request answered 503 db_unavailable within 2 s (no hangs)",
                down_window)

        # ---- start PostgreSQL ----
        t_start = time.monotonic()
        figures["pg_ctl start took"] = pgctl(PGCTL, "start")
        stopped = False
        t_started = time.monotonic()

        def first_200():
            for r in sorted(load.between(t_started, time.monotonic()), key=lambda x: x[1]):
                if r[2] == 200:
                    return r
            return None
        r200 = wait_for(first_200, 10.0)
        if r200:
            figures["first 200 after start returned (s)"] = round(r200[1] - t_started, 3)
            figures["first 200 after start began (s)"] = round(r200[1] - t_start, 3)

        def recovered():
            assert r200, "no 200 within 10 s of PostgreSQL starting: %r" % summarize(
                load.between(t_started, time.monotonic()))
            assert r200[3] == "ok", r200
        T.check("start: /v1/info 200 again within 10 s", recovered)

        def all_200_soon():
            # after the first 200, every thread's requests succeed within 10 s
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                t = time.monotonic()
                time.sleep(1.0)
                recent = load.between(t, time.monotonic())
                if recent and all(r[2] == 200 for r in recent):
                    figures["all 200 again after start returned (s)"] = round(
                        time.monotonic() - t_started, 3)
                    return
            raise AssertionError("still failures 10 s after the first 200: %r" % summarize(
                load.between(time.monotonic() - 1, time.monotonic())))
        T.check("start: every request 200 again (a full second of only 200s)", all_200_soon)

        def health_ok():
            t0 = time.monotonic()
            st = wait_for(lambda: all(x == "ok" for x in healthz_states()), 10.0)
            assert st, "healthz not back to ok on every worker: %r" % healthz_states()
            figures["healthz ok again after start returned (s)"] = round(
                time.monotonic() - t_started, 3) if st else None
            del t0
        T.check("start: /healthz back to ok", health_ok)
    finally:
        load.finish()
        if stopped:
            try:
                pgctl(PGCTL, "start")
                print("     (PostgreSQL started again in the finally block)")
            except Exception as e:  # noqa: BLE001
                print("     COULD NOT START POSTGRESQL AGAIN: %s" % e)

    everything = load.log
    fails = [r for r in everything if r[2] in ("timeout", "conn")]
    figures["requests in total"] = len(everything)
    figures["outcomes in total"] = summarize(everything)
    figures["client timeouts / dropped connections"] = len(fails)
    figures["slowest answer (s)"] = round(max((r[1] - r[0] for r in everything), default=0), 3)

    def no_client_failures():
        assert not fails, "%d requests timed out (> %.0f s) or lost their connection: %r" % (
            len(fails), REQ_TIMEOUT, fails[:5])
    T.check("no request timed out or lost its connection during the whole run",
            no_client_failures)
    T.check("khnetd alive at the end", lambda: pid_alive(PID) or
            (_ for _ in ()).throw(AssertionError("khnetd died")))

    print("figures:")
    for k, v in figures.items():
        print("  %-45s %s" % (k, v))
    T.finish()


if __name__ == "__main__":
    main()
