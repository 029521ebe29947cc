"""forum_matrix.py — who may do what in the forums (issue 9): every forum
and forum-moderation endpoint called by each kind of caller — anonymous,
member, the content's author, a silenced member, a moderator of this
category, a moderator of another category, a global moderator, a liaison
officer, an admin — against PROTOCOL.md's answer: the exact success status
or the exact error status and code (and field where one is documented).

Actors are made once; every cell gets fresh content (a thread by the author
with an opening post and a reply, and what the row needs besides), so a
destructive cell (delete, hide, move) cannot change another's outcome.

Categories: C (the cell's category, moderated by `catmod`), R (read-only,
also moderated by `catmod`), O (moderated by `catmod_other`).
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import forum_lib as F  # noqa: E402
from rawhttp import Checker, expect, psql  # noqa: E402

T = Checker("forum_matrix")
ROLES = ("anonymous", "member", "author", "silenced", "catmod", "catmod_other", "moderator",
         "liaison", "admin")
A = {}    # role -> User (None for anonymous)
CAT = {}  # C, R, O -> category id


def world():
    """Fresh content for one cell: thread t (by the author, in C) with its
    opening post p1 and a reply p2."""
    t, p1 = F.start(A["author"], CAT["C"])
    p2 = F.reply(A["author"], t["id"], "Trả lời")
    return {"t": t["id"], "p1": p1["id"], "p2": p2["id"], "C": CAT["C"], "R": CAT["R"],
            "O": CAT["O"]}


def locked(w):
    psql("UPDATE khnet_forum_threads SET locked = true WHERE id = %d" % w["t"])


def hidden(w):
    expect(A["moderator"].do("POST", "/v1/mod/posts/%d/hide" % w["p2"], {"reason": "off topic"}),
           200)


def hidden_first(w):
    expect(A["moderator"].do("POST", "/v1/mod/posts/%d/hide" % w["p1"], {"reason": "spam"}), 200)


def replied_by_other(w):
    F.reply(F.User(), w["t"], "Ý kiến khác")


def deleted_thread(w):
    expect(A["moderator"].do("DELETE", "/v1/forum/threads/%d?reason=spam" % w["t"]), 200)


def reported(w):
    r = expect(A["member"].do("POST", "/v1/forum/posts/%d/report" % w["p2"], {"reason": "spam"}),
               201)
    w["item"] = r["item_id"]


def reported_stranger(w):
    """A report of a post by an author of its own, whom the cell may silence."""
    w["p2"] = F.reply(F.User(), w["t"], "Quảng cáo")["id"]
    reported(w)


ALL_OK = {r: "200" for r in ROLES}


def row(anonymous="401 unauthenticated", default=None, **cells):
    """Expected answers: `default` for every authenticated role unless named."""
    out = {r: default for r in ROLES}
    out["anonymous"] = anonymous
    out.update(cells)
    return out


MOD_ONLY = row(default="403 forbidden", catmod="200", moderator="200", admin="200")
QUEUE = row(default="403 forbidden", catmod="200", catmod_other="200", moderator="200",
            admin="200")

# (name, extra setup, method, path, body, expected)
MATRIX = [
    ("categories", None, "GET", "/v1/forum/categories", None, ALL_OK),
    ("threads", None, "GET", "/v1/forum/categories/{C}/threads", None, ALL_OK),
    ("thread", None, "GET", "/v1/forum/threads/{t}", None, ALL_OK),
    ("posts", None, "GET", "/v1/forum/threads/{t}/posts", None, ALL_OK),
    ("search", None, "POST", "/v1/forum/search", {"q": "tôm hùm"}, ALL_OK),
    ("start", None, "POST", "/v1/forum/categories/{C}/threads",
     {"title": "Đề án", "markdown": "x"}, row(default="201", silenced="403 silenced")),
    ("start_read_only", None, "POST", "/v1/forum/categories/{R}/threads",
     {"title": "Thông báo", "markdown": "x"},
     row(default="403 forbidden", catmod="201", moderator="201", liaison="201", admin="201")),
    ("reply", None, "POST", "/v1/forum/threads/{t}/posts", {"markdown": "x"},
     row(default="201", silenced="403 silenced")),
    ("reply_locked", locked, "POST", "/v1/forum/threads/{t}/posts", {"markdown": "x"},
     row(default="409 conflict", silenced="403 silenced", catmod="201", moderator="201",
         admin="201")),
    ("edit", None, "PATCH", "/v1/forum/posts/{p2}", {"markdown": "sửa"},
     row(default="403 forbidden", author="200")),
    ("delete", None, "DELETE", "/v1/forum/posts/{p2}", None,
     row(default="403 forbidden", author="200", catmod="200", moderator="200", admin="200")),
    ("thread_delete", None, "DELETE", "/v1/forum/threads/{t}", None,
     row(default="403 forbidden", author="200", catmod="200", moderator="200", admin="200")),
    ("thread_delete_replied", replied_by_other, "DELETE", "/v1/forum/threads/{t}", None,
     row(default="403 forbidden", author="409 conflict", catmod="200", moderator="200",
         admin="200")),
    ("thread_deleted_get", deleted_thread, "GET", "/v1/forum/threads/{t}", None,
     row(anonymous="404 not_found", default="404 not_found", catmod="200", moderator="200",
         admin="200")),
    ("thread_deleted_posts", deleted_thread, "GET", "/v1/forum/threads/{t}/posts", None,
     row(anonymous="404 not_found", default="404 not_found", catmod="200", moderator="200",
         admin="200")),
    ("thread_deleted_again", deleted_thread, "DELETE", "/v1/forum/threads/{t}", None,
     row(default="404 not_found", catmod="200", moderator="200", admin="200")),
    ("reply_deleted", deleted_thread, "POST", "/v1/forum/threads/{t}/posts", {"markdown": "x"},
     row(default="404 not_found", catmod="409 conflict", moderator="409 conflict",
         admin="409 conflict")),
    ("lock_deleted", deleted_thread, "PATCH", "/v1/mod/threads/{t}", {"locked": True},
     row(default="404 not_found", catmod="409 conflict", moderator="409 conflict",
         admin="409 conflict")),
    ("revisions", None, "GET", "/v1/forum/posts/{p2}/revisions", None,
     row(default="403 forbidden", author="200", catmod="200", moderator="200", admin="200")),
    ("helpful", None, "PUT", "/v1/forum/posts/{p2}/helpful", None,
     row(default="200", author="403 forbidden")),
    ("report", None, "POST", "/v1/forum/posts/{p2}/report", {"reason": "spam"},
     row(default="201")),
    ("watch", None, "PUT", "/v1/forum/threads/{t}/watch", None, row(default="204")),
    ("read", None, "POST", "/v1/forum/threads/{t}/read", {"up_to_seq": 2}, row(default="200")),
    ("category_read", None, "POST", "/v1/forum/categories/{C}/read", None, row(default="200")),
    ("handle", None, "PUT", "/v1/forum/handle", {"handle": "h{n}"}, row(default="200")),
    ("hidden_thread", hidden_first, "GET", "/v1/forum/threads/{t}", None,
     row(anonymous="404 not_found", default="404 not_found", author="200", catmod="200",
         moderator="200", admin="200")),
    ("hide", None, "POST", "/v1/mod/posts/{p2}/hide", {"reason": "lạc đề"}, MOD_ONLY),
    ("unhide", hidden, "POST", "/v1/mod/posts/{p2}/unhide", {},
     row(default="404 not_found", author="403 forbidden", catmod="200", moderator="200",
         admin="200")),
    ("lock", None, "PATCH", "/v1/mod/threads/{t}", {"locked": True, "reason": "xong"}, MOD_ONLY),
    ("pin", None, "PATCH", "/v1/mod/threads/{t}", {"pinned": True}, MOD_ONLY),
    ("move", None, "PATCH", "/v1/mod/threads/{t}", {"category_id": "{O}"},
     row(default="403 forbidden", catmod="403 forbidden category_id", moderator="200",
         admin="200")),
    ("queue", None, "GET", "/v1/mod/queue", None, QUEUE),
    ("log", None, "GET", "/v1/mod/log", None, QUEUE),
    ("assign", reported, "POST", "/v1/mod/queue/{item}/assign", {}, MOD_ONLY),
    ("resolve", reported, "POST", "/v1/mod/queue/resolve",
     {"items": ["{item}"], "action": "dismiss", "reason": "ok"}, MOD_ONLY),
    ("resolve_silence", reported_stranger, "POST", "/v1/mod/queue/resolve",
     {"items": ["{item}"], "action": "silence", "reason": "spam", "minutes": 60},
     row(default="403 forbidden", catmod="403 forbidden action", moderator="200", admin="200")),
    ("category_create", None, "POST", "/v1/forum/categories",
     {"slug": "c{n}", "name": "Chuyên mục {n}"}, row(default="403 forbidden", admin="201")),
    ("category_update", None, "PATCH", "/v1/forum/categories/{C}", {"description": "Mô tả"},
     row(default="403 forbidden", admin="200")),
    ("category_moderator", None, "PUT", "/v1/forum/categories/{O}/moderators/{member_id}", None,
     row(default="403 forbidden", admin="204")),
]


def fill(v, w):
    if isinstance(v, str):
        if v.startswith("{") and v.endswith("}") and v[1:-1] in w and v.count("{") == 1:
            return w[v[1:-1]]  # a whole placeholder keeps the value's type
        return v.format(**w)
    if isinstance(v, list):
        return [fill(x, w) for x in v]
    if isinstance(v, dict):
        return {k: fill(x, w) for k, x in v.items()}
    return v


def cell(name, setup, method, path, body, role, want):
    w = world()
    w["n"] = "%d%d" % (os.getpid() % 1000, F.N[0])
    F.N[0] += 1
    w["member_id"] = A["member"].id
    if setup:
        setup(w)
    actor = A[role]
    r = F.call(method, fill(path, w), fill(body, w), actor.token if actor else None)
    got = str(r.status)
    if r.status >= 400:
        err = r.json["error"]
        got += " " + err["code"]
        if len(want.split()) == 3:
            got += " " + str(err.get("field"))
    assert got == want, "%s as %s: got %s, want %s (%r)" % (name, role, got, want, r.json)


def main():
    admin = F.User("admin")
    CAT["C"] = expect(admin.do("POST", "/v1/forum/categories",
                               {"slug": "matrix_c", "name": "Ma trận"}), 201)["id"]
    CAT["R"] = expect(admin.do("POST", "/v1/forum/categories",
                               {"slug": "matrix_r", "name": "Thông báo", "read_only": True}),
                      201)["id"]
    CAT["O"] = expect(admin.do("POST", "/v1/forum/categories",
                               {"slug": "matrix_o", "name": "Khác"}), 201)["id"]
    A.update({"anonymous": None, "member": F.User(), "author": F.User(),
              "silenced": F.User(silenced=True), "catmod": F.User(mod_of=(CAT["C"], CAT["R"])),
              "catmod_other": F.User(mod_of=(CAT["O"],)), "moderator": F.User("moderator"),
              "liaison": F.User("liaison"), "admin": admin})
    for name, setup, method, path, body, want in MATRIX:
        for role in ROLES:
            T.check("%s as %s -> %s" % (name, role, want[role]), cell, name, setup, method, path,
                    body, role, want[role])
    T.finish()


if __name__ == "__main__":
    main()
