"""round_run_size.py — a programme round of realistic size run through the
API (PROTOCOL.md "Programme rounds", issue 10): 2,000 mentees x 400 mentors
made in SQL (languages, zones, topics, goals, sectors, years and capacities
spread like the diaspora's, a block and a forbid), then POST .../run as a
liaison officer against the harness's khnetd with its default 5 s statement
timeout.

  * the run answers 200 within that timeout (a run used to enumerate and
    score every pair in SQL twice: 503 db_timeout at this size);
  * the pairs a run makes in C (server/match/pairs.c, via
    tests/match/pairs_driver on the same khnet_round_problem document) are
    exactly the SQL reference's (khnet_round_pairs), all ~480,000 of them;
  * the result: every mentee once, the matched scores summing to the total,
    greedy never above it, unmatched mentees labelled 'no_eligible_mentor'
    exactly when the reference has no pair for them;
  * past round_max_pairs the run is 409 conflict naming the count.

KHNET_ROUND_RUN_SIZE=<mentees>x<mentors> (tests/bench/matching: 10000x2000)
makes the round that size and checks only the run, printing
`round_api_run_s` (POST .../run, wall) and its same-run reference
`round_api_ref_s`, the SQL reference enumeration of the same pairs alone
(khnet_round_pairs, what a run did before the pairs moved to C).
"""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from rawhttp import Checker, api_call, expect, psql  # noqa: E402

T = Checker("round_run_size")
PW = "correct horse battery"
SIZE = os.environ.get("KHNET_ROUND_RUN_SIZE")
MENTEES, MENTORS = (int(x) for x in SIZE.split("x")) if SIZE else (2000, 400)
ROUND = []

# Profiles: ids 1..N from generate_series, everything drawn from g.
SEED = """
INSERT INTO khnet_accounts (email, created_by_import)
SELECT 'size' || g || '@example.org', true FROM generate_series(1, %(n)d) g;
INSERT INTO khnet_profiles (account_id, full_name, languages, years_experience, time_zone,
                            expertise)
SELECT a.id, 'Size ' || g,
       CASE WHEN g <= %(e)d AND g %% 97 = 0 THEN ARRAY['km']  -- no mentor speaks it
            ELSE string_to_array((ARRAY['vi', 'vi,en', 'en', 'vi,fr', 'en,ja', 'vi,en,de'])[1 + g %% 6],
                                 ',') END,
       CASE WHEN g <= %(e)d THEN g %% 9 ELSE 10 + g %% 25 END,
       (ARRAY['Asia/Ho_Chi_Minh', 'Asia/Ho_Chi_Minh', 'Europe/Paris', 'America/Los_Angeles',
              'Australia/Sydney', 'Asia/Tokyo', 'America/New_York', 'Europe/Berlin',
              'Asia/Kolkata'])[1 + (g * 7) %% 9],
       ARRAY[(ARRAY['aquaculture', 'tourism', 'marine biology', 'renewable energy',
                    'machine learning', 'public health', 'logistics'])[1 + g %% 7],
             (ARRAY['fisheries', 'hospitality', 'oceanography', 'solar power', 'statistics',
                    'epidemiology', 'shipping', 'nuôi trồng thủy sản'])[1 + (g * 3) %% 8]]
  FROM generate_series(1, %(n)d) g JOIN khnet_accounts a ON a.email = 'size' || g || '@example.org';
INSERT INTO khnet_profile_sectors
SELECT a.id, s.id FROM generate_series(1, %(n)d) g
  JOIN khnet_accounts a ON a.email = 'size' || g || '@example.org'
  JOIN khnet_sectors s ON s.id = (SELECT min(id) FROM khnet_sectors) + g %% 5
 WHERE g %% 3 <> 0;
INSERT INTO khnet_mentee_requests (mentee_id, goals, topics, languages, max_tz_gap)
SELECT a.id, 'Learn ' || array_to_string(p.expertise, ' and ') || ', research methods',
       p.expertise, p.languages, (ARRAY[2, 3, 4, 6, 8, 12])[1 + g %% 6]
  FROM generate_series(1, %(e)d) g JOIN khnet_accounts a ON a.email = 'size' || g || '@example.org'
  JOIN khnet_profiles p ON p.account_id = a.id WHERE g %% 4 <> 0;
INSERT INTO khnet_round_participants (round_id, account_id, side, capacity)
SELECT %(rid)d, a.id, CASE WHEN g <= %(e)d THEN 'mentee' ELSE 'mentor' END,
       CASE WHEN g > %(e)d THEN 1 + g %% 5 END
  FROM generate_series(1, %(n)d) g JOIN khnet_accounts a ON a.email = 'size' || g || '@example.org';
INSERT INTO khnet_blocks (blocker_id, blocked_id)
SELECT (SELECT id FROM khnet_accounts WHERE email = 'size1@example.org'),
       (SELECT id FROM khnet_accounts WHERE email = 'size%(e1)d@example.org');
ANALYZE;
"""


def officer():
    email = "size.officer@example.org"
    uid = expect(api_call("POST", "/v1/accounts", {"email": email, "password": PW}), 201)["id"]
    psql("UPDATE khnet_accounts SET role = 'liaison' WHERE id = %d" % uid)
    return expect(api_call("POST", "/v1/sessions", {"email": email, "password": PW}),
                  201)["token"]


def the_round():
    """(officer token, round id), made once."""
    if not ROUND:
        token = officer()
        rnd = expect(api_call("POST", "/v1/mentoring/rounds", {
            "name": "Size", "deadline": "2099-03-01T00:00:00Z", "sector": "aquaculture"},
            token), 201)
        psql(SEED % {"n": MENTEES + MENTORS, "e": MENTEES, "e1": MENTEES + 1, "rid": rnd["id"]})
        # the first eligible pair (the bench: the first mentee and mentor,
        # without enumerating the pairs in SQL)
        forbid = psql("SELECT mentee_id || ',' || mentor_id FROM khnet_round_pairs(%d)"
                      " ORDER BY mentee_id, mentor_id LIMIT 1" % rnd["id"] if not SIZE else
                      "SELECT min(account_id) FILTER (WHERE side = 'mentee') || ','"
                      " || min(account_id) FILTER (WHERE side = 'mentor')"
                      " FROM khnet_round_participants").split(",")
        expect(api_call("PUT", "/v1/mentoring/rounds/%d/rules" % rnd["id"], {
            "mentee_id": int(forbid[0]), "mentor_id": int(forbid[1]), "rule": "forbid"},
            token), 200)
        ROUND.append((token, rnd["id"]))
    return ROUND[0]


def reference(rid):
    """khnet_round_pairs' rows as pairs_driver writes them."""
    return psql("SELECT string_agg(format('%%s:%%s:%%s:%%s:%%s', mentee_id, mentor_id, capacity,"
                " score, pinned), ' ') FROM khnet_round_pairs(%d)" % rid).split()


def t_c_pairs_equal_sql_at_size():
    _, rid = the_round()
    want = reference(rid)
    doc = json.loads(psql("SELECT body FROM khnet_round_problem(%d)" % rid))
    out = subprocess.run([os.environ["KHNET_PAIRS_DRIVER"]], input=json.dumps(doc),
                         capture_output=True, text=True, check=True).stdout.split("\n")
    got = out[0].split()
    assert len(want) > 300000, len(want)
    assert got == want, {"n": (len(got), len(want)),
                         "first_diff": next((g, w) for g, w in zip(got, want) if g != w)}
    assert [int(x) for x in out[1].split()] == sorted({int(r.split(":")[0]) for r in want})


def t_run_within_the_statement_timeout():
    token, rid = the_round()
    t0 = time.monotonic()
    r = api_call("POST", "/v1/mentoring/rounds/%d/run" % rid, None, token, timeout=600)
    wall = time.monotonic() - t0
    print("round_api_status %d\nround_api_run_s %.3f s (%d x %d)" % (r.status, wall, MENTEES,
                                                                      MENTORS))
    r = expect(r, 200)
    res = r["results"]
    assert len(res) == MENTEES and len({x["mentee_id"] for x in res}) == MENTEES
    matched = [x for x in res if x["mentor_id"]]
    assert sum(x["score"] for x in matched) == r["total_score"] > 0, r["total_score"]
    assert r["greedy_score"] <= r["total_score"] and r["runs"] >= 1, r
    t0 = time.monotonic()
    with_pair = {int(x) for x in psql("SELECT string_agg(DISTINCT mentee_id::text, ' ')"
                                      " FROM khnet_round_pairs(%d)" % rid).split()}
    print("round_api_ref_s %.3f s (khnet_round_pairs alone)" % (time.monotonic() - t0))
    for x in res:
        if not x["mentor_id"]:
            want = "outscored" if x["mentee_id"] in with_pair else "no_eligible_mentor"
            assert x["unmatched"] == want, x
    assert any(x["unmatched"] == "no_eligible_mentor" for x in res)
    assert any(x["unmatched"] == "outscored" for x in res)


def t_too_many_pairs_is_409():
    token, rid = the_round()
    n = int(psql("SELECT count(*) FROM khnet_round_pairs(%d)" % rid))
    psql("UPDATE khnet_mentoring_settings SET round_max_pairs = %d" % (n - 1))
    try:
        r = api_call("POST", "/v1/mentoring/rounds/%d/run" % rid, None, token, timeout=120)
        err = expect(r, 409, "conflict")["error"]
        assert "has %d eligible pairs, more than the %d" % (n, n - 1) in err["message"], err
    finally:
        psql("UPDATE khnet_mentoring_settings SET round_max_pairs = DEFAULT")


if SIZE:  # the bench: the run only
    T.check("run_within_the_statement_timeout", t_run_within_the_statement_timeout)
else:
    T.run_all(globals())
T.finish()
