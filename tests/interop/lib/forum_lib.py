"""forum_lib — what the forum suites (forum.py, forum_matrix.py) share:
accounts of every kind the forum knows, the seeded categories, posting
helpers, and the event rows only the database shows.  Independent of
khnet's code: rawhttp's hand-written HTTP, msgpack bodies, psql."""

import json
import os

from rawhttp import api_call, expect, psql, server_addr

PW = "correct horse battery"
N = [0]
ADDR = None


def call(method, path, body=None, token=None, **kw):
    global ADDR
    if ADDR is None:
        ADDR = server_addr()
    return api_call(method, path, body, token, addr=ADDR, timeout=20, **kw)


class User:
    """An account with a session.  role: member (default), moderator,
    liaison, admin.  new: keeps its fresh creation time (a new member for
    the trust rule); otherwise it is backdated 30 days.  mod_of: category
    ids it moderates.  silenced: silenced for a day."""

    def __init__(self, role="member", new=False, mod_of=(), silenced=False, handle=None):
        N[0] += 1
        email = "f%d.%d@example.org" % (os.getpid(), N[0])
        self.id = expect(call("POST", "/v1/accounts", {"email": email, "password": PW}), 201)["id"]
        if role != "member":
            psql("UPDATE khnet_accounts SET role = '%s' WHERE id = %d" % (role, self.id))
        if not new:
            psql("UPDATE khnet_accounts SET created_at = now() - interval '30 days' "
                 "WHERE id = %d" % self.id)
        for c in mod_of:
            psql("INSERT INTO khnet_forum_category_mods (category_id, account_id) "
                 "VALUES (%d, %d)" % (c, self.id))
        if silenced:
            psql("INSERT INTO khnet_silences (account_id, until, reason) "
                 "VALUES (%d, now() + interval '1 day', 'test')" % self.id)
        self.token = expect(call("POST", "/v1/sessions", {"email": email, "password": PW}),
                            201)["token"]
        if handle:
            expect(self.do("PUT", "/v1/forum/handle", {"handle": handle}), 200)

    def do(self, method, path, body=None, **kw):
        return call(method, path, body, self.token, **kw)


def categories(token=None):
    return {c["slug"]: c for c in expect(call("GET", "/v1/forum/categories", token=token),
                                         200)["items"]}


def cat_id(slug):
    return categories()[slug]["id"]


def start(u, cat, title="Nuôi tôm hùm ở Vân Phong", md="Xin chào *mọi người*", tags=None):
    body = {"title": title, "markdown": md}
    if tags is not None:
        body["tags"] = tags
    d = expect(u.do("POST", "/v1/forum/categories/%d/threads" % cat, body), 201)
    return d["thread"], d["post"]


def reply(u, tid, md="Đồng ý", **kw):
    body = {"markdown": md}
    body.update(kw)
    return expect(u.do("POST", "/v1/forum/threads/%d/posts" % tid, body), 201)


def posts(tid, token=None):
    """Every post of thread tid the caller sees, following the cursor."""
    items, path = [], "/v1/forum/threads/%d/posts?limit=7" % tid
    while True:
        page = expect(call("GET", path, token=token), 200)
        items += page["items"]
        if not page["next"]:
            return items
        path = "/v1/forum/threads/%d/posts?limit=7&after=%s" % (tid, page["next"])


def events(u, after=0):
    out = psql("SELECT coalesce(json_agg(json_build_object('seq', seq, 'kind', kind, "
               "'payload', payload) ORDER BY seq), '[]') FROM khnet_events "
               "WHERE account_id = %d AND seq > %d" % (u.id, after))
    return json.loads(out)


def last_seq(u):
    return int(psql("SELECT coalesce(max(seq), 0) FROM khnet_events WHERE account_id = %d" % u.id))


def mod_log(where):
    out = psql("SELECT coalesce(json_agg(l ORDER BY id), '[]') FROM khnet_mod_log l WHERE " + where)
    return json.loads(out)
