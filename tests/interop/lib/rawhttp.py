"""rawhttp — a tiny hand-written HTTP/1.1 client for the interop suites.

Deliberately independent of khnet's own code: sockets, bytes we write
ourselves, and Python's json / python3-msgpack for bodies.  Lives in lib/
so CTest's interop/*.py glob does not run it as a test.
"""

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse

import msgpack

MSGPACK = "application/msgpack"
JSON = "application/json"


def server_addr(url=None):
    """(host, port) of KHNET_URL (or url)."""
    u = urllib.parse.urlsplit(url or os.environ["KHNET_URL"])
    return u.hostname, u.port


class Closed(Exception):
    """The peer closed the connection before a whole response arrived."""


class Response:
    def __init__(self, status, reason, headers, body, raw_head):
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (lower-case name, value)
        self.body = body
        self.raw_head = raw_head

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k == name:
                return v
        return default

    @property
    def content_type(self):
        return (self.header("content-type") or "").split(";")[0].strip().lower()

    def decoded(self):
        """The body as a Python value, by its Content-Type."""
        ct = self.content_type
        if ct == JSON:
            return json.loads(self.body.decode("utf-8"))
        if ct == MSGPACK:
            return msgpack.unpackb(self.body, raw=False, strict_map_key=False)
        raise AssertionError("unexpected Content-Type %r (status %d, body %r)"
                             % (ct, self.status, self.body[:200]))

    def error_code(self):
        d = self.decoded()
        assert isinstance(d, dict) and isinstance(d.get("error"), dict), d
        return d["error"].get("code")

    def __repr__(self):
        return "<Response %d %s %r>" % (self.status, self.content_type, self.body[:300])


def build(method, path, headers=(), body=b"", version="HTTP/1.1", host=True,
          content_length=True):
    """Bytes of one request; headers is a list of (name, value) pairs."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    lines = ["%s %s %s" % (method, path, version)]
    names = {k.lower() for k, _ in headers}
    if host and "host" not in names:
        lines.append("Host: 127.0.0.1")
    for k, v in headers:
        lines.append("%s: %s" % (k, v))
    if content_length and body and "content-length" not in names \
            and "transfer-encoding" not in names:
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body


class Conn:
    """One TCP connection with a read buffer; responses are parsed in order."""

    def __init__(self, addr=None, timeout=5.0):
        self.addr = addr or server_addr()
        self.sock = socket.create_connection(self.addr, timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.timeout = timeout

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("no complete response in time")
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            raise Closed("connection closed with %d bytes buffered: %r"
                         % (len(self.buf), self.buf[:200]))
        self.buf += chunk

    def _take_line(self, deadline):
        while b"\r\n" not in self.buf:
            self._fill(deadline)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _take(self, n, deadline):
        while len(self.buf) < n:
            self._fill(deadline)
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_response(self, timeout=None, head=False):
        """Next final response (1xx interim responses are skipped)."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        while True:
            while b"\r\n\r\n" not in self.buf:
                self._fill(deadline)
            raw_head, self.buf = self.buf.split(b"\r\n\r\n", 1)
            lines = raw_head.split(b"\r\n")
            parts = lines[0].decode("latin-1").split(" ", 2)
            assert parts[0] in ("HTTP/1.1", "HTTP/1.0"), "bad status line %r" % lines[0]
            status = int(parts[1])
            reason = parts[2] if len(parts) > 2 else ""
            headers = []
            for ln in lines[1:]:
                k, _, v = ln.decode("latin-1").partition(":")
                assert k and k == k.strip(), "bad response header line %r" % ln
                headers.append((k.lower(), v.strip()))
            if 100 <= status < 200:
                continue
            r = Response(status, reason, headers, b"", raw_head)
            if head or status in (204, 304):
                return r
            te = (r.header("transfer-encoding") or "").lower()
            if "chunked" in te:
                body = b""
                while True:
                    size = int(self._take_line(deadline).split(b";")[0], 16)
                    if size == 0:
                        while self._take_line(deadline):
                            pass
                        break
                    body += self._take(size, deadline)
                    assert self._take(2, deadline) == b"\r\n"
                r.body = body
            elif r.header("content-length") is not None:
                r.body = self._take(int(r.header("content-length")), deadline)
            else:  # until close
                try:
                    while True:
                        self._fill(deadline)
                except Closed:
                    pass
                r.body, self.buf = self.buf, b""
            return r

    def request(self, method, path, headers=(), body=b"", timeout=None, **kw):
        self.send(build(method, path, headers, body, **kw))
        return self.read_response(timeout, head=(method == "HEAD"))

    def wait_closed(self, timeout=3.0):
        """True if the peer closes (EOF or reset) within timeout with no
        further bytes; raises if it sends bytes; False on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return False
            except (ConnectionResetError, BrokenPipeError):
                return True
            if not chunk:
                return True
            self.buf += chunk
            raise AssertionError("expected the connection to close, got bytes %r"
                                 % self.buf[:300])


def once(method, path, headers=(), body=b"", addr=None, timeout=5.0, **kw):
    """One request on a fresh connection."""
    with Conn(addr, timeout) as c:
        return c.request(method, path, headers, body, timeout, **kw)


def api_call(method, path, body=None, token=None, headers=(), addr=None, raw=None,
             timeout=5.0, accept=MSGPACK, json_body=False):
    """One API request as the suites make it: msgpack both ways (or a JSON
    body with json_body, another Accept with accept), an optional bearer
    token; `raw` sends bytes as they are.  r.json is the decoded body (or
    None)."""
    h = [("Accept", accept)] + list(headers)
    data = b""
    if body is not None or raw is not None:
        h.append(("Content-Type", JSON if json_body else MSGPACK))
        if raw is not None or isinstance(body, bytes):
            data = raw if raw is not None else body
        else:
            data = json.dumps(body).encode() if json_body else pack(body)
    if token:
        h.append(("Authorization", "Bearer " + token))
    r = once(method, path, h, data, addr=addr, timeout=timeout)
    r.json = r.decoded() if r.body else None
    return r


def expect(r, status, code=None, field=None):
    """Asserts the status, and for errors the code and field; returns r.json."""
    assert r.status == status, "status %d, want %d: %r" % (r.status, status, r.body[:300])
    if code:
        err = r.json["error"]
        assert err["code"] == code, "code %r, want %r: %r" % (err["code"], code, err)
        if field is not None:
            assert err.get("field") == field, "field %r, want %r" % (err.get("field"), field)
    return getattr(r, "json", None)  # bare once() responses have none


def psql(sql, db=None):
    """One statement through psql on KHNET_DATABASE_URL (or db); its output."""
    return subprocess.run(["psql", db or os.environ["KHNET_DATABASE_URL"], "-XAtqc", sql],
                          check=True, capture_output=True, text=True).stdout.strip()


def pack(v, **kw):
    return msgpack.packb(v, use_bin_type=True, **kw)


def unpack(b):
    return msgpack.unpackb(b, raw=False, strict_map_key=False)


def same(a, b):
    """Type-exact structural equality: True != 1, 1 != 1.0, str != bytes,
    -0.0 keeps its sign, NaN equals NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        if len(a) != len(b):
            return False
        return all(k in b and same(v, b[k]) for k, v in a.items())
    if isinstance(a, (list, tuple)) and not hasattr(a, "_fields"):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        if a != a:
            return b != b
        import math
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    return a == b


def pid_alive(pid):
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie is not alive for our purposes
    try:
        with open("/proc/%d/status" % int(pid)) as f:
            for line in f:
                if line.startswith("State:"):
                    return "Z" not in line.split(":", 1)[1]
    except FileNotFoundError:
        return False
    return True


def rss_kib(pid):
    with open("/proc/%d/status" % int(pid)) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_healthy(addr, timeout=10.0, proc=None):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError("khnetd exited with %s before answering /healthz"
                                 % proc.returncode)
        try:
            r = once("GET", "/healthz", [("Accept", JSON)], addr=addr, timeout=1.0)
            if r.status == 200:
                return r
            last = r
        except (OSError, Closed) as e:
            last = e
        time.sleep(0.1)
    raise AssertionError("no 200 from /healthz within %.0f s: %r" % (timeout, last))


class Checker:
    """Counts checks; prints one line per check; exits 1 at the end if any
    failed (we keep going so one run reports every broken case)."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = []

    def ok(self, what):
        self.passed += 1
        print("ok   %s" % what, flush=True)

    def fail(self, what, detail):
        self.failed.append(what)
        print("FAIL %s\n     %s" % (what, detail), flush=True)

    def check(self, what, fn, *args, **kw):
        """Runs fn(*args, **kw); AssertionError or OSError marks a failure."""
        try:
            fn(*args, **kw)
        except (AssertionError, OSError, Closed, ValueError, KeyError, TypeError,
                msgpack.exceptions.ExtraData, msgpack.exceptions.UnpackException) as e:
            self.fail(what, "%s: %s" % (type(e).__name__, e))
            return False
        self.ok(what)
        return True

    def check_exit(self, what, rc):
        """The check `what`: a server's exit status rc is 0."""
        def exited_0():
            assert rc == 0, "status %r" % rc
        return self.check(what, exited_0)

    def run_all(self, namespace, skip=()):
        """Runs each t_NAME function of namespace (a suite's globals()),
        except those named in skip, as the check NAME, in name order."""
        for name, fn in sorted((k, v) for k, v in namespace.items()
                               if k.startswith("t_") and k not in skip):
            self.check(name[2:], fn)

    def finish(self):
        print("%s: %d passed, %d failed" % (self.name, self.passed, len(self.failed)), flush=True)
        if self.failed:
            print("failed checks:", flush=True)
            for f in self.failed:
                print("  - %s" % f, flush=True)
            sys.exit(1)
        sys.exit(0)


def fast_flags(workers):
    """khnetd flags for a suite's own server: `workers` workers, cheap scrypt,
    and auth rate limits that the suites' many sign-ups never reach."""
    return ["--workers", str(workers), "--scrypt-n", "1024", "--auth-burst-addr", "100000",
            "--auth-burst-email", "100000", "--auth-rate-per-min", "100000"]


def start_khnetd(extra_args, log_path):
    """Starts a second khnetd on a free port against KHNET_DATABASE_URL;
    returns (Popen, (host, port)).  Retries on a port taken in between."""
    for _ in range(3):
        port = free_port()
        args = [os.environ["KHNETD"], "--listen", "127.0.0.1:%d" % port,
                "--database-url", os.environ["KHNET_DATABASE_URL"]] + list(extra_args)
        log = open(log_path, "ab")
        p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL)
        log.close()
        addr = ("127.0.0.1", port)
        try:
            wait_healthy(addr, 10.0, p)
            return p, addr
        except AssertionError:
            if p.poll() is None:
                p.kill()
                p.wait()
                raise
            with open(log_path, "rb") as f:
                if b"in use" not in f.read().lower():
                    raise
    raise AssertionError("could not start a second khnetd")


def log_tail(path):
    """The last 4000 characters of a server log, to print when a suite failed."""
    with open(path, errors="replace") as f:
        return f.read()[-4000:]


@contextlib.contextmanager
def stop_at_end(T, p, log_path, what="own khnetd exits 0 on SIGTERM"):
    """Runs the with block, then stops khnetd p: the check `what` wants exit
    status 0, and if any check failed the end of log_path is printed."""
    try:
        yield
    finally:
        T.check_exit(what, stop_khnetd(p))
        if T.failed and os.path.exists(log_path):
            print(log_tail(log_path))


def stop_all(T, procs, log_path):
    """Stops each khnetd in procs, a non-zero exit a failed "shutdown" check;
    if any check failed, prints the end of their log_path."""
    for p in procs:
        rc = stop_khnetd(p)
        if rc != 0:
            T.fail("shutdown", "khnetd exit %r" % rc)
    if T.failed:
        print(log_tail(log_path))


def pgctl_from_env(suite):
    """KHNET_TEST_PGCTL, the executable taking stop/start for the test
    cluster; without it the suite says why and exits 77 (CTest: skipped)."""
    path = os.environ.get("KHNET_TEST_PGCTL")
    if not path:
        print("%s: KHNET_TEST_PGCTL is not set (an executable taking stop/start for the "
              "test PostgreSQL cluster); skipping with status 77" % suite)
        sys.exit(77)
    return path


def pgctl(path, action):
    """Stops or starts (action) the test cluster with `path action`; returns
    the seconds it took, rounded to the millisecond."""
    t0 = time.monotonic()
    p = subprocess.run([path, action], stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=60)
    dt = time.monotonic() - t0
    if p.returncode != 0:
        raise AssertionError("%s %s exited %d: %s %s" % (path, action, p.returncode,
                                                         p.stdout[-500:], p.stderr[-500:]))
    return round(dt, 3)


def stop_khnetd(p, timeout=10.0):
    """SIGTERM; returns the exit status (or None if it had to be killed)."""
    if p.poll() is not None:
        return p.returncode
    p.terminate()
    try:
        return p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        return None
