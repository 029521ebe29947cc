"""messaging_driver.py — the load driver behind tests/bench/messaging (run it
through that script).  Plain asyncio sockets, hand-written HTTP/1.1 and
WebSocket client framing, python3-msgpack for frames: light enough to hold
10,000 streams from one process.

  hold ADDR PID N          sign up members, hold N authenticated streams,
                           print `stream_conns N` and `stream_kib_per_conn K`
                           (khnetd's RSS delta over the held streams)
  push ADDR PAIRS RATE SECS CONC PAIRS_FILE
                           PAIRS direct conversations with the receiver on the
                           stream; RATE msgs/s for SECS s over CONC keep-alive
                           connections -> push_p50_ms, push_p99_ms; then as
                           fast as CONC connections go for SECS s ->
                           send_msgs_per_s; writes "i sender conv" lines to
                           PAIRS_FILE for the pgbench reference.
"""

import asyncio
import base64
import json
import os
import struct
import sys
import time

import msgpack

PW = "bench password 123"


# ---- HTTP ------------------------------------------------------------------

class Http:
    """One keep-alive connection; requests one at a time."""

    def __init__(self, addr):
        self.addr = addr
        self.r = self.w = None

    async def request(self, method, path, body=None, token=None):
        if self.w is None:
            self.r, self.w = await asyncio.open_connection(*self.addr)
        data = json.dumps(body).encode() if body is not None else b""
        head = "%s %s HTTP/1.1\r\nHost: bench\r\nAccept: application/json\r\n" % (method, path)
        if token:
            head += "Authorization: Bearer %s\r\n" % token
        if body is not None:
            head += "Content-Type: application/json\r\nContent-Length: %d\r\n" % len(data)
        self.w.write(head.encode() + b"\r\n" + data)
        raw = await self.r.readuntil(b"\r\n\r\n")
        status = int(raw[9:12])
        length = 0
        for line in raw.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        payload = await self.r.readexactly(length) if length else b""
        return status, (json.loads(payload) if payload else None)


async def members(addr, n, conc=8):
    """n (id, token) pairs, signed up and logged in over conc connections."""
    out = [None] * n
    tag = "%d-%d" % (os.getpid(), int(time.time()))

    async def worker(k):
        h = Http(addr)
        for i in range(k, n, conc):
            cred = {"email": "bench%s-%d@example.org" % (tag, i), "password": PW}
            st, acc = await h.request("POST", "/v1/accounts", cred)
            assert st == 201, (st, acc)
            st, ses = await h.request("POST", "/v1/sessions", cred)
            assert st == 201, (st, ses)
            out[i] = (acc["id"], ses["token"])
        h.w.close()
    await asyncio.gather(*[worker(k) for k in range(conc)])
    return out


# ---- WebSocket -------------------------------------------------------------

async def read_frame(r):
    """(opcode, payload) of one unmasked server frame."""
    b0, b1 = await r.readexactly(2)
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack("!H", await r.readexactly(2))[0]
    elif n == 127:
        n = struct.unpack("!Q", await r.readexactly(8))[0]
    return b0 & 0x0F, await r.readexactly(n)


def client_frame(opcode, payload=b""):
    mask = os.urandom(4)
    body = bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + body


async def open_stream(addr, token):
    r, w = await asyncio.open_connection(*addr)
    key = base64.b64encode(os.urandom(16)).decode()
    w.write(("GET /v1/stream HTTP/1.1\r\nHost: bench\r\nUpgrade: websocket\r\n"
             "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\n"
             "Authorization: Bearer %s\r\n\r\n" % (key, token)).encode())
    head = await r.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head[:100]
    op, payload = await read_frame(r)
    assert op == 2 and msgpack.unpackb(payload)["type"] == "ready", (op, payload)
    return r, w


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


# ---- hold --------------------------------------------------------------------

async def hold(addr, pid, n):
    users = await members(addr, min(n, 500))
    # warm-up: each worker has run an upgrade, a stream query and its hub
    warm = [await open_stream(addr, users[i % len(users)][1]) for i in range(50)]
    for _, w in warm:
        w.close()
    await asyncio.sleep(1.0)
    rss0 = rss_kib(pid)
    sem = asyncio.Semaphore(200)

    async def one(i):
        async with sem:
            return await open_stream(addr, users[i % len(users)][1])
    t0 = time.monotonic()
    conns = await asyncio.gather(*[one(i) for i in range(n)])
    took = time.monotonic() - t0
    await asyncio.sleep(1.0)
    rss1 = rss_kib(pid)
    print("stream_connect_rate %.0f conn/s" % (n / took), flush=True)
    print("stream_conns %d conn" % len(conns), flush=True)
    print("khnetd_rss_before %d KiB" % rss0)
    print("khnetd_rss_held %d KiB" % rss1)
    print("stream_kib_per_conn %.2f KiB" % ((rss1 - rss0) / n), flush=True)
    for _, w in conns:
        w.close()


# ---- push --------------------------------------------------------------------

class Receiver:
    def __init__(self, sent, lat):
        self.sent, self.lat = sent, lat

    async def run(self, r, w):
        while True:
            op, payload = await read_frame(r)
            if op == 9:
                w.write(client_frame(10, payload))
            elif op == 8:
                return
            elif op == 2:
                now = time.monotonic()
                ev = msgpack.unpackb(payload, raw=False)
                if ev.get("kind") == "message.new":
                    t = self.sent.get(ev["payload"]["client_id"])
                    if t is not None:
                        self.lat.append(now - t)


async def setup_pairs(addr, npairs):
    users = await members(addr, 2 * npairs)
    h, pairs = Http(addr), []
    for i in range(npairs):
        (sid, stok), (rid, rtok) = users[2 * i], users[2 * i + 1]
        st, conv = await h.request("POST", "/v1/conversations",
                                   {"type": "direct", "member_id": rid}, stok)
        assert st == 201, (st, conv)
        pairs.append((sid, stok, rtok, conv["id"]))
    h.w.close()
    return pairs


async def paced(addr, pairs, rate, secs, conc, sent):
    """rate msgs/s on a fixed schedule; a late sender does not catch up in a burst
    of its own making (the schedule is global, so lateness shows as latency)."""
    total = int(rate * secs)
    t0 = time.monotonic() + 0.2
    nxt = [0]
    errors = [0]

    async def worker():
        h = Http(addr)
        while True:
            i = nxt[0]
            if i >= total:
                break
            nxt[0] += 1
            delay = t0 + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            sid, stok, _, conv = pairs[i % len(pairs)]
            cid = "p%d" % i
            sent[cid] = time.monotonic()
            st, _ = await h.request("POST", "/v1/conversations/%d/messages" % conv,
                                    {"client_id": cid, "text": "tin nhắn %d" % i}, stok)
            if st != 201:
                errors[0] += 1
        h.w.close()
    await asyncio.gather(*[worker() for _ in range(conc)])
    return total, errors[0], time.monotonic() - t0


async def flat_out(addr, pairs, secs, conc):
    end = time.monotonic() + secs
    done = [0]

    async def worker(k):
        h, i = Http(addr), 0
        while time.monotonic() < end:
            sid, stok, _, conv = pairs[(k + i * conc) % len(pairs)]
            st, _ = await h.request("POST", "/v1/conversations/%d/messages" % conv,
                                    {"client_id": "f%d-%d" % (k, i), "text": "tin nhắn"}, stok)
            assert st == 201, st
            done[0] += 1
            i += 1
        h.w.close()
    t0 = time.monotonic()
    await asyncio.gather(*[worker(k) for k in range(conc)])
    return done[0] / (time.monotonic() - t0)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100.0 * len(xs)))] * 1000.0


async def push(addr, npairs, rate, secs, conc, pairs_file):
    pairs = await setup_pairs(addr, npairs)
    with open(pairs_file, "w") as f:
        for i, (sid, _, _, conv) in enumerate(pairs):
            f.write("%d\t%d\t%d\n" % (i + 1, sid, conv))
    sent, lat = {}, []
    tasks = []
    for _, _, rtok, _ in pairs:
        r, w = await open_stream(addr, rtok)
        tasks.append(asyncio.ensure_future(Receiver(sent, lat).run(r, w)))
    total, errors, took = await paced(addr, pairs, rate, secs, conc, sent)
    await asyncio.sleep(1.0)  # the last pushes
    print("push_sent %d msgs" % total)
    print("push_send_errors %d msgs" % errors)
    print("push_received %d msgs" % len(lat))
    print("push_offered_rate %.0f msgs/s" % (total / took))
    print("push_p50_ms %.2f ms" % pct(lat, 50))
    print("push_p99_ms %.2f ms" % pct(lat, 99), flush=True)
    rate_max = await flat_out(addr, pairs, secs, conc)
    print("send_msgs_per_s %.0f msgs/s" % rate_max, flush=True)
    for t in tasks:
        t.cancel()


def main():
    cmd, host_port = sys.argv[1], sys.argv[2].rsplit(":", 1)
    addr = (host_port[0], int(host_port[1]))
    if cmd == "hold":
        asyncio.run(hold(addr, int(sys.argv[3]), int(sys.argv[4])))
    elif cmd == "push":
        npairs, rate, secs, conc = (int(x) for x in sys.argv[3:7])
        asyncio.run(push(addr, npairs, rate, secs, conc, sys.argv[7]))
    else:
        sys.exit("usage: messaging_driver.py hold|push ...")


if __name__ == "__main__":
    main()
