"""mailed.py — a token the development mailer (transport=log) wrote.

The mail queue is the database's, and every khnetd serving that database
runs a pump that delivers from it.  A suite that starts its own khnetd
beside the harness's (same database) finds a mail in whichever server's
log delivered it: reading only its own log made those suites wait 15 s
and fail whenever the harness's pump won the race (interop.invitations,
interop.permission_matrix)."""

import os
import re
import time


def mail_logs(*own):
    """The suite's own server logs and the harness's, each once."""
    logs = [path for path in own if path]
    harness = os.environ.get("KHNET_SERVER_LOG")
    if harness and harness not in logs:
        logs.append(harness)
    return logs


def log_marks(logs):
    """Where each log ends now: read only what is written after."""
    return {path: os.path.getsize(path) for path in logs}


def new_text(logs, marks=None):
    """Everything written to logs since marks (all of it without)."""
    out = []
    for path in logs:
        with open(path, encoding="utf-8", errors="replace") as f:
            f.seek((marks or {}).get(path, 0))
            out.append(f.read())
    return "\n".join(out)


def mailed_token(email, key, logs, marks=None, timeout=15.0):
    """The newest `key` (invitation_token, reset_token) mailed to email in
    any of logs since marks, by the lines' timestamps; waits up to timeout
    (the pump delivers asynchronously)."""
    pat = re.compile(r'^ts=(\S+) .*to="%s" %s=([A-Za-z0-9_-]{43})' % (re.escape(email), key),
                     re.M)
    deadline = time.monotonic() + timeout
    while True:
        found = pat.findall(new_text(logs, marks))
        if found:
            return max(found)[1]
        if time.monotonic() >= deadline:
            raise AssertionError("no %s logged for %s in %s" % (key, email, ", ".join(logs)))
        time.sleep(0.05)
