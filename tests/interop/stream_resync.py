"""stream_resync.py — the stream's fetch against news it may not have seen
(stream.h: push is a hint, the fetch decides), made deterministic.

A notification can arrive while the hub's fetch for that member is in
flight, for an event committed after the fetch's snapshot: that answer does
not hold the event, and the hub must ask again rather than take the answer
as "caught up".  The LISTEN connection can die with an event written before
it is back: the hub must re-read from the events table, also when a fetch
was in flight across the gap.

To hold a fetch open after its snapshot, this suite's own database wraps
khnet_events_after (the statement the hub's fetch runs) so that it reads its
rows first and then sleeps while a gate row names the member; pg_stat_activity
shows when the fetch is asleep.  The LISTEN connection is killed with
pg_terminate_backend, and the event for the gap is written in the same
transaction, right after the backend is gone.  Runs a khnetd of its own (one
worker, session re-check far away so no timer hides a lost event), started
after the wrapper is in place.
"""

import asyncio
import json
import os
import sys
import tempfile
import time

import msgpack
import websockets

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from rawhttp import Checker, api_call, expect, fast_flags, psql, start_khnetd, stop_all  # noqa: E402

T = Checker("stream_resync")
WORK = tempfile.mkdtemp(prefix="khnet-resync.")
HOLD_S = 2  # how long a gated fetch sleeps after reading its rows
WAIT_S = 5  # an event's deadline: the hold plus room, far below the re-check

WRAP = """
CREATE TABLE resync_gate (account_id bigint PRIMARY KEY);
ALTER FUNCTION khnet_events_after(bigint, bigint, int) RENAME TO resync_events_after_real;
CREATE FUNCTION khnet_events_after(viewer bigint, after_seq bigint, lim int)
    RETURNS TABLE (seq bigint, kind text, payload text, created_at text)
    LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY SELECT * FROM resync_events_after_real(viewer, after_seq, lim);
    IF EXISTS (SELECT 1 FROM resync_gate g WHERE g.account_id = viewer) THEN
        PERFORM pg_sleep(%d);
    END IF;
END $$;
""" % HOLD_S

LISTENERS = ("FROM pg_stat_activity WHERE datname = current_database() "
             "AND query = 'LISTEN khnet_events'")


def member(addr, email):
    pw = "stream resync password"
    uid = expect(api_call("POST", "/v1/accounts", {"email": email, "password": pw}, addr=addr),
                 201)["id"]
    tok = expect(api_call("POST", "/v1/sessions", {"email": email, "password": pw}, addr=addr),
                 201)["token"]
    return uid, tok


def emit_sql(uid, n):
    return ("SELECT khnet_emit(ARRAY[%d]::bigint[], 'message.new', '%s'::jsonb)"
            % (uid, json.dumps({"n": n})))


async def connect(addr, tok):
    ws = await websockets.connect("ws://%s:%d/v1/stream" % addr, max_size=2**22,
                                  extra_headers={"Authorization": "Bearer " + tok})
    ready = msgpack.unpackb(await asyncio.wait_for(ws.recv(), 5), raw=False)
    assert ready["type"] == "ready", ready
    return ws, ready["seq"]


async def expect_events(ws, ns):
    """The next frames are events with payload n for each n in ns, each
    within WAIT_S, then nothing for a moment."""
    for n in ns:
        try:
            ev = msgpack.unpackb(await asyncio.wait_for(ws.recv(), WAIT_S), raw=False)
        except asyncio.TimeoutError:
            raise AssertionError("event n=%d not pushed within %d s" % (n, WAIT_S)) from None
        assert ev["type"] == "event" and ev["payload"] == {"n": n}, (n, ev)
    try:
        extra = await asyncio.wait_for(ws.recv(), 0.3)
        raise AssertionError("stray frame %r" % msgpack.unpackb(extra, raw=False))
    except asyncio.TimeoutError:
        pass


async def hold_fetch(uid, n):
    """Writes event n with the gate closed on uid and waits until the hub's
    fetch has read it and sleeps; then opens the gate for the next fetch."""
    psql("INSERT INTO resync_gate VALUES (%d)" % uid)
    psql(emit_sql(uid, n))
    end = time.monotonic() + 10
    while psql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
               "AND wait_event = 'PgSleep'") == "0":
        assert time.monotonic() < end, "the fetch never reached the gate"
        await asyncio.sleep(0.02)
    psql("DELETE FROM resync_gate")


def listen_pids():
    """The LISTEN backends on this database (ours, and the harness's khnetd's)."""
    return set(psql("SELECT string_agg(pid::text, ',') " + LISTENERS).split(",")) - {""}


def kill_listen_and_emit(uid, n):
    """Ends the LISTEN backends (waiting until they are gone), then writes
    event n in the same transaction: its notification has no listener."""
    old = listen_pids()
    assert old, "no LISTEN connection"
    killed = psql("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) %s; %s"
                  % (LISTENERS, emit_sql(uid, n)))
    assert int(killed.splitlines()[0]) == len(old), (killed, old)
    return old


async def listen_back(old):
    """As many LISTEN backends as before, none of the killed ones."""
    end = time.monotonic() + 10
    while True:
        now = listen_pids()
        if len(now) == len(old) and not now & old:
            return
        assert time.monotonic() < end, "LISTEN did not come back: %r, was %r" % (now, old)
        await asyncio.sleep(0.05)


async def news_during_fetch(uid, ws):
    await hold_fetch(uid, 1)
    psql(emit_sql(uid, 2))  # committed after the held fetch's snapshot
    await expect_events(ws, [1, 2])


async def listen_lost_during_fetch(uid, ws):
    await hold_fetch(uid, 3)
    old = kill_listen_and_emit(uid, 4)
    await expect_events(ws, [3, 4])
    await listen_back(old)


async def listen_lost_idle(uid, ws):
    old = kill_listen_and_emit(uid, 5)
    await expect_events(ws, [5])
    await listen_back(old)
    psql(emit_sql(uid, 6))  # and live again
    await expect_events(ws, [6])


async def main():
    psql(WRAP)
    log = os.path.join(WORK, "khnetd.log")
    p, addr = start_khnetd(fast_flags(1) + ["--stream-check-ms", "3600000"], log)
    cases = [("news arriving while a fetch is in flight is fetched again", news_during_fetch),
             ("LISTEN lost during a fetch, an event written in the gap: pushed",
              listen_lost_during_fetch),
             ("LISTEN lost with no fetch in flight, an event written in the gap: pushed",
              listen_lost_idle)]
    try:
        uid, tok = member(addr, "resync.%d@example.org" % os.getpid())
        for what, fn in cases:
            ws, _ = await connect(addr, tok)
            try:
                await asyncio.wait_for(fn(uid, ws), 40)
                T.ok(what)
            except (AssertionError, OSError, asyncio.TimeoutError,
                    websockets.exceptions.WebSocketException) as e:
                T.fail(what, "%s: %s" % (type(e).__name__, e))
                psql("DELETE FROM resync_gate")  # a failed case leaves nothing to the next
                await asyncio.sleep(HOLD_S)  # (a gated fetch still asleep ends)
            finally:
                await ws.close()
    finally:
        stop_all(T, (p,), log)
    T.finish()


asyncio.run(main())
