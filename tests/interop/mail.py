"""mail.py — real mail through a real SMTP server (python3-aiosmtpd, started
here with STARTTLS required and AUTH): khnetd started by this suite with
--mail-url smtp://user:pass@127.0.0.1:PORT?cacert=..., on a database of its
own (the harness's server keeps the log transport and never sees this
queue).  Reset mails arrive with a working token, in the person's language;
with the SMTP server down during the request and started later, exactly one
mail arrives; an invitation arrives and its link claims the account."""

import asyncio
import base64
import email
import email.header
import os
import re
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from rawhttp import Checker, api_call, free_port, psql, wait_healthy  # noqa: E402

from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import AuthResult  # noqa: E402

T = Checker("mail")
PW = "correct horse battery"
TMP = tempfile.mkdtemp(prefix="khnet-mail.")
SMTP_PORT = free_port()
BASE_DB = os.environ["KHNET_DATABASE_URL"]
DB_NAME = "m_" + os.path.basename(BASE_DB.split("?")[0])[:50]
DB = BASE_DB.rsplit("/", 1)[0] + "/" + DB_NAME


# ---- the SMTP server ---------------------------------------------------------
class Inbox:
    def __init__(self):
        self.lock = threading.Lock()
        self.mails = []  # (rcpt, message, authenticated user)
        # a mail to a `stall` address is held after its DATA arrived until
        # `release`, then refused: a delivery in flight, never completed
        self.stall = set()
        self.stalled = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if self.stall & set(envelope.rcpt_tos):
            self.stalled.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 held by the test"
        msg = email.message_from_bytes(envelope.original_content)
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                tls = session.ssl is not None or getattr(server, "_tls_protocol", None) is not None
                self.mails.append((rcpt, msg, session.authenticated, tls))
        return "250 OK"

    def to(self, addr):
        with self.lock:
            return [m for m in self.mails if m[0] == addr]


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"khnet" and auth_data.password == b"s3cret pass"
    return AuthResult(success=ok, handled=False)


def make_cert():
    key, crt = os.path.join(TMP, "key.pem"), os.path.join(TMP, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", crt, "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(crt, key)
    return ctx, crt


INBOX = Inbox()
TLS, CA = make_cert()


def smtp_start():
    c = Controller(INBOX, hostname="127.0.0.1", port=SMTP_PORT, tls_context=TLS,
                   require_starttls=True, authenticator=authenticator, auth_require_tls=True)
    c.start()
    return c


# ---- khnetd on a database of its own -----------------------------------------
psql('CREATE DATABASE "%s"' % DB_NAME)
subprocess.run([os.environ["KHNETD"], "migrate", "--database-url", DB], check=True,
               capture_output=True)
HTTP_PORT = free_port()
ADDR = ("127.0.0.1", HTTP_PORT)
LOG = open(os.path.join(TMP, "khnetd.log"), "w+")


def khnetd_start():
    return subprocess.Popen(
        [os.environ["KHNETD"], "--listen", "127.0.0.1:%d" % HTTP_PORT, "--database-url", DB,
         "--workers", "2", "--scrypt-n", "1024", "--auth-burst-addr", "1000",
         "--auth-burst-email", "1000", "--public-url", "https://khnet.example",
         "--mail-from", "no-reply@khnet.example",
         "--mail-url", "smtp://khnet:s3cret%%20pass@127.0.0.1:%d?cacert=%s" % (SMTP_PORT, CA)],
        stdout=LOG, stderr=subprocess.STDOUT)


SERVER = khnetd_start()
SMTP = smtp_start()
wait_healthy(ADDR, proc=SERVER)


def call(method, path, body=None, token=None):
    return api_call(method, path, body, token, addr=ADDR)


def db(sql):
    return psql(sql, db=DB)


def account(addr, languages=None):
    r = call("POST", "/v1/accounts", {"email": addr, "password": PW})
    assert r.status == 201, r.json
    if languages is not None:
        tok = call("POST", "/v1/sessions", {"email": addr, "password": PW}).json["token"]
        r = call("POST", "/v1/profiles", {"full_name": "Người Thử", "languages": languages}, tok)
        assert r.status == 201, r.json
    return r


def wait_mails(addr, n, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = INBOX.to(addr)
        if len(got) >= n:
            return got
        time.sleep(0.1)
    raise AssertionError("%d mail(s) to %s, wanted %d" % (len(INBOX.to(addr)), addr, n))


def subject(msg):
    return str(email.header.make_header(email.header.decode_header(msg["Subject"])))


def body(msg):
    return base64.b64decode(msg.get_payload()).decode("utf-8")


def token_in(msg, path):
    m = re.search(r"https://khnet\.example/%s\?token=([A-Za-z0-9_-]{43})" % path, body(msg))
    assert m, body(msg)
    return m.group(1)


# ---- checks --------------------------------------------------------------------
def t_reset_mail_works():
    addr = "reset.en@example.org"
    account(addr, ["en", "vi"])
    assert call("POST", "/v1/password-resets", {"email": addr}).status == 202
    rcpt, msg, auth, tls = wait_mails(addr, 1)[0]
    assert tls and auth, ("STARTTLS and AUTH were used", tls, auth)
    assert msg["Content-Language"] == "en" and subject(msg) == "Reset your khnet password", msg
    assert msg["From"] == "khnet <no-reply@khnet.example>", msg["From"]
    tok = token_in(msg, "reset")
    r = call("POST", "/v1/password-resets/confirm", {"token": tok, "new_password": PW + " 2"})
    assert r.status == 204, r.json
    assert call("POST", "/v1/sessions", {"email": addr, "password": PW + " 2"}).status == 201
    # the queue keeps no token once the mail is sent
    assert db("SELECT count(*) FROM khnet_mail_queue WHERE token IS NOT NULL") == "0"


def t_reset_mail_in_vietnamese():
    addr = "reset.vi@example.org"
    account(addr)  # no profile: Vietnamese
    assert call("POST", "/v1/password-resets", {"email": addr}).status == 202
    msg = wait_mails(addr, 1)[0][1]
    assert msg["Content-Language"] == "vi" and subject(msg) == "Đặt lại mật khẩu khnet", msg
    assert "mật khẩu mới" in body(msg), body(msg)


def t_smtp_down_then_up_exactly_once():
    global SMTP
    addr = "down.up@example.org"
    account(addr)
    SMTP.stop()
    try:
        assert call("POST", "/v1/password-resets", {"email": addr}).status == 202
        deadline = time.monotonic() + 10
        while int(db("SELECT coalesce(max(attempts), 0) FROM khnet_mail_queue "
                     "WHERE to_addr = '%s'" % addr)) < 2:
            assert time.monotonic() < deadline, "no delivery attempts while the server is down"
            time.sleep(0.2)
        assert INBOX.to(addr) == []
        assert db("SELECT state FROM khnet_mail_queue WHERE to_addr = '%s'" % addr) == "pending"
    finally:
        SMTP = smtp_start()
    wait_mails(addr, 1, timeout=30)
    time.sleep(3)  # a second copy would come within the backoff
    assert len(INBOX.to(addr)) == 1, INBOX.to(addr)
    assert db("SELECT state FROM khnet_mail_queue WHERE to_addr = '%s'" % addr) == "sent"
    tok = token_in(INBOX.to(addr)[0][1], "reset")
    r = call("POST", "/v1/password-resets/confirm", {"token": tok, "new_password": PW + " 3"})
    assert r.status == 204, r.json


def t_zz_killed_mid_send_is_not_resent():
    """PROTOCOL.md Mail, "At most once": khnetd killed while the mail server
    holds its DATA; restarted, it does not send that mail again (it stays
    `sending`, attempts 1), while later mails go out as usual.  Last (zz):
    it restarts the server."""
    global SERVER
    addr, other = "killed.mid.send@example.org", "after.restart@example.org"
    account(addr)
    account(other)
    INBOX.stall.add(addr)
    assert call("POST", "/v1/password-resets", {"email": addr}).status == 202
    assert INBOX.stalled.wait(20), "the mail never reached DATA"
    q = "SELECT state || ' ' || attempts FROM khnet_mail_queue WHERE to_addr = '%s'" % addr
    assert db(q) == "sending 1", db(q)
    SERVER.kill()
    SERVER.wait()
    INBOX.stall.discard(addr)  # a resend would now be delivered and seen
    INBOX.release.set()
    SERVER = khnetd_start()
    wait_healthy(ADDR, proc=SERVER)
    assert call("POST", "/v1/password-resets", {"email": other}).status == 202
    wait_mails(other, 1, timeout=30)
    time.sleep(5)  # a resend would come within the 2 s backoff
    assert INBOX.to(addr) == [], INBOX.to(addr)
    assert db(q) == "sending 1", db(q)


def t_invitation_mail_claims_the_account():
    officer = "officer@example.org"
    account(officer)
    db("UPDATE khnet_accounts SET role = 'liaison' WHERE email = '%s'" % officer)
    tok = call("POST", "/v1/sessions", {"email": officer, "password": PW}).json["token"]
    addr = "imported.en@example.org"
    aid = int(db("INSERT INTO khnet_accounts (email, created_by_import) VALUES ('%s', true) "
                 "RETURNING id" % addr).split()[0])
    db("INSERT INTO khnet_profiles (account_id, external_id, full_name, languages) VALUES "
       "(%d, 'x-1', 'Imported Person', ARRAY['en-AU'])" % aid)
    r = call("POST", "/v1/invitations", {"account_ids": [aid]}, tok)
    assert r.status == 200 and r.json["invited"] == [aid], r.json
    msg = wait_mails(addr, 1)[0][1]
    assert msg["Content-Language"] == "en" and "Khánh Hòa" in subject(msg), subject(msg)
    r = call("POST", "/v1/invitations/claim", {"token": token_in(msg, "claim"),
                                                "new_password": PW, "accept_terms": True})
    assert r.status == 204, r.json
    assert call("POST", "/v1/sessions", {"email": addr, "password": PW}).status == 201


try:
    T.run_all(globals())
finally:
    SERVER.terminate()
    rc = SERVER.wait(timeout=15)
    SMTP.stop()
    LOG.seek(0)
    log = LOG.read()
    psql('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % DB_NAME)
    T.check_exit("khnetd (smtp) exits 0 on SIGTERM", rc)
    if T.failed:
        sys.stderr.write(log[-5000:])
T.finish()
