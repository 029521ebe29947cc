"""mentoring_cli.py — `khnet mentor ...` and `khnet round ...` (the CLI on
libkhnet's typed mentoring calls) against the harness's khnetd: an offer
changed and shown, suggestions, a request accepted and ended with a
rating, a round opened, joined, run and published; exit codes 1 for the
server's refusals and 2 for bad command lines.  Accounts and profiles are
made over HTTP by hand (rawhttp), so only the commands under test use
libkhnet.
"""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from rawhttp import Checker, api_call, expect, psql  # noqa: E402

T = Checker("mentoring_cli")
CLI = os.environ.get("KHNET_CLI")
PW = "correct horse battery"
N = [0]


def user(role=None, **profile):
    N[0] += 1
    email = "cli%d@example.org" % N[0]
    uid = expect(api_call("POST", "/v1/accounts", {"email": email, "password": PW}), 201)["id"]
    if role:
        psql("UPDATE khnet_accounts SET role = '%s' WHERE id = %d" % (role, uid))
    tok = expect(api_call("POST", "/v1/sessions", {"email": email, "password": PW}), 201)["token"]
    body = {"full_name": "CLI member %d" % N[0], "languages": ["vi"],
            "time_zone": "Asia/Ho_Chi_Minh", "expertise": ["aquaculture"]}
    body.update(profile)
    expect(api_call("POST", "/v1/profiles", body, tok), 201)
    return uid, tok


def khnet(tok, *args):
    """(exit code, parsed JSON stdout or None, stderr); --json puts an error
    body on stdout too."""
    p = subprocess.run([CLI, "--json", "--token", tok] + list(args), capture_output=True, text=True,
                       timeout=60)
    try:
        out = json.loads(p.stdout) if p.stdout.strip() else None
    except ValueError:
        out = None
    return p.returncode, out, p.stderr


MENTOR, MTOK = user(years_experience=20, willing_to_mentor=True, mentor_capacity=1)
MENTEE, ETOK = user(years_experience=1, seeking_mentor=True)
OFFICER, OTOK = user(role="liaison")


def t_offer():
    rc, o, err = khnet(MTOK, "mentor", "offer", "--capacity", "2", "aquaculture", "shrimp farming")
    assert rc == 0 and o["capacity"] == 2 and o["saved"], (rc, o, err)
    assert o["topics"] == ["aquaculture", "shrimp farming"], o
    rc, o, _ = khnet(MTOK, "mentor", "offer")
    assert rc == 0 and o["capacity"] == 2, o
    rc, _, err = khnet(MTOK, "mentor", "offer", "--capacity", "99")
    assert rc == 2 and "99" in err, (rc, err)
    rc, _, _ = khnet(MTOK, "mentor", "offer", "--colour")
    assert rc == 2


def t_request_accept_end():
    rc, s, err = khnet(ETOK, "mentor", "suggest", "5")
    assert rc == 0 and s["items"][0]["mentor"]["id"] == MENTOR, (rc, s, err)
    rc, r, err = khnet(ETOK, "mentor", "request", str(MENTOR), "Xin chào")
    assert rc == 0 and r["status"] == "requested" and r["message"] == "Xin chào", (rc, r, err)
    rc, again, _ = khnet(ETOK, "mentor", "request", str(MENTOR))
    assert rc == 1 and again["error"]["code"] == "conflict", (rc, again)
    rc, a, _ = khnet(ETOK, "mentor", "accept", str(r["id"]))
    assert rc == 1 and a["error"]["code"] == "forbidden", a
    rc, a, _ = khnet(MTOK, "mentor", "accept", str(r["id"]))
    assert rc == 0 and a["status"] == "active", a
    rc, lst, _ = khnet(ETOK, "mentor", "list", "active")
    assert rc == 0 and [x["id"] for x in lst["items"]] == [r["id"]], lst
    rc, e, _ = khnet(ETOK, "mentor", "end", str(r["id"]), "5", "cảm ơn")
    assert rc == 0 and e["status"] == "ended", e
    rc, _, _ = khnet(ETOK, "mentor", "end", str(r["id"]), "9")
    assert rc == 2
    rc, _, _ = khnet(ETOK, "mentor", "accept", "x")
    assert rc == 2


def t_round():
    rc, rnd, err = khnet(OTOK, "round", "open", "CLI round", "2099-01-01T00:00:00Z", "aquaculture")
    assert rc == 0 and rnd["status"] == "open", (rc, rnd, err)
    rid = str(rnd["id"])
    rc, _, _ = khnet(ETOK, "round", "open", "No", "2099-01-01T00:00:00Z")
    assert rc == 1
    assert khnet(MTOK, "round", "join", rid, "mentor", "2")[0] == 0
    assert khnet(ETOK, "round", "join", rid, "mentee")[0] == 0
    assert khnet(ETOK, "round", "join", rid, "mentor")[0] == 2  # a mentor needs a capacity
    rc, run, _ = khnet(OTOK, "round", "run", rid)
    assert rc == 0 and run["status"] == "review", run
    assert [(x["mentee_id"], x["mentor_id"]) for x in run["results"]] == [(MENTEE, MENTOR)], run
    rc, pub, _ = khnet(OTOK, "round", "publish", rid)
    assert rc == 0 and pub["proposals"] == 1, pub
    rc, show, _ = khnet(ETOK, "round", "show", rid)
    assert rc == 0 and show["status"] == "published" and "results" not in show, show
    rc, st, _ = khnet(OTOK, "mentor", "stats")
    assert rc == 0 and st["open_proposals"] == 1, st


if not CLI:
    print("KHNET_CLI is not set")
    sys.exit(77)
T.run_all(globals())
T.finish()
