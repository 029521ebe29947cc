"""saved_searches.py — /v1/saved-searches from an independent peer
(hand-written HTTP, python3-msgpack, psql to touch profiles): create, list
with a cursor, delete; "new since I last looked" (a profile written after
the mark and not one written before, a second look empty until the next
write, peek leaving the mark, later pages of one look); bad inputs give
the search's own 400 with the field inside `query`; at most 100 per
account (409 conflict); the permission matrix."""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from rawhttp import Checker  # noqa: E402
from search_lib import DB, add_hand_profiles, call, member_token, psql, search  # noqa: E402

T = Checker("saved_searches")
IDS = add_hand_profiles()
LIAISON = member_token("liaison@example.org", "liaison")
OTHER = member_token("liaison2@example.org", "liaison")
ADMIN = member_token("admin@example.org", "admin")
MEMBER = member_token("member@example.org")
MODERATOR = member_token("moderator@example.org", "moderator")
ALL_HAND = {"languages": ["vi"]}  # every hand profile, and only them


def touch(ext):
    """A profile write, as khnet_profile_patch stamps it."""
    psql("UPDATE khnet_profiles SET headline = headline || '.', version = version + 1, "
         "updated_at = now() WHERE account_id = %d" % IDS[ext])


def create(name, query, token=LIAISON):
    return call("POST", "/v1/saved-searches", {"name": name, "query": query}, token)


def new(sid, token=LIAISON, qs=""):
    r = call("GET", "/v1/saved-searches/%d/new%s" % (sid, qs), token=token)
    assert r.status == 200, (r.status, r.json)
    return r


def ids_of(r):
    return sorted(h["id"] for h in r.json["hits"])


def t_create_list_delete():
    r = create("Khánh Hòa wind", {"q": "offshore wind", "countries": ["DK"]})
    assert r.status == 201, (r.status, r.json)
    s = r.json
    assert s["name"] == "Khánh Hòa wind" and s["query"] == {"q": "offshore wind",
                                                            "countries": ["DK"]}, s
    assert s["created_at"].endswith("Z") and s["last_seen_at"] >= s["created_at"], s
    made = [s["id"]] + [create("s%d" % i, {"limit": i + 1}).json["id"] for i in range(3)]
    assert create("x" * 100, {}).status == 201
    seen, after = [], None
    while True:
        r = call("GET", "/v1/saved-searches?limit=2" + ("&after=" + after if after else ""),
                 token=LIAISON)
        assert r.status == 200 and len(r.json["items"]) <= 2, r.json
        seen += [i["id"] for i in r.json["items"]]
        after = r.json["next"]
        if not after:
            break
    assert seen == sorted(seen, reverse=True) and set(made) <= set(seen), (seen, made)
    assert len(seen) == len(set(seen))
    r = call("GET", "/v1/saved-searches", token=OTHER)
    assert r.status == 200 and not set(made) & {i["id"] for i in r.json["items"]}, r.json
    r = call("DELETE", "/v1/saved-searches/%d" % made[1], token=LIAISON)
    assert r.status == 204, r.status
    r = call("DELETE", "/v1/saved-searches/%d" % made[1], token=LIAISON)
    assert r.status == 404, r.status
    r = call("GET", "/v1/saved-searches/%d/new" % made[1], token=LIAISON)
    assert r.status == 404, r.status
    r = call("GET", "/v1/saved-searches", token=LIAISON)
    assert made[1] not in [i["id"] for i in r.json["items"]]


def t_new_since_last_look():
    touch("hoa")  # before the mark: never "new"
    sid = create("all hand", ALL_HAND).json["id"]
    assert ids_of(new(sid)) == []
    touch("wind")
    r = new(sid)
    assert ids_of(r) == [IDS["wind"]], ids_of(r)
    assert r.json["total"] == 1 and r.json["sort"] == "recent" and r.json["since"], r.json
    # the same hit shape as the search
    hit = r.json["hits"][0]
    same = [h for h in search(dict(ALL_HAND, limit=50), LIAISON).json["hits"] if h["id"] == IDS["wind"]]
    assert set(hit) == set(same[0]), (sorted(hit), sorted(same[0]))
    assert ids_of(new(sid)) == [], "a second look shows nothing new"
    touch("thu")
    assert ids_of(new(sid, qs="?peek=true")) == [IDS["thu"]]
    assert ids_of(new(sid, qs="?peek=true")) == [IDS["thu"]], "peek moved the mark"
    assert ids_of(new(sid, qs="?peek=false")) == [IDS["thu"]]
    assert ids_of(new(sid)) == []
    r = call("GET", "/v1/saved-searches", token=LIAISON)
    mine = [i for i in r.json["items"] if i["id"] == sid][0]
    assert mine["last_seen_at"] > mine["created_at"], mine


def t_new_pages_of_one_look():
    sid = create("one at a time", dict(ALL_HAND, limit=1)).json["id"]
    for ext in ("thu", "secret", "wind"):
        touch(ext)
    r = new(sid)
    got, pages = ids_of(r), 1
    while r.json["next"]:
        r = new(sid, qs="?after=" + r.json["next"])
        got += ids_of(r)
        pages += 1
    assert sorted(got) == sorted(IDS[e] for e in ("thu", "secret", "wind")), got
    assert pages == 3, pages
    assert ids_of(new(sid)) == []
    r = call("GET", "/v1/saved-searches/%d/new?after=garbage" % sid, token=LIAISON)
    assert r.status == 400 and r.json["error"]["field"] == "after", r.json
    other_sort = search({"sort": "experience", "limit": 1}).json["next"]
    r = call("GET", "/v1/saved-searches/%d/new?after=%s" % (sid, other_sort), token=LIAISON)
    assert r.status == 400 and r.json["error"]["field"] == "after", r.json


def t_write_running_during_a_look():
    """A write whose transaction started before a look but commits after it
    carries an updated_at older than the look: the mark must not pass it."""
    sid = create("slow writer", ALL_HAND).json["id"]
    slow = subprocess.Popen(["psql", DB, "-Xq", "-c", "BEGIN", "-c",
                             "UPDATE khnet_profiles SET headline = headline || '!', "
                             "updated_at = now() WHERE account_id = %d" % IDS["hoa"],
                             "-c", "SELECT pg_sleep(1.5)", "-c", "COMMIT"],
                            stdout=subprocess.DEVNULL)
    time.sleep(0.7)
    assert ids_of(new(sid)) == [], "an uncommitted write is not visible yet"
    assert slow.wait(timeout=30) == 0
    assert ids_of(new(sid)) == [IDS["hoa"]], "the write that committed after a look was lost"


def t_background_work_does_not_hold_the_mark():
    """khnetd's timers run on the request pool: one in flight while a
    profile is written and a saved search made must not pull the new
    search's mark back behind that write (it showed as "new").  The
    statement is the CORS reload's own (server/api/accounts/domain.c), held
    open as a slow sweep would be; an ordinary writer still holds the mark
    (t_write_running_during_a_look)."""
    sweep = subprocess.Popen(["psql", DB, "-Xq", "-c", "BEGIN", "-c",
                              "SELECT khnet_cors_origins() AS cors FROM khnet_background_tx()",
                              "-c", "SELECT pg_sleep(2)", "-c", "COMMIT"],
                             stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    touch("hoa")  # after the sweep began, before the saved search
    r = create("during a sweep", ALL_HAND)
    assert r.status == 201, (r.status, r.json)
    s = r.json
    assert s["last_seen_at"] >= s["created_at"], s
    assert sweep.poll() is None, "the sweep was not in flight"
    assert ids_of(new(s["id"], qs="?peek=true")) == [], "a write before the search shown as new"
    assert sweep.wait(timeout=30) == 0


def t_new_respects_query():
    sid = create("wind only", {"q": "offshore wind"}).json["id"]
    touch("thu")
    touch("wind")
    assert ids_of(new(sid)) == [IDS["wind"]]


def expect_400(body, code, field):
    r = call("POST", "/v1/saved-searches", body, LIAISON)
    assert r.status == 400, (body, r.status, r.json)
    e = r.json["error"]
    assert e["code"] == code and e.get("field") == field, (body, e)


def t_bad_inputs():
    expect_400({"query": {}}, "missing_field", "name")
    expect_400({"name": "", "query": {}}, "too_short", "name")
    expect_400({"name": "x" * 101, "query": {}}, "too_long", "name")
    expect_400({"name": 7, "query": {}}, "invalid_type", "name")
    expect_400({"name": "n"}, "missing_field", "query")
    expect_400({"name": "n", "query": None}, "missing_field", "query")
    expect_400({"name": "n", "query": "wind"}, "invalid_type", "query")
    expect_400({"name": "n", "query": {}, "colour": "blue"}, "unknown_field", "colour")
    expect_400({"name": "n", "query": {"after": "abc"}}, "invalid_value", "query.after")
    # every query the search refuses, refused the same way, inside `query`
    for q in [{"sectors": ["aquaculture", "underwater_basket_weaving"]}, {"countries": ["JPN"]},
              {"countries": ["jp"]}, {"limit": 0}, {"limit": 51}, {"q": "x" * 501}, {"q": 5},
              {"sort": "price"}, {"degree_levels": ["wizard"]}, {"updated_since": "yesterday"},
              {"min_years": 81}, {"min_years": 1.5}, {"willing_to_mentor": "yes"},
              {"languages": ["not a tag"]}, {"sectors": "aquaculture"}, {"colour": "blue"}]:
        s = search(q)
        assert s.status == 400, (q, s.status)
        expect_400({"name": "n", "query": q}, s.json["error"]["code"],
                   "query." + s.json["error"]["field"])
    r = call("GET", "/v1/saved-searches/abc/new", token=LIAISON)
    assert r.status == 400 and r.json["error"]["field"] == "id", r.json
    r = call("GET", "/v1/saved-searches/1/new?peek=maybe", token=LIAISON)
    assert r.status == 400 and r.json["error"]["field"] == "peek", r.json
    r = call("GET", "/v1/saved-searches?limit=0", token=LIAISON)
    assert r.status == 400 and r.json["error"]["field"] == "limit", r.json


def t_at_most_100_per_account():
    tok = member_token("hoarder@example.org", "liaison")
    made = []
    for i in range(100):
        r = create("s%d" % i, {"q": "wind"}, tok)
        assert r.status == 201, (i, r.status, r.json)
        made.append(r.json["id"])
    r = create("one too many", {}, tok)
    assert r.status == 409 and r.json["error"]["code"] == "conflict", (r.status, r.json)
    assert "100" in r.json["error"]["message"], r.json
    # another account is not affected; deleting one makes room again
    assert create("other's", {}, OTHER).status == 201
    assert call("DELETE", "/v1/saved-searches/%d" % made[0], token=tok).status == 204
    assert create("room again", {}, tok).status == 201
    assert create("full again", {}, tok).status == 409
    n = psql("SELECT count(*) FROM khnet_saved_searches s JOIN khnet_accounts a ON "
             "a.id = s.owner_id WHERE a.email = 'hoarder@example.org'")
    assert n == "100", n


def t_permissions():
    sid = create("mine", {"q": "wind"}).json["id"]
    paths = [("POST", "/v1/saved-searches", {"name": "n", "query": {}}),
             ("GET", "/v1/saved-searches", None),
             ("DELETE", "/v1/saved-searches/%d" % sid, None),
             ("GET", "/v1/saved-searches/%d/new" % sid, None)]
    for m, p, b in paths:
        r = call(m, p, b)
        assert r.status == 401 and r.header("www-authenticate") == "Bearer", (m, p, r.status)
        assert call(m, p, b, token="A" * 43).status == 401, (m, p)
        for tok in (MEMBER, MODERATOR):
            r = call(m, p, b, tok)
            assert r.status == 403 and r.json["error"]["code"] == "forbidden", (m, p, r.status)
    for m, p, b in paths[2:]:
        r = call(m, p, b, OTHER)
        assert r.status == 404 and r.json["error"]["code"] == "not_found", (m, p, r.status)
    r = call("GET", "/v1/saved-searches/%d/new?peek=true" % sid, token=OTHER)
    assert r.status == 404
    r = create("admin's", {"q": "wind"}, ADMIN)
    assert r.status == 201, r.json
    assert new(r.json["id"], ADMIN).json["hits"] == []
    assert call("GET", "/v1/saved-searches", token=ADMIN).status == 200
    assert call("DELETE", "/v1/saved-searches/%d" % r.json["id"], token=ADMIN).status == 204
    assert call("DELETE", "/v1/saved-searches/%d" % sid, token=LIAISON).status == 204


def t_export_includes_them():
    tok = member_token("exporter@example.org", "liaison")
    sid = create("Nuôi trồng thủy sản", {"q": "nuoi trong thuy san"}, tok).json["id"]
    r = call("GET", "/v1/account/export", token=tok)
    assert r.status == 200, (r.status, r.json)
    mine = r.json["saved_searches"]
    assert [(x["id"], x["name"], x["query"]) for x in mine] == \
        [(sid, "Nuôi trồng thủy sản", {"q": "nuoi trong thuy san"})], mine
    others = call("GET", "/v1/account/export", token=LIAISON).json["saved_searches"]
    assert sid not in [x["id"] for x in others], others


def t_erase_removes_them():
    tok = member_token("leaving@example.org", "liaison")
    assert create("bye", {}, tok).status == 201
    r = call("DELETE", "/v1/account", {"password": "correct horse battery"}, tok)
    assert r.status == 204, (r.status, r.json)
    n = psql("SELECT count(*) FROM khnet_saved_searches s JOIN khnet_accounts a "
             "ON a.id = s.owner_id WHERE a.erased_at IS NOT NULL")
    assert n == "0", n


for name, fn in list(globals().items()):
    if name.startswith("t_") and callable(fn):
        T.check(name, fn)
T.finish()
