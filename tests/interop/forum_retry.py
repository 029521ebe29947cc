"""forum_retry.py — starting a thread and replying behind an Idempotency-Key
(PROTOCOL.md "Retrying a post"), from an independent peer: a retry with the
same key and body answers the same post with Idempotent-Replay and writes
nothing (one row, one event, no trust-rule count); the post as it is now
(edited, deleted); msgpack and JSON retries are one request; the same key
with another body is 422; keys are per caller and per path; a refusal
stores nothing; malformed keys are 400; concurrent retries make one post.
"""

import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import forum_lib as F  # noqa: E402
from forum_lib import User, call, start  # noqa: E402
from rawhttp import Checker, expect, psql  # noqa: E402

T = Checker("forum_retry")
CAT = {}


def keyed(u, path, body, key, **kw):
    return u.do("POST", path, body, headers=[("Idempotency-Key", key)], **kw)


def count_posts(marker):
    return int(psql("SELECT count(*) FROM khnet_forum_posts WHERE body = '%s'" % marker))


def t_reply_retried_is_one_post():
    u, w = User(), User()
    t, _ = start(u, CAT["general"])
    expect(w.do("PUT", "/v1/forum/threads/%d/watch" % t["id"]), 204)
    path = "/v1/forum/threads/%d/posts" % t["id"]
    r1 = keyed(u, path, {"markdown": "retry-r1"}, "k-r1")
    p1 = expect(r1, 201)
    assert r1.header("idempotent-replay") is None
    r2 = keyed(u, path, {"markdown": "retry-r1"}, "k-r1")
    p2 = expect(r2, 201)
    assert r2.header("idempotent-replay") == "true", r2.headers
    assert p2["id"] == p1["id"] and p2["seq"] == p1["seq"], (p1, p2)
    assert p2["markdown"] == "retry-r1" and p2["html"] == p1["html"]
    # JSON body, same content: the same request
    r3 = keyed(u, path, {"markdown": "retry-r1"}, "k-r1", json_body=True)
    assert expect(r3, 201)["id"] == p1["id"] and r3.header("idempotent-replay") == "true"
    assert count_posts("retry-r1") == 1
    n = psql("SELECT count(*) FROM khnet_events WHERE account_id = %d AND kind = 'forum.post' "
             "AND (payload->>'post_id')::bigint = %d" % (w.id, p1["id"]))
    assert n == "1", "watcher events for the post: %s" % n
    th = expect(call("GET", "/v1/forum/threads/%d" % t["id"]), 200)
    assert th["posts"] == 2 and th["last_seq"] == 2, th


def t_replay_is_the_post_as_it_is_now():
    u = User()
    t, _ = start(u, CAT["general"])
    path = "/v1/forum/threads/%d/posts" % t["id"]
    p = expect(keyed(u, path, {"markdown": "retry-now"}, "k-now"), 201)
    expect(u.do("PATCH", "/v1/forum/posts/%d" % p["id"], {"markdown": "edited"}), 200)
    again = expect(keyed(u, path, {"markdown": "retry-now"}, "k-now"), 201)
    assert again["id"] == p["id"] and again["markdown"] == "edited" and again["revisions"] == 2
    expect(u.do("DELETE", "/v1/forum/posts/%d" % p["id"]), 200)
    gone = expect(keyed(u, path, {"markdown": "retry-now"}, "k-now"), 201)
    assert gone["id"] == p["id"] and gone["markdown"] is None and gone["deleted_at"], gone
    rows = psql("SELECT result::text FROM khnet_idempotency WHERE key = 'k-now'")
    assert "retry-now" not in rows and "edited" not in rows, rows  # ids only


def t_thread_start_retried_is_one_thread():
    u = User()
    path = "/v1/forum/categories/%d/threads" % CAT["general"]
    body = {"title": "Một lần thôi", "markdown": "retry-t1", "tags": ["Thử"]}
    d1 = expect(keyed(u, path, body, "k-t1"), 201)
    r2 = keyed(u, path, body, "k-t1")
    d2 = expect(r2, 201)
    assert r2.header("idempotent-replay") == "true"
    assert d2["thread"]["id"] == d1["thread"]["id"] and d2["post"]["id"] == d1["post"]["id"]
    assert d2["thread"]["tags"] == ["thử"] and d2["thread"]["watching"], d2["thread"]
    assert count_posts("retry-t1") == 1
    n = psql("SELECT count(*) FROM khnet_forum_threads WHERE title = 'Một lần thôi'")
    assert n == "1", n


def t_replay_of_a_deleted_thread_is_not_found():
    u, mod = User(), User("moderator")
    path = "/v1/forum/categories/%d/threads" % CAT["general"]
    body = {"title": "Sẽ xoá", "markdown": "retry-del"}
    d = expect(keyed(u, path, body, "k-del"), 201)
    expect(u.do("DELETE", "/v1/forum/threads/%d" % d["thread"]["id"]), 200)
    expect(keyed(u, path, body, "k-del"), 404, "not_found")
    # the moderators still see it: their own key replays it
    dm = expect(keyed(mod, path, body, "k-del-m"), 201)
    expect(mod.do("DELETE", "/v1/forum/threads/%d" % dm["thread"]["id"]), 200)
    again = expect(keyed(mod, path, body, "k-del-m"), 201)
    assert again["thread"]["id"] == dm["thread"]["id"] and again["thread"]["deleted_at"], again
    n = psql("SELECT count(*) FROM khnet_forum_posts WHERE thread_id IN (%d, %d)"
             % (d["thread"]["id"], dm["thread"]["id"]))
    assert n == "2", n  # one opening post each, none written by the replays


def t_same_key_other_body_is_mismatch():
    u = User()
    t, _ = start(u, CAT["general"])
    path = "/v1/forum/threads/%d/posts" % t["id"]
    expect(keyed(u, path, {"markdown": "retry-m1"}, "k-m"), 201)
    expect(keyed(u, path, {"markdown": "retry-m2"}, "k-m"), 422, "idempotency_mismatch",
           "Idempotency-Key")
    cat = "/v1/forum/categories/%d/threads" % CAT["general"]
    body = {"title": "A", "markdown": "retry-m3"}
    expect(keyed(u, cat, body, "k-mt"), 201)
    expect(keyed(u, cat, dict(body, title="B"), "k-mt"), 422, "idempotency_mismatch",
           "Idempotency-Key")
    assert count_posts("retry-m2") == 0 and count_posts("retry-m1") == 1


def t_keys_are_per_caller_and_path():
    u, v = User(), User()
    t1, _ = start(u, CAT["general"])
    t2, _ = start(u, CAT["general"])
    body = {"markdown": "retry-scope"}
    a = expect(keyed(u, "/v1/forum/threads/%d/posts" % t1["id"], body, "k-s"), 201)
    b = expect(keyed(v, "/v1/forum/threads/%d/posts" % t1["id"], body, "k-s"), 201)
    c = expect(keyed(u, "/v1/forum/threads/%d/posts" % t2["id"], body, "k-s"), 201)
    assert len({a["id"], b["id"], c["id"]}) == 3
    assert b["author_id"] == v.id and c["thread_id"] == t2["id"]
    assert count_posts("retry-scope") == 3


def t_refusal_stores_nothing():
    u, mod = User(), User("moderator")
    t, _ = start(u, CAT["general"])
    path = "/v1/forum/threads/%d/posts" % t["id"]
    expect(mod.do("PATCH", "/v1/mod/threads/%d" % t["id"], {"locked": True, "reason": "x"}), 200)
    expect(keyed(u, path, {"markdown": "retry-locked"}, "k-l"), 409, "conflict")
    assert psql("SELECT count(*) FROM khnet_idempotency WHERE key = 'k-l'") == "0"
    expect(mod.do("PATCH", "/v1/mod/threads/%d" % t["id"], {"locked": False, "reason": "x"}), 200)
    r = keyed(u, path, {"markdown": "retry-locked"}, "k-l")
    expect(r, 201)
    assert r.header("idempotent-replay") is None
    assert count_posts("retry-locked") == 1
    # a body refused before the database: nothing claimed either
    expect(keyed(u, path, {"markdown": ""}, "k-e"), 400, "too_short", "markdown")
    expect(keyed(u, path, {"markdown": "retry-e"}, "k-e"), 201)


def t_replay_does_not_count_for_the_trust_rule():
    u = User(new=True)
    t, _ = start(u, CAT["general"])  # post 1 of 5 this hour
    path = "/v1/forum/threads/%d/posts" % t["id"]
    expect(keyed(u, path, {"markdown": "retry-trust"}, "k-trust"), 201)  # 2
    for _ in range(5):
        expect(keyed(u, path, {"markdown": "retry-trust"}, "k-trust"), 201)
    for i in range(3):  # 3, 4, 5
        expect(u.do("POST", path, {"markdown": "more %d" % i}), 201)
    expect(u.do("POST", path, {"markdown": "sixth"}), 429, "rate_limited")
    assert count_posts("retry-trust") == 1


def t_malformed_keys():
    u = User()
    t, _ = start(u, CAT["general"])
    path = "/v1/forum/threads/%d/posts" % t["id"]
    cat = "/v1/forum/categories/%d/threads" % CAT["general"]
    for bad in ("", "a b", "k/1", "é", "x" * 129, "k\t1"):
        expect(keyed(u, path, {"markdown": "retry-bad"}, bad), 400, "invalid_value",
               "Idempotency-Key")
        expect(keyed(u, cat, {"title": "t", "markdown": "retry-bad"}, bad), 400,
               "invalid_value", "Idempotency-Key")
    assert count_posts("retry-bad") == 0
    expect(keyed(u, path, {"markdown": "retry-ok"}, "x" * 128), 201)
    # no token: 401 before the key is looked at
    expect(call("POST", path, {"markdown": "x"}, headers=[("Idempotency-Key", "k")]), 401)


def t_concurrent_retries_make_one_post():
    u = User()
    t, _ = start(u, CAT["general"])
    path = "/v1/forum/threads/%d/posts" % t["id"]
    out = []

    def go():
        r = keyed(u, path, {"markdown": "retry-race"}, "k-race")
        out.append((r.status, (r.json or {}).get("id"), r.header("idempotent-replay")))
    ths = [threading.Thread(target=go) for _ in range(8)]
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    assert all(s == 201 for s, _, _ in out), out
    assert len({i for _, i, _ in out}) == 1, out
    assert sum(1 for _, _, rp in out if rp is None) == 1, out  # one first answer
    assert count_posts("retry-race") == 1


def main():
    CAT.update({k: v["id"] for k, v in F.categories().items()})
    T.run_all(globals())
    T.finish()


if __name__ == "__main__":
    main()
