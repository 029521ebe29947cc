"""profiles.py — reading profiles (PROTOCOL.md "Profiles"): the detail view
by each kind of viewer, the liaison audit, byte-exact Vietnamese text, and
the directory's filters, cursors and limits, cross-checked with psql.

An independent peer: hand-written HTTP, python3-msgpack and json, psql.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import profiles_lib as L  # noqa: E402
from profiles_lib import JSON, call, expect, psql, qs  # noqa: E402
from rawhttp import Checker  # noqa: E402

T = Checker("profiles")

BASE = {"id", "full_name", "display_name", "headline", "country", "languages", "expertise",
        "sectors", "updated_at"}
GROUPS = {
    "contact": {"city", "time_zone", "links"},
    "affiliation": {"affiliation", "position"},
    "education": {"degrees"},
    "bio": {"bio"},
    "career": {"years_experience", "publications_count", "publications", "orcid"},
    "mentoring": {"willing_to_mentor", "mentor_capacity", "mentor_topics", "seeking_mentor"},
}
OWNER = {"version", "created_at", "visibility"}
VIS = {"contact": "liaison", "affiliation": "public", "education": "members", "bio": "public",
       "career": "liaison", "mentoring": "members"}
RANK = {"public": 0, "members": 1, "liaison": 2}
NAME = "Nguyễn Thị Minh Thư"
NFD = "Nguye\u0302\u0303n Văn A\u0300nh"  # combining marks must survive untouched

CTX = {}


def expected_keys(level):
    keys = set(BASE)
    for g, fields in GROUPS.items():
        if RANK[VIS[g]] <= level:
            keys |= fields
    if level >= 3:
        keys |= OWNER
    return keys


def setup():
    L.seed(200)
    owner_id, owner_tok = L.account("owner@example.org")
    psql("INSERT INTO khnet_profiles (account_id, full_name, display_name, headline, country, "
         "city, time_zone, orcid, years_experience, languages, expertise, "
         "vis_contact, vis_affiliation, vis_education, vis_bio, vis_career, vis_mentoring) "
         "VALUES (%d, '%s', '%s', 'Aquaculture', 'AU', 'Townsville', 'Australia/Brisbane', "
         "'0000-0002-1825-0097', 12, '{vi,en}', '{nuôi tôm hùm}', %s)"
         % (owner_id, NAME, NFD, ", ".join("'%s'" % VIS[g] for g in
                                           ("contact", "affiliation", "education", "bio",
                                            "career", "mentoring"))))
    psql("INSERT INTO khnet_degrees (profile_id, level, field, institution, year) "
         "VALUES (%d, 'phd', 'Aquaculture', 'James Cook University', 2015)" % owner_id)
    CTX["owner"] = (owner_id, owner_tok)
    CTX["member"] = L.account("member@example.org")
    CTX["moderator"] = L.account("mod@example.org", "moderator")
    CTX["liaison"] = L.account("liaison@example.org", "liaison")
    CTX["admin"] = (None, L.admin_token())


def get(pid, viewer=None, accept=L.MSGPACK):
    tok = CTX[viewer][1] if viewer else None
    return call("GET", "/v1/profiles/%d" % pid, token=tok, accept=accept)


def t_visibility_by_viewer():
    pid = CTX["owner"][0]
    for viewer, level in [(None, 0), ("member", 1), ("moderator", 1), ("liaison", 2),
                          ("owner", 3), ("admin", 3)]:
        r = get(pid, viewer)
        expect(r, 200)
        got, want = set(r.json), expected_keys(level)
        assert got == want, "%s: extra %s, missing %s" % (viewer, sorted(got - want),
                                                          sorted(want - got))


def t_liaison_reads_audited():
    pid = CTX["owner"][0]
    q = ("SELECT count(*) FROM khnet_audit_log WHERE action = 'liaison_profile_read' "
         "AND target_id = %d AND actor_id = %%d" % pid)
    before = int(psql(q % CTX["liaison"][0]))
    expect(get(pid, "liaison"), 200)
    expect(get(pid, "liaison"), 200)
    assert int(psql(q % CTX["liaison"][0])) == before + 2
    for viewer in ("member", "owner"):  # nobody else is audited
        expect(get(pid, viewer), 200)
        assert int(psql(q % CTX[viewer][0])) == 0
    # a profile without liaison-only groups: no audit row
    other = int(psql("SELECT account_id FROM khnet_profiles WHERE 'liaison' NOT IN "
                     "(vis_contact, vis_affiliation, vis_education, vis_bio, vis_career, "
                     "vis_mentoring) LIMIT 1"))
    expect(get(other, "liaison"), 200)
    assert psql("SELECT count(*) FROM khnet_audit_log WHERE target_id = %d" % other) == "0"


def t_diacritics_byte_exact():
    pid = CTX["owner"][0]
    for accept in (L.MSGPACK, JSON):
        r = get(pid, accept=accept)
        expect(r, 200)
        assert r.json["full_name"].encode() == NAME.encode(), r.json["full_name"]
        assert r.json["display_name"].encode() == NFD.encode(), r.json["display_name"]
        assert r.json["expertise"] == ["nuôi tôm hùm"]
    assert NAME.encode() in get(pid).body  # raw bytes on the wire, not escapes
    # seeded names keep their diacritics too
    sid, sname = psql("SELECT account_id, full_name FROM khnet_profiles "
                      "WHERE full_name ~ '[ễệờữ]' LIMIT 1").split("|")
    assert get(int(sid)).json["full_name"] == sname


def t_not_found_and_bad_ids():
    expect(get(999999999), 404, "not_found")
    for bad in ("abc", "0", "-1", "01", "1.5", "9" * 19, "%20"):
        expect(call("GET", "/v1/profiles/" + bad), 400, "invalid_value", "id")
    # erased accounts are gone
    psql("UPDATE khnet_accounts SET erased_at = now(), email = NULL, password_hash = NULL "
         "WHERE id = (SELECT max(account_id) FROM khnet_profiles WHERE account_id <> %d)"
         % CTX["owner"][0])
    gone = int(psql("SELECT max(account_id) FROM khnet_profiles p JOIN khnet_accounts a "
                    "ON a.id = p.account_id WHERE a.erased_at IS NOT NULL"))
    expect(get(gone, "admin"), 404, "not_found")


def t_bad_tokens_401():
    pid = CTX["owner"][0]
    for h in ["Bearer " + "A" * 43, "Bearer short", "Basic abc", ""]:
        r = call("GET", "/v1/profiles/%d" % pid, headers=[("Authorization", h)])
        expect(r, 401, "unauthenticated")
        r = call("GET", "/v1/profiles?limit=5", headers=[("Authorization", h)])
        expect(r, 401, "unauthenticated")
    _, tok = L.account("expiring@example.org")
    expect(call("GET", "/v1/profiles/%d" % pid, token=tok), 200)
    psql("UPDATE khnet_sessions SET expires_at = now() - interval '1 second' "
         "WHERE token_hash = sha256('%s')" % tok)
    expect(call("GET", "/v1/profiles/%d" % pid, token=tok), 401, "unauthenticated")
    expect(call("GET", "/v1/profiles", token=tok), 401, "unauthenticated")


def walk(viewer, limit=100, **filters):
    """Every id of a filtered listing, page by page; checks order and cards."""
    tok = CTX[viewer][1] if viewer else None
    ids, after = [], None
    while True:
        r = call("GET", "/v1/profiles?" + qs(limit=limit, after=after, **filters), token=tok)
        expect(r, 200)
        assert len(r.json["items"]) <= limit
        for card in r.json["items"]:
            assert "bio" not in card and "degrees" not in card and "version" not in card, card
            ids.append(card["id"])
        after = r.json["next"]
        if after is None:
            break
        assert len(r.json["items"]) == limit
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids), "order or repeats"
    return ids


LIVE = "JOIN khnet_accounts a ON a.id = p.account_id AND a.erased_at IS NULL"


def count(where):
    return int(psql("SELECT count(*) FROM khnet_profiles p %s WHERE %s" % (LIVE, where)))


def t_directory_filters():
    total = count("true")
    assert total > 200
    assert len(walk(None)) == total
    assert len(walk("member", limit=7)) == total  # pages of 7 walk every row once
    sector = "aquaculture"
    want = count("EXISTS (SELECT 1 FROM khnet_profile_sectors ps JOIN khnet_sectors s "
                 "ON s.id = ps.sector_id WHERE ps.profile_id = p.account_id AND s.slug = '%s')"
                 % sector)
    assert 0 < want < total and len(walk(None, sector=sector)) == want
    country = psql("SELECT country FROM khnet_profiles GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
    want = count("p.country = '%s'" % country)
    assert 0 < want < total and len(walk(None, country=country)) == want
    want = count("p.languages @> '{en}'")
    assert len(walk(None, language="en")) == want
    lang = psql("SELECT l FROM khnet_profiles, unnest(languages) l WHERE l NOT IN ('vi','en') "
                "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
    want = count("p.languages @> ARRAY['%s']" % lang)
    assert 0 < want < total and len(walk(None, language=lang)) == want
    # grouped filters depend on the viewer's level
    for viewer, level in [(None, 0), ("member", 1), ("liaison", 2), ("admin", 2)]:
        vis = "khnet_vis_rank(p.vis_education) <= %d" % level
        want = count("%s AND EXISTS (SELECT 1 FROM khnet_degrees d WHERE d.profile_id = "
                     "p.account_id AND d.level = 'phd')" % vis)
        assert len(walk(viewer, degree="phd")) == want, (viewer, want)
        vis = "khnet_vis_rank(p.vis_mentoring) <= %d" % level
        for m, col in (("willing", "willing_to_mentor"), ("seeking", "seeking_mentor")):
            want = count("%s AND p.%s" % (vis, col))
            assert len(walk(viewer, mentoring=m)) == want, (viewer, m, want)
    # combined
    want = count("p.country = '%s' AND p.languages @> '{en}' AND EXISTS (SELECT 1 FROM "
                 "khnet_profile_sectors ps JOIN khnet_sectors s ON s.id = ps.sector_id "
                 "WHERE ps.profile_id = p.account_id AND s.slug = '%s')" % (country, sector))
    assert len(walk(None, country=country, language="en", sector=sector)) == want
    assert walk(None, sector="no_such_sector") == []


def t_directory_cards_by_viewer():
    r = call("GET", "/v1/profiles?limit=100")
    for card in r.json["items"]:
        vis = psql("SELECT vis_affiliation || '|' || vis_mentoring FROM khnet_profiles "
                   "WHERE account_id = %d" % card["id"]).split("|")
        assert ("affiliation" in card) == (vis[0] == "public"), card
        assert ("willing_to_mentor" in card) == (vis[1] == "public"), card
        assert "city" not in card and "orcid" not in card


def t_directory_bad_params():
    for q, code, field in [("limit=0", "out_of_range", "limit"),
                           ("limit=101", "out_of_range", "limit"),
                           ("limit=abc", "invalid_value", "limit"),
                           ("limit=-1", "invalid_value", "limit"),
                           ("country=au", "invalid_value", "country"),
                           ("country=AUS", "invalid_value", "country"),
                           ("degree=dr", "invalid_value", "degree"),
                           ("mentoring=maybe", "invalid_value", "mentoring"),
                           ("sector=Aqua%20culture", "invalid_value", "sector"),
                           ("language=e", "invalid_value", "language"),
                           ("sector=%ZZ", "invalid_value", "sector"),
                           ("after=xyz", "invalid_value", "after")]:
        expect(call("GET", "/v1/profiles?" + q), 400, code, field)
    for lim in (1, 100):
        r = call("GET", "/v1/profiles?limit=%d" % lim)
        expect(r, 200)
        assert len(r.json["items"]) == lim
    r = call("GET", "/v1/profiles")
    assert len(r.json["items"]) == 20  # the default
    # a tampered cursor: flip one character of a real one
    nxt = r.json["next"]
    for i in (0, 5, len(nxt) - 1):
        bad = nxt[:i] + ("A" if nxt[i] != "A" else "B") + nxt[i + 1:]
        expect(call("GET", "/v1/profiles?after=" + bad), 400, "invalid_value", "after")
    expect(call("GET", "/v1/profiles?after=" + nxt + "A"), 400, "invalid_value", "after")
    expect(call("GET", "/v1/profiles?after=" + nxt), 200)


def main():
    with L.serving(T, "profiles"):
        T.check("setup", setup)
        T.run_all(globals())
    T.finish()


if __name__ == "__main__":
    main()
