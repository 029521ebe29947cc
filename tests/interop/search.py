"""search.py — POST /v1/search/experts, /v1/search/fit, GET /v1/suggest and
/v1/profiles/{id}/similar from an independent peer (hand-written HTTP,
python3-msgpack, psql as the oracle): bad inputs, folding (diacritics,
NFD, tone-mark placement, đ), visibility, facets against SQL, cursor
paging without duplicates, first pages by recent/experience on both sides
of the candidate bound, whole name words as the last word (not prefixes),
typo correction, suggest (distinct names by prefix, % and _ as characters,
misspelt name words), and the best "who fits" / "similar" scores against
SQL over every profile.  Matches, facets and sorted pages are checked
against a Python reading of the raw profile and thesaurus tables (never
the search's own functions or read model).  No timing here: speed is tests/bench/search's."""

import os
import json
import sys
import unicodedata
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from rawhttp import Checker  # noqa: E402
from search_lib import add_hand_profiles, call, member_token, psql, search, seed  # noqa: E402
from search_lib import q as sql_text  # noqa: E402

T = Checker("search")
seed(1500, 5)
IDS = add_hand_profiles()


def ids_of(r):
    return [h["id"] for h in r.json["hits"]]


def expect_400(body, code, field):
    r = search(body)
    assert r.status == 400, (r.status, r.json)
    e = r.json["error"]
    assert e["code"] == code and e.get("field") == field, e


def t_bad_inputs():
    expect_400({"sectors": ["aquaculture", "underwater_basket_weaving"]}, "invalid_value", "sectors.1")
    expect_400({"countries": ["JPN"]}, "invalid_value", "countries.0")
    expect_400({"countries": ["jp"]}, "invalid_value", "countries.0")
    expect_400({"limit": 0}, "out_of_range", "limit")
    expect_400({"limit": 51}, "out_of_range", "limit")
    expect_400({"q": "x" * 501}, "too_long", "q")
    expect_400({"q": 5}, "invalid_type", "q")
    expect_400({"after": "not-a-cursor"}, "invalid_value", "after")
    expect_400({"sort": "price"}, "invalid_value", "sort")
    expect_400({"degree_levels": ["wizard"]}, "invalid_value", "degree_levels.0")
    expect_400({"updated_since": "yesterday"}, "invalid_value", "updated_since")
    expect_400({"min_years": 81}, "out_of_range", "min_years")
    expect_400({"colour": "blue"}, "unknown_field", "colour")
    r = call("POST", "/v1/search/fit", {"text": "x" * 20481})
    assert r.status == 400 and r.json["error"]["field"] == "text", r.json
    r = call("GET", "/v1/suggest?q=")
    assert r.status == 400 and r.json["error"]["field"] == "q", r.json
    r = call("GET", "/v1/profiles/abc/similar")
    assert r.status == 400 and r.json["error"]["field"] == "id", r.json
    r = call("GET", "/v1/profiles/999999999/similar")
    assert r.status == 404, r.status
    r = search({"q": "x"}, token="A" * 43)
    assert r.status == 401, r.status


def t_folding():
    thu = IDS["thu"]
    for q in ["Nguyen Thi Minh Thu", "nguyễn thị minh thư", "NGUYỄN THỊ MINH THƯ",
              unicodedata.normalize("NFD", "Nguyễn Thị Minh Thư")]:
        r = search({"q": q})
        assert r.status == 200 and thu in ids_of(r)[:2], (q, ids_of(r)[:3])
    # with the diacritics typed, the exact person first, the namesake next
    r = search({"q": "Nguyễn Thị Minh Thư"})
    assert ids_of(r)[:2] == [thu, IDS["thu-decoy"]], ids_of(r)[:3]
    for q in ["Khánh Hoà", "Khánh Hòa", "khanh hoa planner", "thuỵ sinh học", "thụy sinh hoc",
              unicodedata.normalize("NFD", "thuỵ sinh học"), "Tran Van Hoa"]:
        assert IDS["hoa"] in ids_of(search({"q": q, "limit": 50})), q
    assert IDS["wind"] in ids_of(search({"q": "Pham Duc Dat"}))
    assert IDS["wind"] in ids_of(search({"q": "dien gio ngoai khoi", "limit": 50}))


def t_phrase_prefix_typo():
    r = search({"q": '"wind turbine"'})
    assert ids_of(r) == [IDS["wind"]], ids_of(r)
    r = search({"q": '"turbine wind"'})
    assert ids_of(r) == [], ids_of(r)
    r = search({"q": "wind turbi"})  # last word is a prefix while typing
    assert IDS["wind"] in ids_of(r), ids_of(r)
    r = search({"q": "aquacultre"})
    assert r.json["corrected"] and r.json["did_you_mean"] == "aquaculture", r.json["did_you_mean"]
    assert r.json["total"] > 0


def t_visibility():
    r = search({"q": "zebraphyte"})
    assert r.json["total"] == 0 and r.json["hits"] == [], r.json
    tok = member_token("searcher@example.org")
    r = search({"q": "zebraphyte"}, token=tok)
    assert ids_of(r) == [IDS["secret"]], ids_of(r)
    assert "«zebraphyte»" in r.json["hits"][0]["snippet"], r.json["hits"][0]["snippet"]
    # anonymous: no bio in snippets of members-only bios, nor grouped fields hidden
    r = search({"q": "Le Quoc Bao"})
    h = [x for x in r.json["hits"] if x["id"] == IDS["secret"]][0]
    assert "zebraphyte" not in (h.get("snippet") or ""), h
    # filters on hidden groups match only where visible: anonymous min_years
    n_vis = int(psql("SELECT count(*) FROM khnet_profiles WHERE vis_career = 'public' "
                     "AND years_experience >= 30"))
    assert search({"min_years": 30}).json["total"] == n_vis


def fold(s):
    """The search folding rule, written independently: NFC, lower case, no
    diacritics (combining marks dropped), đ -> d."""
    s = unicodedata.normalize("NFD", unicodedata.normalize("NFC", s).lower())
    return "".join(c for c in s if not unicodedata.combining(c)).replace("đ", "d")


def words(s):
    w, out = [], []
    for c in s + " ":
        if c.isalnum():
            w.append(c)
        elif w:
            out.append("".join(w))
            w = []
    return out


def anonymous_view():
    """Every live profile as an anonymous viewer may match it, from the raw
    tables: {id: row} with row["words"] the folded words of its public text
    (names, headline, expertise, sectors; bio and affiliation/position only
    when public) and the fields the sorts and facets use."""
    rows = json.loads(psql(
        "SELECT json_agg(json_build_object('id', p.account_id, 'country', p.country, "
        "'text', concat_ws(' . ', p.full_name, p.display_name, p.headline, "
        "array_to_string(p.expertise, ' . '), (SELECT string_agg(replace(x.slug, '_', ' ') "
        "|| ' ' || x.name_en || ' ' || x.name_vi, ' . ') FROM khnet_profile_sectors ps "
        "JOIN khnet_sectors x ON x.id = ps.sector_id WHERE ps.profile_id = p.account_id), "
        "CASE WHEN p.vis_bio = 'public' THEN p.bio END, "
        "CASE WHEN p.vis_affiliation = 'public' THEN concat_ws(' . ', p.affiliation, "
        "p.position) END), "
        "'updated', to_char(p.updated_at AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISSUS'), "
        "'years', CASE WHEN p.vis_career = 'public' THEN coalesce(p.years_experience, -1) "
        "ELSE -1 END)) FROM khnet_profiles p JOIN khnet_accounts a ON a.id = p.account_id "
        "WHERE a.erased_at IS NULL") or "[]")
    for r in rows:
        r["seq"] = words(fold(r["text"]))
        r["words"] = set(r["seq"])
    return {r["id"]: r for r in rows}


def concept_forms(q):
    """The thesaurus forms a one-concept query matches (issue 11), from the
    raw thesaurus tables: every label of the concepts labelled q and of
    their narrower concepts, each as a folded word sequence; [] when q is no
    concept's label."""
    rows = json.loads(psql(
        "SELECT json_agg(l.label) FROM khnet_concept_labels l WHERE l.concept_id IN ("
        "SELECT c.concept_id FROM khnet_concept_labels c WHERE c.term = %s UNION "
        "SELECT k.concept_id FROM khnet_concept_links k JOIN khnet_concept_labels c "
        "ON c.concept_id = k.target_id WHERE k.kind = 'broader' AND c.term = %s)"
        % (sql_text(q), sql_text(q))) or "[]")
    return [words(fold(x)) for x in rows]


def holds(seq, form):
    n = len(form)
    return any(seq[i:i + n] == form for i in range(len(seq) - n + 1))


def matching(view, q):
    """Profiles matching a one-word query: a concept's label matches the
    concept's forms and its narrower concepts' (the thesaurus); any other
    word matches as typed (as a prefix)."""
    forms = concept_forms(q)
    if forms:
        return {i: r for i, r in view.items() if any(holds(r["seq"], f) for f in forms)}
    return {i: r for i, r in view.items() if any(w.startswith(q) for w in r["words"])}


def t_facets_match_sql():
    r = search({"q": "aquaculture", "limit": 5})
    f = {x["value"]: x["count"] for x in r.json["facets"]["country"]}
    total = r.json["total"]
    match = matching(anonymous_view(), "aquaculture")
    assert len(match) > 50, len(match)  # a real workload, not an empty set
    assert sum(f.values()) + sum(1 for m in match.values() if m["country"] is None) == total
    want = {}
    for m in match.values():
        if m["country"] is not None:
            want[m["country"]] = want.get(m["country"], 0) + 1
    assert f == want, (sorted(f.items()), sorted(want.items()))
    sec = {x["value"]: x["count"] for x in r.json["facets"]["sector"]}
    assert 0 < sec["aquaculture"] <= total and sum(sec.values()) >= total, (sec, total)
    assert total == len(match) and r.json["total_exact"], (total, len(match))


def t_cursor_paging():
    for sort in ["relevance", "experience", "recent"]:
        seen, after, pages = [], None, 0
        while True:
            body = {"q": "marine", "limit": 7, "sort": sort}
            if after:
                body["after"] = after
            r = search(body)
            assert r.status == 200, r.json
            seen += ids_of(r)
            after = r.json["next"]
            pages += 1
            if not after or pages > 200:
                break
        assert len(seen) == len(set(seen)), sort
        assert len(seen) == r.json["total"], (sort, len(seen), r.json["total"])
    # a cursor from another sort is refused
    r = search({"q": "marine", "limit": 2, "sort": "recent"})
    r2 = search({"q": "marine", "after": r.json["next"], "sort": "experience"})
    assert r2.status == 400 and r2.json["error"]["field"] == "after"


def t_suggest_similar_fit():
    r = call("GET", "/v1/suggest?q=offsh")
    assert any(i["text"] == "offshore wind" for i in r.json["items"]), r.json
    r = call("GET", "/v1/suggest?q=Nguyen%20Thi%20Minh%20Th")
    assert any(i.get("id") == IDS["thu"] for i in r.json["items"]), r.json
    assert len(r.json["items"]) <= 10
    for q in ["ng", "aqua", "offshore", "nuoi%20tom", "tran%20van", "lobstr"]:
        r = call("GET", "/v1/suggest?q=" + q)
        assert r.status == 200 and len(r.json["items"]) <= 10, (q, r.json)
        assert r.json["items"] or q == "lobstr", (q, r.json)  # prefixes of real text
    r = call("GET", "/v1/profiles/%d/similar?limit=5" % IDS["wind"])
    assert r.status == 200 and r.json["items"], r.json
    assert all("offshore wind" in x["shared"] or x["score"] >= 1 for x in r.json["items"])
    r = call("POST", "/v1/search/fit", {"text": "Khánh Hòa seeks partners for an offshore "
                                                 "wind pilot with wind turbine foundations.",
                                        "limit": 3})
    assert r.json["hits"][0]["id"] == IDS["wind"], r.json
    assert "offshore wind" in r.json["terms"], r.json["terms"]


def suggest(q, limit=10):
    r = call("GET", "/v1/suggest?q=%s&limit=%d" % (urllib.parse.quote(q), limit))
    assert r.status == 200, (q, r.status, r.json)
    return r.json["items"]


def t_suggest_prefixes_and_typos():
    # names starting with the typed text, one item per distinct name
    want = int(psql("SELECT count(DISTINCT name_fold) FROM khnet_search_docs "
                    "WHERE name_fold LIKE 'ng%'"))
    assert want >= 10, want
    items = [i for i in suggest("ng") if i["kind"] == "name"]
    assert len(items) == 10 and len({i["text"] for i in items}) == 10, items
    for i in items:
        assert psql("SELECT khnet_fold(%s) LIKE 'ng%%'" % sql_text(i["text"])) == "t", i
    # % and _ are characters, not a pattern
    assert [i for i in suggest("%an") if i["kind"] == "name"] == []
    assert [i for i in suggest("ng_") if i["kind"] == "name"] == []
    # a misspelt name word is replaced by the closest word of a real name
    n = psql("SELECT count(*) FROM khnet_search_name_words WHERE term = 'ngyen'")
    assert n == "0", repr(n)
    items = suggest("Ngyen Thi Minh Thu")
    assert any(i.get("id") in (IDS["thu"], IDS["thu-decoy"]) for i in items), items
    assert any(i["text"] == "Nguyễn Thị Minh Thư" for i in items), items
    # ... and a last word that starts a name word is left as typed
    fixed = psql("SELECT khnet_search_name_fix('nguyen thi minh th')")
    assert fixed == "", repr(fixed)


FIT_TEXTS = ["Khánh Hòa seeks partners for an offshore wind pilot with wind turbine "
             "foundations, port logistics and marine spatial planning.",
             "Nghiên cứu nuôi trồng thủy sản và nuôi tôm hùm ở vịnh Vân Phong",
             "aquaculture marine coral oceanography"]


def t_fit_and_similar_top_scores_match_sql():
    # the bounded pools give the best score there is (SQL over everyone)
    for text in FIT_TEXTS:
        r = call("POST", "/v1/search/fit", {"text": text, "limit": 10})
        assert r.status == 200 and r.json["hits"], (text, r.json)
        # a term that is a thesaurus label counts through any label of its
        # concepts (issue 11), read from the raw thesaurus table
        rows = ",".join("(%s, %d, coalesce((SELECT string_agg('(' || phraseto_tsquery('simple', "
                        "o.term)::text || ')', ' | ')::tsquery FROM khnet_concept_labels c JOIN "
                        "khnet_concept_labels o ON o.concept_id = c.concept_id WHERE c.term = %s), %s))"
                        % (sql_text(t), 3 if " " in t else 1, sql_text(t),
                           ("phraseto_tsquery('simple', %s)" if " " in t else
                            "to_tsquery('simple', quote_literal(%s))") % sql_text(t))
                        for t in r.json["terms"])
        best = int(psql("SELECT max(c) FROM (SELECT sum(w) AS c FROM khnet_search_docs d, "
                        "(VALUES %s) v(t, w, tq) WHERE d.doc0 @@ v.tq GROUP BY d.profile_id) s"
                        % rows))
        scores = [h["score"] for h in r.json["hits"]]
        assert scores[0] == best and scores == sorted(scores, reverse=True), (text, scores, best)
    first_seeded = int(psql("SELECT min(profile_id) FROM khnet_search_docs"))
    for pid in [IDS["wind"], IDS["thu"], first_seeded]:
        r = call("GET", "/v1/profiles/%d/similar?limit=5" % pid)
        assert r.status == 200 and r.json["items"], (pid, r.json)
        # a keyword is shared when the other holds it or a label of one of
        # its concepts (issue 11), from the raw thesaurus table
        eq = ("(SELECT k AS kw, k AS form FROM unnest(me.expertise_fold) k UNION SELECT k, "
              "khnet_fold(o.label) FROM unnest(me.expertise_fold) k JOIN khnet_concept_labels c "
              "ON c.term = btrim(regexp_replace(k, '[^[:alnum:]]+', ' ', 'g')) "
              "JOIN khnet_concept_labels o ON o.concept_id = c.concept_id)")
        best = int(psql(
            "SELECT max(3 * (SELECT count(DISTINCT e.kw) FROM %s e WHERE e.form = ANY "
            "(d.expertise_fold)) + (SELECT count(*) FROM unnest(d.sector_ids) s "
            "WHERE s = ANY (me.sector_ids)) + CASE WHEN d.aff_fold = me.aff_fold AND "
            "d.vis_aff <= 0 AND me.vis_aff <= 0 THEN 1 ELSE 0 END) FROM khnet_search_docs d, "
            "khnet_search_docs me WHERE me.profile_id = %d AND d.profile_id <> me.profile_id "
            "AND (EXISTS (SELECT 1 FROM %s e WHERE e.form = ANY (d.expertise_fold)) "
            "OR d.sector_ids && me.sector_ids)" % (eq, pid, eq)))
        scores = [i["score"] for i in r.json["items"]]
        assert scores[0] == best and scores == sorted(scores, reverse=True), (pid, scores, best)


def add_person(ext, name):
    aid = int(psql("INSERT INTO khnet_accounts (email, password_hash, role) VALUES "
                   "('%s@example.org', 'x', 'member') RETURNING id" % ext).split()[0])
    psql("INSERT INTO khnet_profiles (account_id, external_id, full_name, headline, country, "
         "expertise, languages) VALUES (%d, '%s', '%s', 'Port engineer', 'VN', "
         "ARRAY['port logistics'], ARRAY['vi'])" % (aid, ext, name))
    return aid


def name_word(w):
    return psql("SELECT count(*) FROM khnet_search_name_words WHERE term = '%s'" % w) == "1"


def t_last_word_whole_name():
    # every word of every full name is known (the seed's bulk fill included)
    want = psql("SELECT count(DISTINCT w) FROM khnet_search_docs d, "
                "regexp_split_to_table(d.name_fold, '[^[:alnum:]]+') w WHERE w <> ''")
    assert psql("SELECT count(*) FROM khnet_search_name_words") == want, want
    hoang = add_person("hoang", "Trần Văn Hoàng")
    assert name_word("hoa") and name_word("hoang") and not name_word("hoan")
    # "hoa" is a whole name word: matched as itself, not as a prefix of hoàng
    for q in ["Trần Văn Hòa", "Tran Van Hoa", "Trần Văn Hoà"]:
        got = ids_of(search({"q": q, "limit": 50}))
        assert IDS["hoa"] in got and hoang not in got, (q, got[:5])
    # "hoan" is not: still a prefix while typing
    got = ids_of(search({"q": "Tran Van Hoan", "limit": 50}))
    assert hoang in got and IDS["hoa"] not in got, got[:5]
    # a renamed profile's new words are known at once
    assert not name_word("sung")
    psql("UPDATE khnet_profiles SET full_name = 'Giàng A Sủng' WHERE account_id = %d" % hoang)
    assert name_word("sung") and name_word("giang")
    assert ids_of(search({"q": "Giang A Sung"}))[:1] == [hoang]


def t_snippet_of_nfd_text_is_nfc():
    # text stored decomposed (profiles keep what was typed) is cut into an
    # NFC snippet: khnet_search_snippet normalizes the text it is not NFC
    aid = add_person("nfd", "Lê Văn Nfd")
    headline = unicodedata.normalize("NFD", "Chuyên gia zorbulit nuôi tôm ở Cà Mau")
    psql("UPDATE khnet_profiles SET headline = '%s' WHERE account_id = %d" % (headline, aid))
    r = search({"q": "zorbulit"})
    assert ids_of(r) == [aid], ids_of(r)
    snip = r.json["hits"][0]["snippet"]
    assert snip == unicodedata.normalize("NFC", snip), ascii(snip)
    assert "«zorbulit» nuôi tôm ở Cà Mau" in snip, snip


def t_sorted_pages_match_sql():
    # the first page by recent / experience, from the candidates (<= 1,000
    # matches) and from every match (more), against the raw tables
    view = anonymous_view()
    keys = {"recent": lambda m: (m["updated"], m["id"]),
            "experience": lambda m: (m["years"], m["id"])}
    for body, match in [({"q": "marine"}, matching(view, "marine")), ({}, view)]:
        assert len(match) > 15, (body, len(match))
        for sort, key in keys.items():
            r = search(dict(body, sort=sort, limit=15))
            assert r.status == 200, r.json
            want = [m["id"] for m in sorted(match.values(), key=key, reverse=True)[:15]]
            assert ids_of(r) == want, (body, sort, ids_of(r), want)
            assert all(h["score"] == 0 for h in r.json["hits"]), r.json["hits"][:2]
            assert r.json["total_exact"] == (body != {}), (body, r.json["total"])
            if body == {}:
                # above the cap, the planner's estimate (one hash partition
                # times their number): near the count of documents
                docs = int(psql("SELECT count(*) FROM khnet_search_docs"))
                assert 0.8 * docs <= r.json["total"] <= 1.25 * docs, (r.json["total"], docs)


for name, fn in list(globals().items()):
    if name.startswith("t_") and callable(fn):
        T.check(name, fn)
T.finish()
