"""msgpack_raw.py — khnetd against python3-msgpack over a raw socket.

Every msgpack type and boundary through POST /v1/echo (the echoed `data`
must equal what we sent, type for type, and for canonical input be the same
bytes), keep-alive, pipelining, and JSON-in/msgpack-out negotiation.  HTTP
is written by hand (socket module); msgpack is Debian's python3-msgpack,
never our C codec.  Runs under tests/harness.sh (KHNET_URL).
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import msgpack  # noqa: E402
from rawhttp import (JSON, MSGPACK, Checker, Conn, build, pack, same,  # noqa: E402
                     unpack)

T = Checker("msgpack_raw")
VI = "Nguyễn Thị Minh Thư"

# ---- documents --------------------------------------------------------------

INTS = [
    0, 1, 126, 127,                         # positive fixint
    128, 255,                               # uint8
    256, 65535,                             # uint16
    65536, 2**32 - 1,                       # uint32
    2**32, 2**53 + 1, 2**63 - 1,            # uint64 (as int64 range)
    2**63, 2**64 - 2, 2**64 - 1,            # uint64 beyond int64
    -1, -31, -32,                           # negative fixint
    -33, -128,                              # int8
    -129, -32768,                           # int16
    -32769, -2**31,                         # int32
    -2**31 - 1, -2**53 - 1, -2**63 + 1, -2**63,  # int64
]

FLOATS = [0.0, -0.0, 1.5, -2.25, 0.1, 3.141592653589793, 1e-308, 5e-324,
          1.7976931348623157e308, -1e300, float("inf"), float("-inf"), 123456789.125]

FLOATS32 = [0.0, 1.5, -2.25, 0.1, 3.4028234663852886e38, 1.401298464324817e-45,
            float("inf"), -16777216.0]


def docs():
    """(name, document) pairs; each document is a map."""
    yield "empty map", {}
    yield "ints (every width and boundary)", {"ints": INTS}
    for i, n in enumerate(INTS):
        yield "int %d" % n, {"v": n, "i": i}
    yield "floats (float64)", {"f": FLOATS}
    yield "nil/true/false", {"nil": None, "t": True, "f": False, "list": [None, True, False]}
    yield "str Vietnamese", {"name": VI, VI: VI, "more": "Đây là tiếng Việt có dấu: ă â đ ê ô ơ ư ạ ả ấ ầ ẩ ẫ ậ ắ"}
    yield "str other scripts", {"s": "日本語 ☃ 😀 Ωμέγα עברית", "empty": ""}
    for n in (31, 32, 255, 256, 65535, 65536, 100000):  # fixstr/str8/str16/str32 edges
        yield "str of %d bytes" % n, {"s": ("ư" * (n // 2)) + ("x" * (n % 2))}
    for n in (0, 1, 255, 256, 65535, 65536, 70000):     # bin8/bin16/bin32 edges
        yield "bin of %d bytes" % n, {"b": bytes((i * 7 + 3) & 0xFF for i in range(n))}
    yield "bin with every byte", {"b": bytes(range(256)), VI: b"\x00\xff"}
    for n in (15, 16, 65535, 65536):                      # fixarray/array16/array32
        yield "array of %d" % n, {"a": list(range(n))}
    for n in (15, 16, 70000 // 2):                        # fixmap/map16/map32
        yield "map of %d pairs" % n, {"m%d" % i: i for i in range(n)}
    yield "nested maps and arrays", {
        "a": [[], [[]], [{}], [{"x": [1, [2, [3, {"deep": VI}]]]}]],
        "m": {"m": {"m": {"m": {"k": [None, b"bin", 1.5, -1]}}}},
        "mixed": [1, "two", 3.0, None, True, b"\x04", {"five": 5}, [6]],
    }
    depth15 = {}
    cur = depth15
    for _ in range(14):                                   # the top map + 15 below = 16
        nxt = {}
        cur["d"] = nxt
        cur = nxt
    cur["d"] = [VI]
    yield "nesting at the limit (16)", depth15
    yield "ext types", {
        "fixext1": msgpack.ExtType(1, b"\x01"),
        "fixext2": msgpack.ExtType(2, b"\x01\x02"),
        "fixext4": msgpack.ExtType(3, b"abcd"),
        "fixext8": msgpack.ExtType(4, b"abcdefgh"),
        "fixext16": msgpack.ExtType(5, b"0123456789abcdef"),
        "ext8": msgpack.ExtType(127, b"xyz"),
        "ext16": msgpack.ExtType(100, b"e" * 300),
        "timestamp": msgpack.Timestamp(1795600000, 123000000),
    }


def echo_msgpack(conn, payload, accept=MSGPACK):
    r = conn.request("POST", "/v1/echo", [("Content-Type", MSGPACK), ("Accept", accept)],
                     payload, timeout=10)
    assert r.status == 200, "status %d body %r" % (r.status, r.body[:300])
    assert r.content_type == MSGPACK, r.header("content-type")
    return r


def check_echo(conn, doc, packed=None):
    packed = packed if packed is not None else pack(doc)
    sent = unpack(packed)          # what the server should see (float32 widened etc.)
    r = echo_msgpack(conn, packed)
    got = unpack(r.body)
    assert isinstance(got, dict) and set(got) == {"data", "content_type"}, got
    assert got["content_type"] == MSGPACK, got
    assert same(got["data"], sent), "echo differs:\n sent %r\n got  %r" % (
        repr(sent)[:400], repr(got["data"])[:400])
    # Our packer and msgpack-c both choose the shortest form, so the echoed
    # document should be byte-identical: reply = fixmap(2) "data" <doc> ...
    prefix = b"\x82\xa4data"
    assert r.body.startswith(prefix), r.body[:20]
    echoed = r.body[len(prefix):len(prefix) + len(packed)]
    assert echoed == packed, "echo is equal but not byte-identical: first difference at %d" % (
        next(i for i in range(len(packed)) if echoed[i:i + 1] != packed[i:i + 1]))


def main():
    conn = Conn(timeout=10)

    for name, doc in docs():
        T.check("echo msgpack: %s" % name, check_echo, conn, doc)

    # floats: python packs float64 by default (above); now the float32 forms
    def float32_echo():
        packed = pack({"f": FLOATS32, "one": 0.5}, use_single_float=True)
        assert b"\xca" in packed
        check_echo(conn, None, packed)
    T.check("echo msgpack: float32 (use_single_float) values and width preserved", float32_echo)

    def nan_echo():
        for single in (False, True):
            packed = pack({"nan": float("nan")}, use_single_float=single)
            r = echo_msgpack(conn, packed)
            v = unpack(r.body)["data"]["nan"]
            assert isinstance(v, float) and v != v, v
    T.check("echo msgpack: NaN (float32 and float64) comes back as NaN", nan_echo)

    # Accept: */* with a msgpack body falls back to msgpack; no Accept too
    def fallback():
        for hdrs in ([("Content-Type", MSGPACK), ("Accept", "*/*")], [("Content-Type", MSGPACK)]):
            r = conn.request("POST", "/v1/echo", hdrs, pack({"k": VI}))
            assert r.status == 200 and r.content_type == MSGPACK, r
            assert unpack(r.body)["data"] == {"k": VI}
    T.check("msgpack body + Accept */* or none -> msgpack reply", fallback)

    # JSON request -> msgpack response
    def json_to_msgpack():
        body = ('{"name":"%s","n":9007199254740993,"neg":-1,"f":1.25,"l":[true,false,null],'
                '"o":{"e":{}}}' % VI).encode("utf-8")
        r = conn.request("POST", "/v1/echo", [("Content-Type", JSON), ("Accept", MSGPACK)], body)
        assert r.status == 200, r
        assert r.content_type == MSGPACK, r.header("content-type")
        got = unpack(r.body)
        want = {"name": VI, "n": 9007199254740993, "neg": -1, "f": 1.25,
                "l": [True, False, None], "o": {"e": {}}}
        assert same(got["data"], want), got
        assert got["content_type"] == JSON, got
    T.check("JSON request + Accept: application/msgpack -> msgpack reply", json_to_msgpack)

    def q_values():
        r = conn.request("POST", "/v1/echo",
                         [("Content-Type", MSGPACK),
                          ("Accept", "application/msgpack;q=0.5, application/json;q=0.9")],
                         pack({"k": 1}))
        assert r.status == 200 and r.content_type == JSON, r
        assert r.decoded() == {"data": {"k": 1}, "content_type": MSGPACK}, r
    T.check("msgpack request + Accept preferring JSON by q -> JSON reply", q_values)

    def msgpack_bin_as_json():
        r = conn.request("POST", "/v1/echo", [("Content-Type", MSGPACK), ("Accept", JSON)],
                         pack({"b": b"\x00\x01\xfe\xff"}))
        assert r.status == 200 and r.content_type == JSON, r
        import base64
        b64 = r.decoded()["data"]["b"]
        assert base64.b64decode(b64) == b"\x00\x01\xfe\xff", b64
    T.check("msgpack bin -> JSON base64 string", msgpack_bin_as_json)
    conn.close()

    # keep-alive: 100 requests on one connection
    def keep_alive():
        with Conn(timeout=10) as c:
            for i in range(100):
                if i % 2:
                    r = c.request("GET", "/healthz", [("Accept", MSGPACK)])
                    assert r.status == 200, (i, r)
                    assert unpack(r.body)["status"] in ("ok", "degraded")
                else:
                    r = c.request("POST", "/v1/echo", [("Content-Type", MSGPACK)],
                                  pack({"i": i, "s": VI}))
                    assert r.status == 200, (i, r)
                    assert unpack(r.body)["data"] == {"i": i, "s": VI}, (i, r)
                assert (r.header("connection") or "").lower() != "close", (i, r.raw_head)
    T.check("keep-alive: 100 requests on one connection", keep_alive)

    # pipelining: 50 requests in one sendall, 50 responses in order
    def pipelining():
        with Conn(timeout=15) as c:
            reqs = []
            for i in range(50):
                marker = "p-%03d-%s" % (i, VI)
                if i % 10 == 9:     # a few GETs in between, with their own request id
                    reqs.append(build("GET", "/healthz", [("Accept", MSGPACK),
                                                          ("X-Request-Id", "pipe-%d" % i)]))
                else:
                    reqs.append(build("POST", "/v1/echo",
                                      [("Content-Type", MSGPACK), ("X-Request-Id", "pipe-%d" % i)],
                                      pack({"marker": marker, "i": i})))
            c.send(b"".join(reqs))
            for i in range(50):
                r = c.read_response(timeout=15)
                assert r.status == 200, (i, r)
                assert r.header("x-request-id") == "pipe-%d" % i, (i, r.header("x-request-id"))
                d = unpack(r.body)
                if i % 10 == 9:
                    assert "status" in d, (i, d)
                else:
                    assert d["data"] == {"marker": "p-%03d-%s" % (i, VI), "i": i}, (i, d)
            # and the connection is still usable
            r = c.request("GET", "/healthz", [("Accept", MSGPACK)])
            assert r.status == 200, r
    T.check("pipelining: 50 requests in one write, 50 replies in order", pipelining)

    # pipelined requests that are bigger than one read, split at odd places
    def pipelining_fragmented():
        with Conn(timeout=15) as c:
            big = "ư" * 40000
            reqs = b"".join(build("POST", "/v1/echo", [("Content-Type", MSGPACK)],
                                  pack({"i": i, "big": big})) for i in range(10))
            for k in range(0, len(reqs), 7919):
                c.send(reqs[k:k + 7919])
            for i in range(10):
                r = c.read_response(timeout=15)
                assert r.status == 200, (i, r)
                assert unpack(r.body)["data"] == {"i": i, "big": big}, i
    T.check("pipelining: 10 large requests sent in odd-sized fragments", pipelining_fragmented)

    # chunked request bodies, and Expect: 100-continue
    def chunked():
        with Conn(timeout=10) as c:
            payload = pack({"chunked": VI, "n": list(range(100))})
            parts = [payload[:5], payload[5:6], payload[6:]]
            body = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"
            c.send(build("POST", "/v1/echo", [("Content-Type", MSGPACK),
                                               ("Transfer-Encoding", "chunked")]) + body)
            r = c.read_response()
            assert r.status == 200, r
            assert unpack(r.body)["data"] == unpack(payload), r
    T.check("chunked request body", chunked)

    def expect_continue():
        with Conn(timeout=10) as c:
            payload = pack({"expect": VI})
            c.send(build("POST", "/v1/echo", [("Content-Type", MSGPACK),
                                               ("Content-Length", str(len(payload))),
                                               ("Expect", "100-continue")]))
            c.sock.settimeout(5)
            got = b""
            while b"\r\n\r\n" not in got:
                chunk = c.sock.recv(4096)
                assert chunk, "closed before 100 Continue"
                got += chunk
            assert got.startswith(b"HTTP/1.1 100 "), got[:100]
            c.buf = got.split(b"\r\n\r\n", 1)[1]
            c.send(payload)
            r = c.read_response()
            assert r.status == 200 and unpack(r.body)["data"] == {"expect": VI}, r
    T.check("Expect: 100-continue gets 100 Continue, then the reply", expect_continue)

    def http10():
        with Conn(timeout=5) as c:
            r = c.request("GET", "/healthz", [("Accept", JSON)], version="HTTP/1.0")
            assert r.status == 200, r
            assert c.wait_closed(3), "HTTP/1.0 without keep-alive: connection not closed"
    T.check("HTTP/1.0 request answered, then connection closed", http10)

    def head():
        with Conn(timeout=5) as c:
            c.send(build("HEAD", "/healthz", [("Accept", JSON)]))
            r = c.read_response(head=True)
            # HEAD of a GET route: 200 without a body, or 405 with Allow.
            assert r.status in (200, 405), r
            r2 = c.request("GET", "/healthz", [("Accept", JSON)])
            assert r2.status == 200 and r2.decoded()["status"] in ("ok", "degraded"), \
                "bytes after a HEAD reply (a body sent to HEAD?): %r" % (r2,)
    T.check("HEAD /healthz: no body, connection stays in sync", head)

    T.finish()


if __name__ == "__main__":
    main()
