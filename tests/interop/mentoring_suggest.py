"""mentoring_suggest.py — suggestions' fast path (migration 0017, the
repeatable mentoring file: khnet_mentor_terms / khnet_mentor_cards kept by
triggers, khnet_mentoring_top's bounded search) against the definition,
with psql as an independent client:

  * the stored terms and cards of every offering mentor equal what the
    definition computes from the live tables (topic keys through the
    thesaurus, topic words, the offer's values over the profile's), after
    every kind of write that changes them: a profile's topics, languages,
    sectors or willingness, an offer saved, paused or deleted, an erasure;
  * khnet_mentoring_suggest returns exactly the top of the definition: every
    offering mentor judged by khnet_mentor_pair (eligible, no open or active
    link), by score then id, cut at the limit — on random members (zones,
    languages, experience, topics in English and Vietnamese, goals, saved
    offers, paused, full, blocked, already requested), for mentees with
    many shared topics, none at all (every mentor scanned), and limits from
    1 to 50 (several batches).
"""

import json
import os
import random
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from mentoring_lib import DB, call_sql, lit, member, sql  # noqa: E402
from rawhttp import Checker  # noqa: E402

T = Checker("mentoring_suggest")
rng = random.Random(10)

ZONES = ["Asia/Ho_Chi_Minh", "Asia/Ho_Chi_Minh", "Asia/Tokyo", "Europe/Paris", "Europe/Berlin",
         "America/Los_Angeles", "Australia/Sydney", "Asia/Kolkata", None]
LANGS = [["vi", "en"], ["vi"], ["en"], ["en", "fr"], ["vi", "en", "ja"], ["de", "en"]]
TOPICS = ["aquaculture", "nuôi trồng thủy sản", "fish farming", "marine biology",
          "coral reef ecology", "tourism", "du lịch", "machine learning", "offshore wind",
          "public finance", "port logistics", "cybersecurity", "an ninh mạng"]
SECTORS = sql("SELECT string_agg(slug, ',' ORDER BY id) FROM khnet_sectors").split(",")[:5]
GOALS = ["I want to learn coral restoration and marine biology",
         "machine learning for shrimp farming", "public finance and port logistics", ""]


def pick(xs, k):
    return rng.sample(xs, k)


def random_member(i, willing):
    return member("Suggest Member %d" % i, langs=rng.choice(LANGS),
                  years=rng.choice([None, 1, 2, 4, 8, 12, 20, 30]), tz=rng.choice(ZONES),
                  expertise=pick(TOPICS, rng.randint(0, 3)),
                  topics=pick(TOPICS, rng.randint(0, 2)) if willing else (),
                  willing=willing, mentor_capacity=rng.randint(0, 3) if willing else 0,
                  seeking=not willing,
                  sectors=pick(SECTORS, rng.randint(0, 2)))


MENTORS = [random_member(i, True) for i in range(70)]
MENTEES = [random_member(100 + i, False) for i in range(12)]

# Saved offers over a third of the mentors: their own topics, languages,
# zone, capacity; some paused.
for m in MENTORS[::3]:
    call_sql("khnet_mentor_offer_put", m,
             {"topics": pick(TOPICS, rng.randint(1, 3)), "capacity": rng.randint(1, 4),
              "languages": rng.choice(LANGS), "time_zone": rng.choice([z for z in ZONES if z]),
              "paused": rng.random() < 0.2})
# Mentees' requests: goals, topics, a zone limit.
for e in MENTEES[:8]:
    call_sql("khnet_mentee_request_put", e,
             {"goals": rng.choice(GOALS), "max_tz_gap": rng.choice([3, 6, 12]),
              "topics": pick(TOPICS, rng.randint(1, 4))})
# Blocks, an active mentorship filling a place, an open request.
sql("INSERT INTO khnet_blocks (blocker_id, blocked_id) VALUES (%d, %d), (%d, %d)"
    % (MENTORS[1], MENTEES[0], MENTEES[1], MENTORS[2]))
sql("INSERT INTO khnet_mentorships (mentor_id, mentee_id, status, mentor_ok_at, mentee_ok_at,"
    " started_at) SELECT %d, %d, 'active', now(), now(), now()" % (MENTORS[4], MENTEES[11]))
sql("INSERT INTO khnet_mentorships (mentor_id, mentee_id, status, mentee_ok_at, expires_at)"
    " VALUES (%d, %d, 'requested', now(), now() + interval '1 day')" % (MENTORS[5], MENTEES[0]))
# One mentee with nothing to share: no topics, no goals (every mentor scanned).
BARE = member("Bare Mentee", langs=["vi", "en"], years=1, expertise=(), seeking=True)
MENTEES.append(BARE)

# What the stored rows must hold: the definition, from the live tables.
TERMS_DIFF = """
WITH want AS (
    SELECT m.id, 'k:' || k.key AS term FROM khnet_mentor_side m,
           khnet_topic_keys((SELECT coalesce(o.topics, CASE WHEN cardinality(p.mentor_topics) > 0
                                             THEN p.mentor_topics ELSE p.expertise END) || p.expertise
                               FROM khnet_profiles p
                               LEFT JOIN khnet_mentor_offers o ON o.mentor_id = p.account_id
                              WHERE p.account_id = m.id)) k
     WHERE m.offering
    UNION
    SELECT m.id, 'w:' || w FROM khnet_mentor_side m,
           unnest(khnet_mentoring_words((SELECT array_to_string(
                      coalesce(o.topics, CASE WHEN cardinality(p.mentor_topics) > 0
                                              THEN p.mentor_topics ELSE p.expertise END) || p.expertise, ' ')
                 FROM khnet_profiles p LEFT JOIN khnet_mentor_offers o ON o.mentor_id = p.account_id
                WHERE p.account_id = m.id))) w
     WHERE m.offering),
     have AS (SELECT mentor_id AS id, term FROM khnet_mentor_terms)
SELECT count(*) FROM ((TABLE want EXCEPT TABLE have) UNION ALL (TABLE have EXCEPT TABLE want)) d
"""
CARDS_DIFF = """
WITH want AS (
    SELECT m.id, m.languages, m.years, m.time_zone, m.sector_ids, m.capacity, m.paused
      FROM khnet_mentor_side m WHERE m.offering),
     have AS (SELECT mentor_id, languages, years, time_zone, sector_ids, capacity, paused
                FROM khnet_mentor_cards)
SELECT count(*) FROM ((TABLE want EXCEPT TABLE have) UNION ALL (TABLE have EXCEPT TABLE want)) d
"""


def stored_rows_match():
    assert int(sql("SELECT count(*) FROM khnet_mentor_cards")) > 0
    assert sql(TERMS_DIFF) == "0", "terms differ from the definition"
    assert sql(CARDS_DIFF) == "0", "cards differ from the definition"


# The definition of suggestions (PROTOCOL.md "Scoring and hard rules"):
# every offering mentor judged by khnet_mentor_pair, by score then id.
REFERENCE = """
SELECT coalesce(string_agg(x.id || ':' || x.score, ',' ORDER BY x.score DESC, x.id), '')
  FROM (SELECT m.id, pr.score FROM khnet_mentee_side e, khnet_mentor_side m,
               LATERAL khnet_mentor_pair(e, m, now(), NULL, NULL) pr
         WHERE e.id = %d AND m.offering AND pr.eligible
           AND NOT EXISTS (SELECT 1 FROM khnet_mentorships x
                            WHERE x.mentor_id = m.id AND x.mentee_id = e.id
                              AND x.status IN ('requested', 'proposed', 'active'))
         ORDER BY pr.score DESC, m.id LIMIT %d) x
"""


def suggested(mentee, limit):
    st, _, body = call_sql("khnet_mentoring_suggest", mentee, limit)
    assert st == "ok", body
    for it in body["items"]:
        assert it["score"] == sum(it["explanation"]["points"].values()), it
    return ",".join("%d:%d" % (i["mentor"]["id"], i["score"]) for i in body["items"])


def same_as_definition(limits):
    compared = 0
    for e in MENTEES:
        for n in limits:
            want = sql(REFERENCE % (e, n))
            got = suggested(e, n)
            assert got == want, "mentee %d limit %d:\n got  %s\n want %s" % (e, n, got, want)
            compared += len(want.split(",")) if want else 0
    assert compared > 0, "no mentor was suggested to anyone: the comparison proved nothing"


def t_stored_rows_after_seeding():
    stored_rows_match()


def t_suggestions_equal_definition():
    same_as_definition([1, 3, 10, 50])


def t_bare_mentee_scans_everyone():
    # No term to share: the suggestions come from the scan of every card.
    assert sql("SELECT cardinality(keys) + cardinality(goal_words) FROM khnet_mentee_side"
               " WHERE id = %d" % BARE) == "0"
    assert suggested(BARE, 50) != "", "the bare mentee got no suggestion"


def t_writes_keep_rows_right():
    m = MENTORS[6]
    sql("UPDATE khnet_profiles SET expertise = ARRAY['an ninh mạng', 'offshore wind'],"
        " languages = ARRAY['ja'] WHERE account_id = %d" % m)
    stored_rows_match()
    call_sql("khnet_mentor_offer_put", m, {"topics": ["du lịch"], "capacity": 5, "paused": False})
    stored_rows_match()
    call_sql("khnet_mentor_offer_put", MENTORS[9], {"paused": True})
    sql("DELETE FROM khnet_profile_sectors WHERE profile_id = %d" % MENTORS[7])
    sql("INSERT INTO khnet_profile_sectors SELECT %d, id FROM khnet_sectors ORDER BY id LIMIT 1"
        " ON CONFLICT DO NOTHING" % MENTORS[8])
    stored_rows_match()
    sql("UPDATE khnet_profiles SET willing_to_mentor = false WHERE account_id = %d" % MENTORS[10])
    sql("DELETE FROM khnet_mentor_offers WHERE mentor_id = %d" % MENTORS[12])
    stored_rows_match()
    assert sql("SELECT count(*) FROM khnet_mentor_cards WHERE mentor_id = %d" % MENTORS[10]) == "0"
    sql("UPDATE khnet_accounts SET erased_at = now(), email = NULL, password_hash = NULL"
        " WHERE id = %d" % MENTORS[11])
    stored_rows_match()
    assert sql("SELECT count(*) FROM khnet_mentor_terms WHERE mentor_id = %d" % MENTORS[11]) == "0"
    # ... and the suggestions still follow the definition.
    same_as_definition([5, 50])


def t_thesaurus_edits_keep_rows_right():
    """A label written or removed re-keys only the topics of its text; the
    mentors holding them are refreshed (not all of them)."""
    m, n = MENTORS[2], MENTORS[3]
    sql("UPDATE khnet_profiles SET expertise = ARRAY['zorbonautics', 'nuôi tôm'],"
        " mentor_topics = '{}' WHERE account_id = %d" % m)
    sql("DELETE FROM khnet_mentor_offers WHERE mentor_id = %d" % m)
    sql("UPDATE khnet_profiles SET expertise = ARRAY['logistics seaports'], mentor_topics = '{}',"
        " willing_to_mentor = true WHERE account_id = %d" % n)
    sql("DELETE FROM khnet_mentor_offers WHERE mentor_id = %d" % n)
    stored_rows_match()
    assert sql("SELECT count(*) FROM khnet_mentor_terms WHERE mentor_id = %d"
               " AND term = 'k:zorbonautics'" % m) == "1"
    # a free topic becomes a concept's label
    cid = sql("INSERT INTO khnet_concepts (key) VALUES ('zorbo') RETURNING id").split()[0]
    sql("INSERT INTO khnet_concept_labels (concept_id, lang, pref, label, term)"
        " VALUES (%s, 'en', true, 'Zorbonautics', 'zorbonautics')" % cid)
    stored_rows_match()
    assert sql("SELECT count(*) FROM khnet_mentor_terms WHERE mentor_id = %d"
               " AND term = 'k:c:zorbo'" % m) == "1"
    # the label changes its text, comes back, then the concept goes
    sql("UPDATE khnet_concept_labels SET term = 'zorbonautic science' WHERE concept_id = %s" % cid)
    stored_rows_match()
    sql("UPDATE khnet_concept_labels SET term = 'zorbonautics' WHERE concept_id = %s" % cid)
    stored_rows_match()
    sql("DELETE FROM khnet_concepts WHERE id = %s" % cid)
    stored_rows_match()
    # a topic keyed by a sector's name becomes a concept's label
    sql("INSERT INTO khnet_concept_labels (concept_id, lang, pref, label, term)"
        " SELECT id, 'en', false, 'logistics seaports', 'logistics seaports'"
        " FROM khnet_concepts WHERE key = 'port_logistics'")
    stored_rows_match()
    assert sql("SELECT count(*) FROM khnet_mentor_terms WHERE mentor_id = %d"
               " AND term = 'k:c:port_logistics'" % n) == "1"
    sql("DELETE FROM khnet_concept_labels WHERE term = 'logistics seaports'")
    stored_rows_match()
    same_as_definition([5])


def t_deferred_writers_refresh_once():
    """The seed and an import defer the triggers (khnet.search_defer) and
    refresh the stored rows themselves before they commit."""
    before = int(sql("SELECT count(*) FROM khnet_mentor_cards"))
    r = subprocess.run([os.environ["KHNETD"], "seed", "--profiles", "300", "--seed", "7",
                        "--database-url", DB], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    stored_rows_match()
    seeded = int(sql("SELECT count(*) FROM khnet_mentor_cards"))
    assert seeded > before, (before, seeded)
    rows = [{"external_id": "ms-imp-%d" % i, "full_name": "Nguyễn Văn Nhập %d" % i,
             "expertise": ["nuôi tôm", "machine learning"], "languages": ["vi", "en"],
             "willing_to_mentor": True, "mentor_capacity": 2, "years_experience": 20}
            for i in range(3)]
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        f.write("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in rows))
    try:
        r = subprocess.run([os.environ["KHNETD"], "import", "profiles", f.name, "--database-url",
                            DB], capture_output=True, text=True)
        assert r.returncode == 0, (r.stdout, r.stderr)
    finally:
        os.unlink(f.name)
    stored_rows_match()
    got = sql("SELECT count(*) FROM khnet_mentor_cards c JOIN khnet_profiles p"
              " ON p.account_id = c.mentor_id WHERE p.external_id LIKE 'ms-imp-%'")
    assert got == "3", got


started = time.time()
T.run_all(globals())
print("took %.1f s" % (time.time() - started))
T.finish()
