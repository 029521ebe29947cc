"""round_pairs_sql.py — the round's set-based scoring (khnet_round_pairs in
the repeatable mentoring file, what a run hands the optimiser) against the
definition, khnet_mentor_pair in round mode (khnet_round_pair_explained),
on every pair of a small round built to hit the edges, with psql as the
client:

  * languages: none shared, one, three (capped), a mentee speaking only
    French;
  * zones: a gap within and beyond the mentee's limit, a mentee and a
    mentor without a zone (gap 0, overlap 0), overlap across the date line;
  * experience: a mentor without years (never eligible), a gap just at
    and just under the minimum, beyond it (capped at 10 points);
  * topics and goal words: shared, none, a Vietnamese topic meeting its
    English label through the thesaurus, duplicates, a mentor whose
    topics are their expertise, goals with no word at all;
  * sectors: shared, only through the round's focus, none;
  * blocks either way, a forbidden pair, pins (one on an eligible pair,
    one on a pair breaking a hard rule, which drops out), an erased
    mentee.

Every eligible, not forbidden pair must come out once, with the
definition's score and its pin, and nothing else; rows by mentee then
mentor (the greedy baseline breaks ties by this order).

What a run uses is the C enumeration (server/match/pairs.c) on the round's
two sides (khnet_round_problem's document), run here by
tests/match/pairs_driver (KHNET_PAIRS_DRIVER): on the same edge round it
must give exactly khnet_round_pairs' rows (so, with the check above, the
definition's), and the mentees with any eligible pair; the same document
with its exclusions or its zone table dropped must not (the comparison
sees blocks, forbids and zones).  Past round_max_pairs (0022, 0025) the C
enumeration stops keeping pairs and says how many there are.
"""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from mentoring_lib import call_sql, member, sql  # noqa: E402
from rawhttp import Checker  # noqa: E402

T = Checker("round_pairs_sql")
DRIVER = os.environ.get("KHNET_PAIRS_DRIVER")


def c_pairs(doc):
    """pairs_driver on a problem document: (pair rows, mentees with a pair)
    or ("too_many", count)."""
    if not DRIVER:
        raise AssertionError("KHNET_PAIRS_DRIVER is not set")
    r = subprocess.run([DRIVER], input=json.dumps(doc), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split("\n")
    if lines[0].startswith("too_many "):
        return "too_many", int(lines[0].split()[1])
    return lines[0].split(), [int(x) for x in lines[1].split()]


ROUND = []


def build_round():
    """The edge round, built once (its members' e-mails are their names)."""
    if not ROUND:
        ROUND.append(make_round())
    return ROUND[0]


def make_round():
    officer = member("Edge Officer", role="liaison")
    st, _, rnd = call_sql("khnet_round_open", officer, "Edges", "2099-07-01T12:00:00Z",
                          "tourism")
    assert st == "created", rnd
    rid = rnd["id"]
    mentors = [
        member("M aqua", langs=["vi"], years=20, expertise=["Aquaculture", "shrimp farming"],
               sectors=["aquaculture"]),
        member("M nozone", langs=["en", "vi", "fr", "ja"], years=30, tz=None,
               expertise=["marine biology"], sectors=["tourism"]),
        member("M noyears", langs=["vi", "en"], years=None, expertise=["aquaculture"]),
        member("M paris", langs=["vi", "fr"], years=8, tz="Europe/Paris",
               expertise=["nuôi trồng thủy sản"]),
        member("M la", langs=["vi"], years=15, tz="America/Los_Angeles",
               topics=["Tourism", "tourism"], expertise=["hospitality"]),
        member("M tokyo", langs=["vi", "en"], years=25, tz="Asia/Tokyo",
               expertise=["renewable energy", "aquaculture"], sectors=["renewable_energy"]),
        member("M auckland", langs=["en"], years=11, tz="Pacific/Auckland",
               expertise=["ocean technology"]),
    ]
    mentees = [
        member("E aqua", langs=["vi"], years=1, expertise=["aquaculture"],
               sectors=["aquaculture"]),
        member("E nozone", langs=["en"], years=None, tz=None, expertise=["marine biology"]),
        member("E berlin", langs=["vi", "en", "fr", "ja"], years=5, tz="Europe/Berlin"),
        member("E blocked", langs=["vi"], years=2, expertise=["aquaculture"]),
        member("E french", langs=["fr"], years=0, expertise=["Nuôi trồng thủy sản"]),
        member("E senior", langs=["vi", "en"], years=12, expertise=["renewable energy"]),
        member("E honolulu", langs=["en", "vi"], years=8, tz="Pacific/Honolulu",
               expertise=["ocean technology", "tourism"]),
        member("E erased", langs=["vi"], years=1, expertise=["aquaculture"]),
    ]
    call_sql("khnet_mentee_request_put", mentees[0],
             {"goals": "Shrimp farming, shrimp FARMING and hatchery methods", "max_tz_gap": 3})
    call_sql("khnet_mentee_request_put", mentees[2], {"goals": "", "max_tz_gap": 8})
    call_sql("khnet_mentee_request_put", mentees[5], {"goals": "energy storage", "max_tz_gap": 2})
    call_sql("khnet_mentee_request_put", mentees[6], {"goals": "ocean sensors", "max_tz_gap": 1,
                                                      "topics": ["ocean technology", "tourism"]})
    for k, m in enumerate(mentors):
        assert call_sql("khnet_round_join", m, rid, "mentor", 1 + k % 3)[0] == "ok"
    for e in mentees:
        assert call_sql("khnet_round_join", e, rid, "mentee", None)[0] == "ok"
    # blocks either way; a forbidden pair; a pin on an eligible pair and one
    # (written directly) on a pair that breaks a hard rule
    sql("INSERT INTO khnet_blocks (blocker_id, blocked_id) VALUES (%d, %d), (%d, %d)"
        % (mentors[0], mentees[3], mentees[3], mentors[5]))
    assert call_sql("khnet_round_rule", officer, rid, mentees[0], mentors[5], "forbid")[0] == "ok"
    assert call_sql("khnet_round_rule", officer, rid, mentees[2], mentors[1], "pin")[0] == "ok"
    sql("INSERT INTO khnet_round_rules (round_id, mentee_id, mentor_id, rule)"
        " VALUES (%d, %d, %d, 'pin')" % (rid, mentees[4], mentors[2]))
    sql("UPDATE khnet_accounts SET erased_at = now(), email = NULL, password_hash = NULL"
        " WHERE id = %d" % mentees[7])
    return rid


def t_pairs_equal_the_definition():
    rid = build_round()
    # the definition, pair by pair: eligible and not forbidden, its score and its pin
    want = sql(
        "SELECT string_agg(format('%%s:%%s:%%s:%%s:%%s', a.account_id, b.account_id, b.capacity,"
        " x.score, EXISTS (SELECT 1 FROM khnet_round_rules u WHERE u.round_id = a.round_id"
        "  AND u.mentee_id = a.account_id AND u.mentor_id = b.account_id AND u.rule = 'pin')),"
        " ' ' ORDER BY a.account_id, b.account_id)"
        " FROM khnet_round_participants a"
        " JOIN khnet_accounts acc ON acc.id = a.account_id AND acc.erased_at IS NULL"
        " JOIN khnet_round_participants b ON b.round_id = a.round_id AND b.side = 'mentor',"
        " LATERAL khnet_round_pair_explained(a.round_id, a.account_id, b.account_id) x"
        " WHERE a.round_id = %d AND a.side = 'mentee' AND x.eligible"
        " AND NOT EXISTS (SELECT 1 FROM khnet_round_rules u WHERE u.round_id = a.round_id"
        "  AND u.mentee_id = a.account_id AND u.mentor_id = b.account_id AND u.rule = 'forbid')"
        % rid)
    # the set-based function, in its own row order
    got = sql("SELECT string_agg(format('%%s:%%s:%%s:%%s:%%s', mentee_id, mentor_id, capacity,"
              " score, pinned), ' ') FROM khnet_round_pairs(%d)" % rid)
    want_rows, got_rows = want.split(), got.split()
    assert got_rows == want_rows, {"missing": sorted(set(want_rows) - set(got_rows)),
                                   "extra": sorted(set(got_rows) - set(want_rows)),
                                   "order": got_rows == sorted(got_rows)}
    # the round is rich enough to mean something: several pairs, a pin
    # kept, scores spread, each hard rule excluding someone
    assert len(got_rows) >= 12, got_rows
    assert sum(1 for r in got_rows if r.endswith(":t")) == 1, got_rows
    assert len({r.split(":")[3] for r in got_rows}) >= 8, got_rows
    reasons = sql("SELECT string_agg(DISTINCT r, ',' ORDER BY r) FROM khnet_round_participants a"
                  " JOIN khnet_round_participants b ON b.round_id = a.round_id AND b.side = 'mentor'"
                  " JOIN khnet_mentee_side e ON e.id = a.account_id"
                  " JOIN khnet_mentor_side m ON m.id = b.account_id,"
                  " LATERAL khnet_mentor_pair(e, m, '2099-07-01T12:00:00Z', NULL, b.capacity) p,"
                  " unnest(p.reasons) r WHERE a.round_id = %d AND a.side = 'mentee'" % rid)
    assert reasons == "blocked,experience_gap,no_shared_language,time_zone_gap", reasons


def sql_rows(rid):
    return sql("SELECT string_agg(format('%%s:%%s:%%s:%%s:%%s', mentee_id, mentor_id, capacity,"
               " score, pinned), ' ') FROM khnet_round_pairs(%d)" % rid).split()


def t_c_pairs_equal_sql():
    rid = build_round()
    want = sql_rows(rid)
    st, _, doc = call_sql("khnet_round_problem", rid)
    assert st == "ok", doc
    got, reachable = c_pairs(doc)
    assert got == want, {"missing": sorted(set(want) - set(got)),
                         "extra": sorted(set(got) - set(want))}
    assert reachable == sorted({int(r.split(":")[0]) for r in want}), reachable
    # the document is O(sides): one entry per live participant, not per pair
    assert len(doc["mentees"]) == 7 and len(doc["mentors"]) == 6, doc
    # the comparison sees the exclusions (2 blocks, 1 forbid) and the zones
    assert len(doc["excluded"]) == 3 and len(doc["pins"]) == 2, doc
    loose = dict(doc, excluded=[])
    assert len(c_pairs(loose)[0]) > len(got), "blocks and forbids change nothing"
    flat = dict(doc, zone_gap=[0] * len(doc["zone_gap"]), zone_points=[0] * len(doc["zone_gap"]))
    assert c_pairs(flat)[0] != got, "zones change nothing"


def t_judge_equals_the_definition():
    """khnet_round_judge (what a run's store checks and explains the chosen
    pairs with) gives, for every mentee x mentor of the edge round, the
    definition's eligibility, score and explanation; the sides swapped are
    not eligible."""
    rid = build_round()
    rows = sql("SELECT a.account_id || ',' || b.account_id FROM khnet_round_participants a"
               " JOIN khnet_round_participants b ON b.round_id = a.round_id AND b.side = 'mentor'"
               " WHERE a.round_id = %d AND a.side = 'mentee'" % rid).split()
    es, ms = ([r.split(",")[k] for r in rows] for k in (0, 1))
    arg = "'{%s}'::bigint[], '{%s}'::bigint[], '{%s}'::int[]" % (
        ",".join(es), ",".join(ms), ",".join("0" for _ in rows))
    diff = sql("SELECT count(*) FROM khnet_round_judge(%d, %s) j"
               " LEFT JOIN LATERAL khnet_round_pair_explained(%d, j.mentee_id, j.mentor_id) x"
               "   ON true"
               " WHERE (j.eligible, j.def_score, j.explanation)"
               "   IS DISTINCT FROM (x.eligible, x.score, x.explanation)" % (rid, arg, rid))
    assert diff == "0" and len(rows) == 8 * 7, (diff, len(rows))
    outside = sql("SELECT coalesce(eligible::text, 'null') FROM khnet_round_judge(%d,"
                  " ARRAY[%s]::bigint[], ARRAY[%s]::bigint[], '{0}')" % (rid, ms[0], es[0]))
    assert outside == "false", outside


def t_empty_round():
    officer = member("Empty Officer", role="liaison")
    _, _, rnd = call_sql("khnet_round_open", officer, "Empty", "2099-01-01T00:00:00Z", None)
    assert sql("SELECT count(*) FROM khnet_round_pairs(%d)" % rnd["id"]) == "0"
    only = member("Lonely mentee", years=1)
    call_sql("khnet_round_join", only, rnd["id"], "mentee", None)
    assert sql("SELECT count(*) FROM khnet_round_pairs(%d)" % rnd["id"]) == "0"
    assert sql("SELECT count(*) FROM khnet_round_pairs(99999999)") == "0"


def t_too_many_pairs():
    """A run takes at most round_max_pairs eligible pairs (0022, 0025): the
    problem carries the limit and past it the C enumeration keeps nothing
    and counts them all (the run answers 409, interop/mentoring.py)."""
    officer = member("Limit Officer", role="liaison")
    _, _, rnd = call_sql("khnet_round_open", officer, "Limit", "2099-01-01T00:00:00Z", None)
    rid = rnd["id"]
    for k in range(2):
        m = member("Limit mentor %d" % k, years=20, expertise=["aquaculture"])
        assert call_sql("khnet_round_join", m, rid, "mentor", 1)[0] == "ok"
    e = member("Limit mentee", years=1, expertise=["aquaculture"])
    assert call_sql("khnet_round_join", e, rid, "mentee", None)[0] == "ok"
    assert sql("SELECT round_max_pairs FROM khnet_mentoring_settings") == "20000000"
    sql("UPDATE khnet_mentoring_settings SET round_max_pairs = 1")
    try:
        st, field, doc = call_sql("khnet_round_problem", rid)
        assert (st, field, doc["max_pairs"]) == ("ok", None, 1), (st, field, doc)
        assert c_pairs(doc) == ("too_many", 2), c_pairs(doc)
    finally:
        sql("UPDATE khnet_mentoring_settings SET round_max_pairs = DEFAULT")
    st, _, doc = call_sql("khnet_round_problem", rid)
    rows, reachable = c_pairs(doc)
    assert st == "ok" and [int(p.split(":")[0]) for p in rows] == [e, e], rows
    assert [p.split(":")[1] for p in rows] == sorted(p.split(":")[1] for p in rows), rows
    assert reachable == [e], reachable


T.run_all(globals())
T.finish()
