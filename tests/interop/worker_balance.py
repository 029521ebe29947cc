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


def worker_of(c):
    """The worker answering GET /healthz on connection c."""
    r = c.request("GET", "/healthz")
    assert r.status == 200, r
    return r.decoded()["worker"]


def open_conns(addr, n, workers, counts=None):
    """Opens n connections one at a time; checks the spread after each;
    returns [(conn, worker)] and the per-worker counts."""
    counts = counts if counts is not None else [0] * workers
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
    """khnet_http_connections_open from /metrics (its own connection included)."""
    with Conn(addr) as c:
        r = c.request("GET", "/metrics")
        assert r.status == 200, r
        for line in r.body.decode().splitlines():
            if line.startswith("khnet_http_connections_open "):
                return int(float(line.split()[1]))
    raise AssertionError("no khnet_http_connections_open in /metrics")


def wait_open(addr, want, timeout=5.0):
    """Waits until the server counts `want` open connections besides the
    asking one (closing is seen asynchronously)."""
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
        assert counts == [4, 4], counts
    finally:
        close_all(conns)
    wait_open(server_addr(), 0)


def t_even_on_four_workers():
    wait_open(FOUR, 0)  # start from no connection anywhere
    conns, counts = open_conns(FOUR, 12, 4)
    try:
        assert counts == [3, 3, 3, 3], counts
        # every connection keeps its worker for its next requests
        for c, w in conns:
            assert worker_of(c) == w, "a connection moved from worker %d" % w
    finally:
        close_all(conns)
    wait_open(FOUR, 0)


def t_refill_the_lightest():
    """Closing a worker's connections makes it the one that gets the next."""
    wait_open(FOUR, 0)  # start from no connection anywhere
    conns, counts = open_conns(FOUR, 8, 4)
    try:
        emptied = conns[0][1]
        for c, w in conns:
            if w == emptied:
                c.close()
        wait_open(FOUR, 6)
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
    held, _ = open_conns(FOUR, 3, 4)  # the next connection goes to the fourth worker
    try:
        with Conn(FOUR) as c:
            c.send(build("GET", "/healthz") + build("GET", "/v1/nowhere") +
                   build("GET", "/healthz"))
            a, b, d = c.read_response(), c.read_response(), c.read_response()
            assert (a.status, b.status, d.status) == (200, 404, 200), (a, b, d)
            w = {x for _, x in held}
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
