"""search_judged.py — natural requests against a plain lexical engine
(issue 11).  Generates the directory of tests/search/judged.json "natural"
(3,200 profiles whose expertise is written in one form or another of the
concepts they hold: synonyms, English or Vietnamese), runs its 90 judged
queries (keyword, multi-word, compound natural language, accentless and
accented Vietnamese with filler words, cross-language, synonym, broader
term, name, typo, filtered) through POST /v1/search/experts as a liaison
officer, and the same queries through SQLite FTS5 (Python's sqlite3) over
the same documents folded the same way, ranked by BM25, with AND and with
OR semantics.  Prints nDCG@10 and recall@20 per query type and overall for
the three, and fails unless khnet is better than the better baseline on
every type and overall by the margins below.

Metrics as in search_relevance.py: nDCG@10 with gain 2^grade - 1 and the
ideal ordering over every judged profile; recall@20 the share of the
grade >= 2 profiles in the top 20, over min(20, their number).

Thresholds (the "clearly better" of the issue):
* every query type: khnet's mean nDCG@10 above the better baseline's by
  at least 0.02 — a type where khnet only ties a lexical engine means the
  understanding added nothing there; 0.02 is about one grade-3 expert
  moved up a few places in one of the type's 6-12 queries;
* overall: mean nDCG@10 at least 0.10 above the better baseline's and
  mean recall@20 not below it.  Measured when written: overall nDCG@10
  0.946 against BM25-OR 0.695 and BM25-AND 0.566, recall@20 0.984 / 0.804
  / 0.678; the closest type was multi-word (0.898 against 0.823).  The
  issue's own complaint was khnet *below* BM25-OR overall."""

import math
import os
import re
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import json  # noqa: E402
from rawhttp import Checker  # noqa: E402
from judged_dir import Directory, fold, load_sql  # noqa: E402
from search_lib import member_token, psql, search  # noqa: E402

TYPE_MARGIN, OVERALL_MARGIN = 0.02, 0.10

T = Checker("search_judged")
HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "..", "search", "judged.json"), encoding="utf-8") as f:
    SPEC = json.load(f)["natural"]
D = Directory(SPEC)
STATE = {}


def t_load():
    with tempfile.NamedTemporaryFile("w", suffix=".sql", encoding="utf-8", delete=False) as f:
        f.write(load_sql(D))
        path = f.name
    try:
        subprocess.run(["psql", os.environ["KHNET_DATABASE_URL"], "-Xq", "-v", "ON_ERROR_STOP=1",
                        "-f", path], check=True, capture_output=True, text=True)
    finally:
        os.unlink(path)
    # what autovacuum does on a live directory: merge the GIN pending lists
    # and gather the statistics behind the term weights
    psql("VACUUM ANALYZE khnet_search_docs")
    rows = psql("SELECT account_id, external_id FROM khnet_profiles WHERE external_id LIKE 'natural-%'")
    STATE["ids"] = {int(a): int(e.split("-")[1]) for a, e in (r.split("|") for r in rows.split())}
    assert len(STATE["ids"]) == len(D.people), len(STATE["ids"])
    STATE["token"] = member_token("judged-officer@example.org", role="liaison")


def baseline_db():
    names = {}
    for row in psql("SELECT slug || '|' || name_en || ' ' || name_vi FROM khnet_sectors").splitlines():
        slug, text = row.split("|", 1)
        names[slug] = text
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(name, headline, expertise, sectors, bio, "
               "affiliation, tokenize = 'unicode61 remove_diacritics 0')")
    db.execute("CREATE TABLE meta (id INTEGER PRIMARY KEY, country TEXT, city TEXT, aff TEXT)")
    for p in D.people:
        db.execute("INSERT INTO docs (rowid, name, headline, expertise, sectors, bio, affiliation) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (p["i"], fold(p["name"]), fold(p["headline"]), fold(" . ".join(p["expertise"])),
                    fold(" . ".join(names[s] for s in p["sectors"])), fold(p["bio"]),
                    fold(p["affiliation"] + " . " + p["position"])))
        db.execute("INSERT INTO meta VALUES (?, ?, ?, ?)",
                   (p["i"], p["country"], fold(p["city"]), fold(p["affiliation"])))
    return db


def bm25(db, query, text, op):
    words = re.findall(r"[a-z0-9]+", fold(text))
    if not words:
        return []
    match = (" %s " % op).join('"%s"' % w for w in words)
    where, args = ["docs MATCH ?"], [match]
    if "cities" in query:
        where.append("m.city IN (%s)" % ",".join("?" * len(query["cities"])))
        args += [fold(c) for c in query["cities"]]
    if "countries" in query:
        where.append("m.country IN (%s)" % ",".join("?" * len(query["countries"])))
        args += query["countries"]
    if "affiliations" in query:
        where.append("m.aff IN (%s)" % ",".join("?" * len(query["affiliations"])))
        args += [fold(a) for a in query["affiliations"]]
    # column weights as khnet's: expertise and sectors first, then name and
    # headline, then bio and affiliation
    sql = ("SELECT docs.rowid FROM docs JOIN meta m ON m.id = docs.rowid WHERE %s "
           "ORDER BY bm25(docs, 2.0, 2.0, 4.0, 4.0, 1.0, 1.0) LIMIT 20" % " AND ".join(where))
    return [r[0] for r in db.execute(sql, args)]


def ndcg_at(ranked, g, k=10):
    dcg = sum((2 ** g.get(i, 0) - 1) / math.log2(n + 2) for n, i in enumerate(ranked[:k]))
    ideal = sorted(g.values(), reverse=True)[:k]
    idcg = sum((2 ** v - 1) / math.log2(n + 2) for n, v in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked, g, k=20):
    good = {i for i, v in g.items() if v >= 2}
    return len(good & set(ranked[:k])) / min(k, len(good)) if good else 1.0


def t_queries():
    db = baseline_db()
    rows = []
    for query in SPEC["queries"]:
        text = D.name_query(query) if query["type"] == "name" else query["q"]
        g = D.grades(query)
        assert any(v >= 3 for v in g.values()), (query["id"], "judges no grade-3 profile")
        body = {"q": text, "limit": 20}
        for k in ("cities", "countries", "affiliations"):
            if k in query:
                body[k] = query[k]
        r = search(body, token=STATE["token"])
        assert r.status == 200, (query["id"], r.status, r.json)
        ours = [STATE["ids"][h["id"]] for h in r.json["hits"] if h["id"] in STATE["ids"]]
        res = {"khnet": ours, "bm25_and": bm25(db, query, text, "AND"),
               "bm25_or": bm25(db, query, text, "OR")}
        rows.append((query, text, {k: (ndcg_at(v, g), recall_at(v, g)) for k, v in res.items()}))
    STATE["rows"] = rows


def mean(xs):
    return sum(xs) / len(xs) if xs else 0.0


def t_figures():
    rows = STATE["rows"]
    engines = ["khnet", "bm25_and", "bm25_or"]
    print("  %-28s %-44s %s" % ("query", "q", "  ".join("%-13s" % e for e in engines)))
    for query, text, m in rows:
        print("  %-28s %-44s %s" % (query["id"], text[:44],
                                   "  ".join("%.3f / %.3f" % m[e] for e in engines)))
    types = []
    for q, _t, _m in rows:
        if q["type"] not in types:
            types.append(q["type"])
    print("  nDCG@10 / recall@20 by type (%d queries):" % len(rows))
    bad = []
    for t in types + ["overall"]:
        sel = [m for q, _t, m in rows if t == "overall" or q["type"] == t]
        nd = {e: mean([m[e][0] for m in sel]) for e in engines}
        rc = {e: mean([m[e][1] for m in sel]) for e in engines}
        best = max(nd["bm25_and"], nd["bm25_or"])
        print("  %-16s n=%-3d %s" % (t, len(sel), "  ".join(
            "%s %.3f / %.3f" % (e, nd[e], rc[e]) for e in engines)))
        margin = OVERALL_MARGIN if t == "overall" else TYPE_MARGIN
        if nd["khnet"] < best + margin:
            bad.append((t, "nDCG@10", round(nd["khnet"], 3), "best baseline", round(best, 3)))
        if t == "overall":
            print("judged_ndcg10 %.3f (bm25_and %.3f, bm25_or %.3f)" % (
                nd["khnet"], nd["bm25_and"], nd["bm25_or"]))
            print("judged_recall20 %.3f (bm25_and %.3f, bm25_or %.3f)" % (
                rc["khnet"], rc["bm25_and"], rc["bm25_or"]))
            if rc["khnet"] < max(rc["bm25_and"], rc["bm25_or"]):
                bad.append((t, "recall@20", round(rc["khnet"], 3)))
    assert not bad, bad


T.check("the generated directory loads", t_load)
T.check("every judged query answers", t_queries)
T.check("khnet beats BM25 (AND and OR) on every type and overall", t_figures)
T.finish()
