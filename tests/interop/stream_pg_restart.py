"""stream_pg_restart.py — PostgreSQL stops and starts while stream clients
are connected; no accepted message may be lost or repeated.

Needs KHNET_TEST_PGCTL: an executable taking `stop` / `start` for the test
cluster that KHNET_TEST_DATABASE_URL is on.  Without it this test prints
why and exits 77 (CTest: SKIP_RETURN_CODE 77).  RUN_SERIAL in CMake: it
takes the cluster away from every other suite.

Two khnetd instances of its own; three members of a group listen with
python3-websockets (two on B, one on A) and reconnect with ?after= when
closed, as PROTOCOL.md tells clients to.  Messages are sent before the stop,
during the outage (refused with 503 — any that is accepted must be
delivered too), and after the start (retried with the same client_id until
accepted).  Every member must end with exactly the accepted messages, in
one order, each once; whether the server closed their streams during the
outage or kept them is reported, both are correct.
"""

import asyncio
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from rawhttp import (Checker, fast_flags, pgctl, pgctl_from_env, start_khnetd,  # noqa: E402
                     stop_all)
from stream_lib import Listener, Member, assert_once_in_order, group  # noqa: E402

PGCTL = pgctl_from_env("stream_pg_restart")

T = Checker("stream_pg_restart")
WORK = tempfile.mkdtemp(prefix="khnet-streampg.")
ARGS = fast_flags(2) + ["--stream-check-ms", "500"]


def try_send(member, addr, conv, cid):
    """One attempt; True if accepted (201, or 200 for a retry that had landed)."""
    try:
        r = member.send(addr, conv, cid, "tin " + cid)
    except OSError:
        return False
    if r.status in (200, 201):
        return True
    assert r.status == 503, "send %s: %d %r" % (cid, r.status, r.body[:200])
    return False


def send_until_accepted(member, addr, conv, cid, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if try_send(member, addr, conv, cid):
            return
        time.sleep(0.1)
    raise AssertionError("message %s not accepted within %.0f s of the restart" % (cid, timeout))


async def restart_under_clients(A, B):
    sender, *others = Member(A), Member(A), Member(B), Member(B)
    conv = group(A, sender, others)
    listeners = [await Listener(B if i else A, m).start() for i, m in enumerate(others)]
    accepted = []
    for i in range(10):
        cid = "before-%d" % i
        await asyncio.to_thread(send_until_accepted, sender, A if i % 2 else B, conv, cid, 5)
        accepted.append(cid)
    for lis in listeners:
        await lis.wait_for(lambda l: len(l.messages(conv)) >= 10, what="messages before the stop")

    closes_before = [len(lis.closes) for lis in listeners]
    await asyncio.to_thread(pgctl, PGCTL, "stop")
    try:
        for i in range(3):  # during the outage: refused, unless somehow accepted
            cid = "during-%d" % i
            if await asyncio.to_thread(try_send, sender, B, conv, cid):
                accepted.append(cid)
            await asyncio.sleep(0.3)
    finally:
        await asyncio.to_thread(pgctl, PGCTL, "start")
    t0 = time.monotonic()
    for i in range(10):
        cid = "after-%d" % i
        await asyncio.to_thread(send_until_accepted, sender, B if i % 2 else A, conv, cid)
        accepted.append(cid)
    for lis in listeners:
        await lis.wait_for(lambda l: len(l.messages(conv)) >= len(accepted), timeout=30,
                           what="every accepted message after the restart")
    caught_up = time.monotonic() - t0
    await asyncio.sleep(0.5)  # room for a duplicate to show up
    orders = []
    for lis in listeners:
        got = [m["client_id"] for m in lis.messages(conv)]
        assert sorted(got) == sorted(accepted) and len(got) == len(accepted), \
            "member %d got %r, accepted %r" % (lis.member.id, got, accepted)
        assert [c for c in got if c.startswith("after-")] == \
            [c for c in accepted if c.startswith("after-")], got
        assert_once_in_order(lis)
        orders.append(got)
    assert all(o == orders[0] for o in orders), "members saw different orders: %r" % orders
    closed = [lis.closes[n:] for lis, n in zip(listeners, closes_before)]
    reconnects = [lis.connects - 1 for lis in listeners]
    for lis in listeners:
        await lis.stop()
    return len(accepted), closed, reconnects, caught_up


async def main():
    log = os.path.join(WORK, "khnetd.log")
    pa, A = start_khnetd(ARGS, log)
    pb, B = start_khnetd(ARGS, log)
    what = "PostgreSQL restart under connected stream clients: no message lost or repeated"
    try:
        n, closed, reconnects, secs = await asyncio.wait_for(restart_under_clients(A, B), 50)
        T.ok("%s (%d messages; close codes during the outage %r; reconnects %r; all caught up "
             "%.1f s after the start)" % (what, n, closed, reconnects, secs))
    except (AssertionError, OSError, asyncio.TimeoutError) as e:
        T.fail(what, "%s: %s" % (type(e).__name__, e))
    finally:
        stop_all(T, (pa, pb), log)
    T.finish()


asyncio.run(main())
