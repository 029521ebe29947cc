"""sweep.py — out of memory, everywhere a handler allocates (fault-injection
builds only, -DKHNET_FAULT_INJECTION=ON).

For each request below, the request is sent again and again with
`X-Khnet-Fault: N` for N = 1, 2, ...: the request's Nth allocation fails,
counting from its body's decoding — arena allocations (decoders, the
kit), reply-buffer growth (the msgpack writer, the JSON reply), the query
queue's malloc, the import report's realloc (proto/fault.c).  The reply
names the site that failed in `X-Khnet-Fault-Hit`.  Every answer must be
the normal one or `500 internal` (never another 4xx/5xx, never a hang: each
call has a 5 s deadline), the server must stay up (its exactly-once check
aborts on a request left unanswered or answered twice), at least one N must
have hit an out-of-memory branch, and the sweep ends when N passes the
request's allocations (a normal answer with nothing injected).  Requests are swept
with msgpack and some again with JSON both ways; across the sweep, every
kind of site must have failed at least once.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop",
                                "lib"))
import profiles_lib as L  # noqa: E402
from profiles_lib import call, expect  # noqa: E402
from rawhttp import JSON, MSGPACK, Checker  # noqa: E402

T = Checker("fault_sweep")
CTX = {}
N_MAX = 1500  # the export holds every session the sweep made: ~1,000 allocations
SITES = {"arena", "buffer", "query", "import"}  # every kind proto/fault.c names
SEEN = set()
# swept again with JSON bodies and JSON replies (the JSON decoder and writer)
JSON_TOO = {"register", "me", "profile_patch", "import", "search", "conv_list", "send"}


def setup():
    CTX["admin"] = L.admin_token()
    CTX["member"] = L.account("member@example.org")
    CTX["liaison"] = L.account("liaison@example.org", "liaison")
    CTX["mod"] = L.account("mod@example.org", "moderator")
    mid, mtok = CTX["member"]
    expect(call("POST", "/v1/profiles", {"full_name": "Nguyễn Văn An", "display_name": "An",
                                         "sectors": ["aquaculture"],
                                         "expertise": ["nuôi tôm hùm"]}, token=mtok), 201)
    r = call("POST", "/v1/conversations", {"type": "direct", "member_id": CTX["liaison"][0]},
             token=mtok)
    expect(r, 201)
    CTX["conv"] = r.json["id"]
    r = call("POST", "/v1/conversations/%d/messages" % CTX["conv"],
             {"client_id": "m-1", "text": "xin chào"}, token=mtok)
    expect(r, 201)
    CTX["msg"] = r.json["id"]
    r = call("POST", "/v1/saved-searches", {"name": "lobsters", "query": {"q": "tôm hùm"}},
             token=CTX["liaison"][1])
    expect(r, 201)
    CTX["saved"] = r.json["id"]


def my_version(tok):
    return expect(call("GET", "/v1/profiles/me", token=tok), 200)["version"]


def requests():
    """(name, method, path-or-fn(n), body-or-fn(n), token, normal statuses)."""
    mtok, ltok, adm = CTX["member"][1], CTX["liaison"][1], CTX["admin"]
    conv, msg, saved, mid = CTX["conv"], CTX["msg"], CTX["saved"], CTX["member"][0]
    return [
        ("info", "GET", "/v1/info", None, None, {200}),
        ("register", "POST", "/v1/accounts",
         lambda n: {"email": "new%d@example.org" % n, "password": L.PW}, None, {201}),
        ("login", "POST", "/v1/sessions", {"email": "member@example.org", "password": L.PW},
         None, {201}),
        ("me", "GET", "/v1/account", None, mtok, {200}),
        ("sessions", "GET", "/v1/sessions", None, mtok, {200}),
        ("password_wrong", "POST", "/v1/account/password",
         {"current_password": "not the password", "new_password": "another password"}, mtok,
         {403}),
        ("role", "PUT", "/v1/accounts/%d/role" % mid, {"role": "member"}, adm, {200}),
        ("reset_request", "POST", "/v1/password-resets", {"email": "member@example.org"}, None,
         {202}),
        ("export", "GET", "/v1/account/export", None, mtok, {200}),
        ("partners", "GET", "/v1/partners", None, adm, {200}),
        ("partner_create", "POST", "/v1/partners",
         lambda n: {"name": "p%d" % n, "origins": ["https://p%d.example.org" % n]}, adm, {201}),
        ("profile_get", "GET", "/v1/profiles/%d" % mid, None, mtok, {200}),
        ("profile_me", "GET", "/v1/profiles/me", None, mtok, {200}),
        ("profiles", "GET", "/v1/profiles?limit=5&sector=aquaculture", None, mtok, {200}),
        ("profile_patch", "PATCH", "/v1/profiles/me",
         lambda n: {"version": my_version(mtok), "headline": "Tôm hùm %d" % n}, mtok, {200}),
        ("import", "POST", "/v1/profiles/import",
         lambda n: {"format": "jsonl", "data": '{"email": "imp%d@example.org", '
                    '"full_name": "Trần Bình"}\n{"email": "rej%d@example.org"}\n' % (n, n)},
         ltok, {200}),  # the second line is rejected: the report grows
        ("search", "POST", "/v1/search/experts",
         {"q": "tom hum", "sectors": ["aquaculture"], "limit": 1}, mtok, {200}),
        ("fit", "POST", "/v1/search/fit", {"text": "nuôi tôm hùm lồng", "limit": 3}, None, {200}),
        ("similar", "GET", "/v1/profiles/%d/similar?limit=3" % mid, None, None, {200}),
        ("suggest", "GET", "/v1/suggest?q=tom", None, None, {200}),
        ("saved_list", "GET", "/v1/saved-searches", None, ltok, {200}),
        ("saved_new", "GET", "/v1/saved-searches/%d/new?peek=true" % saved, None, ltok, {200}),
        ("conv_list", "GET", "/v1/conversations?limit=5", None, mtok, {200}),
        ("conv_get", "GET", "/v1/conversations/%d" % conv, None, mtok, {200}),
        ("send", "POST", "/v1/conversations/%d/messages" % conv,
         lambda n: {"client_id": "f-%d" % n, "text": "tin %d" % n}, mtok, {201}),
        ("history", "GET", "/v1/conversations/%d/messages?limit=5" % conv, None, mtok, {200}),
        ("unread", "GET", "/v1/unread", None, ltok, {200}),
        ("events", "GET", "/v1/events?limit=3", None, ltok, {200}),
        ("report", "POST", "/v1/messages/%d/report" % msg, {"reason": "spam?"}, ltok,
         {200, 201}),  # 200: this reporter's open report on it already exists
        ("reports", "GET", "/v1/reports?limit=5", None, CTX["mod"][1], {200}),
        ("blocks", "GET", "/v1/blocks", None, mtok, {200}),
    ]


def sweep(method, path, body, token, normal, json=False):
    hit = 0
    enc = {"accept": JSON if json else MSGPACK, "json_body": json}
    for n in range(1, N_MAX + 1):
        b = body(n + (1000 if json else 0)) if callable(body) else body
        r = call(method, path, b, token=token, headers=[("X-Khnet-Fault", str(n))], **enc)
        site = r.header("X-Khnet-Fault-Hit")
        if site:
            assert site in SITES, "N=%d: unknown site %r" % (n, site)
            SEEN.add(site)
        if r.status in normal:
            if not site:
                break  # N passed the request's last allocation
            continue  # a failure its code survives (e.g. an optional header's copy)
        assert r.status == 500 and r.json["error"]["code"] == "internal", \
            "N=%d: %d %r" % (n, r.status, r.body[:200])
        assert site, "N=%d: 500 without an injected failure: %r" % (n, r.body[:200])
        hit += 1
    else:
        raise AssertionError("still failing at N=%d" % N_MAX)
    assert hit > 0, "no out-of-memory branch reached"
    b = body(N_MAX + 1 + (1000 if json else 0)) if callable(body) else body
    r = call(method, path, b, token=token, **enc)
    assert r.status in normal, "after the sweep: %d %r" % (r.status, r.body[:200])


def every_site():
    assert SEEN == SITES, "sites never failed: %s" % sorted(SITES - SEEN)


def main():
    with L.serving(T, "fault_sweep"):
        if T.check("setup", setup):
            for name, method, path, body, token, normal in requests():
                T.check(name, sweep, method, path, body, token, normal)
                if name in JSON_TOO:
                    T.check(name + "_json", sweep, method, path, body, token, normal, True)
            T.check("every site failed at least once", every_site)
    T.finish()


if __name__ == "__main__":
    main()
