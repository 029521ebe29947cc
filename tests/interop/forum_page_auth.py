"""forum_page_auth.py — the thread page's one statement (issue 9's bench):
GET /v1/forum/threads/{id}/posts sends khnet_forum_posts_by_token, which
checks the bearer token's session itself and reads the page as its caller.
These checks hold it to what the two steps (the kit's session check, then
khnet_forum_posts_list) answered: a token that names no live session
(unknown, expired, revoked one by one or all at once, its account erased)
is 401 unauthenticated with WWW-Authenticate: Bearer and reads nothing; no
Authorization is an anonymous reader; the caller's account and role reach
the read (hidden posts for their author, a category's and the global
moderators, admins; `reacted` per account; a silenced member still reads);
the session's last_seen_at is refreshed as khnet_session_auth does (at most
once a minute).  And in SQL, for each kind of caller, the function answers
byte for byte what khnet_forum_posts_list answers for that account and
role.  Real khnetd (tests/harness.sh), rawhttp's hand-written HTTP, psql.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import forum_lib as F  # noqa: E402
from rawhttp import Checker, expect, psql  # noqa: E402

T = Checker("forum_page_auth")
W = {}  # the shared world: users, category, thread, posts


def page(token=None, tid=None, query="", headers=()):
    return F.call("GET", "/v1/forum/threads/%d/posts%s" % (tid or W["t"], query), token=token,
                  headers=headers)


def seqs(r):
    return [p["seq"] for p in expect(r, 200)["items"]]


def unauthenticated(r):
    expect(r, 401, "unauthenticated")
    assert r.header("WWW-Authenticate") == "Bearer", r.header("WWW-Authenticate")
    assert r.json["error"]["message"] == "the token is unknown, expired or revoked", r.json


def setup():
    cat = F.cat_id("general")
    W["author"] = F.User()
    W["member"] = F.User()
    W["catmod"] = F.User(mod_of=(cat,))
    W["catmod_other"] = F.User(mod_of=(F.cat_id("sti"),))
    W["moderator"] = F.User(role="moderator")
    W["admin"] = F.User(role="admin")
    W["liaison"] = F.User(role="liaison")
    W["silenced"] = F.User(silenced=True)
    t, _ = F.start(W["author"], cat)
    W["t"] = t["id"]
    W["p2"] = F.reply(W["author"], W["t"], "Bài thứ hai")["id"]
    W["p3"] = F.reply(W["member"], W["t"], "Bài thứ ba")["id"]
    expect(W["moderator"].do("POST", "/v1/mod/posts/%d/hide" % W["p2"],
                             {"reason": "off topic"}), 200)
    expect(W["author"].do("PUT", "/v1/forum/posts/%d/helpful" % W["p3"]), 200)  # p3: member's


def t_anonymous_reads_without_hidden_posts():
    assert seqs(page()) == [1, 3]


def t_role_and_account_reach_the_read():
    want = {"member": [1, 3], "liaison": [1, 3], "silenced": [1, 3], "catmod_other": [1, 3],
            "author": [1, 2, 3], "catmod": [1, 2, 3], "moderator": [1, 2, 3],
            "admin": [1, 2, 3]}
    for who, s in want.items():
        got = seqs(page(W[who].token))
        assert got == s, (who, got, s)
    hidden = [p for p in expect(page(W["author"].token), 200)["items"] if p["seq"] == 2]
    assert hidden[0]["hidden"]["reason"] == "off topic", hidden


def t_reacted_is_the_callers():
    def reacted(token):
        return [p["reacted"] for p in expect(page(token), 200)["items"] if p["seq"] == 3][0]
    assert reacted(W["author"].token) is True
    assert reacted(W["member"].token) is False
    assert reacted(None) is False


def t_unknown_and_malformed_tokens_401():
    unauthenticated(page("A" * 43))  # well formed, no such session
    for h in ("Bearer short", "Basic abc", "Bearer ", ""):
        unauthenticated(page(headers=[("Authorization", h)]))
    # a malformed header is refused before the path is read, as before
    r = F.call("GET", "/v1/forum/threads/abc/posts", headers=[("Authorization", "Basic abc")])
    unauthenticated(r)


def t_expired_token_401():
    u = F.User()
    assert seqs(page(u.token)) == [1, 3]
    psql("UPDATE khnet_sessions SET expires_at = now() - interval '1 second' "
         "WHERE token_hash = sha256('%s')" % u.token)
    unauthenticated(page(u.token))


def t_revoked_tokens_401():
    u = F.User()
    assert seqs(page(u.token)) == [1, 3]
    expect(u.do("DELETE", "/v1/sessions/current"), 204)
    unauthenticated(page(u.token))
    v = F.User()
    expect(v.do("DELETE", "/v1/sessions"), 204)
    unauthenticated(page(v.token))


def t_erased_account_401():
    u = F.User()
    assert seqs(page(u.token)) == [1, 3]
    psql("UPDATE khnet_accounts SET erased_at = now(), email = NULL, password_hash = NULL "
         "WHERE id = %d" % u.id)
    unauthenticated(page(u.token))


def t_bad_token_reads_nothing_even_of_a_missing_thread():
    # the session is checked before the thread: an unknown token on a thread
    # that does not exist is 401, not 404
    unauthenticated(page("B" * 43, tid=999999999))
    expect(page(W["member"].token, tid=999999999), 404, "not_found")


def t_last_seen_refreshed_at_most_once_a_minute():
    u = F.User()
    where = "token_hash = sha256('%s')" % u.token
    psql("UPDATE khnet_sessions SET last_seen_at = now() - interval '5 minutes' WHERE " + where)
    expect(page(u.token), 200)
    age = float(psql("SELECT extract(epoch FROM now() - last_seen_at) FROM khnet_sessions "
                     "WHERE " + where))
    assert age < 60, age  # refreshed
    psql("UPDATE khnet_sessions SET last_seen_at = now() - interval '30 seconds' WHERE " + where)
    expect(page(u.token), 200)
    age = float(psql("SELECT extract(epoch FROM now() - last_seen_at) FROM khnet_sessions "
                     "WHERE " + where))
    assert age >= 30, age  # within the minute: left alone


def t_sql_answers_as_posts_list_for_each_caller():
    # khnet_forum_posts_by_token(hash, ...) == khnet_forum_posts_list(account, role, ...)
    for who in ("member", "author", "catmod", "moderator", "admin", "liaison", "silenced"):
        u = W[who]
        same = psql(
            "SELECT (SELECT row(status, field, body) FROM khnet_forum_posts_by_token("
            "sha256('%s'), %d, NULL, 20)) IS NOT DISTINCT FROM (SELECT row(status, field, body) "
            "FROM khnet_forum_posts_list(a.id, a.role, %d, NULL, 20)) FROM khnet_accounts a "
            "WHERE a.id = %d" % (u.token, W["t"], W["t"], u.id))
        assert same == "t", who
    same = psql("SELECT (SELECT row(status, field, body) FROM khnet_forum_posts_by_token("
                "NULL, %d, 1, 20)) IS NOT DISTINCT FROM (SELECT row(status, field, body) FROM "
                "khnet_forum_posts_list(NULL, NULL, %d, 1, 20))" % (W["t"], W["t"]))
    assert same == "t", "anonymous"
    row = psql("SELECT status || '|' || coalesce(field, '-') || '|' || (body->>'message') "
               "FROM khnet_forum_posts_by_token(sha256('no such token'), %d, NULL, 20)" % W["t"])
    assert row == "unauthenticated|-|the token is unknown, expired or revoked", row


def t_bad_input_with_a_valid_token():
    tok = W["member"].token
    expect(page(tok, query="?limit=0"), 400, "out_of_range", "limit")
    expect(page(tok, query="?limit=x"), 400, "invalid_value", "limit")
    expect(page(tok, query="?after=zz"), 400, "invalid_value", "after")
    r = F.call("GET", "/v1/forum/threads/0/posts", token=tok)
    expect(r, 400, "invalid_value", "id")


if __name__ == "__main__":
    T.check("setup", setup)
    T.run_all(globals())
    T.finish()
