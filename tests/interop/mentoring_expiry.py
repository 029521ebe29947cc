"""mentoring_expiry.py — overdue mentoring requests expire on khnetd's timer
(--mentoring-expire-ms, server/api/sweep.c), not only when somebody next
makes a mentoring call (PROTOCOL.md "Mentoring": open items expire).

A khnetd of its own sweeps every 200 ms; the request lifetime is set to one
second in khnet_mentoring_settings.  The mentor watches the WebSocket
stream: the request arrives, then, with no mentoring call from anyone, the
`mentoring.expired` event, within a few seconds; the row is `expired` in
the database and the event is in both sides' GET /v1/events.
"""

import asyncio
import os
import sys
import tempfile
import time

import msgpack
import websockets

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from rawhttp import (Checker, api_call, expect, fast_flags, psql, start_khnetd,  # noqa: E402
                     stop_all)

T = Checker("mentoring_expiry")
PW = "correct horse battery"
WORK = tempfile.mkdtemp(prefix="khnet-expiry.")
LOG = os.path.join(WORK, "khnetd.log")
ADDR = None


def that(what, cond, detail=""):
    """One check from a condition already computed."""
    if cond:
        T.ok(what)
    else:
        T.fail(what, detail)


def call(method, path, body=None, token=None):
    return api_call(method, path, body, token, addr=ADDR, timeout=30)


def member(n, **profile):
    email = "expiry%d@example.org" % n
    uid = expect(call("POST", "/v1/accounts", {"email": email, "password": PW}), 201)["id"]
    tok = expect(call("POST", "/v1/sessions", {"email": email, "password": PW}), 201)["token"]
    body = {"full_name": "Member %d" % n, "languages": ["vi", "en"],
            "time_zone": "Asia/Ho_Chi_Minh", "expertise": ["aquaculture"]}
    body.update(profile)
    expect(call("POST", "/v1/profiles", body, tok), 201)
    return uid, tok


async def frame(ws, timeout):
    return msgpack.unpackb(await asyncio.wait_for(ws.recv(), timeout), raw=False)


async def expires_on_time():
    mentor_id, mentor_tok = member(1, years_experience=20, willing_to_mentor=True,
                                   mentor_capacity=2)
    mentee_id, mentee_tok = member(2, years_experience=1, seeking_mentor=True)
    psql("UPDATE khnet_mentoring_settings SET request_ttl = interval '1 second'")
    ws = await websockets.connect("ws://%s:%d/v1/stream" % ADDR,
                                  extra_headers={"Authorization": "Bearer " + mentor_tok})
    ready = await frame(ws, 5)
    that("stream ready", ready.get("type") == "ready", repr(ready))
    mid = expect(call("POST", "/v1/mentoring/mentorships", {"mentor_id": mentor_id},
                      mentee_tok), 201)["id"]
    t0 = time.monotonic()
    kinds = []
    try:
        while "mentoring.expired" not in kinds and time.monotonic() - t0 < 8:
            ev = await frame(ws, 8)
            if ev.get("type") == "event":
                kinds.append(ev["kind"])
                if ev["kind"] == "mentoring.expired":
                    that("expired event names the request", ev["payload"]["id"] == mid,
                            repr(ev))
                    that("expired event says expired",
                            ev["payload"]["status"] == "expired", repr(ev))
    except asyncio.TimeoutError:
        pass
    waited = time.monotonic() - t0
    await ws.close()
    that("request event first", kinds[:1] == ["mentoring.requested"], repr(kinds))
    that("expired without any mentoring call", "mentoring.expired" in kinds,
            "events %r after %.1f s" % (kinds, waited))
    that("expired within ttl + a few sweeps", waited < 6, "%.1f s" % waited)
    status = psql("SELECT status FROM khnet_mentorships WHERE id = %d" % mid).strip()
    that("row expired", status == "expired", status)
    for who, tok in (("mentor", mentor_tok), ("mentee", mentee_tok)):
        items = expect(call("GET", "/v1/events?after=0&limit=100", None, tok), 200)["items"]
        n = sum(1 for e in items if e["kind"] == "mentoring.expired"
                and e["payload"]["id"] == mid)
        that("%s has one expired event by cursor" % who, n == 1, repr(items))
    print("expiry_after_request_s %.2f s" % waited)


def main():
    global ADDR
    proc, ADDR = start_khnetd(fast_flags(1) + ["--mentoring-expire-ms", "200"], LOG)
    try:
        asyncio.run(expires_on_time())
    except Exception as e:  # a failed expect is a failed check, with the log
        T.fail("expiry", repr(e))
    finally:
        psql("UPDATE khnet_mentoring_settings SET request_ttl = interval '14 days'")
        stop_all(T, [proc], LOG)
    T.finish()


main()
