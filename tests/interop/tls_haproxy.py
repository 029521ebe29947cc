"""tls_haproxy.py — TLS end to end (issue 12): HAProxy running
deploy/haproxy.cfg itself (its addresses and certificate through the file's
"${VAR}" substitutions) in front of a khnetd of this suite's own (on the
harness's database; own, so it can be restarted under a live stream), and
three independent clients over https:// and wss://:
- curl (the command line, --cacert),
- Python's ssl (http.client and python3-websockets, with the test CA),
- libkhnet, through the khnet CLI (--cacert, KHNET_CACERT).

Each does REST calls and (Python, libkhnet) receives a pushed message on
the wss:// stream; each refuses a wrong host name and an untrusted CA, and
says why (the reason text is asserted).  libkhnet's stream also reconnects
over TLS when khnetd restarts behind the proxy, resuming its TLS session.

Certificates come from deploy/tls-dev-ca in a temporary folder: a CA whose
server certificate names only 127.0.0.1 and khnet.test (so "localhost" is a
wrong host name that still reaches the proxy), and a second CA that signed
nothing here.
"""

import asyncio
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

import msgpack
import websockets

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from rawhttp import (Checker, fast_flags, free_port, log_tail, stop_khnetd,  # noqa: E402
                     wait_healthy)

T = Checker("tls_haproxy")
SRC = os.environ["KHNET_SOURCE_DIR"]
CLI = os.environ["KHNET_CLI"]
WORK = tempfile.mkdtemp(prefix="khnet-tls.")
CA = os.path.join(WORK, "good", "ca.pem")
OTHER_CA = os.path.join(WORK, "other", "ca.pem")
PW = "tls test password"
PORT = None  # HAProxy's TLS port on 127.0.0.1
BACKEND = ("127.0.0.1", None)  # this suite's khnetd
KHNETD_LOG = os.path.join(WORK, "khnetd.log")
_N = [0]

WRONG_HOST = {  # each client's words for a certificate that names another host
    "curl": "no alternative certificate subject name matches target host name 'localhost'",
    "python": "Hostname mismatch, certificate is not valid for 'localhost'",
    "libkhnet": "certificate verification failed: hostname mismatch",
}
UNTRUSTED = "unable to get local issuer certificate"  # OpenSSL's, in all three


def make_certs():
    tool = os.path.join(SRC, "deploy", "tls-dev-ca")
    subprocess.run([tool, os.path.join(WORK, "good"), "IP:127.0.0.1,DNS:khnet.test"], check=True)
    subprocess.run([tool, os.path.join(WORK, "other"), "DNS:other.test"], check=True)


def start_khnetd(port):
    """This suite's khnetd on 127.0.0.1:port, trusting the proxy's address:
    HAProxy's backends speak the PROXY protocol (send-proxy-v2-ssl)."""
    log = open(KHNETD_LOG, "ab")
    p = subprocess.Popen([os.environ["KHNETD"], "--listen", "127.0.0.1:%d" % port,
                          "--database-url", os.environ["KHNET_DATABASE_URL"]]
                         + fast_flags(2) + ["--trusted-proxies", "127.0.0.1"],
                         stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    log.close()
    wait_healthy(("127.0.0.1", port), 10.0, p)
    return p


def start_haproxy():
    global PORT
    PORT = free_port()
    backend = "%s:%d" % BACKEND
    env = dict(os.environ, KHNET_HAPROXY_TLS_BIND="127.0.0.1:%d" % PORT,
               KHNET_TLS_CERT=os.path.join(WORK, "good", "server.pem"),
               KHNET_HAPROXY_BIND="127.0.0.1:%d" % free_port(), KHNET_HAPROXY_MAXCONN="1000",
               KHNET_BACKEND1=backend, KHNET_BACKEND2=backend, KHNET_BACKEND3=backend)
    log = open(os.path.join(WORK, "haproxy.log"), "ab")
    p = subprocess.Popen(["haproxy", "-db", "-f", os.path.join(SRC, "deploy", "haproxy.cfg")],
                         env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    log.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        assert p.poll() is None, "haproxy exited %s" % p.returncode
        if curl("/healthz")[0] == 0:
            return p
        time.sleep(0.1)
    raise AssertionError("HAProxy did not serve /healthz over TLS within 10 s")


# ---- curl ---------------------------------------------------------------------

def curl(path, host="khnet.test", cacert=CA, method="GET", body=None, token=None):
    """curl over TLS to HAProxy; (exit status, stdout, stderr)."""
    args = ["curl", "-sS", "--http1.1", "--max-time", "10", "--cacert", cacert,
            "--resolve", "khnet.test:%d:127.0.0.1" % PORT, "-X", method,
            "-H", "Accept: application/json", "https://%s:%d%s" % (host, PORT, path)]
    if body is not None:
        args += ["-H", "Content-Type: application/json", "--data-binary", json.dumps(body)]
    if token:
        args += ["-H", "Authorization: Bearer " + token]
    p = subprocess.run(args, capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


def curl_json(path, **kw):
    rc, out, err = curl(path, **kw)
    assert rc == 0, "curl exit %d: %s" % (rc, err)
    return json.loads(out)


def member(tag):
    """A new account and its token, made with curl over TLS."""
    _N[0] += 1
    email = "%s%d.%d@example.org" % (tag, _N[0], os.getpid())
    a = curl_json("/v1/accounts", method="POST", body={"email": email, "password": PW})
    s = curl_json("/v1/sessions", method="POST", body={"email": email, "password": PW})
    return {"id": a["id"], "email": email, "token": s["token"]}


def t_curl_rest():
    h = curl_json("/healthz")
    assert h.get("status") == "ok", h
    m = member("curl")
    me = curl_json("/v1/account", token=m["token"])
    assert me["email"] == m["email"], me


def t_curl_refuses_wrong_host():
    rc, out, err = curl("/healthz", host="localhost")
    assert rc == 60 and WRONG_HOST["curl"] in err, (rc, err)


def t_curl_refuses_untrusted_ca():
    rc, out, err = curl("/healthz", cacert=OTHER_CA)
    assert rc == 60 and UNTRUSTED in err, (rc, err)


# ---- Python's ssl ----------------------------------------------------------------

def py_ctx(cafile=CA):
    ctx = ssl.create_default_context(cafile=cafile)
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    return ctx


def py_call(method, path, body=None, token=None):
    c = http.client.HTTPSConnection("127.0.0.1", PORT, context=py_ctx(), timeout=10)
    headers = {"Accept": "application/msgpack"}
    if body is not None:
        headers["Content-Type"] = "application/msgpack"
    if token:
        headers["Authorization"] = "Bearer " + token
    c.request(method, path, msgpack.packb(body) if body is not None else None, headers)
    r = c.getresponse()
    data = r.read()
    tls = c.sock.version()
    c.close()
    return r.status, msgpack.unpackb(data, raw=False) if data else None, tls


def py_refusal(cafile, server_hostname):
    """The verification message Python's ssl gives for this handshake."""
    with socket.create_connection(("127.0.0.1", PORT), timeout=10) as raw:
        try:
            with py_ctx(cafile).wrap_socket(raw, server_hostname=server_hostname):
                pass
        except ssl.SSLCertVerificationError as e:
            return e.verify_message
    raise AssertionError("the handshake succeeded")


def t_python_rest():
    status, body, tls = py_call("GET", "/healthz")
    assert status == 200 and body["status"] == "ok", (status, body)
    assert tls in ("TLSv1.2", "TLSv1.3"), tls
    m = member("py")
    status, body, _ = py_call("GET", "/v1/account", token=m["token"])
    assert status == 200 and body["email"] == m["email"], (status, body)


def t_python_refuses_wrong_host():
    why = py_refusal(CA, "localhost")
    assert WRONG_HOST["python"] in why, why


def t_python_refuses_untrusted_ca():
    why = py_refusal(OTHER_CA, "khnet.test")
    assert UNTRUSTED in why, why


async def ready_seq(token):
    """Opens B's wss:// stream with Python, returns (socket, the ready frame's seq)."""
    ws = await websockets.connect("wss://127.0.0.1:%d/v1/stream" % PORT, ssl=py_ctx(),
                                  extra_headers={"Authorization": "Bearer " + token},
                                  open_timeout=10, close_timeout=2)
    ready = msgpack.unpackb(await asyncio.wait_for(ws.recv(), 10), raw=False)
    assert ready["type"] == "ready", ready
    return ws, ready["seq"]


def conversation(a, b):
    return curl_json("/v1/conversations", method="POST", token=a["token"],
                     body={"type": "direct", "member_id": b["id"]})["id"]


def send(a, conv, text):
    curl_json("/v1/conversations/%d/messages" % conv, method="POST", token=a["token"],
              body={"client_id": "tls-%d-%s" % (os.getpid(), text), "text": text})


def t_python_wss_push():
    a, b = member("pya"), member("pyb")
    conv = conversation(a, b)

    async def run():
        ws, _ = await ready_seq(b["token"])
        try:
            send(a, conv, "qua wss Python")
            ev = msgpack.unpackb(await asyncio.wait_for(ws.recv(), 10), raw=False)
            assert ev["type"] == "event" and ev["kind"] == "message.new", ev
            assert ev["payload"]["text"] == "qua wss Python", ev
        finally:
            await ws.close()
    asyncio.run(run())


# ---- libkhnet (the khnet CLI) -------------------------------------------------------

def khnet(*args, cacert=CA, url=None, env=None):
    """The khnet CLI; (exit status, stdout, stderr)."""
    cmd = [CLI, "--url", url or "https://127.0.0.1:%d" % PORT]
    if cacert:
        cmd += ["--cacert", cacert]
    p = subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, **(env or {})))
    return p.returncode, p.stdout, p.stderr


def t_libkhnet_rest():
    rc, out, err = khnet("health")
    assert rc == 0 and "http: 200" in out, (rc, out, err)
    m = member("lib")
    rc, out, err = khnet("--token", m["token"], "whoami")
    assert rc == 0 and json.loads(out)["email"] == m["email"], (rc, out, err)
    rc, out, err = khnet("whoami", cacert=None, env={"KHNET_CACERT": CA, "KHNET_TOKEN": m["token"]})
    assert rc == 0 and json.loads(out)["email"] == m["email"], (rc, out, err)
    rc, out, err = khnet("login", m["email"], PW)
    assert rc == 0 and len(out.strip()) >= 40, (rc, out, err)


def t_libkhnet_refuses_wrong_host():
    rc, out, err = khnet("health", url="https://localhost:%d" % PORT)
    assert rc == 3 and WRONG_HOST["libkhnet"] in err, (rc, err)


def t_libkhnet_refuses_untrusted_ca():
    for cacert in (OTHER_CA, None):  # another CA; the system's store
        rc, out, err = khnet("health", cacert=cacert)
        assert rc == 3 and "certificate verification failed: " + UNTRUSTED in err, (cacert, rc,
                                                                                     err)


def t_libkhnet_refuses_plain_http_as_https():
    # https:// to a plain HTTP server (khnetd itself): a TLS failure, never a plain retry
    rc, out, err = khnet("health", url="https://127.0.0.1:%d" % BACKEND[1])
    assert rc == 3 and "TLS handshake failed" in err, (rc, err)


def t_libkhnet_wss_push():
    a, b = member("liba"), member("libb")
    conv = conversation(a, b)

    async def seq():
        ws, s = await ready_seq(b["token"])
        await ws.close()
        return s
    after = asyncio.run(seq())
    p = subprocess.Popen([CLI, "--url", "wss://127.0.0.1:%d" % PORT, "--cacert", CA,
                          "--token", b["token"], "listen", "--after", str(after)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)  # let the stream connect, so the message is pushed live
        send(a, conv, "qua wss libkhnet")
        line = p.stdout.readline()  # the listener prints one JSON line per event
        ev = json.loads(line)
        assert ev["kind"] == "message.new" and ev["payload"]["text"] == "qua wss libkhnet", ev
        assert ev["seq"] == after + 1, (ev, after)
    finally:
        p.terminate()
        out, err = p.communicate(timeout=10)
    assert p.returncode in (0, -15), (p.returncode, err)


def t_libkhnet_wss_reconnects_over_tls():
    # khnetd restarts under a live `khnet listen`: the stream reconnects to
    # HAProxy over TLS, resuming its TLS session, and loses nothing
    global KHNETD
    a, b = member("reca"), member("recb")
    conv = conversation(a, b)
    p = subprocess.Popen([CLI, "--url", "https://127.0.0.1:%d" % PORT, "--cacert", CA,
                          "--token", b["token"], "listen", "--stats"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)
        send(a, conv, "before the restart")
        assert json.loads(p.stdout.readline())["payload"]["text"] == "before the restart"
        assert stop_khnetd(KHNETD) == 0
        KHNETD = start_khnetd(BACKEND[1])
        send(a, conv, "after the restart")
        assert json.loads(p.stdout.readline())["payload"]["text"] == "after the restart"
    finally:
        p.send_signal(2)  # Ctrl-C: a normal end, with the counters on stderr
        out, err = p.communicate(timeout=10)
    assert p.returncode == 0, (p.returncode, err)
    stats = dict(kv.split("=") for kv in err.split("stream: ", 1)[1].split())
    assert stats["connects"] == "2" and stats["drops"] == "1", stats
    assert stats["tls_resumed"] == "1", stats


def main():
    global BACKEND, KHNETD
    hap = KHNETD = None
    try:
        make_certs()
        BACKEND = ("127.0.0.1", free_port())
        KHNETD = start_khnetd(BACKEND[1])
        hap = start_haproxy()
        T.run_all(globals())
    finally:
        if hap is not None:
            hap.terminate()
            hap.wait(10)
        if KHNETD is not None:
            T.check_exit("own khnetd exits 0 on SIGTERM", stop_khnetd(KHNETD))
        if T.failed:
            for log in ("haproxy.log", "khnetd.log"):
                if os.path.exists(os.path.join(WORK, log)):
                    print(log_tail(os.path.join(WORK, log)))
        shutil.rmtree(WORK, ignore_errors=True)
    T.finish()


if __name__ == "__main__":
    main()
