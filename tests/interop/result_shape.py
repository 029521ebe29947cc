"""result_shape.py — the replies of the endpoints whose SQL functions moved
to the one result shape (status, field, body) in issue 8, pinned whole:
every error document (status, code, message, field) the functions make
(an unknown sector in a search, in "who fits" and in a saved search whose
sector was deleted since; no such profile for "similar"; no such saved
search, someone else's, a cursor of another sort for "new"), the keys of
their ok answers (an opaque cursor, never `next_key`), and the bulk import
report, which POST /v1/profiles/import and `khnetd import profiles` build
from the same row (a refusal only SQL can make, merged in line order).
Independent peer: hand-written HTTP, python3-msgpack, psql to set up."""

import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from rawhttp import Checker  # noqa: E402
from search_lib import DB, add_hand_profiles, call, member_token, psql, search  # noqa: E402

T = Checker("result_shape")
IDS = add_hand_profiles()
LIAISON = member_token("liaison@example.org", "liaison")
OTHER = member_token("liaison2@example.org", "liaison")


def error_doc(r, status):
    """The whole error document of r, which must have `status`."""
    assert r.status == status, (r.status, r.json)
    assert list(r.json) == ["error"], r.json
    return r.json["error"]


def t_search_unknown_sector():
    e = error_doc(search({"sectors": ["aquaculture", "no_such_sector"]}), 400)
    assert e == {"code": "invalid_value", "message": "unknown sector", "field": "sectors.1"}, e


def t_fit_unknown_sector():
    r = call("POST", "/v1/search/fit", {"text": "lobster aquaculture", "sectors": ["nope_x"]})
    e = error_doc(r, 400)
    assert e == {"code": "invalid_value", "message": "unknown sector", "field": "sectors.0"}, e


def t_similar_no_such_profile():
    e = error_doc(call("GET", "/v1/profiles/999999999/similar"), 404)
    assert e == {"code": "not_found", "message": "no such profile"}, e


def t_ok_answers():
    body = {"languages": ["vi"], "limit": 1}  # every hand profile, by recent
    r = search(body)
    assert r.status == 200, r.json
    assert {"hits", "total", "total_exact", "facets", "next", "did_you_mean", "corrected", "sort",
            "expanded"} <= set(r.json) and "next_key" not in r.json, sorted(r.json)
    assert isinstance(r.json["next"], str) and r.json["sort"] == "recent", r.json
    nxt = search(dict(body, after=r.json["next"]))
    assert nxt.status == 200 and nxt.json["hits"][0]["id"] != r.json["hits"][0]["id"], nxt.json
    r = call("POST", "/v1/search/fit", {"text": "lobster aquaculture hatcheries"})
    assert r.status == 200 and sorted(r.json) == ["hits", "terms"], r.json
    r = call("POST", "/v1/search/fit", {"text": "zzzz qqqq"})
    assert r.status == 200 and r.json == {"terms": [], "hits": []}, r.json
    r = call("GET", "/v1/profiles/%d/similar" % IDS["thu"])
    assert r.status == 200 and list(r.json) == ["items"], r.json
    r = call("GET", "/v1/suggest?q=Nguy")
    assert r.status == 200 and list(r.json) == ["items"] and r.json["items"], r.json


def saved(query):
    r = call("POST", "/v1/saved-searches", {"name": "shape", "query": query}, LIAISON)
    assert r.status == 201, (r.status, r.json)
    return r.json["id"]


def t_saved_new_errors():
    sid = saved({"q": "lobster", "limit": 1})
    for who, path in [(LIAISON, "/v1/saved-searches/999999999/new"),
                      (OTHER, "/v1/saved-searches/%d/new" % sid),
                      (OTHER, "/v1/saved-searches/%d/new?peek=true" % sid)]:
        e = error_doc(call("GET", path, token=who), 404)
        assert e == {"code": "not_found", "message": "no such saved search"}, (path, e)
    # a well-formed cursor of another sort (from a search sorted by experience)
    r = search({"sort": "experience", "limit": 1})
    assert r.status == 200 and r.json["next"], r.json
    r = call("GET", "/v1/saved-searches/%d/new?after=%s" % (sid, r.json["next"]), token=LIAISON)
    e = error_doc(r, 400)
    assert e == {"code": "invalid_value", "message": "not a cursor from this saved search",
                 "field": "after"}, e


def t_saved_new_sector_gone():
    psql("INSERT INTO khnet_sectors (slug, name_en, name_vi) VALUES "
         "('shape_gone', 'Gone', 'Gone')")
    sid = saved({"sectors": ["shape_gone"]})
    psql("DELETE FROM khnet_sectors WHERE slug = 'shape_gone'")
    e = error_doc(call("GET", "/v1/saved-searches/%d/new" % sid, token=LIAISON), 400)
    assert e == {"code": "invalid_value", "message": "unknown sector", "field": "sectors.0"}, e


def t_saved_new_ok():
    sid = saved({"languages": ["vi"], "limit": 2})
    r = call("GET", "/v1/saved-searches/%d/new?peek=true" % sid, token=LIAISON)
    assert r.status == 200 and "since" in r.json and "next_key" not in r.json, r.json
    assert {"hits", "total", "sort"} <= set(r.json), sorted(r.json)


ROWS = [
    {"external_id": "shape-1", "full_name": "Shape One"},
    {"external_id": "shape-2", "full_name": "Shape Two", "sectors": ["no_such_sector"]},
    {"external_id": "shape-3"},
]


def offline_import(rows):
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl") as f:
        f.write("".join(json.dumps(x) + "\n" for x in rows))
        f.flush()
        out = subprocess.run([os.environ["KHNETD"], "import", "profiles", f.name,
                              "--database-url", DB], capture_output=True, text=True)
    return out.returncode, json.loads(out.stdout) if out.stdout.strip() else None


def t_import_report_both_ways():
    r = call("POST", "/v1/profiles/import", {"format": "jsonl", "data": "".join(
        json.dumps(x) + "\n" for x in ROWS)}, LIAISON)
    assert r.status == 200, r.json
    want = {"imported": False, "accepted": 1, "created": 0, "updated": 0, "rejected_count": 2,
            "rejected": [{"line": 2, "field": "sectors.0", "code": "invalid_value",
                          "message": "unknown sector"},
                         {"line": 3, "field": "full_name", "code": "missing_field",
                          "message": r.json["rejected"][1]["message"]}]}
    assert r.json == want, r.json
    rc, rep = offline_import(ROWS)
    assert rc == 1 and rep == want, (rc, rep)
    r = call("POST", "/v1/profiles/import", {"format": "jsonl", "data": json.dumps(ROWS[0])},
             LIAISON)
    assert r.status == 200 and r.json == {"imported": True, "accepted": 1, "created": 1,
                                          "updated": 0, "rejected_count": 0,
                                          "rejected": []}, r.json
    rc, rep = offline_import([ROWS[0], {"external_id": "shape-4", "full_name": "Four"}])
    assert rc == 0 and rep == {"imported": True, "accepted": 2, "created": 1, "updated": 1,
                               "rejected_count": 0, "rejected": []}, (rc, rep)


T.run_all(globals())
T.finish()
