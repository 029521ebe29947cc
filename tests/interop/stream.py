"""stream.py — real-time events (PROTOCOL.md "Real-time events") from
independent peers: python3-websockets for the WebSocket, python3-msgpack for
the frames, hand-written HTTP for the rest, psql to write events the way the
server's own writes do (khnet_emit: the row and pg_notify in one
transaction).

Runs two khnetd instances of its own on the harness's database (fast session
re-checks, a small stream queue), to show push across instances, catch-up
after a disconnect, closing on a revoked or expired session, and a slow
consumer being dropped with 1008 instead of growing the server's memory.
"""

import asyncio
import base64
import os
import socket
import sys
import tempfile
import time

import msgpack
import websockets

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from rawhttp import (Checker, api_call, fast_flags, once, psql, rss_kib,  # noqa: E402
                     start_khnetd, stop_all)

T = Checker("stream")
# Under AddressSanitizer freed memory sits in a quarantine (256 MiB by
# default), which would read as growth in the slow-consumer memory check; a
# small quarantine keeps that check meaningful in the sanitizer build too.
os.environ["ASAN_OPTIONS"] = ":".join(
    x for x in (os.environ.get("ASAN_OPTIONS", ""), "quarantine_size_mb=4") if x)
DB = os.environ["KHNET_DATABASE_URL"]
WORK = tempfile.mkdtemp(prefix="khnet-stream.")
LOG = os.path.join(WORK, "khnetd.log")  # both instances write here
ARGS = fast_flags(2) + ["--stream-check-ms", "200", "--ws-max-queue-bytes", "65536",
                         "--ws-ping-ms", "5000"]
A = B = None  # the two instances' (host, port)


def call(method, path, body=None, token=None, addr=None):
    return api_call(method, path, body, token, addr=addr or A)


def member(email):
    r = call("POST", "/v1/accounts", {"email": email, "password": "stream test password"})
    assert r.status == 201, r.body
    r = call("POST", "/v1/sessions", {"email": email, "password": "stream test password"})
    assert r.status == 201, r.body
    return r.json["account"]["id"], r.json["token"]


def emit(account, kind, payload):
    lit = "'" + msgpack_json(payload).replace("'", "''") + "'"
    psql("SELECT khnet_emit(ARRAY[%d]::bigint[], '%s', %s::jsonb)" % (account, kind, lit))


def msgpack_json(v):
    import json
    return json.dumps(v, ensure_ascii=False)


def ws_url(addr, query=""):
    return "ws://%s:%d/v1/stream%s" % (addr[0], addr[1], query)


async def recv_frame(ws, timeout=5.0):
    m = await asyncio.wait_for(ws.recv(), timeout)
    assert isinstance(m, bytes), "text frame from the server: %r" % m
    return msgpack.unpackb(m, raw=False)


async def connect(addr, token, query="", header=True):
    hdrs = {"Authorization": "Bearer " + token} if header else {}
    return await websockets.connect(ws_url(addr, query), extra_headers=hdrs, max_size=2**22)


# ---- cases -------------------------------------------------------------------

async def push_and_catch_up():
    uid, tok = member("stream-a@example.org")
    ws = await connect(A, tok)
    ready = await recv_frame(ws)
    assert ready == {"type": "ready", "seq": 0}, ready
    emit(uid, "message.new", {"text": "Xin chào Khánh Hòa", "n": 1})
    t0 = time.monotonic()
    ev = await recv_frame(ws)
    latency_ms = (time.monotonic() - t0) * 1000
    assert ev["type"] == "event" and ev["seq"] == 1 and ev["kind"] == "message.new", ev
    assert ev["payload"] == {"text": "Xin chào Khánh Hòa", "n": 1}, ev
    assert ev["at"].endswith("Z"), ev
    await ws.close()
    # while away: three more; reconnect with after=1 gets exactly 2, 3, 4, then live
    for n in (2, 3, 4):
        emit(uid, "message.new", {"n": n})
    ws = await connect(A, tok, "?after=1")
    assert (await recv_frame(ws)) == {"type": "ready", "seq": 1}
    got = [(await recv_frame(ws))["seq"] for _ in range(3)]
    assert got == [2, 3, 4], got
    emit(uid, "message.read", {"n": 5})
    ev = await recv_frame(ws)
    assert ev["seq"] == 5 and ev["kind"] == "message.read", ev
    try:
        extra = await recv_frame(ws, 0.5)
        raise AssertionError("duplicate or stray frame: %r" % extra)
    except asyncio.TimeoutError:
        pass
    await ws.close()
    return uid, tok, latency_ms


async def across_instances(uid, tok):
    """A client of instance B gets an event written while connected to B,
    the write going through A's database session (NOTIFY reaches all)."""
    ws_b = await connect(B, tok)
    start = (await recv_frame(ws_b))["seq"]
    ws_a = await connect(A, tok)
    await recv_frame(ws_a)
    emit(uid, "conversation.updated", {"title": "Hội thảo"})
    eb, ea = await recv_frame(ws_b), await recv_frame(ws_a)
    assert eb["seq"] == start + 1 and ea["seq"] == start + 1, (eb, ea)
    await ws_a.close()
    await ws_b.close()


async def events_endpoint(uid, tok):
    r = call("GET", "/v1/events?after=0&limit=2", token=tok)
    assert r.status == 200, r.body
    items = r.json["items"]
    assert [i["seq"] for i in items] == [1, 2] and r.json["next"] == "2", r.json
    assert items[0]["payload"] == {"text": "Xin chào Khánh Hòa", "n": 1}
    seen, after = [], "0"
    while after is not None:
        r = call("GET", "/v1/events?after=%s&limit=2" % after, token=tok)
        seen += [i["seq"] for i in r.json["items"]]
        after = r.json["next"]
    assert seen == list(range(1, len(seen) + 1)) and len(seen) >= 6, seen
    for q, code, field in (("?after=-1", "invalid_value", "after"),
                           ("?after=x", "invalid_value", "after"),
                           ("?limit=0", "out_of_range", "limit"),
                           ("?limit=501", "out_of_range", "limit")):
        r = call("GET", "/v1/events" + q, token=tok)
        assert r.status == 400 and r.json["error"]["code"] == code, (q, r.status, r.body)
        assert r.json["error"].get("field") == field, (q, r.json)
    r = call("GET", "/v1/events")
    assert r.status == 401, r.status
    # another member sees none of these
    _, tok2 = member("stream-other@example.org")
    r = call("GET", "/v1/events", token=tok2)
    assert r.status == 200 and r.json["items"] == [], r.json


async def bad_upgrades(tok):
    for query, hdr, want in (("", False, 401), ("?after=abc", True, 400)):
        try:
            ws = await connect(A, tok, query, header=hdr)
            await ws.close()
            raise AssertionError("upgrade accepted: %s" % query)
        except websockets.exceptions.InvalidStatusCode as e:
            assert e.status_code == want, (query, e.status_code)
    r = call("GET", "/v1/stream", token=tok)  # plain GET, no upgrade
    assert r.status == 426 and r.json["error"]["code"] == "upgrade_required", r.body
    # browsers: the token in the query string
    ws = await websockets.connect(ws_url(A, "?access_token=" + tok))
    assert (await recv_frame(ws))["type"] == "ready"
    await ws.close()
    r = once("GET", "/v1/stream", [("Upgrade", "websocket"), ("Connection", "Upgrade"),
                                   ("Sec-WebSocket-Version", "8"),
                                   ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
                                   ("Authorization", "Bearer " + tok)], b"", addr=A)
    assert r.status == 426 and r.header("Sec-WebSocket-Version") == "13", r.raw_head


async def session_end_closes_stream():
    for how in ("logout", "expire"):
        uid, tok = member("stream-%s@example.org" % how)
        ws = await connect(A, tok)
        await recv_frame(ws)
        if how == "logout":
            assert call("DELETE", "/v1/sessions/current", token=tok).status == 204
        else:
            psql("UPDATE khnet_sessions SET expires_at = now() WHERE account_id = %d" % uid)
        t0 = time.monotonic()
        try:
            await asyncio.wait_for(ws.recv(), 5)
            raise AssertionError("frame after the session ended")
        except websockets.exceptions.ConnectionClosed as e:
            assert e.code == 4001, (how, e.code)
        assert time.monotonic() - t0 < 3, "closed too late"
        try:
            await connect(A, tok)
            raise AssertionError("dead token upgraded")
        except websockets.exceptions.InvalidStatusCode as e:
            assert e.status_code == 401


async def upgrade_carrying_close(uid, tok):
    """The upgrade request and a close frame in one packet: the connection
    ends inside the upgrade itself (the server answers the close at once).
    That stream never existed for the hub; the member's other stream, open
    meanwhile, must be untouched and keep receiving."""
    ws = await connect(A, tok)
    start = (await recv_frame(ws))["seq"]
    for _ in range(3):
        s = socket.create_connection(A)
        key = base64.b64encode(os.urandom(16)).decode()
        mask = os.urandom(4)
        body = (1000).to_bytes(2, "big")
        close = bytes([0x88, 0x80 | len(body)]) + mask + bytes(
            b ^ mask[i % 4] for i, b in enumerate(body))
        s.sendall(("GET /v1/stream HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                   "Sec-WebSocket-Key: %s\r\nAuthorization: Bearer %s\r\n\r\n"
                   % (key, tok)).encode() + close)
        s.settimeout(5)
        data = b""
        while True:
            chunk = s.recv(1 << 16)
            if not chunk:
                break
            data += chunk
        s.close()
        assert data.startswith(b"HTTP/1.1 101"), data[:100]
        tail = data[data.index(b"\r\n\r\n") + 4:]
        assert tail[:1] == b"\x88", tail  # our close, answered
    emit(uid, "message.new", {"after": "close"})
    ev = await recv_frame(ws)
    assert ev["seq"] == start + 1 and ev["payload"] == {"after": "close"}, ev
    await ws.close()


def slow_consumer(tok, uid, pid):
    """A raw client that upgrades and never reads: the server must drop it
    with 1008 once its queue passes --ws-max-queue-bytes, and stay small."""
    # A small receive buffer (set before connecting: no autotuning), so the
    # events pile up in the server's queue rather than in our kernel.
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(A)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /v1/stream HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
               "Sec-WebSocket-Key: %s\r\nAuthorization: Bearer %s\r\n\r\n" % (key, tok)).encode())
    rss0 = rss_kib(pid)
    # ~4.8 MB of events in one transaction, at a client that reads nothing
    psql("SELECT khnet_emit(ARRAY[%d]::bigint[], 'message.new', "
         "jsonb_build_object('i', i, 'pad', repeat('x', 16000))) "
         "FROM generate_series(1, 300) AS i" % uid)
    # The server says when it drops us; reading must start within its grace
    # for a dropped peer (5 s), or the close frame is cut off with the link.
    deadline = time.monotonic() + 30
    while True:
        with open(LOG, "rb") as f:
            if b"slow consumer dropped" in f.read():
                break
        assert time.monotonic() < deadline, "the server never dropped the slow consumer"
        time.sleep(0.02)
    rss1 = rss_kib(pid)
    data = b""
    s.settimeout(5)
    try:
        while True:
            chunk = s.recv(1 << 16)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    s.close()
    head_end = data.index(b"\r\n\r\n") + 4
    assert data.startswith(b"HTTP/1.1 101"), data[:100]
    frames, p = [], head_end
    while p + 2 <= len(data):  # server frames are unmasked
        op, ln = data[p] & 0x0F, data[p + 1] & 0x7F
        p += 2
        if ln == 126:
            ln = int.from_bytes(data[p:p + 2], "big")
            p += 2
        elif ln == 127:
            ln = int.from_bytes(data[p:p + 8], "big")
            p += 8
        frames.append((op, data[p:p + ln]))
        p += ln
    closes = [f for f in frames if f[0] == 8]
    assert closes, "no close frame; %d frames" % len(frames)
    code = int.from_bytes(closes[0][1][:2], "big")
    assert code == 1008 and b"slow consumer" in closes[0][1], closes[0]
    assert rss1 - rss0 < 32 * 1024, "server grew %d KiB" % (rss1 - rss0)
    return len(frames) - 1, rss1 - rss0


async def main():
    global A, B
    pa, A = start_khnetd(ARGS, LOG)
    pb, B = start_khnetd(ARGS, LOG)
    try:
        uid, tok, ms = await push_and_catch_up()
        T.ok("push, then catch-up with after= (first push %.1f ms)" % ms)
        await across_instances(uid, tok)
        T.ok("an event reaches clients of both instances")
        await events_endpoint(uid, tok)
        T.ok("GET /v1/events pages by seq; bad input 400; others see nothing")
        await bad_upgrades(tok)
        T.ok("upgrade errors: 401, 400, 426 (+ version); ?access_token= works")
        await upgrade_carrying_close(uid, tok)
        T.ok("an upgrade that carries its close frame ends cleanly; other streams untouched")
        await session_end_closes_stream()
        T.ok("logout and expiry close open streams with 4001")
        uid2, tok2 = member("stream-slow@example.org")
        n, grew = slow_consumer(tok2, uid2, pa.pid)
        T.ok("slow consumer dropped with 1008 after %d frames; server grew %d KiB" % (n, grew))
    except AssertionError as e:
        T.fail("stream", str(e))
    finally:
        stop_all(T, (pa, pb), LOG)
    T.finish()


asyncio.run(main())
