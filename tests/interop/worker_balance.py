"""worker_balance.py — new connections go to the worker with the fewest open
(server/handoff.h): the kernel's SO_REUSEPORT hash alone often puts two
keep-alive clients on one worker while another idles.

Each connection asks GET /healthz, whose `worker` field names the worker
that answered.  Connections are opened one at a time (each answered before
the next is opened), so the counts the server balances on are settled and
the spread is exact: after every new connection no worker has more than one
connection over another.  By the hash alone, 12 connections on 4 workers
would stay that even about once in a thousand runs.

Servers: the harness's (2 workers) and one of this suite's own (4 workers).
Each server keeps one probe connection open for the whole suite and asks
its /metrics through it: a connection closed after asking would still be
counted on its worker for a moment (closing is asynchronous) and steer the
next connection elsewhere — at load ~12 that failed a spread check.  The
probe's own worker is counted like any connection.
"""

import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from rawhttp import (Checker, Conn, build, fast_flags, log_tail, server_addr,  # noqa: E402
                     start_khnetd, stop_all)

T = Checker("worker_balance")
WORK = tempfile.mkdtemp(prefix="khnet-balance.")
LOG = os.path.join(WORK, "khnetd.log")
FOUR = None  # (host, port) of the 4-worker server
PROBES = {}  # addr -> (Conn, its worker), open for the whole suite


def worker_of(c):
    """The worker answering GET /healthz on connection c."""
    r = c.request("GET", "/healthz")
    assert r.status == 200, r
    return r.decoded()["worker"]


def probe(addr):
    if addr not in PROBES:
        c = Conn(addr)
        PROBES[addr] = (c, worker_of(c))
    return PROBES[addr]


def start_counts(addr, workers):
    """Per-worker counts of what is open besides the suite's new
    connections: the probe."""
    counts = [0] * workers
    counts[probe(addr)[1]] += 1
    return counts


def open_conns(addr, n, workers, counts=None):
    """Opens n connections one at a time; checks the spread after each
    (the probe counted); returns [(conn, worker)] and the per-worker counts."""
    counts = counts if counts is not None else start_counts(addr, workers)
    conns = []
    for i in range(n):
        c = Conn(addr)
        w = worker_of(c)
        counts[w] += 1
        conns.append((c, w))
        assert max(counts) - min(counts) <= 1, \
            "after connection %d the workers hold %r" % (i + 1, counts)
    return conns, counts


def close_all(conns):
    for c, _ in conns:
        c.close()


def open_count(addr):
    """khnet_http_connections_open from /metrics, asked through the probe
    (which it includes)."""
    r = probe(addr)[0].request("GET", "/metrics")
    assert r.status == 200, r
    for line in r.body.decode().splitlines():
        if line.startswith("khnet_http_connections_open "):
            return int(float(line.split()[1]))
    raise AssertionError("no khnet_http_connections_open in /metrics")


def wait_open(addr, want, timeout=5.0):
    """Waits until the server counts `want` open connections besides the
    probe (closing is seen asynchronously)."""
    deadline = time.monotonic() + timeout
    got = None
    while time.monotonic() < deadline:
        got = open_count(addr) - 1
        if got == want:
            return
        time.sleep(0.05)
    raise AssertionError("the server counts %r open connections, not %d" % (got, want))


def t_even_on_two_workers():
    wait_open(server_addr(), 0)  # start from no connection anywhere
    conns, counts = open_conns(server_addr(), 8, 2)
    try:
        assert sorted(counts) == [4, 5], counts  # 8 and the probe
    finally:
        close_all(conns)
    wait_open(server_addr(), 0)


def t_even_on_four_workers():
    wait_open(FOUR, 0)  # start from no connection anywhere
    conns, counts = open_conns(FOUR, 12, 4)
    try:
        assert sorted(counts) == [3, 3, 3, 4], counts  # 12 and the probe
        # every connection keeps its worker for its next requests
        for c, w in conns:
            assert worker_of(c) == w, "a connection moved from worker %d" % w
    finally:
        close_all(conns)
    wait_open(FOUR, 0)


def t_refill_the_lightest():
    """Closing a worker's connections makes it the one that gets the next."""
    wait_open(FOUR, 0)  # start from no connection anywhere
    conns, counts = open_conns(FOUR, 7, 4)  # 8 with the probe: 2 each
    try:
        emptied = next(w for _, w in conns if w != probe(FOUR)[1])
        closed = 0
        for c, w in conns:
            if w == emptied:
                c.close()
                closed += 1
        wait_open(FOUR, 7 - closed)
        counts[emptied] = 0
        more, counts = open_conns(FOUR, 2, 4, counts)
        conns += more
        assert [w for _, w in more] == [emptied, emptied], (emptied, more)
    finally:
        close_all(conns)
    wait_open(FOUR, 0)


def t_bytes_sent_at_once_survive_the_hand_off():
    """Requests pipelined with the connection itself, before any worker took
    it, are all answered, in order, on the same connection."""
    wait_open(FOUR, 0)  # start from no connection anywhere
    held, _ = open_conns(FOUR, 2, 4)  # with the probe, 3: the next goes to the fourth worker
    try:
        with Conn(FOUR) as c:
            c.send(build("GET", "/healthz") + build("GET", "/v1/nowhere") +
                   build("GET", "/healthz"))
            a, b, d = c.read_response(), c.read_response(), c.read_response()
            assert (a.status, b.status, d.status) == (200, 404, 200), (a, b, d)
            w = {x for _, x in held} | {probe(FOUR)[1]}
            assert a.decoded()["worker"] not in w and a.decoded()["worker"] == \
                d.decoded()["worker"], (w, a.decoded(), d.decoded())
    finally:
        close_all(held)
    wait_open(FOUR, 0)


def main():
    global FOUR
    procs = []
    try:
        p, FOUR = start_khnetd(fast_flags(4), LOG)
        procs.append(p)
        T.run_all(globals())
    finally:
        stop_all(T, procs, LOG)
        if T.failed and os.environ.get("KHNET_SERVER_LOG"):
            print(log_tail(os.environ["KHNET_SERVER_LOG"]))
    T.finish()


if __name__ == "__main__":
    main()
