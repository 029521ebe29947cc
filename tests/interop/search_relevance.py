"""search_relevance.py — ranking quality of POST /v1/search/experts on the
judged set tests/search/judged.json (see its "about"): a small
deterministic seed plus hand-written profiles, every kind of query the
issue names (Vietnamese names with and without diacritics, NFD input,
tone-mark placement, đ, Vietnamese and accentless expertise, English
topics, typos, a quoted phrase, a prefix while typing, filters).  Prints
nDCG@10 and recall@20 per query and their means, and fails below the
thresholds below.

nDCG@10: gain 2^grade - 1, discount log2(rank + 1), over the top 10 hits;
the ideal ordering is taken over every judged profile (hand and seeded).
recall@20: the share of the profiles graded >= 2 found in the top 20,
divided by min(20, their number) (so a query with 60 good answers can
still reach 1).  Grade 1 ("related") only earns nDCG credit."""

import json
import math
import os
import sys
import unicodedata

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from rawhttp import Checker  # noqa: E402
from search_lib import psql, q as lit, search, seed  # noqa: E402

# Thresholds.  Measured on this set when the test was written (the ranking
# of khnet_search_run, migrations/0004_search.sql): mean nDCG@10 0.912,
# mean recall@20 1.000, lowest query nDCG@10 0.584 ("Khánh Hòa": seeded
# bios that mention the province twice outrank a headline that names it
# once; a known weakness of ts_rank's pairwise scoring).  With rank weights
# ten times higher and prefix words ranked only as prefixes, the same set
# measured recall@20 0.30 for "nuoi trong thuy san" and 0.50 for "Khánh
# Hòa" (ties at score 1.0, prefix ranking), which the recall floors below
# catch.
# * Every query recall@20 >= 0.75, mean >= 0.95: the good answers exist
#   (hand and seeded) and each query's first page must hold most of them.
# * Every query nDCG@10 >= 0.5: each query stands for one kind of matching
#   (folding, NFD, tone marks, đ, typos, phrase, prefix, filters); one that
#   breaks finds none of its graded profiles and scores near 0, while a
#   page of merely good (grade-2) answers without the grade-3 people still
#   scores ~0.65, so 0.5 flags broken matching, not tie order.
# * Mean nDCG@10 >= 0.88: a few points under the measured 0.912, room for
#   tie-order changes among equally good profiles, not for losing the
#   grade-3 people of several queries (each such query costs ~0.3 / 19).
NDCG_MEAN_MIN, NDCG_QUERY_MIN = 0.88, 0.5
RECALL_MEAN_MIN, RECALL_QUERY_MIN = 0.95, 0.75

T = Checker("search_relevance")
HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "..", "search", "judged.json"), encoding="utf-8") as f:
    JUDGED = json.load(f)


def add_profiles():
    """The hand-written profiles through SQL (the triggers index them);
    returns {key: profile id}."""
    ids = {}
    for p in JUDGED["profiles"]:
        k = p["key"]
        aid = psql("INSERT INTO khnet_accounts (email, password_hash, role) VALUES (%s, 'x', "
                   "'member') RETURNING id" % lit("judged+%s@example.org" % k)).split()[0]
        psql("INSERT INTO khnet_profiles (account_id, external_id, full_name, headline, bio, "
             "country, expertise, languages, vis_bio) VALUES (%s, %s, %s, %s, %s, %s, "
             "ARRAY[%s]::text[], ARRAY['vi','en'], 'public')"
             % (aid, lit("judged-" + k), lit(p["full_name"]), lit(p["headline"]), lit(p["bio"]),
                lit(p["country"]), ",".join(lit(e) for e in p["expertise"])))
        psql("INSERT INTO khnet_profile_sectors (profile_id, sector_id) SELECT %s, id FROM "
             "khnet_sectors WHERE slug IN (%s)" % (aid, ",".join(lit(s) for s in p["sectors"])))
        ids[k] = int(aid)
    return ids


def grades_for(query, ids):
    g = {}
    for rule in query.get("seeded", []):
        rows = psql("SELECT p.account_id FROM khnet_profiles p WHERE p.external_id IS NULL "
                    "AND (%s)" % rule["where"])
        for r in rows.split():
            g[int(r)] = max(g.get(int(r), 0), rule["grade"])
    for k, grade in query["relevant"].items():
        g[ids[k]] = max(g.get(ids[k], 0), grade)
    return g


def ndcg_at(ranked, g, k=10):
    dcg = sum((2 ** g.get(pid, 0) - 1) / math.log2(i + 2) for i, pid in enumerate(ranked[:k]))
    ideal = sorted(g.values(), reverse=True)[:k]
    idcg = sum((2 ** v - 1) / math.log2(i + 2) for i, v in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked, g, k=20):
    good = {pid for pid, v in g.items() if v >= 2}
    if not good:
        return 1.0
    return len(good & set(ranked[:k])) / min(k, len(good))


seed(JUDGED["seed"]["profiles"], JUDGED["seed"]["seed"])
IDS = add_profiles()
RESULTS = []


def t_judged_queries():
    for query in JUDGED["queries"]:
        text = query["q"]
        if "normalize" in query:
            text = unicodedata.normalize(query["normalize"], text)
        body = {"q": text, "limit": 20}
        for f in ("countries", "sectors"):
            if f in query:
                body[f] = query[f]
        r = search(body)
        assert r.status == 200, (query["id"], r.status, r.json)
        ranked = [h["id"] for h in r.json["hits"]]
        g = grades_for(query, IDS)
        assert any(v >= 3 for v in g.values()), (query["id"], "judges no grade-3 profile")
        RESULTS.append((query["id"], ndcg_at(ranked, g), recall_at(ranked, g),
                        len([v for v in g.values() if v >= 2])))


def t_thresholds():
    assert RESULTS, "no query was scored"
    for qid, nd, rc, n in RESULTS:
        print("  %-20s nDCG@10 %.3f  recall@20 %.3f  (%d good answers)" % (qid, nd, rc, n))
    nd_mean = sum(r[1] for r in RESULTS) / len(RESULTS)
    rc_mean = sum(r[2] for r in RESULTS) / len(RESULTS)
    print("search_ndcg10 %.3f" % nd_mean)
    print("search_recall20 %.3f" % rc_mean)
    bad = [(r[0], round(r[1], 3), round(r[2], 3)) for r in RESULTS
           if r[1] < NDCG_QUERY_MIN or r[2] < RECALL_QUERY_MIN]
    assert not bad, ("queries under the per-query floors", bad)
    assert nd_mean >= NDCG_MEAN_MIN, ("mean nDCG@10", nd_mean)
    assert rc_mean >= RECALL_MEAN_MIN, ("mean recall@20", rc_mean)


T.check("judged queries answer", t_judged_queries)
T.check("nDCG@10 and recall@20 over the thresholds", t_thresholds)
T.finish()
