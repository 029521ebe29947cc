"""proxy.py — real client addresses behind a proxy, and the security
headers (PROTOCOL.md "Transport" and "Behind a proxy").

Independent peers only: PROXY protocol v2 headers built here byte by byte
from HAProxy's specification, sockets bound to 127.0.0.2 / .3 / .4 as
distinct clients, and HAProxy itself (Debian's package) running
deploy/haproxy.cfg — the documented file, its addresses given through the
"${VAR}" substitution the file declares.  psql shows what the database
recorded (sessions' client_addr: the audit of who logged in from where).

Two servers of its own with a login burst of 3 per address:
- RAW trusts 127.0.0.0/8 and is spoken to with hand-made PROXY headers;
- BEHIND trusts only 127.0.0.1, where HAProxy connects from.
"""

import os
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from rawhttp import (JSON, MSGPACK, Checker, Conn, build, free_port,  # noqa: E402
                     log_tail, pack, psql, start_khnetd, stop_all, unpack, wait_healthy)

T = Checker("proxy")
WORK = tempfile.mkdtemp(prefix="khnet-proxy.")
LOG = os.path.join(WORK, "khnetd.log")
HAPROXY_CFG = os.path.join(os.environ["KHNET_SOURCE_DIR"], "deploy", "haproxy.cfg")
PW = "correct horse battery"
BURST = 3
LIMITS = ["--workers", "2", "--scrypt-n", "1024", "--auth-burst-addr", str(BURST),
          "--auth-burst-email", "100000", "--auth-rate-per-min", "1"]
RAW = BEHIND = HAP = None
TLS_PORT = None  # HAProxy's TLS port on 127.0.0.1

SIG = b"\r\n\r\n\x00\r\nQUIT\n"


# ---- PROXY v2 headers, from the specification -----------------------------

def tlv(t, value):
    return struct.pack("!BH", t, len(value)) + value


def proxy_v2(src, dst="127.0.0.1", sport=40000, dport=8080, tlvs=b"", cmd=0x1):
    """A PROXY v2 header (command PROXY) for TCP over IPv4 or IPv6."""
    if ":" in src:
        fam, body = 0x21, socket.inet_pton(socket.AF_INET6, src) + \
            socket.inet_pton(socket.AF_INET6, dst if ":" in dst else "::1")
    else:
        fam, body = 0x11, socket.inet_aton(src) + socket.inet_aton(dst)
    body += struct.pack("!HH", sport, dport) + tlvs
    return SIG + bytes([0x20 | cmd, fam]) + struct.pack("!H", len(body)) + body


def ssl_tlv(client_ssl=True):
    return tlv(0x20, bytes([1 if client_ssl else 0]) + b"\0\0\0\0" + tlv(0x21, b"TLSv1.3"))


# ---- clients bound to a source address ------------------------------------

class From(Conn):
    """A connection from source address `src` (127.0.0.x on loopback),
    optionally starting with `preface` bytes (a PROXY header)."""

    def __init__(self, addr, src, preface=b"", timeout=5.0):
        self.addr = addr
        self.sock = socket.create_connection(addr, timeout=timeout, source_address=(src, 0))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.timeout = timeout
        if preface:
            self.sock.sendall(preface)


def login_req(email, pw="wrong password", headers=()):
    h = [("Accept", MSGPACK), ("Content-Type", MSGPACK)] + list(headers)
    return build("POST", "/v1/sessions", h, pack({"email": email, "password": pw}))


def failures(addr, src, n, preface=b"", headers=(), tag="x"):
    """n failed logins (distinct e-mails, so only the address bucket
    counts), each on a fresh connection from src; their statuses."""
    out = []
    for i in range(n):
        with From(addr, src, preface) as c:
            c.send(login_req("%s%d@example.org" % (tag, i), headers=headers))
            out.append(c.read_response().status)
    return out


def burst_then_429(codes):
    want = [401] * BURST + [429] * (len(codes) - BURST)
    assert codes == want, "got %r, want %r" % (codes, want)


def register(addr, email, client=None):
    """Signs up email; on RAW as `client` (a PROXY header), so sign-ups do
    not spend one address's burst."""
    with From(addr, "127.0.0.2" if client else "127.0.0.1",
              proxy_v2(client) if client else b"") as c:
        r = c.request("POST", "/v1/accounts", [("Accept", MSGPACK), ("Content-Type", MSGPACK)],
                      pack({"email": email, "password": PW}))
        assert r.status == 201, r


def session_addr(email):
    return psql("SELECT host(s.client_addr) FROM khnet_sessions s JOIN khnet_accounts a "
                "ON a.id = s.account_id WHERE a.email = '%s' ORDER BY s.id DESC LIMIT 1" % email)


def login_ok(conn, email):
    conn.send(login_req(email, PW))
    r = conn.read_response()
    assert r.status == 201 or r.status == 200, r
    return unpack(r.body)


# ---- raw PROXY v2 against RAW (trusts 127.0.0.0/8) -------------------------

def t_raw_two_clients_two_buckets():
    # the same proxy (127.0.0.2) speaking for two clients: two buckets
    burst_then_429(failures(RAW, "127.0.0.2", 6, proxy_v2("203.0.113.10"), tag="a"))
    burst_then_429(failures(RAW, "127.0.0.2", 6, proxy_v2("203.0.113.11"), tag="b"))
    # another proxy (127.0.0.3) for the first client: its bucket is spent
    assert failures(RAW, "127.0.0.3", 1, proxy_v2("203.0.113.10"), tag="c") == [429]
    # IPv6 clients are keyed by their own address too
    burst_then_429(failures(RAW, "127.0.0.3", 5, proxy_v2("2001:db8::10"), tag="d"))


def t_raw_header_covers_the_connection():
    register(RAW, "keep@example.org", "100.64.0.1")
    with From(RAW, "127.0.0.2", proxy_v2("198.51.100.20")) as c:
        for _ in range(2):  # keep-alive: both requests are the proxied client's
            login_ok(c, "keep@example.org")
            assert session_addr("keep@example.org") == "198.51.100.20"
        r = c.request("GET", "/healthz", [("Accept", JSON)])
        assert r.status == 200, r


def t_raw_header_split_across_packets():
    register(RAW, "split@example.org", "100.64.0.2")
    hdr = proxy_v2("198.51.100.21", tlvs=tlv(0x04, b"\0" * 40))
    with From(RAW, "127.0.0.2") as c:
        for i in range(0, len(hdr), 7):
            c.send(hdr[i:i + 7])
            time.sleep(0.02)
        login_ok(c, "split@example.org")
    assert session_addr("split@example.org") == "198.51.100.21"


def t_raw_local_keeps_the_peer():
    register(RAW, "local@example.org", "100.64.0.3")
    local = SIG + bytes([0x20, 0x00]) + struct.pack("!H", 0)
    with From(RAW, "127.0.0.2", local) as c:
        login_ok(c, "local@example.org")
    assert session_addr("local@example.org") == "127.0.0.2"


def t_raw_xff_from_trusted_peer():
    # no PROXY header: the rightmost untrusted X-Forwarded-For hop; the
    # trusted hops (127.0.0.9 here) are skipped
    register(RAW, "xff@example.org", "100.64.0.4")
    with From(RAW, "127.0.0.2") as c:
        c.send(login_req("xff@example.org", PW, [
            ("X-Forwarded-For", "10.9.9.9, 192.0.2.50"),
            ("X-Forwarded-For", "127.0.0.9")]))
        assert c.read_response().status in (200, 201)
    assert session_addr("xff@example.org") == "192.0.2.50"
    # an entry that is not an address stops the walk: nothing left of it
    with From(RAW, "127.0.0.2") as c:
        c.send(login_req("xff@example.org", PW, [
            ("X-Forwarded-For", "192.0.2.51, unknown, 127.0.0.9")]))
        assert c.read_response().status in (200, 201)
    assert session_addr("xff@example.org") == "127.0.0.9"
    # a PROXY header wins over X-Forwarded-For
    with From(RAW, "127.0.0.2", proxy_v2("192.0.2.52")) as c:
        c.send(login_req("xff@example.org", PW, [("X-Forwarded-For", "192.0.2.53")]))
        assert c.read_response().status in (200, 201)
    assert session_addr("xff@example.org") == "192.0.2.52"


def refused_and_closed(addr, src, data, what):
    with From(addr, src) as c:
        c.send(data)
        r = c.read_response()
        assert r.status == 400, "%s: %r" % (what, r)
        d = r.decoded()
        assert d["error"]["code"] == "bad_request", d
        assert r.header("connection") == "close", r.headers
        assert c.wait_closed(3.0), "%s: connection left open" % what


def t_raw_malformed_headers():
    good = proxy_v2("203.0.113.30")
    bad = {
        "version 1 in binary": good[:12] + b"\x11" + good[13:],
        "command 2": good[:12] + b"\x22" + good[13:],
        "UDP": good[:13] + b"\x12" + good[14:],
        "IPv6 family, IPv4 body": good[:13] + b"\x21" + good[14:],
        "address block too short": good[:14] + struct.pack("!H", 8) + good[16:24],
        "TLV past the end": proxy_v2("203.0.113.30", tlvs=b"\x05\x00\x09abc"),
        "SSL TLV too short": proxy_v2("203.0.113.30", tlvs=tlv(0x20, b"\x01\0")),
        "wrong CRC32C": proxy_v2("203.0.113.30", tlvs=tlv(0x03, b"\0\0\0\1")),
        "over 1024 bytes": proxy_v2("203.0.113.30", tlvs=tlv(0x04, b"\0" * 1100)),
        "text PROXY v1": b"PROXY TCP4 203.0.113.30 127.0.0.1 4000 8080\r\n",
    }
    for what, data in bad.items():
        refused_and_closed(RAW, "127.0.0.2", data + build("GET", "/healthz"), what)
    still_up(RAW)


def t_raw_truncated_header_times_out():
    # half a header, then silence: closed by the header timeout, no reply
    with From(RAW, "127.0.0.2", proxy_v2("203.0.113.31")[:20]) as c:
        t0 = time.monotonic()
        assert c.wait_closed(6.0), "a truncated PROXY header held the connection"
        assert time.monotonic() - t0 < 5.0
        assert c.buf == b"", c.buf
    with From(RAW, "127.0.0.2", SIG[:5]) as c:  # a signature that stops
        c.sock.shutdown(socket.SHUT_WR)
        assert c.wait_closed(6.0)
    still_up(RAW)


def t_raw_garbage_storm():
    # random bytes after a valid signature, many times: no crash, no hang
    import random
    rnd = random.Random(12)
    for _ in range(200):
        body = bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 60)))
        data = SIG + bytes([rnd.choice([0x20, 0x21, 0x22, 0x11]), rnd.choice([0, 0x11, 0x21, 0x31, 0x12])]) \
            + struct.pack("!H", rnd.choice([len(body), rnd.randrange(0, 80)])) + body
        with From(RAW, "127.0.0.2", data, timeout=6.0) as c:
            try:
                c.sock.shutdown(socket.SHUT_WR)
                c.wait_closed(6.0)
            except (AssertionError, OSError):
                pass  # a reply (400, or a request's answer) is fine; a hang is not
    still_up(RAW)


def still_up(addr):
    wait_healthy(addr, 5.0)


# ---- security headers -------------------------------------------------------

def head_of(addr, src, preface=b"", headers=(), path="/healthz"):
    with From(addr, src, preface) as c:
        return c.request("GET", path, [("Accept", JSON)] + list(headers))


def t_security_headers_everywhere():
    for path, hdrs in (("/healthz", []), ("/v1/nope", []), ("/metrics", []),
                       ("/v1/account", [("Authorization", "Bearer nope")])):
        r = head_of(RAW, "127.0.0.4", headers=hdrs, path=path)
        assert r.header("x-content-type-options") == "nosniff", (path, r.headers)
        assert r.header("referrer-policy") == "no-referrer", (path, r.headers)
        assert r.header("strict-transport-security") is None, (path, r.headers)
    # credentials make the answer personal: no-store, even on a 401
    r = head_of(RAW, "127.0.0.4", headers=[("Authorization", "Bearer nope")], path="/v1/account")
    assert r.status == 401 and r.header("cache-control") == "no-store", r.headers
    r = head_of(RAW, "127.0.0.4", path="/v1/account?access_token=nope")
    assert r.header("cache-control") == "no-store", r.headers
    r = head_of(RAW, "127.0.0.4", path="/healthz?not_access_token=1")
    assert r.header("cache-control") is None, r.headers
    r = head_of(RAW, "127.0.0.4")
    assert r.header("cache-control") is None, r.headers


def t_hsts_only_over_tls_from_a_trusted_proxy():
    r = head_of(RAW, "127.0.0.2", proxy_v2("203.0.113.40", tlvs=ssl_tlv(True)))
    assert r.header("strict-transport-security") == "max-age=31536000", r.headers
    r = head_of(RAW, "127.0.0.2", proxy_v2("203.0.113.40", tlvs=ssl_tlv(False)))
    assert r.header("strict-transport-security") is None, r.headers
    r = head_of(RAW, "127.0.0.2", headers=[("X-Forwarded-Proto", "https")])
    assert r.header("strict-transport-security") == "max-age=31536000", r.headers
    r = head_of(RAW, "127.0.0.2", headers=[("X-Forwarded-Proto", "https, http")])
    assert r.header("strict-transport-security") is None, r.headers
    # not a trusted proxy: its X-Forwarded-Proto means nothing
    r = head_of(BEHIND, "127.0.0.3", headers=[("X-Forwarded-Proto", "https")])
    assert r.header("strict-transport-security") is None, r.headers


# ---- through HAProxy, to BEHIND (trusts 127.0.0.1 only) ----------------------

def start_haproxy(backend):
    global TLS_PORT
    port, TLS_PORT = free_port(), free_port()
    subprocess.run([os.path.join(os.environ["KHNET_SOURCE_DIR"], "deploy", "tls-dev-ca"),
                    os.path.join(WORK, "tls"), "IP:127.0.0.1"], check=True,
                   capture_output=True)
    env = dict(os.environ, KHNET_HAPROXY_BIND="127.0.0.1:%d" % port,
               KHNET_HAPROXY_TLS_BIND="127.0.0.1:%d" % TLS_PORT,
               KHNET_TLS_CERT=os.path.join(WORK, "tls", "server.pem"),
               KHNET_HAPROXY_MAXCONN="1000",
               KHNET_BACKEND1="%s:%d" % backend, KHNET_BACKEND2="%s:%d" % backend,
               KHNET_BACKEND3="%s:%d" % backend)
    log = open(os.path.join(WORK, "haproxy.log"), "ab")
    p = subprocess.Popen(["haproxy", "-db", "-f", HAPROXY_CFG], env=env, stdout=log,
                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    log.close()
    wait_healthy(("127.0.0.1", port), 10.0, p)
    return p, ("127.0.0.1", port)


def t_haproxy_two_clients_two_buckets():
    # the test: the same 20 login failures through HAProxy from
    # 127.0.0.2 and from 127.0.0.3 hit two buckets, not one
    burst_then_429(failures(HAP, "127.0.0.2", 20, tag="h2-"))
    burst_then_429(failures(HAP, "127.0.0.3", 20, tag="h3-"))


def t_haproxy_session_records_the_client():
    register(BEHIND, "hap@example.org")
    with From(HAP, "127.0.0.4") as c:
        # a client's own X-Forwarded-For goes through HAProxy but is not
        # believed: the PROXY header names the connection's client
        c.send(login_req("hap@example.org", PW, [("X-Forwarded-For", "198.51.100.66")]))
        r = c.read_response()
        assert r.status in (200, 201), r
        assert r.header("strict-transport-security") is None, r.headers  # plain HTTP
        assert r.header("x-content-type-options") == "nosniff", r.headers
    assert session_addr("hap@example.org") == "127.0.0.4"
    # the access log names the client (lines are flushed on a timer)
    want = 'client=127.0.0.4 method=POST path="/v1/sessions"'
    deadline = time.monotonic() + 5
    while True:
        with open(LOG, errors="replace") as f:
            if want in f.read():
                break
        assert time.monotonic() < deadline, "no '%s' in the log" % want
        time.sleep(0.2)


def t_haproxy_tls_gets_hsts():
    # over TLS through HAProxy (send-proxy-v2-ssl's SSL TLV): HSTS; the
    # client address is still the real one
    ctx = ssl.create_default_context(cafile=os.path.join(WORK, "tls", "ca.pem"))
    raw = socket.create_connection(("127.0.0.1", TLS_PORT), timeout=5,
                                   source_address=("127.0.0.6", 0))
    with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
        c = Conn.__new__(Conn)
        c.addr, c.sock, c.buf, c.timeout = ("127.0.0.1", TLS_PORT), s, b"", 5.0
        r = c.request("GET", "/healthz", [("Accept", JSON)])
        assert r.status == 200, r
        assert r.header("strict-transport-security") == "max-age=31536000", r.headers
        assert r.header("x-content-type-options") == "nosniff", r.headers
        # a client's own claim does not turn plain HTTP into TLS: HAProxy sets
        # X-Forwarded-Proto itself
    r = head_of(HAP, "127.0.0.6", headers=[("X-Forwarded-Proto", "https")])
    assert r.status == 200 and r.header("strict-transport-security") is None, r.headers


def t_direct_xff_not_believed():
    # a client that sends X-Forwarded-For straight to khnetd: ignored, its
    # own address is the bucket however the header varies
    codes = failures(BEHIND, "127.0.0.5", 6, headers=[("X-Forwarded-For", "192.0.2.1")],
                     tag="direct")
    burst_then_429(codes)
    codes = [failures(BEHIND, "127.0.0.5", 1, headers=[("X-Forwarded-For", "192.0.2.%d" % i)],
                      tag="d%d" % i)[0] for i in range(3)]
    assert codes == [429] * 3, codes


def t_direct_proxy_header_refused():
    # PROXY v2 from a peer that is not a trusted proxy: 400 and closed
    refused_and_closed(BEHIND, "127.0.0.3", proxy_v2("192.0.2.99") + build("GET", "/healthz"),
                       "untrusted PROXY v2")
    refused_and_closed(BEHIND, "127.0.0.3", b"PROXY TCP4 192.0.2.99 127.0.0.1 1 2\r\n",
                       "untrusted PROXY v1")
    still_up(BEHIND)


def t_config_refuses_bad_lists():
    for bad in ("10.0.0.1/8", "10.0.0.0/33", "localhost", "2001:db8::/129"):
        p = subprocess.run([os.environ["KHNETD"], "--trusted-proxies", bad, "--help"],
                           capture_output=True, text=True, timeout=10)
        assert p.returncode != 0 and "--trusted-proxies" in p.stderr, (bad, p.stderr)
    p = subprocess.run([os.environ["KHNETD"], "--help"], capture_output=True, text=True,
                       timeout=10)
    assert "--trusted-proxies" in p.stdout and "KHNET_TRUSTED_PROXIES" in p.stdout


def main():
    global RAW, BEHIND, HAP
    procs = []
    hap = None
    try:
        p, RAW = start_khnetd(LIMITS + ["--trusted-proxies", "127.0.0.0/8, ::1",
                                        "--header-timeout", "1500"], LOG)
        procs.append(p)
        p, BEHIND = start_khnetd(LIMITS + ["--trusted-proxies", "127.0.0.1"], LOG)
        procs.append(p)
        hap, HAP = start_haproxy(BEHIND)
        T.run_all(globals())
    finally:
        if hap is not None:
            hap.terminate()
            hap.wait(10)
            if T.failed:
                print(log_tail(os.path.join(WORK, "haproxy.log")))
        stop_all(T, procs, LOG)
    T.finish()


if __name__ == "__main__":
    main()
