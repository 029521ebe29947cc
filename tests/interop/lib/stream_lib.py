"""stream_lib — helpers for the interop suites that watch messages arrive on
GET /v1/stream: members over hand-written HTTP, and a Listener that keeps a
python3-websockets connection open, decodes frames with python3-msgpack and,
when the connection drops, reconnects with ?after=<last seq> the way
PROTOCOL.md tells clients to.  Lives in lib/ so CTest does not run it.
"""

import asyncio
import os

import msgpack
import websockets

from rawhttp import api_call, expect

PW = "stream test password"
_N = [0]


def call(addr, method, path, body=None, token=None, timeout=15):
    """api_call on instance addr."""
    return api_call(method, path, body, token, addr=addr, timeout=timeout)


class Member:
    """An account with a session, signed up through addr."""

    def __init__(self, addr, tag="ms"):
        _N[0] += 1
        email = "%s%d.%d@example.org" % (tag, _N[0], os.getpid())
        self.id = expect(call(addr, "POST", "/v1/accounts", {"email": email, "password": PW}),
                         201)["id"]
        self.token = expect(call(addr, "POST", "/v1/sessions", {"email": email, "password": PW}),
                            201)["token"]

    def do(self, addr, method, path, body=None):
        return call(addr, method, path, body, self.token)

    def send(self, addr, conv, cid, text):
        return self.do(addr, "POST", "/v1/conversations/%d/messages" % conv,
                       {"client_id": cid, "text": text})


def group(addr, owner, members, title="Nhóm Khánh Hòa"):
    return expect(owner.do(addr, "POST", "/v1/conversations", {
        "type": "group", "title": title, "member_ids": [m.id for m in members]}), 201)["id"]


class Listener:
    """One member's stream on one instance.  events: every event frame
    received, in arrival order, duplicates included (the tests look for
    them); closes: close codes seen; connects: successful upgrades."""

    def __init__(self, addr, member):
        self.addr, self.member = addr, member
        self.events, self.closes, self.connects = [], [], 0
        self.last = None  # newest seq seen (ready or event)
        self.ws = None
        self.task = None
        self.changed = asyncio.Event()
        self.stopping = False

    async def start(self, after=None):
        """Connects and waits for the ready frame; then reads in the background."""
        self.last = after
        await self._connect()
        self.task = asyncio.ensure_future(self._run())
        return self

    async def _connect(self):
        q = "" if self.last is None else "?after=%d" % self.last
        self.ws = await websockets.connect(
            "ws://%s:%d/v1/stream%s" % (self.addr[0], self.addr[1], q),
            extra_headers={"Authorization": "Bearer " + self.member.token}, max_size=2**22,
            open_timeout=5, close_timeout=2)
        ready = msgpack.unpackb(await asyncio.wait_for(self.ws.recv(), 5), raw=False)
        assert ready["type"] == "ready", ready
        if self.last is None:
            self.last = ready["seq"]
        assert ready["seq"] == self.last, (ready, self.last)
        self.connects += 1

    async def _run(self):
        while not self.stopping:
            try:
                async for m in self.ws:
                    assert isinstance(m, bytes), "text frame %r" % m
                    ev = msgpack.unpackb(m, raw=False)
                    assert ev["type"] == "event", ev
                    self.events.append(ev)
                    self.last = max(self.last, ev["seq"])
                    self.changed.set()
                self.closes.append(self.ws.close_code)
            except websockets.exceptions.ConnectionClosed as e:
                self.closes.append(e.code)
            if self.stopping:
                return
            await self._reconnect()

    async def _reconnect(self):
        delay = 0.05
        while not self.stopping:
            try:
                await self._connect()
                return
            except (OSError, asyncio.TimeoutError, websockets.exceptions.WebSocketException):
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)

    def messages(self, conv):
        """Payloads of message.new events of conversation conv, in arrival order."""
        return [e["payload"] for e in self.events
                if e["kind"] == "message.new" and e["payload"]["conversation_id"] == conv]

    async def wait_for(self, pred, timeout=10.0, what="events"):
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while not pred(self):
            left = end - loop.time()
            if left <= 0:
                raise AssertionError("timed out waiting for %s (member %d has %d events)"
                                     % (what, self.member.id, len(self.events)))
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except asyncio.TimeoutError:
                pass

    def drop(self):
        """Cuts the TCP connection without a close handshake (a lost network)."""
        self.ws.transport.abort()

    async def stop(self):
        self.stopping = True
        if self.ws:
            await self.ws.close()
        if self.task:
            try:
                await asyncio.wait_for(self.task, 5)
            except asyncio.TimeoutError:
                self.task.cancel()


def assert_once_in_order(listener):
    """Seqs strictly increasing: nothing twice, nothing out of order."""
    seqs = [e["seq"] for e in listener.events]
    assert seqs == sorted(set(seqs)), "member %d got seqs %r" % (listener.member.id, seqs)
