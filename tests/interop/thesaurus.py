"""thesaurus.py — the expertise thesaurus endpoints (PROTOCOL.md
"Thesaurus") from an independent peer: who may read and edit, every bad
input with its exact code and field, optimistic concurrency, cycles, CSV
and JSON export/import round trips, and edits taking effect in search at
once (no restart)."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from rawhttp import Checker  # noqa: E402
from search_lib import call, member_token, psql, q as lit, search  # noqa: E402

T = Checker("thesaurus")
TOK = {role: member_token("thes-%s@example.org" % role, role)
       for role in ("member", "moderator", "liaison", "admin")}
BASE = "/v1/thesaurus/concepts"
MUSSEL = {"key": "mussel_farming", "label_en": "mussel farming", "label_vi": "nuôi vẹm",
          "sector": "aquaculture", "alt": ["mussel culture"], "broader": ["bivalve_farming"]}


def expect(r, status, code=None, field=None):
    assert r.status == status, (r.status, r.json)
    if code:
        e = r.json["error"]
        assert e["code"] == code and e.get("field") == field, (e, code, field)


def add_expert(ext, keyword):
    aid = psql("INSERT INTO khnet_accounts (email, password_hash, role) VALUES (%s, 'x', 'member') "
               "RETURNING id" % lit(ext + "@example.org")).split()[0]
    psql("INSERT INTO khnet_profiles (account_id, external_id, full_name, headline, country, "
         "expertise, languages) VALUES (%s, %s, 'Đỗ Thị Vẹm', 'Researcher', 'VN', ARRAY[%s], "
         "ARRAY['vi'])" % (aid, lit(ext), lit(keyword)))
    return int(aid)


def ids(body, token=None):
    r = search(body, token)
    assert r.status == 200, r.json
    return [h["id"] for h in r.json["hits"]]


def t_reading_is_public():
    r = call("GET", BASE + "/offshore_wind")
    expect(r, 200)
    c = r.json
    assert c["label_vi"] == "điện gió ngoài khơi" and c["broader"] == ["wind_energy"], c
    assert "offshore wind farms" in c["alt"] and c["version"] >= 1, c
    r = call("GET", BASE + "/aquaculture")
    assert {"shrimp_farming", "lobster_farming", "seaweed_farming"} <= set(r.json["narrower"]), r.json
    r = call("GET", BASE + "?q=nuoi%20tom&limit=2")
    expect(r, 200)
    assert r.json["items"] and all(i["sector"] == "aquaculture" for i in r.json["items"]), r.json
    seen, after = [], None
    while True:  # every concept once, by pages
        r = call("GET", BASE + "?sector=tourism&limit=5" + ("&after=" + after if after else ""))
        expect(r, 200)
        seen += [i["key"] for i in r.json["items"]]
        after = r.json["next"]
        if not after:
            break
    n = int(psql("SELECT count(*) FROM khnet_concepts c JOIN khnet_sectors s ON s.id = c.sector_id "
                 "WHERE s.slug = 'tourism'"))
    assert len(seen) == len(set(seen)) == n, (len(seen), n)
    assert int(psql("SELECT count(*) FROM khnet_concepts")) >= 200


def t_permissions():
    expect(call("POST", BASE, MUSSEL), 401, "unauthenticated")
    for role in ("member", "moderator"):
        expect(call("POST", BASE, MUSSEL, TOK[role]), 403, "forbidden")
        expect(call("PUT", BASE + "/offshore_wind", {"version": 1, "label_en": "x", "label_vi": "y"},
                    TOK[role]), 403, "forbidden")
        expect(call("DELETE", BASE + "/offshore_wind", None, TOK[role]), 403, "forbidden")
        expect(call("POST", "/v1/thesaurus/import", {"format": "json", "concepts": []}, TOK[role]),
               403, "forbidden")
    expect(call("DELETE", BASE + "/offshore_wind"), 401, "unauthenticated")
    assert call("GET", BASE + "/offshore_wind").status == 200


def t_bad_inputs():
    tok = TOK["liaison"]
    bad = [({"label_en": "a", "label_vi": "b"}, "missing_field", "key"),
           (dict(MUSSEL, key="Mussel"), "invalid_value", "key"),
           (dict(MUSSEL, key="m"), "invalid_value", "key"),
           ({"key": "zz_a", "label_vi": "b"}, "missing_field", "label_en"),
           (dict(MUSSEL, label_en=""), "too_short", "label_en"),
           (dict(MUSSEL, label_en="x" * 201), "too_long", "label_en"),
           (dict(MUSSEL, label_vi="!!! ..."), "invalid_value", "label_vi"),
           (dict(MUSSEL, label_en=5), "invalid_type", "label_en"),
           (dict(MUSSEL, alt="mussels"), "invalid_type", "alt"),
           (dict(MUSSEL, alt=["ok", ""]), "too_short", "alt.1"),
           (dict(MUSSEL, alt=["a%d" % i for i in range(51)]), "too_long", "alt"),
           (dict(MUSSEL, broader=["no_such_concept"]), "invalid_value", "broader.0"),
           (dict(MUSSEL, broader=["mussel_farming"]), "invalid_value", "broader.0"),
           (dict(MUSSEL, related=[7]), "invalid_type", "related.0"),
           (dict(MUSSEL, sector="underwater_basket_weaving"), "invalid_value", "sector"),
           (dict(MUSSEL, colour="blue"), "unknown_field", "colour"),
           (dict(MUSSEL, version=1), "unknown_field", "version")]
    for body, code, field in bad:
        expect(call("POST", BASE, body, tok), 400, code, field)
    expect(call("POST", BASE, dict(MUSSEL, key="offshore_wind"), tok), 409, "conflict", "key")
    expect(call("GET", BASE + "/Bad-Key"), 400, "invalid_value", "key")
    expect(call("GET", BASE + "/no_such_concept"), 404, "not_found")
    expect(call("GET", BASE + "?limit=0"), 400, "out_of_range", "limit")
    expect(call("GET", BASE + "?sector=nowhere"), 400, "invalid_value", "sector")
    expect(call("GET", "/v1/thesaurus/export?format=xml"), 400, "invalid_value", "format")
    expect(call("DELETE", BASE + "/no_such_concept", None, tok), 404, "not_found")
    expect(call("PUT", BASE + "/no_such_concept", {"version": 1, "label_en": "a", "label_vi": "b"},
                tok), 404, "not_found")
    expect(call("PUT", BASE + "/offshore_wind", {"label_en": "a", "label_vi": "b"}, tok), 400,
           "missing_field", "version")
    imp = "/v1/thesaurus/import"
    expect(call("POST", imp, {"format": "xml", "concepts": []}, tok), 400, "invalid_value", "format")
    expect(call("POST", imp, {"format": "json", "concepts": [MUSSEL, dict(MUSSEL, key="zz_b", label_en="")]},
                tok), 400, "too_short", "concepts.1.label_en")
    expect(call("POST", imp, {"format": "json", "concepts": [MUSSEL, MUSSEL]}, tok), 400,
           "invalid_value", "concepts.1.key")
    expect(call("POST", imp, {"format": "csv", "data": "key,label\nx,y\n"}, tok), 400,
           "invalid_value", "data.1")
    head = "key,sector,label_en,label_vi,alt,broader,related\n"
    expect(call("POST", imp, {"format": "csv", "data": head + "zz_c,,a,b,,,\nzz_d,,a\n"}, tok), 400,
           "invalid_value", "data.3")
    expect(call("POST", imp, {"format": "csv", "data": head + "zz_c,,a,b,,,\nzz_d,,,b,,,\n"}, tok),
           400, "too_short", "data.3.label_en")
    expect(call("POST", imp, {"format": "csv", "concepts": []}, tok), 400, "unknown_field", "concepts")
    # nothing of the refused imports stayed
    assert psql("SELECT count(*) FROM khnet_concepts WHERE key IN ('mussel_farming', 'zz_c')") == "0"


def expansions_fresh():
    """The stored expansions (khnet_search_expansions, kept by the
    thesaurus's triggers) are what the thesaurus gives now, label for label."""
    stale = psql("SELECT count(*) FROM (SELECT l.term, array_agg(DISTINCT l.concept_id) AS cids"
                 " FROM khnet_concept_labels l GROUP BY l.term) g"
                 " FULL JOIN khnet_search_expansions e USING (term)"
                 " LEFT JOIN LATERAL khnet_search_expansion(g.cids) x ON true"
                 " WHERE (e.cids, e.forms, e.allf, e.nforms, e.alln, e.info)"
                 " IS DISTINCT FROM (g.cids, x.forms, x.allf, x.nforms, x.alln, x.info)")
    assert stale == "0", stale + " stale stored expansions"


def t_edits_take_effect():
    tok = TOK["liaison"]
    vem = add_expert("vem", "nuôi vẹm")
    assert vem not in ids({"q": "mussel culture"})
    assert vem not in ids({"q": "bivalve farming", "limit": 50})
    r = call("POST", BASE, MUSSEL, tok)
    expect(r, 201)
    assert r.json["version"] == 1 and r.json["alt"] == ["mussel culture"], r.json
    # a synonym of the new concept finds it; so does its broader concept
    assert ids({"q": "mussel culture"})[:1] == [vem]
    assert vem in ids({"q": "bivalve farming", "limit": 50})
    r = search({"q": "mussel culture"})
    exp = r.json["expanded"][0]
    assert exp["kind"] == "concept" and exp["concepts"][0]["key"] == "mussel_farming", exp
    assert "nuoi vem" in exp["forms"] and r.json["hits"][0]["matched"] == ["mussel culture"], r.json
    assert "mussel_farming" in call("GET", BASE + "/bivalve_farming").json["narrower"]
    expansions_fresh()
    # replace: a new synonym, then a stale version
    r = call("PUT", BASE + "/mussel_farming", dict({k: v for k, v in MUSSEL.items() if k != "key"},
                                                   version=1, alt=["blue mussel"]), TOK["admin"])
    expect(r, 200)
    assert r.json["version"] == 2 and r.json["alt"] == ["blue mussel"], r.json
    assert ids({"q": "blue mussel"})[:1] == [vem]
    assert vem not in ids({"q": "mussel culture"})
    expect(call("PUT", BASE + "/mussel_farming", dict(label_en="a", label_vi="b", version=1), tok),
           409, "conflict", "version")
    # a cycle of broader links is refused and changes nothing
    expect(call("PUT", BASE + "/bivalve_farming", {"version": 1, "label_en": "bivalve farming",
                                                   "label_vi": "nuôi nhuyễn thể",
                                                   "broader": ["mussel_farming"]}, tok),
           400, "invalid_value", "broader")
    assert call("GET", BASE + "/bivalve_farming").json["version"] == 1
    expect(call("DELETE", BASE + "/mussel_farming", None, tok), 204)
    assert vem not in ids({"q": "blue mussel"})
    expect(call("GET", BASE + "/mussel_farming"), 404, "not_found")
    expansions_fresh()


def t_export_import_round_trip():
    tok = TOK["admin"]
    before = call("GET", "/v1/thesaurus/export")
    expect(before, 200)
    n = len(before.json["concepts"])
    csv = call("GET", "/v1/thesaurus/export?format=csv")
    expect(csv, 200)
    data = csv.json["data"]
    assert data.startswith("key,sector,label_en,label_vi,alt,broader,related\r\n"), data[:80]
    assert data.count("\r\n") == n + 1, (data.count("\r\n"), n)
    r = call("POST", "/v1/thesaurus/import", {"format": "csv", "data": data}, tok)
    expect(r, 200)
    assert r.json == {"created": 0, "updated": n}, r.json
    after = call("GET", "/v1/thesaurus/export").json
    assert after == before.json, "a CSV round trip changed the thesaurus"
    # JSON: a new concept and a link to it in one import
    new = [{"key": "zz_pearl_grading", "label_en": "pearl grading", "label_vi": "phân loại ngọc trai",
            "broader": ["pearl_oyster"], "related": ["zz_pearl_trade"]},
           {"key": "zz_pearl_trade", "label_en": "pearl trade", "label_vi": "thương mại ngọc trai"}]
    r = call("POST", "/v1/thesaurus/import", {"format": "json", "concepts": new}, tok)
    expect(r, 200)
    assert r.json == {"created": 2, "updated": 0}, r.json
    c = call("GET", BASE + "/zz_pearl_trade").json
    assert c["related"] == ["zz_pearl_grading"], c
    expansions_fresh()
    r = call("POST", "/v1/thesaurus/import", {"format": "json", "concepts": before.json["concepts"]}, tok)
    assert r.status == 200 and r.json == {"created": 0, "updated": n}, r.json
    expansions_fresh()


T.run_all(globals())
T.finish()
