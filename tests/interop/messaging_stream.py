"""messaging_stream.py — messages (PROTOCOL.md "Messaging") as seen on the
real-time stream ("Real-time events"), from independent peers:
python3-websockets clients decoding frames with python3-msgpack, sends over
hand-written HTTP.

Runs two khnetd instances of its own on the harness's database, so every
case crosses instances: a message sent through instance A reaches a client
of instance B; a client cut off while messages are being sent catches up
with ?after= and gets each exactly once; a member removed from a group
stops receiving it; and every member of a group sees one and the same
order of messages under concurrent senders, each sender's own in the order
it sent them.  (PostgreSQL restarting under connected clients is
stream_pg_restart.py: it needs KHNET_TEST_PGCTL and runs alone.)
"""

import asyncio
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from rawhttp import Checker, fast_flags, start_khnetd, stop_all  # noqa: E402
from stream_lib import Listener, Member, assert_once_in_order, expect, group  # noqa: E402

T = Checker("messaging_stream")
WORK = tempfile.mkdtemp(prefix="khnet-msgstream.")
ARGS = fast_flags(2)
A = B = None  # the two instances' (host, port)


async def sends(member, addr, conv, cids):
    """Sends one message per client id, in order, from a thread (blocking HTTP)."""
    def go():
        for cid in cids:
            expect(member.send(addr, conv, cid, "văn bản " + cid), 201)
    await asyncio.to_thread(go)


async def across_instances():
    u1, u2 = Member(A), Member(B)
    conv = expect(u1.do(A, "POST", "/v1/conversations", {"type": "direct", "member_id": u2.id}),
                  201)["id"]
    on_b = await Listener(B, u2).start()
    expect(u1.send(A, conv, "x1", "Chào từ Nha Trang"), 201)
    await on_b.wait_for(lambda l: l.messages(conv), what="the message on instance B")
    m = on_b.messages(conv)[0]
    assert m["text"] == "Chào từ Nha Trang" and m["sender_id"] == u1.id, m
    await on_b.stop()
    return u1, u2, conv


async def catch_up_after_disconnect(u1, u2, conv):
    """The connection dies (no close handshake) while a sender is busy; the
    client reconnects with ?after= its last seq and misses nothing."""
    lis = await Listener(B, u2).start()
    cids = ["d%d" % i for i in range(40)]
    sender = asyncio.ensure_future(sends(u1, A, conv, cids))
    await lis.wait_for(lambda l: len(l.messages(conv)) >= 5, what="the first messages")
    lis.drop()  # mid-way: the sender is still going
    await sender
    await lis.wait_for(lambda l: len(l.messages(conv)) >= len(cids) and l.connects >= 2,
                       what="the catch-up")
    await asyncio.sleep(0.3)  # room for a duplicate to show up
    got = [m["client_id"] for m in lis.messages(conv)]
    assert got == cids, "got %r" % got
    assert_once_in_order(lis)
    assert lis.connects == 2, lis.connects
    await lis.stop()

    # disconnected for the whole send: catch-up only
    lis = await Listener(B, u2).start()
    mark = lis.last
    await lis.stop()
    await sends(u1, A, conv, ["away%d" % i for i in range(5)])
    lis = await Listener(A, u2).start(after=mark)
    await lis.wait_for(lambda l: len(l.messages(conv)) >= 5, what="the messages sent while away")
    assert [m["client_id"] for m in lis.messages(conv)] == ["away%d" % i for i in range(5)]
    assert_once_in_order(lis)
    await lis.stop()


async def removed_member_stops():
    o, b, c = Member(A), Member(A), Member(B)
    conv = group(A, o, [b, c])
    lb, lc = await Listener(B, b).start(), await Listener(B, c).start()
    expect(o.send(A, conv, "r1", "trước"), 201)
    await lc.wait_for(lambda l: l.messages(conv), what="r1 at c")
    expect(o.do(A, "DELETE", "/v1/conversations/%d/members/%d" % (conv, c.id)), 204)
    await lc.wait_for(lambda l: any(e["kind"] == "conversation.removed" for e in l.events),
                      what="conversation.removed at c")
    expect(o.send(A, conv, "r2", "sau"), 201)
    expect(o.do(A, "PATCH", "/v1/conversations/%d" % conv, {"title": "Đổi tên"}), 200)
    # b still gets both (so the pipe is not merely slow), c nothing after its removal
    await lb.wait_for(lambda l: len(l.messages(conv)) >= 2 and any(
        e["kind"] == "conversation.updated" for e in l.events), what="r2 and the rename at b")
    await asyncio.sleep(0.5)
    kinds = [e["kind"] for e in lc.events]
    assert kinds[-1] == "conversation.removed", kinds
    assert [m["client_id"] for m in lc.messages(conv)] == ["r1"], lc.messages(conv)
    for lis in (lb, lc):
        assert_once_in_order(lis)
        await lis.stop()


async def concurrent_senders_one_order():
    members = [Member(A if i % 2 else B) for i in range(4)]
    conv = group(A, members[0], members[1:])
    per = 25
    listeners = [await Listener(A if i % 2 else B, m).start() for i, m in enumerate(members)]
    await asyncio.gather(*[sends(m, A if k % 2 == 0 else B, conv,
                                 ["s%d-%02d" % (k, i) for i in range(per)])
                           for k, m in enumerate(members)])
    total = per * len(members)
    for lis in listeners:
        await lis.wait_for(lambda l: len(l.messages(conv)) >= total, what="all messages")
    await asyncio.sleep(0.3)
    orders = []
    for lis in listeners:
        msgs = lis.messages(conv)
        assert len(msgs) == total, len(msgs)
        seqs = [m["seq"] for m in msgs]
        assert seqs == list(range(seqs[0], seqs[0] + total)), "conversation seqs %r" % seqs
        for k in range(len(members)):
            mine = [m["client_id"] for m in msgs if m["client_id"].startswith("s%d-" % k)]
            assert mine == sorted(mine) and len(mine) == per, mine
        assert_once_in_order(lis)
        orders.append([m["id"] for m in msgs])
    assert all(o == orders[0] for o in orders), "members saw different orders"
    for lis in listeners:
        await lis.stop()


async def main():
    global A, B
    log = os.path.join(WORK, "khnetd.log")
    pa, A = start_khnetd(ARGS, log)
    pb, B = start_khnetd(ARGS, log)
    cases = [("a message sent through A reaches a client of B", across_instances),
             ("cut off mid-send, the client catches up with after=: no loss, no duplicate",
              catch_up_after_disconnect),
             ("a member removed from a group stops receiving it", removed_member_stops),
             ("concurrent senders: one order for every member, each sender's own kept",
              concurrent_senders_one_order)]
    try:
        prev = None
        for what, fn in cases:
            try:
                if fn is catch_up_after_disconnect:
                    if prev is None:
                        raise AssertionError("skipped: the first case failed")
                    await asyncio.wait_for(fn(*prev), 40)
                else:
                    res = await asyncio.wait_for(fn(), 40)
                    prev = res if fn is across_instances else prev
                T.ok(what)
            except (AssertionError, OSError, asyncio.TimeoutError) as e:
                T.fail(what, "%s: %s" % (type(e).__name__, e))
    finally:
        stop_all(T, (pa, pb), log)
    T.finish()


asyncio.run(main())
