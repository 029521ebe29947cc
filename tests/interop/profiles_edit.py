"""profiles_edit.py — writing profiles (PROTOCOL.md "Profiles"): POST my
profile, PATCH partial updates of every field with optimistic concurrency,
who may edit, and every bad input answered 400 with its exact field.
"""

import datetime
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import profiles_lib as L  # noqa: E402
from profiles_lib import JSON, call, expect, psql  # noqa: E402
from rawhttp import Checker  # noqa: E402

T = Checker("profiles_edit")
CTX = {}
YEAR = datetime.date.today().year


def setup():
    CTX["a"] = L.account("thu@example.org")
    CTX["b"] = L.account("binh@example.org")
    CTX["admin"] = (None, L.admin_token())
    r = call("POST", "/v1/profiles", {"full_name": "Nguyễn Thị Minh Thư"}, token=CTX["a"][1])
    expect(r, 201)
    assert r.json["version"] == 1 and r.json["full_name"] == "Nguyễn Thị Minh Thư", r.json
    CTX["version"] = 1


def patch(body, who="a", path="/v1/profiles/me", **kw):
    return call("PATCH", path, body, token=CTX[who][1], **kw)


def t_create_rules():
    tok = CTX["a"][1]
    expect(call("POST", "/v1/profiles", {"full_name": "Again"}, token=tok), 409, "conflict")
    expect(call("POST", "/v1/profiles", {"full_name": "X"}), 401, "unauthenticated")
    _, t = L.account("nofull@example.org")
    expect(call("POST", "/v1/profiles", {"headline": "x"}, token=t), 400, "missing_field",
           "full_name")
    expect(call("GET", "/v1/profiles/me", token=t), 404, "not_found")
    expect(call("PATCH", "/v1/profiles/me", {"version": 1, "city": "Huế"}, token=t),
           404, "not_found")
    r = call("POST", "/v1/profiles", {"full_name": "Trần Văn Bình", "country": "VN",
                                      "sectors": ["tourism"]}, token=t)
    expect(r, 201)
    assert r.json["sectors"] == ["tourism"] and r.json["country"] == "VN"


FULL = {
    "full_name": "Nguyễn Thị Minh Thư",
    "display_name": "Thư Nguyễn",
    "headline": "Research Scientist, Aquaculture",
    "bio": "Nghiên cứu nuôi tôm hùm.\nLobster aquaculture.",
    "country": "AU",
    "city": "Townsville",
    "affiliation": "James Cook University",
    "position": "Research Scientist",
    "degrees": [{"level": "phd", "field": "Aquaculture", "institution": "JCU", "year": 2015},
                {"level": "master", "field": "Biology", "institution": "Đại học Nha Trang"}],
    "sectors": ["aquaculture", "marine_economy"],
    "expertise": ["  Nuôi Tôm Hùm ", "NUÔI TÔM HÙM", "Lobster"],
    "languages": ["vi", "en-AU", "zh-Hant-TW"],
    "years_experience": 12,
    "publications_count": 34,
    "publications": [{"title": "Lobster larvae", "doi": "10.1016/j.aquaculture.2020.735", "year": 2020}],
    "orcid": "0000-0002-1825-0097",
    "links": [{"label": "Lab", "url": "https://example.org/lab?x=1"}, {"url": "http://a.example"}],
    "time_zone": "Australia/Brisbane",
    "willing_to_mentor": True,
    "mentor_capacity": 3,
    "mentor_topics": ["Aquaculture", "aquaculture", "grant writing"],
    "seeking_mentor": False,
    "visibility": {"contact": "liaison", "career": "public"},
}


def t_patch_every_field():
    body = dict(FULL, version=CTX["version"])
    r = patch(body)
    expect(r, 200)
    p = r.json
    CTX["version"] = p["version"]
    assert p["version"] == 2, p
    for k in ("full_name", "display_name", "headline", "bio", "country", "city", "affiliation",
              "position", "years_experience", "publications_count", "orcid", "time_zone",
              "languages", "willing_to_mentor", "mentor_capacity", "seeking_mentor"):
        assert p[k] == FULL[k], (k, p[k])
    assert p["expertise"] == ["nuôi tôm hùm", "lobster"], p["expertise"]
    assert p["mentor_topics"] == ["aquaculture", "grant writing"], p["mentor_topics"]
    assert p["sectors"] == ["aquaculture", "marine_economy"]
    assert p["degrees"][0] == FULL["degrees"][0]
    assert p["degrees"][1] == dict(FULL["degrees"][1], year=None)
    assert p["links"] == [{"label": "Lab", "url": "https://example.org/lab?x=1"},
                          {"label": None, "url": "http://a.example"}]
    assert p["publications"] == FULL["publications"]
    assert p["visibility"]["contact"] == "liaison" and p["visibility"]["career"] == "public"
    assert p["visibility"]["bio"] == "public"  # untouched group keeps its setting
    # the same as a later read
    again = call("GET", "/v1/profiles/me", token=CTX["a"][1]).json
    assert again == p, (again, p)
    # anonymous now sees career but not contact
    anon = call("GET", "/v1/profiles/%d" % CTX["a"][0]).json
    assert "orcid" in anon and "city" not in anon


def t_partial_and_clear():
    r = patch({"version": CTX["version"], "city": None, "headline": "Giáo sư"})
    expect(r, 200)
    CTX["version"] = r.json["version"]
    assert r.json["city"] is None and r.json["headline"] == "Giáo sư"
    assert r.json["bio"] == FULL["bio"] and len(r.json["degrees"]) == 2  # untouched
    r = patch({"version": CTX["version"], "degrees": [], "sectors": []})
    expect(r, 200)
    CTX["version"] = r.json["version"]
    assert r.json["degrees"] == [] and r.json["sectors"] == []
    # JSON bodies work the same
    r = patch({"version": CTX["version"], "city": "Nha Trang"}, json_body=True, accept=JSON)
    expect(r, 200)
    CTX["version"] = r.json["version"]
    assert r.json["city"] == "Nha Trang"


def t_version_conflict():
    v = CTX["version"]
    expect(patch({"version": v - 1, "city": "Đà Lạt"}), 409, "conflict", "version")
    expect(patch({"version": v + 5, "city": "Đà Lạt"}), 409, "conflict", "version")
    r = patch({"version": v, "city": "Đà Lạt"})
    expect(r, 200)
    expect(patch({"version": v, "city": "Huế"}), 409, "conflict", "version")  # lost update
    CTX["version"] = r.json["version"]
    assert psql("SELECT city FROM khnet_profiles WHERE account_id = %d" % CTX["a"][0]) == "Đà Lạt"


def t_who_may_edit():
    aid = CTX["a"][0]
    body = {"version": CTX["version"], "headline": "edited"}
    expect(patch(body, "b", "/v1/profiles/%d" % aid), 403, "forbidden")
    expect(call("PATCH", "/v1/profiles/%d" % aid, body), 401, "unauthenticated")
    r = patch(body, "admin", "/v1/profiles/%d" % aid)
    expect(r, 200)
    CTX["version"] = r.json["version"]
    assert psql("SELECT count(*) FROM khnet_audit_log WHERE action = 'profile_edit' "
                "AND target_id = %d" % aid) == "1"
    r = patch({"version": CTX["version"], "headline": "mine"}, "a", "/v1/profiles/%d" % aid)
    expect(r, 200)
    CTX["version"] = r.json["version"]
    expect(patch(body, "admin", "/v1/profiles/999999999"), 404, "not_found")
    expect(patch(body, "admin", "/v1/profiles/abc"), 400, "invalid_value", "id")


LONG = "ễ" * 201


def bad_cases():
    d = {"level": "phd", "field": "F", "institution": "I", "year": 2000}
    return [
        ({}, "missing_field", "version"),
        ({"version": "1"}, "invalid_type", "version"),
        ({"version": 1.0}, "invalid_type", "version"),
        ({"version": 0}, "out_of_range", "version"),
        ({"nickname": "x"}, "unknown_field", "nickname"),
        ({"full_name": None}, "missing_field", "full_name"),
        ({"full_name": ""}, "too_short", "full_name"),
        ({"full_name": LONG}, "too_long", "full_name"),
        ({"full_name": 5}, "invalid_type", "full_name"),
        ({"full_name": "a\x01b"}, "invalid_value", "full_name"),
        ({"display_name": "x" * 101}, "too_long", "display_name"),
        ({"headline": ["x"]}, "invalid_type", "headline"),
        ({"bio": "x" * 5001}, "too_long", "bio"),
        ({"country": "XX"}, "invalid_value", "country"),
        ({"country": "vn"}, "invalid_value", "country"),
        ({"country": "VNM"}, "too_long", "country"),
        ({"city": "x" * 101}, "too_long", "city"),
        ({"affiliation": 1}, "invalid_type", "affiliation"),
        ({"position": "x" * 201}, "too_long", "position"),
        ({"years_experience": 81}, "out_of_range", "years_experience"),
        ({"years_experience": "5"}, "invalid_type", "years_experience"),
        ({"publications_count": -1}, "out_of_range", "publications_count"),
        ({"publications": [{"doi": "10.1/x"}]}, "missing_field", "publications.0.title"),
        ({"publications": [{"title": "T", "doi": "doi:10.1000/x"}]}, "invalid_value",
         "publications.0.doi"),
        ({"publications": [{"title": "T", "doi": "10.1000/a b"}]}, "invalid_value",
         "publications.0.doi"),
        ({"publications": [{"title": "T", "isbn": "1"}]}, "unknown_field", "publications.0.isbn"),
        ({"orcid": "0000-0002-1825-0098"}, "invalid_value", "orcid"),
        ({"orcid": "0000-0002-1825-009"}, "too_short", "orcid"),
        ({"time_zone": "Mars/Olympus"}, "invalid_value", "time_zone"),
        ({"time_zone": "../etc/passwd"}, "invalid_value", "time_zone"),
        ({"time_zone": "EST5EDT,M3"}, "invalid_value", "time_zone"),
        ({"links": [{"url": "ftp://x.example"}]}, "invalid_value", "links.0.url"),
        ({"links": [{"url": "javascript:alert(1)"}]}, "invalid_value", "links.0.url"),
        ({"links": [{"url": "https://a b.example"}]}, "invalid_value", "links.0.url"),
        ({"links": [{"url": "https://x.example/%d" % i} for i in range(11)]}, "too_long",
         "links"),
        ({"links": {"url": "https://x.example"}}, "invalid_type", "links"),
        ({"links": [{"label": "x"}]}, "missing_field", "links.0.url"),
        ({"languages": ["vi", "en--GB"]}, "invalid_value", "languages.1"),
        ({"languages": ["en_US"]}, "invalid_value", "languages.0"),
        ({"languages": ["e"]}, "too_short", "languages.0"),
        ({"languages": "vi"}, "invalid_type", "languages"),
        ({"expertise": ["x"] * 51}, "too_long", "expertise"),
        ({"expertise": ["ok", "k" * 81]}, "too_long", "expertise.1"),
        ({"expertise": ["   "]}, "too_short", "expertise.0"),
        ({"expertise": [1]}, "invalid_type", "expertise.0"),
        ({"sectors": ["aquaculture", "space_mining"]}, "invalid_value", "sectors.1"),
        ({"sectors": ["Aquaculture"]}, "invalid_value", "sectors.0"),
        ({"degrees": [dict(d, level="doctor")]}, "invalid_value", "degrees.0.level"),
        ({"degrees": [d, dict(d, year=1949)]}, "out_of_range", "degrees.1.year"),
        ({"degrees": [dict(d, year=YEAR + 1)]}, "out_of_range", "degrees.0.year"),
        ({"degrees": [{"level": "phd", "institution": "I"}]}, "missing_field", "degrees.0.field"),
        ({"degrees": [dict(d, field="x" * 201)]}, "too_long", "degrees.0.field"),
        ({"degrees": ["phd"]}, "invalid_type", "degrees.0"),
        ({"willing_to_mentor": "yes"}, "invalid_type", "willing_to_mentor"),
        ({"mentor_capacity": 51}, "out_of_range", "mentor_capacity"),
        ({"mentor_topics": ["t" * 81]}, "too_long", "mentor_topics.0"),
        ({"seeking_mentor": None}, "missing_field", "seeking_mentor"),
        ({"visibility": {"bio": "friends"}}, "invalid_value", "visibility.bio"),
        ({"visibility": {"photos": "public"}}, "unknown_field", "visibility.photos"),
        ({"visibility": "public"}, "invalid_type", "visibility"),
    ]


def t_bad_inputs():
    for body, code, field in bad_cases():
        if field != "version" and "version" not in body:
            body = dict(body, version=CTX["version"])
        try:
            expect(patch(body), 400, code, field)
        except AssertionError as e:
            raise AssertionError("%r: %s" % (body, e)) from None
    expect(call("PATCH", "/v1/profiles/me", None, token=CTX["a"][1]), 400, "missing_field", "body")
    expect(call("PATCH", "/v1/profiles/me", [1], token=CTX["a"][1]), 400, "invalid_body")
    # invalid UTF-8 inside a string never reaches the handler
    raw = b"\x82\xa7version\x01\xa4city\xa3\xc3\x28x"
    r = patch(raw)
    expect(r, 400, "invalid_utf8")
    # nothing above changed the profile
    assert call("GET", "/v1/profiles/me", token=CTX["a"][1]).json["version"] == CTX["version"]


def t_good_edge_values():
    for body in ({"languages": ["vi", "en-GB", "sr-Latn-RS", "de-CH-1996", "x-klingon", "es-419"]},
                 {"time_zone": "Asia/Ho_Chi_Minh"}, {"time_zone": "UTC"},
                 {"orcid": "0000-0002-9079-593X"}, {"country": None},
                 {"full_name": "ễ" * 200}, {"expertise": ["k" * 80] + ["x%d" % i for i in range(49)]}):
        r = patch(dict(body, version=CTX["version"]))
        expect(r, 200)
        CTX["version"] = r.json["version"]


def main():
    with L.serving(T, "profiles_edit"):
        T.check("setup", setup)
        for name in ("create_rules", "patch_every_field", "partial_and_clear", "version_conflict",
                     "who_may_edit", "bad_inputs", "good_edge_values"):
            T.check(name, globals()["t_" + name])
    T.finish()


if __name__ == "__main__":
    main()
