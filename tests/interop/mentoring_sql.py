"""mentoring_sql.py — mentor matching in the database (migrations 0010 and
the repeatable mentoring file), called the way the handlers call it, with
psql as an independent client:

  * working-day overlap from IANA zones across daylight saving, and the
    circular clock gap;
  * suggestion quality on seeded members: equal topics first; nobody
    without a shared language, with too small an experience gap, beyond
    the mentee's time-zone limit, blocked, paused or full; Vietnamese
    topics find an English-named mentor of the same thesaurus concept;
  * the flow with its events: request, accept (a conversation opened,
    the mentee's other requests withdrawn with an event to each mentor),
    decline with a reason, pause, expiry, end with feedback, the mentor's
    anonymous summary only from the minimum count;
  * who may do what on a mentorship;
  * 16 concurrent accepts never overbook a mentor, and four mentors
    accepting one mentee at once make exactly one mentorship;
  * a round: problem → the optimiser (tests/match/match_driver.c) → store,
    its optimum against networkx on the same pairs, pins and forbids,
    re-run, publish, both sides accept; audited.
"""

import os
import sys
import time

import networkx as nx

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from mentoring_lib import call_sql, call_sql_async, events, member, solve, sql  # noqa: E402
from rawhttp import Checker  # noqa: E402

T = Checker("mentoring_sql")
DRIVER = os.environ.get("KHNET_MATCH_DRIVER")


def t_tz_overlap_dst():
    def q(a, b, day):
        return float(sql("SELECT khnet_tz_overlap_hours('%s', '%s', '%s')" % (a, b, day)))
    # Berlin is UTC+1 in January, UTC+2 in July; Ho Chi Minh City UTC+7 all year.
    assert q("Europe/Berlin", "Asia/Ho_Chi_Minh", "2026-01-15") == 3.0
    assert q("Europe/Berlin", "Asia/Ho_Chi_Minh", "2026-07-15") == 4.0
    assert q("Asia/Ho_Chi_Minh", "Europe/Berlin", "2026-07-15") == 4.0
    # The day Berlin moves its clocks (29 March 2026, 02:00 -> 03:00): the
    # working day itself is after the change, so it is a summer day.
    assert q("Europe/Berlin", "Asia/Ho_Chi_Minh", "2026-03-29") == 4.0
    assert q("Europe/Berlin", "Asia/Ho_Chi_Minh", "2026-03-28") == 3.0
    # Los Angeles and Ho Chi Minh City never share a working hour.
    assert q("America/Los_Angeles", "Asia/Ho_Chi_Minh", "2026-07-15") == 0.0
    assert q("Asia/Tokyo", "Asia/Tokyo", "2026-07-15") == 9.0
    # Half-hour zones; and Auckland (UTC+13 in January) works while Hawaii
    # (UTC-10) works the day before: 23 hours apart is 1 hour apart.
    assert q("Asia/Kolkata", "Asia/Ho_Chi_Minh", "2026-07-15") == 7.5
    assert q("Pacific/Auckland", "Pacific/Honolulu", "2026-01-15") == 8.0


def t_tz_overlap_from_offsets():
    """Scoring's overlap from offsets equals the date-based one on ordinary days."""
    zones = ["Europe/Berlin", "Asia/Ho_Chi_Minh", "America/Los_Angeles", "Asia/Kolkata",
             "Pacific/Auckland", "Pacific/Honolulu", "Australia/Adelaide", "America/Sao_Paulo"]
    for day in ("2026-01-15", "2026-07-15"):
        diff = sql("SELECT count(*) FROM unnest(ARRAY%r) a, unnest(ARRAY%r) b"
                   " WHERE khnet_tz_overlap_hours(a, b, '%s') <> khnet_workday_overlap("
                   "khnet_tz_offset_hours(a, '%s 12:00'::timestamp AT TIME ZONE a),"
                   " khnet_tz_offset_hours(b, '%s 12:00'::timestamp AT TIME ZONE a))"
                   % (zones, zones, day, day, day))
        assert diff == "0", (day, diff)


def t_tz_gap():
    def g(a, b, t):
        return float(sql("SELECT khnet_tz_gap_hours('%s', '%s', '%s')" % (a, b, t)))
    assert g("Europe/Berlin", "Asia/Ho_Chi_Minh", "2026-01-15 12:00Z") == 6.0
    assert g("Europe/Berlin", "Asia/Ho_Chi_Minh", "2026-07-15 12:00Z") == 5.0
    assert g("Pacific/Kiritimati", "Pacific/Honolulu", "2026-07-15 12:00Z") == 0.0  # +14, -10
    assert g("America/New_York", "Asia/Ho_Chi_Minh", "2026-07-15 12:00Z") == 11.0
    assert g("America/Los_Angeles", "Asia/Ho_Chi_Minh", "2026-01-15 12:00Z") == 9.0  # -8, +7


def t_topic_keys():
    k = sql("SELECT khnet_topic_key('Nuôi trồng thủy sản') = khnet_topic_key('aquaculture'),"
            " khnet_topic_key('DU LỊCH') = khnet_topic_key('Tourism'),"
            " khnet_topic_key('Aquaculture') <> khnet_topic_key('tourism'),"
            " khnet_topic_key('something  unknown!')")
    assert k == "t|t|t|something unknown", k
    # "fish farming" is aquaculture only in the thesaurus (0009), when installed.
    has = sql("SELECT to_regclass('khnet_concept_labels') IS NOT NULL")
    same = sql("SELECT khnet_topic_key('fish farming') = khnet_topic_key('aquaculture')")
    assert same == has, (same, has)


# ---- suggestions ----------------------------------------------------------------

MENTEE = member("Lê Thu Mentee", langs=["vi", "en"], years=2, tz="Asia/Ho_Chi_Minh",
                expertise=["coral reef ecology"], seeking=True, sectors=["aquaculture"])
EXACT = member("Exact Mentor", langs=["en"], years=20, tz="Asia/Singapore",
               expertise=["coral reef ecology", "marine biology"], willing=True, mentor_capacity=2,
               sectors=["aquaculture"])
PARTIAL = member("Partial Mentor", langs=["en", "vi"], years=15, tz="Asia/Bangkok",
                 expertise=["marine biology"], willing=True, mentor_capacity=3)
NOLANG = member("No Language Mentor", langs=["fr"], years=25, tz="Asia/Ho_Chi_Minh",
                expertise=["coral reef ecology"], willing=True, mentor_capacity=3)
JUNIOR = member("Junior Mentor", langs=["en"], years=4, tz="Asia/Ho_Chi_Minh",
                expertise=["coral reef ecology"], willing=True, mentor_capacity=3)
FAR = member("Far Mentor", langs=["en"], years=30, tz="America/Los_Angeles",
             expertise=["coral reef ecology"], willing=True, mentor_capacity=3)
BLOCKED = member("Blocked Mentor", langs=["en"], years=30, tz="Asia/Ho_Chi_Minh",
                 expertise=["coral reef ecology"], willing=True, mentor_capacity=3)
FULL = member("Full Mentor", langs=["en"], years=30, tz="Asia/Ho_Chi_Minh",
              expertise=["coral reef ecology"], willing=True, mentor_capacity=0)
AQUA_EN = member("Aquaculture Mentor", langs=["en"], years=18, tz="Australia/Perth",
                 expertise=["aquaculture"], willing=True, mentor_capacity=2)
sql("INSERT INTO khnet_blocks (blocker_id, blocked_id) VALUES (%d, %d)" % (BLOCKED, MENTEE))
call_sql("khnet_mentee_request_put", MENTEE,
         {"max_tz_gap": 6, "goals": "I want to learn coral restoration and marine biology"})


def suggested(mentee, limit=20):
    st, _, body = call_sql("khnet_mentoring_suggest", mentee, limit)
    assert st == "ok", body
    return body


def t_suggest_quality():
    body = suggested(MENTEE)
    ids = [i["mentor"]["id"] for i in body["items"]]
    assert ids[0] == EXACT, ids
    assert PARTIAL in ids, ids
    for gone in (NOLANG, JUNIOR, FAR, BLOCKED, FULL):
        assert gone not in ids, (gone, ids)
    top = body["items"][0]
    ex = top["explanation"]
    assert ex["topics"] == ["coral reef ecology"], ex
    assert ex["goal_words"] == ["biology", "coral", "marine"], ex
    assert ex["languages"] == ["en"] and ex["overlap_hours"] == 8.0, ex
    assert ex["sectors"] == ["aquaculture"] and ex["experience_gap"] == 18, ex
    p = ex["points"]
    assert top["score"] == sum(p.values()), (top["score"], p)
    assert p == {"eligible": 10, "topics": 25, "goal_words": 24, "languages": 5, "overlap": 24,
                 "sector": 15, "experience": 10, "capacity": 4}, p
    # The prefilled request: topics from the profile, the saved max gap.
    assert body["request"]["topics"] == ["coral reef ecology"], body["request"]
    assert body["request"]["max_tz_gap"] == 6 and body["request"]["saved"] is True


def t_suggest_vietnamese_topic():
    vi = member("Vietnamese Mentee", langs=["vi", "en"], years=1, tz="Asia/Ho_Chi_Minh",
                expertise=["nuôi trồng thủy sản"], seeking=True)
    body = suggested(vi)
    ids = [i["mentor"]["id"] for i in body["items"]]
    assert ids[0] == AQUA_EN, ids
    assert body["items"][0]["explanation"]["topics"] == ["nuôi trồng thủy sản"], body["items"][0]


def t_pair_reasons():
    rows = sql("SELECT m.id, array_to_string((khnet_mentor_pair(e, m, now(), NULL, NULL)).reasons, ',')"
               " FROM khnet_mentee_side e, khnet_mentor_side m WHERE e.id = %d"
               " AND m.id IN (%d, %d, %d, %d, %d) ORDER BY m.id"
               % (MENTEE, NOLANG, JUNIOR, FAR, BLOCKED, FULL))
    got = dict(r.split("|") for r in rows.split("\n"))
    assert got == {str(NOLANG): "no_shared_language", str(JUNIOR): "experience_gap",
                   str(FAR): "time_zone_gap", str(BLOCKED): "blocked",
                   str(FULL): "no_capacity"}, got


# ---- the flow -----------------------------------------------------------------------

def t_flow_request_accept_end():
    e = member("Flow Mentee", years=1, expertise=["tourism"], seeking=True)
    m1 = member("Flow Mentor One", years=20, expertise=["tourism"], willing=True, mentor_capacity=2)
    m2 = member("Flow Mentor Two", years=20, expertise=["tourism"], willing=True, mentor_capacity=2)
    st, _, r1 = call_sql("khnet_mentoring_request", e, m1, "Xin chào, please mentor me")
    assert st == "created" and r1["status"] == "requested", (st, r1)
    st, _, r2 = call_sql("khnet_mentoring_request", e, m2, None)
    assert st == "created", r2
    st, field, _ = call_sql("khnet_mentoring_request", e, m2, None)
    assert (st, field) == ("conflict", "mentor_id")
    assert [p["id"] for _, p in events(m1, "mentoring.requested")] == [r1["id"]]
    # The mentee cannot accept their own request; a stranger does not see it.
    assert call_sql("khnet_mentoring_accept", e, r1["id"])[0] == "forbidden"
    assert call_sql("khnet_mentoring_accept", m2, r1["id"])[0] == "not_found"
    st, _, a = call_sql("khnet_mentoring_accept", m1, r1["id"])
    assert st == "ok" and a["status"] == "active" and a["conversation_id"], a
    members = sql("SELECT string_agg(account_id::text, ',' ORDER BY account_id) FROM"
                  " khnet_conversation_members WHERE conversation_id = %d" % a["conversation_id"])
    assert members == "%d,%d" % tuple(sorted((e, m1))), members
    # First acceptance wins: the request to m2 is withdrawn, m2 is told.
    w = events(m2, "mentoring.withdrawn")
    assert len(w) == 1 and w[0][1]["id"] == r2["id"], w
    assert call_sql("khnet_mentoring_accept", m2, r2["id"])[0] == "conflict"
    assert [k for k, _ in events(e) if k.startswith("mentoring.")] == [
        "mentoring.requested", "mentoring.requested", "mentoring.accepted", "mentoring.withdrawn"]
    # A second mentor while one is active: refused.
    assert call_sql("khnet_mentoring_request", e, m2, None)[0] == "conflict"
    # End with feedback; only the ended mentorship takes feedback once.
    assert call_sql("khnet_mentoring_close", e, a["id"], "declined", None, None, None)[0] == "conflict"
    st, _, end = call_sql("khnet_mentoring_close", e, a["id"], "ended", "we are done", 5, "great")
    assert st == "ok" and end["status"] == "ended" and end["reason"] == "we are done", end
    assert len(events(m1, "mentoring.ended")) == 1
    assert call_sql("khnet_mentoring_feedback_add", e, a["id"], 4, None)[0] == "conflict"
    assert call_sql("khnet_mentoring_feedback_add", m1, a["id"], 4, "keen")[0] == "created"
    assert call_sql("khnet_mentoring_feedback_add", m2, a["id"], 4, None)[0] == "not_found"


def t_decline_pause_expire():
    e1 = member("Decline Mentee", years=0, expertise=["tourism"])
    e2 = member("Pause Mentee", years=0, expertise=["tourism"])
    e3 = member("Expire Mentee", years=0, expertise=["tourism"])
    m = member("Busy Mentor", years=12, expertise=["tourism"], willing=True, mentor_capacity=5)
    r1 = call_sql("khnet_mentoring_request", e1, m, None)[2]
    st, _, d = call_sql("khnet_mentoring_close", e1, r1["id"], "declined", "no", None, None)
    assert st == "forbidden", d  # a mentee withdraws, never declines a request
    st, _, d = call_sql("khnet_mentoring_close", m, r1["id"], "declined", "Not my field", None, None)
    assert st == "ok" and d["status"] == "declined" and d["reason"] == "Not my field", d
    ev = events(e1, "mentoring.declined")
    assert len(ev) == 1 and ev[0][1]["reason"] == "Not my field", ev
    # Pausing declines what is open, politely, and stops new requests.
    r2 = call_sql("khnet_mentoring_request", e2, m, None)[2]
    assert call_sql("khnet_mentor_offer_put", m, {"paused": True})[0] == "ok"
    st = sql("SELECT status || '|' || close_reason FROM khnet_mentorships WHERE id = %d" % r2["id"])
    assert st.startswith("declined|The mentor is not taking new mentees"), st
    st, field, body = call_sql("khnet_mentoring_request", e3, m, None)
    assert (st, field) == ("not_eligible", "mentor_id") and body["reasons"] == ["paused"], body
    call_sql("khnet_mentor_offer_put", m, {"paused": False})
    # Expiry: an open request past its time closes at the next look.
    r3 = call_sql("khnet_mentoring_request", e3, m, None)[2]
    sql("UPDATE khnet_mentorships SET expires_at = now() - interval '1 second' WHERE id = %d"
        % r3["id"])
    st, _, lst = call_sql("khnet_mentorships_list", e3, None, None, 10)
    assert lst["items"][0]["status"] == "expired", lst
    assert len(events(m, "mentoring.expired")) == 1 and len(events(e3, "mentoring.expired")) == 1


def t_withdraw_rules():
    e = member("Withdraw Mentee", years=0, expertise=["tourism"])
    m = member("Withdraw Mentor", years=12, expertise=["tourism"], willing=True, mentor_capacity=1)
    r = call_sql("khnet_mentoring_request", e, m, None)[2]
    assert call_sql("khnet_mentoring_close", m, r["id"], "withdrawn", None, None, None)[0] == "forbidden"
    st, _, w = call_sql("khnet_mentoring_close", e, r["id"], "withdrawn", None, None, None)
    assert st == "ok" and w["status"] == "withdrawn", w
    assert call_sql("khnet_mentoring_close", e, r["id"], "ended", None, None, None)[0] == "conflict"


def t_feedback_summary_minimum():
    m = member("Rated Mentor", years=30, expertise=["tourism"], willing=True, mentor_capacity=5)
    ratings = []
    for i, rating in enumerate((5, 3, 4)):
        e = member("Rating Mentee %d" % i, years=0, expertise=["tourism"])
        r = call_sql("khnet_mentoring_request", e, m, None)[2]
        assert call_sql("khnet_mentoring_accept", m, r["id"])[0] == "ok"
        call_sql("khnet_mentoring_close", e, r["id"], "ended", None, rating, "comment %d" % i)
        ratings.append(rating)
        st, _, s = call_sql("khnet_mentoring_feedback_summary", m)
        if len(ratings) < 3:
            assert s["count"] == len(ratings) and s["average"] is None and s["ratings"] is None, s
    assert s["count"] == 3 and s["average"] == 4.0, s
    assert s["ratings"] == {"1": 0, "2": 0, "3": 1, "4": 1, "5": 1}, s
    assert "comment" not in str(s)
    st, _, fl = call_sql("khnet_mentoring_feedback_list", m, None, 100)
    assert {f["comment"] for f in fl["items"] if f["subject_id"] == m} == {
        "comment 0", "comment 1", "comment 2"}, fl


# ---- concurrency ----------------------------------------------------------------------

def t_concurrent_accepts_never_overbook():
    m = member("Popular Mentor", years=30, expertise=["tourism"], willing=True, mentor_capacity=3)
    ids = []
    for i in range(16):
        e = member("Crowd Mentee %d" % i, years=0, expertise=["tourism"])
        ids.append(call_sql("khnet_mentoring_request", e, m, None)[2]["id"])
    procs = [call_sql_async("khnet_mentoring_accept", m, i) for i in ids]
    outs = [p.communicate()[0] for p in procs]
    statuses = sorted(o.split('"')[1] for o in outs)
    assert statuses == ["capacity_full"] * 13 + ["ok"] * 3, statuses
    active = sql("SELECT count(*) FROM khnet_mentorships WHERE mentor_id = %d AND status = 'active'"
                 % m)
    assert active == "3", active


def t_concurrent_first_acceptance_wins():
    e = member("Sought Mentee", years=0, expertise=["tourism"])
    mentors = [member("Eager Mentor %d" % i, years=20, expertise=["tourism"], willing=True,
                      mentor_capacity=2) for i in range(4)]
    reqs = [call_sql("khnet_mentoring_request", e, m, None)[2]["id"] for m in mentors]
    procs = [call_sql_async("khnet_mentoring_accept", m, r) for m, r in zip(mentors, reqs)]
    statuses = sorted(p.communicate()[0].split('"')[1] for p in procs)
    assert statuses == ["conflict"] * 3 + ["ok"], statuses
    rows = sql("SELECT string_agg(status, ',' ORDER BY status) FROM khnet_mentorships"
               " WHERE mentee_id = %d" % e)
    assert rows == "active,withdrawn,withdrawn,withdrawn", rows


# ---- rounds ---------------------------------------------------------------------------------

def networkx_optimum(n, mentors, pairs):
    g = nx.DiGraph()
    for i in range(n):
        g.add_edge("s", ("e", i), capacity=1, weight=0)
    for i, j, s, _ in pairs:
        g.add_edge(("e", i), ("m", j), capacity=1, weight=-s)
    for j, (_, c) in enumerate(mentors):
        g.add_edge(("m", j), "t", capacity=c, weight=0)
    g.add_edge("s", "t", capacity=n, weight=0)
    g.nodes["s"]["demand"], g.nodes["t"]["demand"] = -n, n
    return -nx.cost_of_flow(g, nx.min_cost_flow(g))


def round_pairs(rid):
    """The round's eligible pairs as the SQL reference lists them
    (khnet_round_pairs): [(mentee, mentor, capacity, score, pinned)]."""
    rows = sql("SELECT string_agg(concat_ws(',', mentee_id, mentor_id, capacity, score,"
               " pinned::int), ';') FROM khnet_round_pairs(%d)" % rid)
    return [tuple(int(x) for x in r.split(",")) for r in rows.split(";")] if rows else []


def run_round(officer, rid):
    """The handler's run, its pairs from the SQL reference: problem (for the
    run counter), optimiser, store.  (total, greedy, body)"""
    st, _, prob = call_sql("khnet_round_problem", rid)
    assert st == "ok", prob
    rows = round_pairs(rid)
    mentees = [m[0] for m in prob["mentees"]]
    caps = {b: c for _, b, c, _, _ in rows}
    mentors = [(m[0], m[2]) for m in prob["mentors"]]
    assert all(caps.get(a, c) == c for a, c in mentors), (caps, mentors)
    ei = {a: k for k, a in enumerate(mentees)}
    mi = {a: k for k, (a, _) in enumerate(mentors)}
    pairs = [(ei[a], mi[b], s, p) for a, b, _, s, p in rows]
    total, assign = solve(DRIVER, len(mentees), mentors, pairs)
    greedy, _ = solve(DRIVER, len(mentees), mentors, pairs, "greedy")
    if not any(p[3] for p in pairs):
        assert total == networkx_optimum(len(mentees), mentors, pairs), "not the optimum"
    score = {(a, b): s for a, b, _, s, _ in rows}
    chosen = [(mentees[i], mentors[j][0]) for i, j in enumerate(assign) if j >= 0]
    st, _, body = call_sql("khnet_round_store", officer, rid, prob["runs"],
                           "{%s}" % ",".join(str(a) for a, _ in chosen),
                           "{%s}" % ",".join(str(b) for _, b in chosen),
                           "{%s}" % ",".join(str(score[c]) for c in chosen),
                           "{%s}" % ",".join(str(a) for a in sorted({r[0] for r in rows})),
                           total, greedy)
    assert st == "ok", body
    return total, greedy, body


def refused_stores(officer, rid, forbidden, pin):
    """khnet_round_store judges the chosen pairs only, and refuses each bad
    assignment (run counter current): a wrong score, a forbidden pair, a
    pin left out, a mentee twice, the sides swapped, the total off."""
    _, _, prob = call_sql("khnet_round_problem", rid)
    rows = {(a, b): s for a, b, _, s, _ in round_pairs(rid)}
    fa, fb = forbidden["mentee_id"], forbidden["mentor_id"]
    fs = int(sql("SELECT score FROM khnet_round_pair_explained(%d, %d, %d)" % (rid, fa, fb)))
    ps = rows[(pin[0], pin[1])]
    other = next(k for k in rows if k[0] not in (pin[0], fa))

    def store(pairs, total=None):
        lit = lambda v: "{%s}" % ",".join(str(x) for x in v)  # noqa: E731
        total = sum(s for _, _, s in pairs) if total is None else total
        return call_sql("khnet_round_store", officer, rid, prob["runs"],
                        lit(a for a, _, _ in pairs), lit(b for _, b, _ in pairs),
                        lit(s for _, _, s in pairs), "{}", total, 0)[0]
    assert store([(pin[0], pin[1], ps + 1)]) == "conflict"
    assert store([(pin[0], pin[1], ps), (fa, fb, fs)]) == "conflict"
    assert store([other + (rows[other],)]) == "conflict"
    assert store([(pin[0], pin[1], ps), (pin[0], pin[1], ps)]) == "conflict"
    assert store([(pin[1], pin[0], ps)]) == "conflict"
    assert store([(pin[0], pin[1], ps)], ps + 1) == "conflict"
    assert call_sql("khnet_round_get", officer, True, rid)[2]["runs"] == prob["runs"]


def t_round_full_cycle():
    if not DRIVER:
        raise AssertionError("KHNET_MATCH_DRIVER is not set")
    officer = member("Round Officer", role="liaison")
    st, field, _ = call_sql("khnet_round_open", officer, "Past", "2020-01-01T00:00:00Z", None)
    assert (st, field) == ("invalid_value", "deadline")
    st, field, _ = call_sql("khnet_round_open", officer, "Bad", "2099-01-01T00:00:00Z", "nope")
    assert (st, field) == ("invalid_value", "sector")
    st, _, rnd = call_sql("khnet_round_open", officer, "Khánh Hòa 2027", "2099-01-01T00:00:00Z",
                          "aquaculture")
    assert st == "created", rnd
    rid = rnd["id"]
    topics = ["aquaculture", "tourism", "marine biology", "renewable energy"]
    zones = ["Asia/Ho_Chi_Minh", "Europe/Berlin", "Australia/Sydney", "America/New_York"]
    mentors, mentees = [], []
    for k in range(12):
        a = member("Round Mentor %d" % k, langs=["vi"] if k % 3 else ["en", "vi"], years=10 + k,
                   tz=zones[k % 4], expertise=[topics[k % 4], topics[(k + 1) % 4]],
                   sectors=["aquaculture"] if k % 2 else [])
        assert call_sql("khnet_round_join", a, rid, "mentor", 1 + k % 3)[0] == "ok"
        mentors.append(a)
    for k in range(30):
        a = member("Round Mentee %d" % k, langs=["vi"], years=k % 6, tz=zones[(k * 7) % 4],
                   expertise=[topics[(k * 3) % 4]])
        call_sql("khnet_mentee_request_put", a, {"max_tz_gap": 12 if k % 5 else 3})
        assert call_sql("khnet_round_join", a, rid, "mentee", None)[0] == "ok"
        mentees.append(a)
    # A member (no officer) may not see results: the caller passes p_officer false.
    st, _, view = call_sql("khnet_round_get", mentees[0], False, rid)
    assert st == "ok" and "results" not in view and view["joined_as"] == "mentee", view
    # The set-based scoring of the problem agrees with khnet_mentor_pair on
    # every pair (eligibility and score).
    diff = sql("SELECT count(*) FROM khnet_round_participants a"
               " JOIN khnet_round_participants b ON b.round_id = a.round_id AND b.side = 'mentor'"
               " CROSS JOIN LATERAL khnet_round_pair_explained(%d, a.account_id, b.account_id) x"
               " FULL JOIN khnet_round_pairs(%d) p"
               "   ON p.mentee_id = a.account_id AND p.mentor_id = b.account_id"
               " WHERE a.round_id = %d AND a.side = 'mentee'"
               "   AND (x.eligible AND p.score IS NULL OR NOT x.eligible AND p.score IS NOT NULL"
               "        OR x.eligible AND p.score <> x.score)" % (rid, rid, rid))
    assert diff == "0", diff
    assert int(sql("SELECT count(*) FROM khnet_round_pairs(%d)" % rid)) > 100
    total, greedy, body = run_round(officer, rid)
    assert body["status"] == "review" and body["total_score"] == total and greedy <= total, body
    matched = [x for x in body["results"] if x["mentor_id"]]
    assert sum(x["score"] for x in matched) == total
    assert all(x["explanation"]["languages"] for x in matched), matched[:1]
    assert any(x["unmatched"] for x in body["results"]), "every mentee matched: too easy"
    # The run closed the round to joins.
    assert call_sql("khnet_round_join", member("Late"), rid, "mentee", None)[0] == "conflict"
    # Forbid the first pair, pin another eligible pair, run again.
    first = matched[0]
    call_sql("khnet_round_rule", officer, rid, first["mentee_id"], first["mentor_id"], "forbid")
    other = next(p for p in round_pairs(rid) if p[0] == matched[1]["mentee_id"]
                 and p[1] != matched[1]["mentor_id"])
    st, _, _ = call_sql("khnet_round_rule", officer, rid, other[0], other[1], "pin")
    assert st == "ok"
    st, field, _ = call_sql("khnet_round_rule", officer, rid, mentees[0], officer, "pin")
    assert (st, field) == ("invalid_value", "mentor_id")
    # A refused pin (a pair breaking a hard rule) leaves the mentee's pins as they were.
    bad = sql("SELECT a.account_id || ',' || b.account_id FROM khnet_round_participants a"
              " JOIN khnet_round_participants b ON b.round_id = a.round_id AND b.side = 'mentor',"
              " LATERAL khnet_round_pair_explained(%d, a.account_id, b.account_id) x"
              " WHERE a.round_id = %d AND a.side = 'mentee' AND NOT x.eligible"
              " AND EXISTS (SELECT 1 FROM khnet_round_pairs(%d) p WHERE p.mentee_id = a.account_id"
              " AND NOT p.pinned AND p.mentor_id <> %d)"
              " ORDER BY a.account_id, b.account_id LIMIT 1" % (rid, rid, rid, other[1]))
    bad_e, bad_m = (int(v) for v in bad.split(","))
    good_m = sql("SELECT mentor_id FROM khnet_round_pairs(%d) WHERE mentee_id = %d"
                 " AND mentor_id <> %d ORDER BY mentor_id LIMIT 1" % (rid, bad_e, other[1]))
    extra_pin = bad_e != other[0]
    if extra_pin:
        assert call_sql("khnet_round_rule", officer, rid, bad_e, int(good_m), "pin")[0] == "ok"
    pins_of = ("SELECT coalesce(string_agg(mentor_id::text, ','), '') FROM khnet_round_rules"
               " WHERE round_id = %d AND rule = 'pin' AND mentee_id = %d" % (rid, bad_e))
    before = sql(pins_of)
    assert before != "", "the mentee has no pin to keep"
    st, field, _ = call_sql("khnet_round_rule", officer, rid, bad_e, bad_m, "pin")
    assert (st, field) == ("not_eligible", "mentor_id")
    assert sql(pins_of) == before, (sql(pins_of), before)
    refused_stores(officer, rid, first, other)
    _, _, body2 = run_round(officer, rid)
    res = {x["mentee_id"]: x["mentor_id"] for x in body2["results"]}
    assert res[first["mentee_id"]] != first["mentor_id"], "forbidden pair kept"
    assert res[other[0]] == other[1], "pinned pair dropped"
    # A stale run (another run happened since the problem was read) is refused.
    assert call_sql("khnet_round_store", officer, rid, 0, "{}", "{}", "{}", "{}", 0, 0)[0] \
        == "conflict"
    st, _, pub = call_sql("khnet_round_publish", officer, rid)
    assert st == "ok" and pub["proposals"] == len([1 for v in res.values() if v]), pub
    assert call_sql("khnet_round_publish", officer, rid)[0] == "conflict"
    # Both sides accept a proposal: only then is it active.
    mentee, mentor = other[0], other[1]
    pid = int(sql("SELECT id FROM khnet_mentorships WHERE round_id = %d AND mentee_id = %d"
                  % (rid, mentee)))
    assert len(events(mentee, "mentoring.proposed")) == 1
    assert len(events(mentee, "round.published")) == 1
    st, _, half = call_sql("khnet_mentoring_accept", mentee, pid)
    assert st == "ok" and half["status"] == "proposed" and half["mentee_accepted"], half
    st, _, full = call_sql("khnet_mentoring_accept", mentor, pid)
    assert st == "ok" and full["status"] == "active", full
    audit = sql("SELECT string_agg(action, ',' ORDER BY id) FROM khnet_audit_log"
                " WHERE detail->>'round_id' = '%d'" % rid)
    want = "round_open,round_run,round_forbid%s,round_run,round_publish" % (
        ",round_pin" * (2 if extra_pin else 1))
    assert audit == want, (audit, want)
    print("round: optimum %d, greedy %d (ratio %.4f)" % (total, greedy, total / max(greedy, 1)))


def t_stats():
    st, _, s = call_sql("khnet_mentoring_stats")
    active = int(sql("SELECT count(*) FROM khnet_mentorships WHERE status = 'active'"))
    assert st == "ok" and s["active"] == active and active >= 5, s
    assert s["unmatched_mentees"] >= 1, s
    assert s["unmatched_by_sector"] and s["unmatched_by_country"].get("VN", 0) >= 1, s
    assert s["avg_hours_to_accept"] is not None, s


started = time.time()
T.run_all(globals())
print("took %.1f s" % (time.time() - started))
T.finish()
