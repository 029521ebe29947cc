"""stream_listen_silent.py — the database goes silent under a live stream
without closing anything (a host gone, a hung server, a network dropping
packets): the LISTEN connection must notice and come back, and the stream
must still get every event.

khnetd reaches PostgreSQL through a TCP proxy of our own.  `freeze()` makes
every connection open at that moment stop forwarding in both directions
while its sockets stay open (no FIN, no RST: the kernel keeps answering,
so TCP keepalives would see nothing); connections made afterwards forward
normally.  An event emitted after the freeze (by psql, straight to the
database) reaches khnetd only if it found its LISTEN connection silent,
reconnected and caught up (db_listener_keepalive, on every
--stream-check-ms).  Before that keepalive the stream waited for ever.
"""

import asyncio
import os
import select
import socket
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from rawhttp import Checker, api_call, fast_flags, psql, start_khnetd, stop_all  # noqa: E402

import msgpack  # noqa: E402
import websockets  # noqa: E402

T = Checker("stream_listen_silent")
WORK = tempfile.mkdtemp(prefix="khnet-silent.")
LOG = os.path.join(WORK, "khnetd.log")
DB = os.environ["KHNET_DATABASE_URL"]


class FreezingProxy:
    """Forwards 127.0.0.1:<port> to the database; see freeze()."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(64)
        self.port = self.lsock.getsockname()[1]
        self.pairs = []  # [client, server, frozen]
        self.lock = threading.Lock()
        self.done = False
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def accept_loop(self):
        while not self.done:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            s = socket.create_connection(self.upstream)
            pair = [c, s, False]
            with self.lock:
                self.pairs.append(pair)
            threading.Thread(target=self.pump, args=(pair,), daemon=True).start()

    def pump(self, pair):
        c, s = pair[0], pair[1]
        while not self.done:
            if pair[2]:
                time.sleep(0.05)  # frozen: read nothing, send nothing, close nothing
                continue
            r, _, _ = select.select([c, s], [], [], 0.05)
            for src in r:
                dst = s if src is c else c
                try:
                    data = src.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    c.close()
                    s.close()
                    return
                dst.sendall(data)

    def freeze(self):
        with self.lock:
            for pair in self.pairs:
                pair[2] = True
            return len(self.pairs)

    def close(self):
        self.done = True
        self.lsock.close()


def member(addr, email):
    pw = "silent test password"
    r = api_call("POST", "/v1/accounts", {"email": email, "password": pw}, addr=addr)
    assert r.status == 201, r.body
    r = api_call("POST", "/v1/sessions", {"email": email, "password": pw}, addr=addr)
    assert r.status == 201, r.body
    return r.json["account"]["id"], r.json["token"]


def emit(account, n):
    psql("SELECT khnet_emit(ARRAY[%d]::bigint[], 'message.new', '{\"n\": %d}'::jsonb)"
         % (account, n))


async def recv_frame(ws, timeout):
    return msgpack.unpackb(await asyncio.wait_for(ws.recv(), timeout), raw=False)


def log_has(text):
    with open(LOG, "rb") as f:
        return text.encode() in f.read()


async def silent_database(addr, proxy):
    uid, tok = member(addr, "silent@example.org")
    ws = await websockets.connect("ws://%s:%d/v1/stream" % addr,
                                  extra_headers={"Authorization": "Bearer " + tok})
    assert (await recv_frame(ws, 5))["type"] == "ready"
    emit(uid, 1)
    ev = await recv_frame(ws, 10)
    assert ev["seq"] == 1 and ev["payload"] == {"n": 1}, ev
    T.ok("an event arrives through the proxy")

    frozen = proxy.freeze()
    assert frozen >= 2, frozen  # the LISTEN connection and the pool's
    t0 = time.monotonic()
    emit(uid, 2)  # straight to the database: only a new LISTEN can hear of it
    ev = await recv_frame(ws, 30)
    took = time.monotonic() - t0
    assert ev["seq"] == 2 and ev["payload"] == {"n": 2}, ev
    assert log_has("no answer to a keepalive"), "reconnected for another reason"
    T.ok("after the database went silent (%d connections frozen) the next event "
         "arrived in %.1f s" % (frozen, took))
    emit(uid, 3)
    ev = await recv_frame(ws, 10)
    assert ev["seq"] == 3, ev
    try:
        extra = await recv_frame(ws, 0.5)
        raise AssertionError("duplicate or stray frame: %r" % extra)
    except asyncio.TimeoutError:
        pass
    T.ok("live again, each event once")
    await ws.close()


async def main():
    u = urllib.parse.urlsplit(DB)
    proxy = FreezingProxy((u.hostname, u.port or 5432))
    via = u._replace(netloc="%s@127.0.0.1:%d" % (u.username, proxy.port)).geturl()
    # one worker: one LISTEN connection; short timeouts so the pool's own
    # stall detection (for its frozen connections) does not set the pace
    p, addr = start_khnetd(fast_flags(1) + ["--database-url", via, "--stream-check-ms", "300",
                                            "--statement-timeout", "1000"], LOG)
    try:
        await silent_database(addr, proxy)
    except AssertionError as e:
        T.fail("silent_database", str(e))
    finally:
        stop_all(T, (p,), LOG)
        proxy.close()
    T.finish()


asyncio.run(main())
