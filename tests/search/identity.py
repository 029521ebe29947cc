#!/usr/bin/python3
"""tests/search/identity.py DB_URL OUT [PAGES] — what khnet_search_experts
answers for every query of tests/search/judged.json (judged and natural),
the bench's two query sets (tests/bench/search) and a few more (other
sorts, filters alone and with text), each as an anonymous caller and as a
liaison officer, and its next pages by next_key (PAGES in all, default
2): one line per call, the request and the row as PostgreSQL prints it
(status, field, body: ids, order, scores, matched, snippets, expanded,
total, next_key, did_you_mean, facets).  Run it before and after a change
to the search functions on the same database and compare the two files
byte for byte (`cmp`): a change for speed must leave every line the same.
The liaison calls pass viewer id 1 with role 'liaison': the search reads
only the level of a viewer (khnet_search_level)."""
import json, os, sys, unicodedata
from sqlcalls import ROOT, Session, bench_sets, call

url, out = sys.argv[1], sys.argv[2]
pages = int(sys.argv[3]) if len(sys.argv) > 3 else 2

judged = json.load(open(os.path.join(ROOT, "tests/search/judged.json"), encoding="utf-8"))
bodies = []
for q in judged["queries"]:
    b = {"q": unicodedata.normalize(q["normalize"], q["q"]) if q.get("normalize") else q["q"]}
    for f in ("sectors", "countries", "cities", "affiliations", "languages", "degree_levels",
              "willing_to_mentor", "min_years"):
        if f in q:
            b[f] = q[f]
    bodies.append(b)
for q in judged["natural"]["queries"]:
    b = {"q": q["q"]}
    for f in ("countries", "cities", "affiliations"):
        if q.get(f):
            b[f] = q[f]
    bodies.append(b)
queries, natural = bench_sets()
bodies += [b for _, _, b in queries + natural]
bodies += [{"q": "aquaculture", "sort": "experience"}, {"q": "aquaculture", "sort": "recent"},
           {"q": "machine learning", "sort": "experience", "countries": ["JP"]},
           {"q": "\"offshore wind\" turbines"}, {"q": "mentor"}, {"q": "ML for shrimp farming"},
           {"q": "aquacult"}, {"q": "Thu"}, {"q": "zzqx nonsense"}, {"q": "nuôi tôm", "limit": 5},
           {"sectors": ["it_ai"]}, {"q": "du lịch", "cities": ["Nha Trang"], "sort": "recent"},
           {"countries": ["JP"]}, {"countries": ["JP", "AU"], "sort": "experience"},
           {"q": "aquaculture", "countries": ["VN", "AU"]}, {"min_years": 20},
           {"q": "ocean", "willing_to_mentor": True, "min_years": 15}, {"languages": ["ja"]},
           {"q": "port logistics", "degree_levels": ["phd"], "sort": "experience"}]

db = Session(url)
n = 0
with open(out, "w", encoding="utf-8") as f:
    for b in bodies:
        for viewer in (("NULL", "NULL"), ("1", "'liaison'")):
            ak = aid = None
            for page in range(pages):
                row = db.run(call(b, "status, field, body::text", viewer, ak, aid))
                f.write(json.dumps({"body": b, "viewer": viewer[1], "page": page},
                                   ensure_ascii=False) + "\t" + "\n".join(row) + "\n")
                n += 1
                parts = row[0].split("|", 2) if row else []
                key = json.loads(parts[2]).get("next_key") if len(parts) == 3 and parts[0] == "ok" else None
                if not key:
                    break
                ak, aid = key.rsplit("|", 1)
print("identity: %d calls written to %s" % (n, out))
