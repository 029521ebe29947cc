"""forum_thread_delete.py — deleting a whole thread (PROTOCOL.md "DELETE
/v1/forum/threads/{id}"): a moderator's delete makes every post a tombstone
(the thread keeps its shape for moderators), takes the thread out of
listings, counts and search for everyone else (its author too), is logged
with before and after and the reason, and tells each author of deleted
content once; again is 200 unchanged; a deleted thread takes no reply,
lock or move.  The author deletes their own thread unlogged while no one
else's post in it stands (a hidden one stands).  Replies racing a delete
either land before it (and are tombstoned with the rest) or are refused:
nothing survives.  Bad input with exact codes and fields.
"""

import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import forum_lib as F  # noqa: E402
from forum_lib import User, call, events, last_seq, posts, reply, start  # noqa: E402
from rawhttp import Checker, expect, psql  # noqa: E402

T = Checker("forum_thread_delete")
CAT = {}
WORD = "tdx" + "".join(chr(ord("a") + int(d)) for d in str(os.getpid()))


def thread_ids(cat, tok=None):
    items, path = [], "/v1/forum/categories/%d/threads?limit=100" % cat
    while True:
        page = expect(call("GET", path, token=tok), 200)
        items += page["items"]
        if not page["next"]:
            return [t["id"] for t in items], items
        path = "/v1/forum/categories/%d/threads?limit=100&after=%s" % (cat, page["next"])


def category(cat):
    return [c for c in expect(call("GET", "/v1/forum/categories"), 200)["items"]
            if c["id"] == cat][0]


def t_moderator_deletes_a_thread_with_replies():
    author, other, mod, member = User(), User(), User("moderator"), User()
    cat = CAT["tourism"]
    t, p1 = start(author, cat, title="Xoá cả chủ đề " + WORD, md="Mở đầu " + WORD)
    p2 = reply(other, t["id"], "Trả lời " + WORD)
    p3 = reply(author, t["id"], "Thêm nữa")
    before_threads = category(cat)["threads"]
    seq_a, seq_o, seq_m = last_seq(author), last_seq(other), last_seq(mod)
    d = expect(mod.do("DELETE", "/v1/forum/threads/%d?reason=%s" % (t["id"], "quảng%20cáo")), 200)
    assert d["id"] == t["id"] and d["deleted_at"] and d["posts"] == 0, d
    # everyone but the category's moderators: gone
    for tok in (None, member.token, author.token, other.token):
        expect(call("GET", "/v1/forum/threads/%d" % t["id"], token=tok), 404, "not_found")
        expect(call("GET", "/v1/forum/threads/%d/posts" % t["id"], token=tok), 404, "not_found")
        assert t["id"] not in thread_ids(cat, tok)[0]
        hits = expect(call("POST", "/v1/forum/search", {"q": WORD}, tok), 200)["items"]
        assert hits == [], hits
    assert category(cat)["threads"] == before_threads - 1
    # the moderators: the thread marked, its shape kept, every post a tombstone
    assert expect(mod.do("GET", "/v1/forum/threads/%d" % t["id"]), 200)["deleted_at"] == d["deleted_at"]
    shown = posts(t["id"], mod.token)
    assert [x["id"] for x in shown] == [p1["id"], p2["id"], p3["id"]]
    assert all(x["markdown"] is None and x["html"] is None and x["deleted_at"] for x in shown), shown
    listed = [x for x in thread_ids(cat, mod.token)[1] if x["id"] == t["id"]]
    assert listed and listed[0]["deleted_at"], listed
    # logged once, with the title before and the reason
    log = F.mod_log("action = 'thread.delete' AND target_id = %d" % t["id"])
    assert len(log) == 1 and log[0]["actor_id"] == mod.id and log[0]["reason"] == "quảng cáo", log
    assert log[0]["before"]["title"] == t["title"] and log[0]["after"]["deleted_at"], log
    # each author of deleted content told once; the moderator nothing
    for u, seq in ((author, seq_a), (other, seq_o)):
        got = [e for e in events(u, seq) if e["kind"] == "forum.moderation"]
        assert [e["payload"] for e in got] == [{"action": "thread.delete", "thread_id": t["id"],
                                                "post_id": None, "reason": "quảng cáo"}], got
    assert events(mod, seq_m) == []
    # again: unchanged; a deleted thread takes no reply, lock or move
    again = expect(mod.do("DELETE", "/v1/forum/threads/%d" % t["id"]), 200)
    assert again["deleted_at"] == d["deleted_at"]
    assert len(F.mod_log("action = 'thread.delete' AND target_id = %d" % t["id"])) == 1
    expect(mod.do("POST", "/v1/forum/threads/%d/posts" % t["id"], {"markdown": "x"}), 409,
           "conflict")
    expect(mod.do("PATCH", "/v1/mod/threads/%d" % t["id"], {"category_id": CAT["agriculture"]}),
           409, "conflict")


def t_author_deletes_own_thread():
    author, other, mod = User(), User(), User("moderator")
    t, _ = start(author, CAT["tourism"], title="Của tôi")
    reply(author, t["id"], "Tự trả lời")
    seq = last_seq(author)
    d = expect(author.do("DELETE", "/v1/forum/threads/%d" % t["id"]), 200)
    assert d["deleted_at"] and d["posts"] == 0
    expect(author.do("GET", "/v1/forum/threads/%d" % t["id"]), 404, "not_found")
    assert F.mod_log("action = 'thread.delete' AND target_id = %d" % t["id"]) == []
    assert events(author, seq) == []
    # a reply by someone else blocks the author, hidden or not, until deleted
    t2, _ = start(author, CAT["tourism"], title="Có người trả lời")
    theirs = reply(other, t2["id"], "Của người khác")
    expect(author.do("DELETE", "/v1/forum/threads/%d" % t2["id"]), 409, "conflict")
    expect(mod.do("POST", "/v1/mod/posts/%d/hide" % theirs["id"], {"reason": "lạc đề"}), 200)
    expect(author.do("DELETE", "/v1/forum/threads/%d" % t2["id"]), 409, "conflict")
    expect(other.do("DELETE", "/v1/forum/posts/%d" % theirs["id"]), 200)
    assert not expect(author.do("GET", "/v1/forum/threads/%d" % t2["id"]), 200)["deleted_at"]
    expect(author.do("DELETE", "/v1/forum/threads/%d" % t2["id"]), 200)
    # someone else's thread: forbidden, not theirs to delete
    t3, _ = start(other, CAT["tourism"], title="Không phải của tôi")
    expect(author.do("DELETE", "/v1/forum/threads/%d" % t3["id"]), 403, "forbidden")


def t_replies_racing_a_delete_leave_nothing():
    author, mod = User(), User("moderator")
    t, _ = start(author, CAT["it_ai"], title="Đua")
    writers = [User() for _ in range(6)]
    answers, go = [], threading.Event()

    def run(u):
        go.wait()
        for i in range(8):
            r = u.do("POST", "/v1/forum/threads/%d/posts" % t["id"], {"markdown": "bài %d" % i})
            answers.append((r.status, (r.json or {}).get("error", {}).get("code")))

    threads = [threading.Thread(target=run, args=(u,)) for u in writers]
    for th in threads:
        th.start()
    go.set()
    expect(mod.do("DELETE", "/v1/forum/threads/%d" % t["id"]), 200)
    for th in threads:
        th.join()
    assert set(answers) <= {(201, None), (404, "not_found")}, set(answers)
    left = psql("SELECT count(*) FROM khnet_forum_posts WHERE thread_id = %d "
                "AND deleted_at IS NULL" % t["id"])
    assert left == "0", left
    shown = posts(t["id"], mod.token)
    assert [x["seq"] for x in shown] == list(range(1, len(shown) + 1))  # no gap, no double
    assert len(shown) == 1 + sum(1 for s, _ in answers if s == 201)


def t_bad_input():
    u = User()
    t, _ = start(u, CAT["tourism"], title="Sai")
    cases = [
        (u.token, "/v1/forum/threads/0", 400, "invalid_value", "id"),
        (u.token, "/v1/forum/threads/abc", 400, "invalid_value", "id"),
        (u.token, "/v1/forum/threads/%d?reason=" % t["id"], 400, "invalid_value", "reason"),
        (u.token, "/v1/forum/threads/%d?reason=%s" % (t["id"], "x" * 1001), 400, "invalid_value",
         "reason"),
        (u.token, "/v1/forum/threads/%d?reason=%%ff" % t["id"], 400, "invalid_value", "reason"),
        (u.token, "/v1/forum/threads/99999999999", 404, "not_found", None),
        (None, "/v1/forum/threads/%d" % t["id"], 401, "unauthenticated", None),
    ]
    for tok, path, status, code, field in cases:
        r = call("DELETE", path, token=tok)
        assert r.status == status, (path, r.status, r.json)
        assert r.json["error"]["code"] == code and r.json["error"].get("field") == field, \
            (path, r.json)
    # none of that touched it
    assert not expect(u.do("GET", "/v1/forum/threads/%d" % t["id"]), 200)["deleted_at"]


def setup():
    CAT.update({k: v["id"] for k, v in F.categories().items()})


def main():
    setup()
    T.run_all(globals())
    T.finish()


if __name__ == "__main__":
    main()
