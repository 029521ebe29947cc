"""mentoring.py — /v1/mentoring (PROTOCOL.md "Mentoring") from an
independent peer: hand-written HTTP and python3-msgpack against the
harness's khnetd, psql only to set roles and to read the round's pairs for
the oracle.

  * offers and requests prefilled from the profile, then saved;
  * suggestions with their explanation; the request flow with its events
    (GET /v1/events): request, accept (a conversation both can open, the
    other requests withdrawn), decline with a reason, end with feedback;
  * bad input for every endpoint, and the permission matrix;
  * 16 concurrent accepts over HTTP never overbook a mentor;
  * a round run over HTTP: its total equals networkx's optimum on the same
    eligible pairs, greedy never beats it; forbid, pin, re-run, publish,
    both sides accept.
"""

import os
import sys
import threading

import networkx as nx

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from rawhttp import Checker, api_call, expect, psql  # noqa: E402

T = Checker("mentoring")
PW = "correct horse battery"
N = [0]


def call(method, path, body=None, token=None, raw=None):
    return api_call(method, path, body, token, raw=raw, timeout=30)


class User:
    """An account with a profile (POST /v1/profiles) and a role."""

    def __init__(self, role=None, **profile):
        N[0] += 1
        email = "mentoring%d@example.org" % N[0]
        self.id = expect(call("POST", "/v1/accounts", {"email": email, "password": PW}), 201)["id"]
        if role:
            psql("UPDATE khnet_accounts SET role = '%s' WHERE id = %d" % (role, self.id))
        self.token = expect(call("POST", "/v1/sessions", {"email": email, "password": PW}),
                            201)["token"]
        body = {"full_name": "Member %d" % N[0], "languages": ["vi", "en"],
                "time_zone": "Asia/Ho_Chi_Minh"}
        body.update(profile)
        expect(self.do("POST", "/v1/profiles", body), 201)

    def do(self, method, path, body=None, raw=None):
        return call(method, path, body, self.token, raw)

    def events(self, kind):
        r = expect(self.do("GET", "/v1/events?after=0&limit=100"), 200)
        return [e for e in r["items"] if e["kind"] == kind]


def mentor(years=20, cap=3, **kw):
    kw.setdefault("expertise", ["aquaculture"])
    return User(years_experience=years, willing_to_mentor=True, mentor_capacity=cap, **kw)


def mentee(**kw):
    kw.setdefault("expertise", ["aquaculture"])
    return User(years_experience=1, seeking_mentor=True, **kw)


def ask(e, m, message=None):
    body = {"mentor_id": m.id}
    if message:
        body["message"] = message
    return e.do("POST", "/v1/mentoring/mentorships", body)


def act(u, mid, verb, body=None):
    return u.do("POST", "/v1/mentoring/mentorships/%d/%s" % (mid, verb), body)


def t_offer_and_request_prefilled():
    m = mentor(cap=4, mentor_topics=["Marine biology"])
    o = expect(m.do("GET", "/v1/mentoring/offer"), 200)
    assert o["saved"] is False and o["capacity"] == 4 and o["topics"] == ["marine biology"], o
    assert o["languages"] == ["vi", "en"] and o["time_zone"] == "Asia/Ho_Chi_Minh", o
    o = expect(m.do("PUT", "/v1/mentoring/offer",
                    {"capacity": 2, "formats": ["video", "in_person"], "cadence": "weekly"}), 200)
    assert o["saved"] is True and o["capacity"] == 2 and o["remaining"] == 2, o
    assert o["formats"] == ["in_person", "video"] and o["topics"] == ["marine biology"], o
    e = mentee()
    q = expect(e.do("GET", "/v1/mentoring/request"), 200)
    assert q["saved"] is False and q["topics"] == ["aquaculture"] and q["max_tz_gap"] == 12, q
    q = expect(e.do("PUT", "/v1/mentoring/request", {"goals": "Shrimp farming", "max_tz_gap": 3,
                                                     "career_stage": "student"}), 200)
    assert q["saved"] and q["goals"] == "Shrimp farming" and q["career_stage"] == "student", q


def t_suggest_and_flow():
    e = mentee(sectors=["aquaculture"])
    best = mentor(years=25, sectors=["aquaculture"], expertise=["aquaculture", "shrimp farming"])
    other = mentor(years=15, expertise=["aquaculture"])
    nolang = mentor(languages=["fr"])
    expect(e.do("PUT", "/v1/mentoring/request", {"goals": "shrimp farming in Khánh Hòa"}), 200)
    s = expect(e.do("GET", "/v1/mentoring/suggestions?limit=50"), 200)
    ids = [i["mentor"]["id"] for i in s["items"]]
    assert ids.index(best.id) < ids.index(other.id) and nolang.id not in ids, ids
    top = s["items"][ids.index(best.id)]
    assert top["explanation"]["sectors"] == ["aquaculture"], top
    assert "shrimp" in top["explanation"]["goal_words"], top
    assert top["score"] == sum(top["explanation"]["points"].values()), top
    r1 = expect(ask(e, best, "Chào anh"), 201)
    r2 = expect(ask(e, other), 201)
    assert r1["status"] == "requested" and r1["message"] == "Chào anh", r1
    assert [x["payload"]["id"] for x in best.events("mentoring.requested")] == [r1["id"]]
    a = expect(act(best, r1["id"], "accept"), 200)
    assert a["status"] == "active" and a["conversation_id"], a
    expect(e.do("GET", "/v1/conversations/%d" % a["conversation_id"]), 200)
    w = other.events("mentoring.withdrawn")
    assert [x["payload"]["id"] for x in w] == [r2["id"]], w
    expect(act(other, r2["id"], "accept"), 409, "conflict")
    lst = expect(e.do("GET", "/v1/mentoring/mentorships?status=active"), 200)
    assert [x["id"] for x in lst["items"]] == [r1["id"]], lst
    end = expect(act(e, r1["id"], "end", {"reason": "done", "rating": 5, "comment": "great"}), 200)
    assert end["status"] == "ended" and len(best.events("mentoring.ended")) == 1, end
    expect(act(best, r1["id"], "feedback", {"rating": 4}), 201)
    expect(act(best, r1["id"], "feedback", {"rating": 4}), 409, "conflict")
    s = expect(best.do("GET", "/v1/mentoring/feedback/summary"), 200)
    assert s["count"] == 1 and s["average"] is None and s["minimum"] == 3, s


def t_decline_and_not_eligible():
    e = mentee()
    m = mentor()
    r = expect(ask(e, m), 201)
    expect(act(e, r["id"], "decline"), 403, "forbidden")
    d = expect(act(m, r["id"], "decline", {"reason": "Không đúng chuyên môn"}), 200)
    assert d["status"] == "declined" and d["reason"] == "Không đúng chuyên môn", d
    assert e.events("mentoring.declined")[0]["payload"]["reason"] == "Không đúng chuyên môn"
    junior = mentor(years=2)
    r = expect(ask(e, junior), 409, "not_eligible", "mentor_id")
    assert r["error"]["reasons"] == ["experience_gap"], r


def t_concurrent_accepts_never_overbook():
    m = mentor(years=30, cap=3)
    ids = [expect(ask(mentee(), m), 201)["id"] for _ in range(16)]
    out = [None] * 16

    def go(k):
        out[k] = act(m, ids[k], "accept").status
    threads = [threading.Thread(target=go, args=(k,)) for k in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(out) == [200] * 3 + [409] * 13, out
    o = expect(m.do("GET", "/v1/mentoring/offer"), 200)
    assert o["active"] == 3 and o["remaining"] == 0, o


def networkx_total(pairs, caps):
    g = nx.DiGraph()
    for e, m, s in pairs:
        g.add_edge("s", ("e", e), capacity=1, weight=0)
        g.add_edge(("e", e), ("m", m), capacity=1, weight=-s)
    for m, c in caps.items():
        g.add_edge(("m", m), "t", capacity=c, weight=0)
    n = len({e for e, _, _ in pairs})
    g.add_edge("s", "t", capacity=n, weight=0)
    g.nodes["s"]["demand"], g.nodes["t"]["demand"] = -n, n
    return -nx.cost_of_flow(g, nx.min_cost_flow(g))


def t_round_over_http():
    officer = User(role="liaison")
    rnd = expect(officer.do("POST", "/v1/mentoring/rounds",
                            {"name": "Vòng 1", "deadline": "2099-06-01T00:00:00Z",
                             "sector": "aquaculture"}), 201)
    path = "/v1/mentoring/rounds/%d" % rnd["id"]
    # every reply that is a round says how the caller joined it (here: not)
    assert "joined_as" in rnd and rnd["joined_as"] is None, rnd
    zones = ["Asia/Ho_Chi_Minh", "Europe/Paris", "Australia/Sydney", "America/Chicago"]
    topics = ["aquaculture", "tourism", "renewable energy"]
    mentors = [User(years_experience=8 + k, time_zone=zones[k % 4],
                    expertise=[topics[k % 3]], languages=["vi"] if k % 2 else ["vi", "en"])
               for k in range(8)]
    mentees = [User(years_experience=k % 4, time_zone=zones[(k * 3) % 4],
                    expertise=[topics[(k * 2) % 3]], languages=["vi"]) for k in range(20)]
    for k, m in enumerate(mentors):
        expect(m.do("POST", path + "/join", {"side": "mentor", "capacity": 1 + k % 3}), 200)
    for e in mentees:
        expect(e.do("POST", path + "/join", {"side": "mentee"}), 200)
    r = expect(officer.do("POST", path + "/run"), 200)
    assert r["status"] == "review" and r["runs"] == 1, r
    assert "joined_as" in r and r["joined_as"] is None, sorted(r)
    # The oracle: networkx on the eligible pairs as the database lists them.
    rows = psql("SELECT string_agg(mentee_id || ',' || mentor_id || ',' || score, ';') "
                "FROM khnet_round_pairs(%d)" % rnd["id"])
    pairs = [tuple(int(x) for x in p.split(",")) for p in rows.split(";")]
    caps = {m.id: 1 + k % 3 for k, m in enumerate(mentors)}
    want = networkx_total(pairs, caps)
    assert r["total_score"] == want and r["greedy_score"] <= want, (r["total_score"], want)
    print("round over HTTP: optimum %d, greedy %d" % (r["total_score"], r["greedy_score"]))
    matched = [x for x in r["results"] if x["mentor_id"]]
    # Member views hold no results; officers' do.
    v = expect(mentees[0].do("GET", path), 200)
    assert "results" not in v and v["joined_as"] == "mentee", v
    expect(mentees[0].do("POST", path + "/run"), 403, "forbidden")
    f = matched[0]
    ru = expect(officer.do("PUT", path + "/rules", {"mentee_id": f["mentee_id"],
                                                    "mentor_id": f["mentor_id"], "rule": "forbid"}), 200)
    assert "joined_as" in ru and ru["joined_as"] is None, sorted(ru)
    r2 = expect(officer.do("POST", path + "/run"), 200)
    assert r2["runs"] == 2
    assert all((x["mentee_id"], x["mentor_id"]) != (f["mentee_id"], f["mentor_id"])
               for x in r2["results"]), r2["results"]
    pub = expect(officer.do("POST", path + "/publish"), 200)
    assert pub["status"] == "published" and pub["proposals"] >= 1, pub
    assert "joined_as" in pub and pub["joined_as"] is None, sorted(pub)
    expect(officer.do("POST", path + "/run"), 409, "conflict")
    byid = {u.id: u for u in mentors + mentees}
    x = next(x for x in r2["results"] if x["mentor_id"])
    e, m = byid[x["mentee_id"]], byid[x["mentor_id"]]
    prop = e.events("mentoring.proposed")
    assert len(prop) == 1 and prop[0]["payload"]["status"] == "proposed", prop
    pid = prop[0]["payload"]["id"]
    assert expect(act(e, pid, "accept"), 200)["status"] == "proposed"
    assert expect(act(m, pid, "accept"), 200)["status"] == "active"


def t_permission_matrix():
    users = {role: User(role=role if role != "member" else None)
             for role in ("member", "moderator", "liaison", "admin")}
    for role, u in users.items():
        officer = role in ("liaison", "admin")
        for method, path, body in (("GET", "/v1/mentoring/stats", None),
                                   ("GET", "/v1/mentoring/feedback", None),
                                   ("POST", "/v1/mentoring/rounds",
                                    {"name": "R", "deadline": "2099-01-01T00:00:00Z"})):
            r = u.do(method, path, body)
            if officer:
                assert r.status in (200, 201), (role, path, r.status, r.json)
            else:
                expect(r, 403, "forbidden")
    rid = expect(users["admin"].do("POST", "/v1/mentoring/rounds",
                                   {"name": "P", "deadline": "2099-01-01T00:00:00Z"}), 201)["id"]
    for role in ("member", "moderator"):
        u = users[role]
        for method, verb, body in (("POST", "run", None), ("POST", "publish", None),
                                   ("PUT", "rules", {"mentee_id": 1, "mentor_id": 2,
                                                     "rule": "pin"})):
            expect(u.do(method, "/v1/mentoring/rounds/%d/%s" % (rid, verb), body), 403,
                   "forbidden")
    # A mentorship is seen and acted on by its two sides only.
    e, m, stranger = mentee(), mentor(), users["admin"]
    r = expect(ask(e, m), 201)
    for verb in ("accept", "decline", "withdraw", "end"):
        expect(act(stranger, r["id"], verb), 404, "not_found")
    expect(act(e, r["id"], "accept"), 403, "forbidden")
    expect(act(m, r["id"], "withdraw"), 403, "forbidden")
    expect(act(e, r["id"], "end"), 409, "conflict")
    # No token: 401 everywhere.
    for method, path in (("GET", "/v1/mentoring/offer"), ("PUT", "/v1/mentoring/request"),
                         ("GET", "/v1/mentoring/suggestions"),
                         ("POST", "/v1/mentoring/mentorships"),
                         ("POST", "/v1/mentoring/rounds/1/join")):
        expect(call(method, path, {}), 401, "unauthenticated")
    # No profile: 404 with a hint.
    bare = User.__new__(User)
    N[0] += 1
    email = "bare%d@example.org" % N[0]
    bare.id = expect(call("POST", "/v1/accounts", {"email": email, "password": PW}), 201)["id"]
    bare.token = expect(call("POST", "/v1/sessions", {"email": email, "password": PW}),
                        201)["token"]
    expect(bare.do("GET", "/v1/mentoring/offer"), 404, "not_found")
    expect(bare.do("GET", "/v1/mentoring/suggestions"), 404, "not_found")


def t_bad_inputs():
    u, m = mentee(), mentor()
    cases = [
        ("PUT", "/v1/mentoring/offer", {"capacity": 51}, "out_of_range", "capacity"),
        ("PUT", "/v1/mentoring/offer", {"capacity": "2"}, "invalid_type", "capacity"),
        ("PUT", "/v1/mentoring/offer", {"colour": 1}, "unknown_field", "colour"),
        ("PUT", "/v1/mentoring/offer", {"time_zone": "Mars/Base"}, "invalid_value", "time_zone"),
        ("PUT", "/v1/mentoring/offer", {"time_zone": "Bad Zone!"}, "invalid_value", "time_zone"),
        ("PUT", "/v1/mentoring/offer", {"languages": ["not a tag"]}, "invalid_value",
         "languages.0"),
        ("PUT", "/v1/mentoring/offer", {"formats": ["fax"]}, "invalid_value", "formats.0"),
        ("PUT", "/v1/mentoring/offer", {"cadence": "daily"}, "invalid_value", "cadence"),
        ("PUT", "/v1/mentoring/offer", {"topics": ["x"] * 21}, "too_long", "topics"),
        ("PUT", "/v1/mentoring/offer", {"topics": ["x" * 101]}, "too_long", "topics.0"),
        ("PUT", "/v1/mentoring/offer", {"topics": [1]}, "invalid_type", "topics.0"),
        ("PUT", "/v1/mentoring/offer", {"topics": None}, "invalid_type", "topics"),
        ("PUT", "/v1/mentoring/offer", {"paused": "yes"}, "invalid_type", "paused"),
        ("PUT", "/v1/mentoring/offer", {"note": "n" * 1001}, "too_long", "note"),
        ("PUT", "/v1/mentoring/request", {"max_tz_gap": 13}, "out_of_range", "max_tz_gap"),
        ("PUT", "/v1/mentoring/request", {"career_stage": "guru"}, "invalid_value",
         "career_stage"),
        ("PUT", "/v1/mentoring/request", {"goals": "g" * 2001}, "too_long", "goals"),
        ("GET", "/v1/mentoring/suggestions?limit=0", None, "out_of_range", "limit"),
        ("GET", "/v1/mentoring/suggestions?limit=51", None, "out_of_range", "limit"),
        ("GET", "/v1/mentoring/suggestions?limit=x", None, "invalid_value", "limit"),
        ("POST", "/v1/mentoring/mentorships", {}, "missing_field", "mentor_id"),
        ("POST", "/v1/mentoring/mentorships", {"mentor_id": "7"}, "invalid_type", "mentor_id"),
        ("POST", "/v1/mentoring/mentorships", {"mentor_id": 0}, "out_of_range", "mentor_id"),
        ("POST", "/v1/mentoring/mentorships", {"mentor_id": m.id, "message": "m" * 2001},
         "too_long", "message"),
        ("POST", "/v1/mentoring/mentorships", {"mentor_id": 999999999}, "not_found",
         "mentor_id"),
        ("POST", "/v1/mentoring/mentorships", {"mentor_id": u.id}, "not_eligible", "mentor_id"),
        ("GET", "/v1/mentoring/mentorships?status=happy", None, "invalid_value", "status"),
        ("GET", "/v1/mentoring/mentorships?after=zzz", None, "invalid_value", "after"),
        ("POST", "/v1/mentoring/mentorships/abc/accept", None, "invalid_value", "id"),
        ("POST", "/v1/mentoring/mentorships/0/accept", None, "invalid_value", "id"),
        ("POST", "/v1/mentoring/mentorships/999999/accept", None, "not_found", None),
        ("POST", "/v1/mentoring/mentorships/1/end", {"rating": 6}, "out_of_range", "rating"),
        ("POST", "/v1/mentoring/mentorships/1/end", {"comment": "c"}, "missing_field", "rating"),
        ("POST", "/v1/mentoring/mentorships/1/decline", {"reason": "r" * 501}, "too_long",
         "reason"),
        ("POST", "/v1/mentoring/mentorships/1/decline", {"rating": 3}, "unknown_field",
         "rating"),
        ("POST", "/v1/mentoring/mentorships/1/feedback", {}, "missing_field", "rating"),
        ("POST", "/v1/mentoring/rounds/1/join", {"side": "judge"}, "invalid_value", "side"),
        ("POST", "/v1/mentoring/rounds/1/join", {"side": "mentor"}, "missing_field", "capacity"),
        ("POST", "/v1/mentoring/rounds/1/join", {"side": "mentor", "capacity": 21},
         "out_of_range", "capacity"),
        ("POST", "/v1/mentoring/rounds/999999/join", {"side": "mentee"}, "not_found", None),
        ("GET", "/v1/mentoring/rounds/999999", None, "not_found", None),
    ]
    for method, path, body, code, field in cases:
        r = u.do(method, path, body)
        assert r.json and r.json.get("error", {}).get("code") == code, (path, body, r.status,
                                                                         r.json)
        assert r.json["error"].get("field") == field, (path, body, r.json)
    officer = User(role="liaison")
    rounds = [
        ({"deadline": "2099-01-01T00:00:00Z"}, "missing_field", "name"),
        ({"name": "R", "deadline": "tomorrow"}, "invalid_value", "deadline"),
        ({"name": "R", "deadline": "2001-01-01T00:00:00Z"}, "invalid_value", "deadline"),
        ({"name": "R", "deadline": "2099-01-01T00:00:00Z", "sector": "nope"}, "invalid_value",
         "sector"),
        ({"name": "", "deadline": "2099-01-01T00:00:00Z"}, "too_short", "name"),
    ]
    for body, code, field in rounds:
        expect(officer.do("POST", "/v1/mentoring/rounds", body), 400, code, field)
    rid = expect(officer.do("POST", "/v1/mentoring/rounds",
                            {"name": "R", "deadline": "2099-01-01T00:00:00Z"}), 201)["id"]
    rules = "/v1/mentoring/rounds/%d/rules" % rid
    expect(officer.do("PUT", rules, {"mentee_id": u.id, "mentor_id": m.id, "rule": "kiss"}), 400,
           "invalid_value", "rule")
    expect(officer.do("PUT", rules, {"mentee_id": u.id, "mentor_id": m.id, "rule": "pin"}), 400,
           "invalid_value", "mentee_id")
    expect(officer.do("POST", "/v1/mentoring/rounds/%d/publish" % rid), 409, "conflict")


T.run_all(globals())
T.finish()
