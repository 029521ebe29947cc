"""forum.py — the forums end to end from an independent peer (PROTOCOL.md
"Forums", "Moderation"): hostile CommonMark rendered inert, hidden posts
never seen by those who may not see them (listing, thread, search,
events), reports from several reporters flowing into one queue item and
out, every moderator act logged with before and after, events in the same
transaction, unread state, 8 concurrent posters into one thread, search
folding, the trust rule, export and erasure, and bad input for every
endpoint with exact codes and fields.  msgpack and JSON bodies; psql for
what only the database shows (event rows, the log).
"""

import os
import re
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import forum_lib as F  # noqa: E402
from forum_lib import User, call, events, last_seq, posts, reply, start  # noqa: E402
from rawhttp import Checker, expect, pack, psql  # noqa: E402

T = Checker("forum")
CAT = {}


def setup():
    cats = F.categories()
    CAT.update({k: v["id"] for k, v in cats.items()})


def t_seeded_categories():
    cats = F.categories()
    sectors = psql("SELECT string_agg(slug || '=' || name_vi, ';' ORDER BY slug) FROM khnet_sectors")
    for pair in sectors.split(";"):
        slug, name = pair.split("=")
        assert cats[slug]["name"] == name and cats[slug]["sector"] == slug, (slug, cats.get(slug))
    assert cats["general"]["sector"] is None
    assert cats["sti"]["name"] == "Diễn đàn khoa học, công nghệ và đổi mới sáng tạo"
    positions = [c["position"] for c in expect(call("GET", "/v1/forum/categories"), 200)["items"]]
    assert positions == sorted(positions)


# Each a hostile input; the rendered HTML may only hold cmark's own tags.
HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](java&#9;script:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "![x](data:image/svg+xml;base64,PHN2Zz4=)",
    "<javascript:alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<iframe src=https://evil.example></iframe>",
    "<svg><script>alert(1)</script></svg>",
    "[x](https://a.example/\"onmouseover=\"alert(1))",
    ">" * 3000 + " <script>alert(1)</script>",
    "[a]: javascript:alert(1)\n\n[x][a]",
]
ALLOWED_TAGS = ("p", "/p", "em", "/em", "strong", "/strong", "a", "/a", "img", "code", "/code",
                "pre", "/pre", "blockquote", "/blockquote", "ul", "/ul", "ol", "/ol", "li", "/li",
                "h1", "/h1", "h2", "/h2", "hr", "br")


def inert(html):
    for tag in re.findall(r"<([^ >]*)", html):
        assert tag in ALLOWED_TAGS, "tag %r in %r" % (tag, html[:200])
    for attr, val in re.findall(r'(\w+)="([^"]*)"', html):
        assert attr in ("href", "src", "alt", "title", "class", "start"), (attr, html[:200])
        if attr in ("href", "src"):
            low = val.strip().lower().replace("\t", "").replace("\n", "")
            assert not low.startswith(("javascript:", "vbscript:", "data:", "file:")), val
    assert " on" not in re.sub(r">[^<]*<", "><", html), html[:200]


def t_hostile_markdown_rendered_inert():
    u = User()
    t, p = start(u, CAT["general"], md="mở đầu")
    for md in HOSTILE:
        post = reply(u, t["id"], md)
        assert post["markdown"] == md  # stored as written
        inert(post["html"])
    # and through JSON too, with an edit
    r = call("PATCH", "/v1/forum/posts/%d" % p["id"], {"markdown": HOSTILE[0]}, u.token,
             json_body=True, accept="application/json")
    inert(expect(r, 200)["html"])
    page = posts(t["id"])
    for item in page:
        inert(item["html"])


def t_thread_shape_tags_and_revisions():
    u, v = User(), User()
    t, p = start(u, CAT["aquaculture"], title="Tôm hùm", tags=[" Tôm Hùm ", "tôm hùm", "Biển"])
    assert t["tags"] == ["tôm hùm", "biển"], t["tags"]
    assert t["posts"] == 1 and t["last_seq"] == 1 and t["watching"] and p["seq"] == 1
    q = reply(v, t["id"], "> trích\n\nÝ kiến", reply_to=p["id"], quote_of=p["id"])
    assert q["reply_to"] == p["id"] and q["quote_of"] == p["id"] and q["seq"] == 2
    e = expect(u.do("PATCH", "/v1/forum/posts/%d" % p["id"], {"markdown": "bản 2"}), 200)
    assert e["revisions"] == 2 and e["edited_at"]
    revs = expect(u.do("GET", "/v1/forum/posts/%d/revisions" % p["id"]), 200)["items"]
    assert [r["markdown"] for r in revs] == ["Xin chào *mọi người*", "bản 2"], revs
    d = expect(u.do("DELETE", "/v1/forum/posts/%d" % p["id"]), 200)
    assert d["markdown"] is None and d["html"] is None and d["deleted_at"]
    again = expect(u.do("DELETE", "/v1/forum/posts/%d" % p["id"]), 200)
    assert again["deleted_at"] == d["deleted_at"]
    seqs = [x["seq"] for x in posts(t["id"])]
    assert seqs == [1, 2], seqs  # the tombstone keeps the thread's shape
    expect(u.do("PATCH", "/v1/forum/posts/%d" % p["id"], {"markdown": "x"}), 409, "conflict")


def t_listing_pinned_first_and_paged():
    admin = User("admin")
    c = expect(admin.do("POST", "/v1/forum/categories", {"slug": "list_t", "name": "Danh sách"}),
               201)["id"]
    u = User()
    ids = [start(u, c, title="t%d" % i)[0]["id"] for i in range(5)]
    mod = User("moderator")
    expect(mod.do("PATCH", "/v1/mod/threads/%d" % ids[1], {"pinned": True}), 200)
    reply(u, ids[0], "mới")  # activity moves thread 0 to the front of the unpinned
    got, path = [], "/v1/forum/categories/%d/threads?limit=2" % c
    while path:
        page = expect(call("GET", path), 200)
        got += [t["id"] for t in page["items"]]
        path = page["next"] and "/v1/forum/categories/%d/threads?limit=2&after=%s" % (
            c, page["next"])
    assert got == [ids[1], ids[0], ids[4], ids[3], ids[2]], (got, ids)


def t_unread_and_mark_category_read():
    admin = User("admin")
    c = expect(admin.do("POST", "/v1/forum/categories", {"slug": "unread_t", "name": "Chưa đọc"}),
               201)["id"]
    a, b = User(), User()
    t1, _ = start(a, c)
    t2, _ = start(a, c)
    reply(a, t1["id"])
    th = expect(b.do("GET", "/v1/forum/threads/%d" % t1["id"]), 200)
    assert th["unread"] == 2, th
    assert expect(a.do("GET", "/v1/forum/threads/%d" % t1["id"]), 200)["unread"] == 0
    r = expect(b.do("POST", "/v1/forum/threads/%d/read" % t1["id"], {"up_to_seq": 1}), 200)
    assert r == {"thread_id": t1["id"], "read_seq": 1, "unread": 1}, r
    r = expect(b.do("POST", "/v1/forum/threads/%d/read" % t1["id"], {"up_to_seq": 99}), 200)
    assert r["read_seq"] == 2 and r["unread"] == 0  # clamped to the last post
    cat = [x for x in expect(b.do("GET", "/v1/forum/categories"), 200)["items"] if x["id"] == c][0]
    assert cat["unread_threads"] == 1 and cat["threads"] == 2 and cat["posts"] == 3, cat
    r = expect(b.do("POST", "/v1/forum/categories/%d/read" % c), 200)
    assert r == {"category_id": c, "threads": 2}, r
    cat = [x for x in expect(b.do("GET", "/v1/forum/categories"), 200)["items"] if x["id"] == c][0]
    assert cat["unread_threads"] == 0, cat
    assert expect(b.do("GET", "/v1/forum/threads/%d" % t2["id"]), 200)["unread"] == 0


def t_events_watch_reply_mention():
    a, b, c, w = User(handle="ha%d" % os.getpid()), User(), User(), User()
    t, p = start(a, CAT["tourism"])
    expect(w.do("PUT", "/v1/forum/threads/%d/watch" % t["id"]), 204)
    sa, sb, sc, sw = last_seq(a), last_seq(b), last_seq(c), last_seq(w)
    q = reply(b, t["id"], "@HA%d và @%d xem nhé" % (os.getpid(), c.id), reply_to=p["id"])
    ea, eb, ec, ew = events(a, sa), events(b, sb), events(c, sc), events(w, sw)
    # a: replied to (and mentioned, and watching): one event, the reply
    assert [e["kind"] for e in ea] == ["forum.reply"], ea
    assert [e["kind"] for e in ec] == ["forum.mention"], ec
    assert [e["kind"] for e in ew] == ["forum.post"], ew
    assert eb == [], eb  # the author is not told of their own post
    pl = ew[0]["payload"]
    assert pl["post_id"] == q["id"] and pl["thread_id"] == t["id"] and pl["seq"] == 2, pl
    assert "markdown" not in pl and "html" not in pl  # no text in events
    # b now watches (auto-watch on reply); unwatch stops forum.post
    expect(b.do("DELETE", "/v1/forum/threads/%d/watch" % t["id"]), 204)
    sb = last_seq(b)
    reply(a, t["id"], "tiếp")
    assert events(b, sb) == []
    assert [e["kind"] for e in events(w, last_seq(w) - 1)] == ["forum.post"]


def t_hidden_posts_invisible():
    a, other, mod = User(), User(), User(mod_of=(CAT["pharmacy"],))
    watcher = User()
    t, p = start(a, CAT["pharmacy"], title="Dược liệu quý hiếm", md="mở đầu")
    expect(watcher.do("PUT", "/v1/forum/threads/%d/watch" % t["id"]), 204)
    secret = reply(a, t["id"], "bí mật xyzzyquux")
    expect(mod.do("POST", "/v1/mod/posts/%d/hide" % secret["id"], {"reason": "lạc đề"}), 200)
    # others: not in the thread, not in search, no edit/react/report on it
    for tok in (None, other.token, watcher.token):
        ids = [x["id"] for x in posts(t["id"], tok)]
        assert secret["id"] not in ids, (tok, ids)
        found = expect(call("POST", "/v1/forum/search", {"q": "xyzzyquux"}, tok), 200)["items"]
        assert found == [], found
    expect(other.do("PUT", "/v1/forum/posts/%d/helpful" % secret["id"]), 404, "not_found")
    expect(other.do("POST", "/v1/forum/posts/%d/report" % secret["id"], {"reason": "x"}), 404,
           "not_found")
    expect(other.do("GET", "/v1/forum/posts/%d/revisions" % secret["id"]), 404, "not_found")
    # author and moderator see it, marked
    for u in (a, mod):
        mine = [x for x in posts(t["id"], u.token) if x["id"] == secret["id"]]
        assert mine and mine[0]["hidden"]["reason"] == "lạc đề", mine
        found = expect(u.do("POST", "/v1/forum/search", {"q": "xyzzyquux"}), 200)["items"]
        assert [x["post"]["id"] for x in found] == [secret["id"]], found
    th = expect(call("GET", "/v1/forum/threads/%d" % t["id"]), 200)
    assert th["posts"] == 1 and th["hidden"] is False, th
    # a hidden opening post hides the thread from listings for others
    expect(mod.do("POST", "/v1/mod/posts/%d/hide" % p["id"], {"reason": "spam"}), 200)
    listed = [x["id"] for x in expect(call("GET", "/v1/forum/categories/%d/threads?limit=100"
                                           % CAT["pharmacy"]), 200)["items"]]
    assert t["id"] not in listed
    expect(call("GET", "/v1/forum/threads/%d" % t["id"]), 404, "not_found")
    expect(other.do("POST", "/v1/forum/threads/%d/posts" % t["id"], {"markdown": "x"}), 404,
           "not_found")
    mine = expect(a.do("GET", "/v1/forum/threads/%d" % t["id"]), 200)
    assert mine["hidden"] is True
    # events: the watcher got none for the post hidden later? it got forum.post when it was
    # visible, with no text; a held post (below) never reaches watchers until released
    for e in events(watcher):
        assert "markdown" not in e["payload"] and "html" not in e["payload"]


def t_trust_rule_holds_links_and_limits_rate():
    old, new, mod, watcher = User(), User(new=True), User("moderator"), User()
    t, _ = start(old, CAT["finance"])
    expect(watcher.do("PUT", "/v1/forum/threads/%d/watch" % t["id"]), 204)
    sw = last_seq(watcher)
    held = reply(new, t["id"], "xem [trang](https://example.org) nhé")
    assert held["hidden"] == {"reason": "held for review", "held": True, "at": held["hidden"]["at"]}
    assert held["id"] not in [x["id"] for x in posts(t["id"])]
    assert events(watcher, sw) == []  # not told while held
    plain = reply(new, t["id"], "không có liên kết")
    assert plain["hidden"] is None
    assert [e["payload"]["post_id"] for e in events(watcher, sw)] == [plain["id"]]
    rel = expect(mod.do("POST", "/v1/mod/posts/%d/unhide" % held["id"], {}), 200)
    assert rel["hidden"] is None
    assert held["id"] in [x["id"] for x in posts(t["id"])]
    assert held["id"] in [e["payload"]["post_id"] for e in events(watcher, sw)]
    # 5 posts an hour for a new member: the 6th (threads count) is 429
    reply(new, t["id"], "3")
    reply(new, t["id"], "4")
    start(new, CAT["finance"])
    r = new.do("POST", "/v1/forum/threads/%d/posts" % t["id"], {"markdown": "6"})
    expect(r, 429, "rate_limited")
    assert 1 <= int(r.header("retry-after")) <= 3600, r.header("retry-after")
    reply(old, t["id"], "người cũ không bị giới hạn")
    for _ in range(6):
        reply(mod, t["id"], "điều hành viên cũng vậy")


def t_reports_flow_end_to_end():
    author, mod, other_mod, gmod = User(), User(mod_of=(CAT["tourism"],)), \
        User(mod_of=(CAT["agriculture"],)), User("moderator")
    reporters = [User() for _ in range(3)]
    t, _ = start(author, CAT["tourism"])
    bad = reply(author, t["id"], "quảng cáo rác")
    items = set()
    for i, u in enumerate(reporters):
        r = expect(u.do("POST", "/v1/forum/posts/%d/report" % bad["id"],
                        {"reason": "lý do %d" % i}), 201)
        assert r["target_kind"] == "forum_post" and r["target_id"] == bad["id"]
        items.add(r["item_id"])
    again = expect(reporters[0].do("POST", "/v1/forum/posts/%d/report" % bad["id"],
                                   {"reason": "lần nữa"}), 200)
    assert again["reason"] == "lý do 0"
    assert len(items) == 1, items
    item = items.pop()
    q = expect(mod.do("GET", "/v1/mod/queue?category_id=%d" % CAT["tourism"]), 200)["items"]
    mine = [x for x in q if x["id"] == item]
    assert mine, q
    x = mine[0]
    assert sorted(r["reason"] for r in x["reports"]) == ["lý do 0", "lý do 1", "lý do 2"], x
    assert x["post"]["id"] == bad["id"] and x["thread"]["id"] == t["id"]
    assert [c["seq"] for c in x["context"]] == [1], x["context"]
    # a moderator of another category neither sees nor acts on it
    assert item not in [y["id"] for y in expect(other_mod.do("GET", "/v1/mod/queue"), 200)["items"]]
    expect(other_mod.do("POST", "/v1/mod/queue/%d/assign" % item, {}), 403, "forbidden")
    expect(other_mod.do("POST", "/v1/mod/queue/resolve",
                        {"items": [item], "action": "hide", "reason": "x"}), 403, "forbidden",
           "items.0")
    # assign to oneself, then to the global moderator, then unassign
    a = expect(mod.do("POST", "/v1/mod/queue/%d/assign" % item, {}), 200)
    assert a["assignee_id"] == mod.id
    assert [y["id"] for y in expect(mod.do("GET", "/v1/mod/queue?assignee=me"), 200)["items"]] \
        == [item]
    expect(mod.do("POST", "/v1/mod/queue/%d/assign" % item, {"assignee_id": other_mod.id}), 400,
           "invalid_value", "assignee_id")
    a = expect(mod.do("POST", "/v1/mod/queue/%d/assign" % item, {"assignee_id": gmod.id}), 200)
    assert a["assignee_id"] == gmod.id
    a = expect(mod.do("POST", "/v1/mod/queue/%d/assign" % item, {"assignee_id": None}), 200)
    assert a["assignee_id"] is None
    # resolve with hide, alongside a second item, in one request
    bad2 = reply(author, t["id"], "rác nữa")
    item2 = expect(reporters[1].do("POST", "/v1/forum/posts/%d/report" % bad2["id"],
                                   {"reason": "rác"}), 201)["item_id"]
    sa = last_seq(author)
    res = expect(mod.do("POST", "/v1/mod/queue/resolve",
                        {"items": [item, item2], "action": "hide", "reason": "quảng cáo"}), 200)
    assert [y["status"] for y in res["items"]] == ["resolved", "resolved"]
    assert all(y["resolution"] == "hide" and y["resolved_by"] == mod.id for y in res["items"])
    ids = [p["id"] for p in posts(t["id"])]
    assert bad["id"] not in ids and bad2["id"] not in ids
    kinds = [(e["kind"], e["payload"]["action"]) for e in events(author, sa)]
    assert kinds == [("forum.moderation", "post.hide")] * 2, kinds
    expect(mod.do("POST", "/v1/mod/queue/resolve",
                  {"items": [item], "action": "dismiss", "reason": "x"}), 409, "conflict",
           "items.0")
    status = psql("SELECT string_agg(DISTINCT status, ',') FROM khnet_reports WHERE item_id = %d"
                  % item)
    assert status == "resolved", status
    log = F.mod_log("target_kind = 'post' AND target_id = %d" % bad["id"])
    assert [(x["action"], x["actor_id"]) for x in log] == [("post.hide", mod.id)], log
    assert log[0]["before"]["hidden"] is None and log[0]["after"]["hidden"]["reason"] == \
        "quảng cáo"
    acts = [x["action"] for x in F.mod_log("target_kind = 'queue_item' AND target_id = %d" % item)]
    assert acts == ["queue.assign", "queue.assign", "queue.assign", "queue.resolve"], acts
    # silence through the queue: global moderators only; the author can then
    # neither post nor message (the one silence)
    conv = expect(author.do("POST", "/v1/conversations",
                            {"type": "direct", "member_id": reporters[0].id}), 201)["id"]
    bad3 = reply(author, t["id"], "rác lần ba")
    item3 = expect(reporters[2].do("POST", "/v1/forum/posts/%d/report" % bad3["id"],
                                   {"reason": "rác"}), 201)["item_id"]
    expect(gmod.do("POST", "/v1/mod/queue/resolve", {"items": [item3], "action": "silence",
                                                     "reason": "tái phạm", "minutes": 60}), 200)
    r = author.do("POST", "/v1/forum/threads/%d/posts" % t["id"], {"markdown": "x"})
    assert expect(r, 403, "silenced") and r.json["error"]["until"]
    r = author.do("POST", "/v1/conversations/%d/messages" % conv,
                  {"client_id": "q-1", "text": "vẫn gửi được?"})
    assert expect(r, 403, "silenced") and r.json["error"]["until"]
    log = F.mod_log("action = 'member.silence' AND target_id = %d" % author.id)
    assert len(log) == 1 and log[0]["after"]["until"], log


def t_queue_silence_refusals_undo_everything():
    gmod, other_mod, member = User("moderator"), User("moderator"), User()
    t, _ = start(member, CAT["tourism"], title="Im lặng")
    for author, code, status in ((other_mod, "forbidden", 403), (gmod, "invalid_value", 400)):
        p = reply(author, t["id"], "bài của người điều hành")
        item = expect(member.do("POST", "/v1/forum/posts/%d/report" % p["id"], {"reason": "x"}),
                      201)["item_id"]
        expect(gmod.do("POST", "/v1/mod/queue/resolve", {"items": [item], "action": "silence",
                                                         "reason": "x", "minutes": 5}),
               status, code, "items")
        # all or nothing: the item open, the post not hidden, nothing logged
        assert psql("SELECT status FROM khnet_report_items WHERE id = %d" % item) == "open"
        assert [x["hidden"] for x in posts(t["id"]) if x["id"] == p["id"]] == [None]
        assert F.mod_log("target_kind = 'queue_item' AND target_id = %d" % item) == []


def t_moderator_acts_logged_and_scoped():
    cm = User(mod_of=(CAT["tourism"],))
    a = User()
    t, p = start(a, CAT["tourism"])
    q, q2 = reply(a, t["id"], "x"), reply(a, t["id"], "y")
    sa = last_seq(a)
    expect(cm.do("PATCH", "/v1/mod/threads/%d" % t["id"],
                 {"locked": True, "pinned": True, "reason": "thông báo"}), 200)
    expect(cm.do("PATCH", "/v1/mod/threads/%d" % t["id"], {"category_id": CAT["finance"]}), 403,
           "forbidden", "category_id")
    gm = User("moderator")
    mv = expect(gm.do("PATCH", "/v1/mod/threads/%d" % t["id"], {"category_id": CAT["finance"]}),
                200)
    assert mv["category_id"] == CAT["finance"]
    # now outside cm's categories
    expect(cm.do("PATCH", "/v1/mod/threads/%d" % t["id"], {"locked": False}), 403, "forbidden")
    expect(cm.do("POST", "/v1/mod/posts/%d/hide" % p["id"], {"reason": "x"}), 403, "forbidden")
    log = F.mod_log("target_kind = 'thread' AND target_id = %d" % t["id"])
    got = [(x["action"], x["actor_id"], x["before"], x["after"], x["reason"]) for x in log]
    assert got == [
        ("thread.lock", cm.id, {"locked": False}, {"locked": True}, "thông báo"),
        ("thread.pin", cm.id, {"pinned": False}, {"pinned": True}, "thông báo"),
        ("thread.move", gm.id, {"category_id": CAT["tourism"]}, {"category_id": CAT["finance"]},
         None)], got
    kinds = [e["payload"]["action"] for e in events(a, sa)]
    assert kinds == ["thread.lock", "thread.pin", "thread.move"], kinds
    # the log through the API: filters, and the category moderator's scope
    mine = expect(cm.do("GET", "/v1/mod/log?actor_id=%d" % cm.id), 200)["items"]
    assert [x["action"] for x in mine] == ["thread.pin", "thread.lock"], mine  # newest first
    moved = expect(gm.do("GET", "/v1/mod/log?action=thread.move&target_id=%d" % t["id"]),
                   200)["items"]
    assert len(moved) == 1 and moved[0]["category_id"] == CAT["finance"]
    assert expect(cm.do("GET", "/v1/mod/log?action=thread.move&target_id=%d" % t["id"]),
                  200)["items"] == []  # not in cm's categories
    # a moderator's delete is logged; the author's own is not
    expect(gm.do("DELETE", "/v1/forum/posts/%d?reason=tr%%C3%%B9ng" % q["id"]), 200)
    log = F.mod_log("target_kind = 'post' AND target_id = %d" % q["id"])
    assert [(x["action"], x["reason"]) for x in log] == [("post.delete", "trùng")], log
    expect(a.do("DELETE", "/v1/forum/posts/%d" % q2["id"]), 200)
    assert F.mod_log("target_kind = 'post' AND target_id = %d" % q2["id"]) == []
    # locked thread: members refused, moderators may post
    expect(a.do("POST", "/v1/forum/threads/%d/posts" % t["id"], {"markdown": "x"}), 409,
           "conflict")
    reply(gm, t["id"], "đã khóa")


def t_admin_categories():
    admin = User("admin")
    c = expect(admin.do("POST", "/v1/forum/categories", {"slug": "cat_adm", "name": "Quản trị",
                                                         "read_only": True, "position": 7}), 201)
    assert c["read_only"] and c["position"] == 7 and not c["archived"]
    expect(admin.do("POST", "/v1/forum/categories", {"slug": "cat_adm", "name": "X"}), 409,
           "conflict", "slug")
    u = User()
    expect(u.do("POST", "/v1/forum/categories/%d/threads" % c["id"],
                {"title": "x", "markdown": "x"}), 403, "forbidden")
    li = User("liaison")
    start(li, c["id"], title="Thông báo của tỉnh")
    up = expect(admin.do("PATCH", "/v1/forum/categories/%d" % c["id"],
                         {"name": "Đổi tên", "position": 3, "read_only": False}), 200)
    assert up["name"] == "Đổi tên" and up["position"] == 3 and not up["read_only"]
    t, _ = start(u, c["id"])
    up = expect(admin.do("PATCH", "/v1/forum/categories/%d" % c["id"], {"archived": True}), 200)
    assert up["archived"]
    expect(u.do("POST", "/v1/forum/categories/%d/threads" % c["id"],
                {"title": "x", "markdown": "x"}), 409, "conflict")
    expect(u.do("POST", "/v1/forum/threads/%d/posts" % t["id"], {"markdown": "x"}), 409,
           "conflict")
    expect(call("GET", "/v1/forum/threads/%d" % t["id"]), 200)  # still readable
    expect(admin.do("PUT", "/v1/forum/categories/%d/moderators/%d" % (c["id"], u.id)), 204)
    cats = {x["id"]: x for x in expect(call("GET", "/v1/forum/categories"), 200)["items"]}
    assert cats[c["id"]]["moderators"] == [u.id]
    expect(admin.do("DELETE", "/v1/forum/categories/%d/moderators/%d" % (c["id"], u.id)), 204)
    expect(admin.do("PUT", "/v1/forum/categories/%d/moderators/999999999" % c["id"]), 404,
           "not_found", "account_id")
    acts = [x["action"] for x in F.mod_log("target_kind IN ('category', 'account') AND "
                                           "category_id = %d" % c["id"])]
    assert acts == ["category.create", "category.update", "category.update",
                    "category.mod_add", "category.mod_remove"], acts


def t_helpful_and_handles():
    a, b = User(), User()
    t, p = start(a, CAT["education"])
    r = expect(b.do("PUT", "/v1/forum/posts/%d/helpful" % p["id"]), 200)
    assert r == {"post_id": p["id"], "helpful": 1, "reacted": True}
    assert expect(b.do("PUT", "/v1/forum/posts/%d/helpful" % p["id"]), 200)["helpful"] == 1
    assert posts(t["id"], b.token)[0]["reacted"] is True
    r = expect(b.do("DELETE", "/v1/forum/posts/%d/helpful" % p["id"]), 200)
    assert r == {"post_id": p["id"], "helpful": 0, "reacted": False}
    h = "hd%d" % os.getpid()
    expect(a.do("PUT", "/v1/forum/handle", {"handle": h}), 200)
    expect(b.do("PUT", "/v1/forum/handle", {"handle": h}), 409, "conflict", "handle")
    assert posts(t["id"])[0]["author_handle"] == h


def t_search_folding_and_filters():
    a, b = User(), User()
    tag = "đặc sản%d" % os.getpid()
    t, p = start(a, CAT["agriculture"], title="Yến sào Khánh Hòa", md="Nước mắm Nha Trang",
                 tags=[tag])
    q = reply(b, t["id"], "Thuỵ sĩ và thủy sản đường dài")
    nfd = "ye\u0302\u0301n sa\u0300o"  # NFD spelling of "yến sào"

    def hits(body, tok=None):
        return [(x["post"]["id"], x["thread"]["id"])
                for x in expect(call("POST", "/v1/forum/search", body, tok), 200)["items"]]

    assert (p["id"], t["id"]) in hits({"q": "yen sao khanh hoa"})
    assert (p["id"], t["id"]) in hits({"q": nfd})
    assert (p["id"], t["id"]) in hits({"q": "NUOC MAM"})
    assert (q["id"], t["id"]) in hits({"q": "thuy si"})  # either tone placement
    assert (q["id"], t["id"]) in hits({"q": "thụy"})
    assert (q["id"], t["id"]) in hits({"q": "duong dai"})  # đ = d
    assert (p["id"], t["id"]) in hits({"q": "dac san%d" % os.getpid()})  # the tag
    assert hits({"q": "thuy si", "author_id": a.id}) == []
    assert hits({"q": "thuy si", "category_id": CAT["tourism"]}) == []
    assert (p["id"], t["id"]) in hits({"q": "yen sao", "tag": tag.upper()})
    assert hits({"q": "yen sao", "since": "2999-01-01T00:00:00Z"}) == []
    assert (p["id"], t["id"]) in hits({"q": "yen sao", "until": "2999-01-01T00:00:00Z"})
    # paging by cursor: the short opening post ranks first (its text is
    # shorter), then the equal-ranked replies newest first
    t2, op = start(a, CAT["agriculture"], title="phân trang", md="zzpage")
    ids = [reply(a, t2["id"], "zzpage %d" % i)["id"] for i in range(4)]
    got, body = [], {"q": "zzpage", "limit": 2}
    while True:
        r = expect(call("POST", "/v1/forum/search", body), 200)
        got += [x["post"]["id"] for x in r["items"]]
        if not r["next"]:
            break
        body = {"q": "zzpage", "limit": 2, "after": r["next"]}
    assert got == [op["id"]] + ids[::-1], (got, ids)


def t_concurrent_posting_one_thread():
    a, reader = User(), User()
    t, _ = start(a, CAT["it_ai"], title="Đồng thời")
    writers = [User() for _ in range(8)]
    errors = []

    def run(u):
        try:
            for i in range(10):
                reply(u, t["id"], "bài %d của %d" % (i, u.id))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    th = [threading.Thread(target=run, args=(u,)) for u in writers]
    for x in th:
        x.start()
    for x in th:
        x.join()
    assert errors == [], errors
    ps = posts(t["id"])
    assert [p["seq"] for p in ps] == list(range(1, 82)), [p["seq"] for p in ps]
    assert sorted(p["id"] for p in ps) == [p["id"] for p in ps]  # seq order is commit order
    for u in writers:  # each writer's own posts in its own order
        mine = [p["markdown"] for p in ps if p["author_id"] == u.id]
        assert mine == ["bài %d của %d" % (i, u.id) for i in range(10)], mine
    th1 = expect(reader.do("GET", "/v1/forum/threads/%d" % t["id"]), 200)
    assert th1["posts"] == 81 and th1["last_seq"] == 81 and th1["unread"] == 81, th1
    assert expect(a.do("GET", "/v1/forum/threads/%d" % t["id"]), 200)["unread"] == 80
    w0 = expect(writers[0].do("GET", "/v1/forum/threads/%d" % t["id"]), 200)["unread"]
    last0 = max(p["seq"] for p in ps if p["author_id"] == writers[0].id)
    want = len([p for p in ps if p["seq"] > last0 and p["author_id"] != writers[0].id])
    assert w0 == want, (w0, want)
    n = psql("SELECT count(*) FROM khnet_events WHERE kind = 'forum.post' AND "
             "(payload->>'thread_id')::bigint = %d AND account_id = %d" % (t["id"], a.id))
    assert int(n) == 80, n  # the starter watches: told of every other post, once


def t_export_and_erasure():
    a, b = User(handle="ex%d" % os.getpid()), User()
    t, p = start(a, CAT["healthcare"], title="Y tế cơ sở", tags=["y tế"])
    q = reply(a, t["id"], "bản đầu")
    expect(a.do("PATCH", "/v1/forum/posts/%d" % q["id"], {"markdown": "bản sau"}), 200)
    bp = reply(b, t["id"], "cảm ơn @ex%d" % os.getpid())
    expect(a.do("PUT", "/v1/forum/posts/%d/helpful" % bp["id"]), 200)
    ex = expect(a.do("GET", "/v1/account/export"), 200)["forum"]
    assert ex["handle"] == "ex%d" % os.getpid()
    assert [x["id"] for x in ex["threads"]] == [t["id"]] and ex["threads"][0]["tags"] == ["y tế"]
    assert [x["id"] for x in ex["posts"]] == [p["id"], q["id"]]
    assert [r["markdown"] for r in ex["posts"][1]["revisions"]] == ["bản đầu", "bản sau"]
    assert ex["reactions"][0]["post_id"] == bp["id"]
    assert [w["thread_id"] for w in ex["watches"]] == [t["id"]]
    expect(a.do("DELETE", "/v1/account", {"password": F.PW}), 204)
    for x in posts(t["id"]):
        if x["author_id"] == a.id:
            assert x["author_name"] == "former member" and x["author_handle"] is None, x
            assert x["markdown"] is not None  # posts stay
    th = expect(call("GET", "/v1/forum/threads/%d" % t["id"]), 200)
    assert th["author_name"] == "former member"
    assert [x for x in posts(t["id"]) if x["id"] == bp["id"]][0]["helpful"] == 0
    left = psql("SELECT (SELECT count(*) FROM khnet_handles WHERE account_id = %d) + "
                "(SELECT count(*) FROM khnet_forum_watches WHERE account_id = %d) + "
                "(SELECT count(*) FROM khnet_forum_reads WHERE account_id = %d) + "
                "(SELECT count(*) FROM khnet_forum_mentions WHERE account_id = %d)"
                % (a.id, a.id, a.id, a.id))
    assert left == "0", left


# ---- bad input: (method, path, body, status, code, field) per endpoint ----------------------

def t_bad_input():
    u, admin, mod = User(), User("admin"), User("moderator")
    t, p = start(u, CAT["logistics_seaports"])
    item = expect(admin.do("POST", "/v1/forum/posts/%d/report" % p["id"], {"reason": "x"}),
                  201)["item_id"]
    tid, pid, cid = t["id"], p["id"], CAT["logistics_seaports"]
    long = "x" * 32769
    cases = [
        (u, "GET", "/v1/forum/categories/0/threads", None, 400, "invalid_value", "id"),
        (u, "GET", "/v1/forum/categories/abc/threads", None, 400, "invalid_value", "id"),
        (u, "GET", "/v1/forum/categories/%d/threads?limit=0" % cid, None, 400, "out_of_range",
         "limit"),
        (u, "GET", "/v1/forum/categories/%d/threads?limit=x" % cid, None, 400, "invalid_value",
         "limit"),
        (u, "GET", "/v1/forum/categories/%d/threads?after=zz" % cid, None, 400, "invalid_value",
         "after"),
        (u, "GET", "/v1/forum/categories/999999999/threads", None, 404, "not_found", None),
        (u, "POST", "/v1/forum/categories/%d/threads" % cid, {"markdown": "x"}, 400,
         "missing_field", "title"),
        (u, "POST", "/v1/forum/categories/%d/threads" % cid, {"title": "x"}, 400, "missing_field",
         "markdown"),
        (u, "POST", "/v1/forum/categories/%d/threads" % cid, {"title": "x" * 201, "markdown": "x"},
         400, "too_long", "title"),
        (u, "POST", "/v1/forum/categories/%d/threads" % cid, {"title": "", "markdown": "x"}, 400,
         "too_short", "title"),
        (u, "POST", "/v1/forum/categories/%d/threads" % cid, {"title": 5, "markdown": "x"}, 400,
         "invalid_type", "title"),
        (u, "POST", "/v1/forum/categories/%d/threads" % cid,
         {"title": "x", "markdown": "x", "tags": ["a"] * 6}, 400, "too_long", "tags"),
        (u, "POST", "/v1/forum/categories/%d/threads" % cid,
         {"title": "x", "markdown": "x", "tags": ["a", "b,c"]}, 400, "invalid_value", "tags.1"),
        (u, "POST", "/v1/forum/categories/%d/threads" % cid,
         {"title": "x", "markdown": "x", "tags": ["  "]}, 400, "invalid_value", "tags.0"),
        (u, "POST", "/v1/forum/categories/%d/threads" % cid,
         {"title": "x", "markdown": "x", "tags": [1]}, 400, "invalid_type", "tags.0"),
        (u, "POST", "/v1/forum/categories/%d/threads" % cid,
         {"title": "x", "markdown": "x", "tags": "a"}, 400, "invalid_type", "tags"),
        (u, "POST", "/v1/forum/categories/%d/threads" % cid,
         {"title": "x", "markdown": "x", "x": 1}, 400, "unknown_field", "x"),
        (u, "POST", "/v1/forum/categories/999999999/threads", {"title": "x", "markdown": "x"},
         404, "not_found", None),
        (u, "POST", "/v1/forum/threads/%d/posts" % tid, {"markdown": long}, 400, "too_long",
         "markdown"),
        (u, "POST", "/v1/forum/threads/%d/posts" % tid, {"markdown": ""}, 400, "too_short",
         "markdown"),
        (u, "POST", "/v1/forum/threads/%d/posts" % tid, {}, 400, "missing_field", "markdown"),
        (u, "POST", "/v1/forum/threads/%d/posts" % tid, {"markdown": "x", "reply_to": 0}, 400,
         "out_of_range", "reply_to"),
        (u, "POST", "/v1/forum/threads/%d/posts" % tid, {"markdown": "x", "reply_to": "1"}, 400,
         "invalid_type", "reply_to"),
        (u, "POST", "/v1/forum/threads/%d/posts" % tid, {"markdown": "x", "reply_to": 999999999},
         400, "invalid_value", "reply_to"),
        (u, "POST", "/v1/forum/threads/%d/posts" % tid, {"markdown": "x", "quote_of": 999999999},
         400, "invalid_value", "quote_of"),
        (u, "POST", "/v1/forum/threads/999999999/posts", {"markdown": "x"}, 404, "not_found", None),
        (u, "GET", "/v1/forum/threads/999999999", None, 404, "not_found", None),
        (u, "GET", "/v1/forum/threads/%d/posts?after=!" % tid, None, 400, "invalid_value", "after"),
        (u, "PATCH", "/v1/forum/posts/%d" % pid, {"markdown": long}, 400, "too_long", "markdown"),
        (u, "PATCH", "/v1/forum/posts/%d" % pid, {"text": "x"}, 400, "unknown_field", "text"),
        (u, "PATCH", "/v1/forum/posts/999999999", {"markdown": "x"}, 404, "not_found", None),
        (u, "DELETE", "/v1/forum/posts/%d?reason=" % pid, None, 400, "invalid_value", "reason"),
        (u, "DELETE", "/v1/forum/posts/999999999", None, 404, "not_found", None),
        (u, "GET", "/v1/forum/posts/999999999/revisions", None, 404, "not_found", None),
        (u, "POST", "/v1/forum/threads/%d/read" % tid, {"up_to_seq": 0}, 400, "out_of_range",
         "up_to_seq"),
        (u, "POST", "/v1/forum/threads/%d/read" % tid, {}, 400, "missing_field", "up_to_seq"),
        (u, "POST", "/v1/forum/threads/999999999/read", {"up_to_seq": 1}, 404, "not_found", None),
        (u, "POST", "/v1/forum/categories/999999999/read", None, 404, "not_found", None),
        (u, "PUT", "/v1/forum/threads/999999999/watch", None, 404, "not_found", None),
        (u, "PUT", "/v1/forum/posts/999999999/helpful", None, 404, "not_found", None),
        (u, "PUT", "/v1/forum/handle", {"handle": "ab"}, 400, "invalid_value", "handle"),
        (u, "PUT", "/v1/forum/handle", {"handle": ""}, 400, "too_short", "handle"),
        (u, "PUT", "/v1/forum/handle", {"handle": "Abc"}, 400, "invalid_value", "handle"),
        (u, "PUT", "/v1/forum/handle", {"handle": "1abc"}, 400, "invalid_value", "handle"),
        (u, "PUT", "/v1/forum/handle", {"handle": "a" * 31}, 400, "too_long", "handle"),
        (u, "PUT", "/v1/forum/handle", {}, 400, "missing_field", "handle"),
        (u, "POST", "/v1/forum/posts/%d/report" % pid, {"reason": ""}, 400, "too_short", "reason"),
        (u, "POST", "/v1/forum/posts/%d/report" % pid, {"reason": "x" * 1001}, 400, "too_long",
         "reason"),
        (u, "POST", "/v1/forum/posts/999999999/report", {"reason": "x"}, 404, "not_found", None),
        (None, "POST", "/v1/forum/search", {}, 400, "missing_field", "q"),
        (None, "POST", "/v1/forum/search", {"q": "x" * 201}, 400, "too_long", "q"),
        (None, "POST", "/v1/forum/search", {"q": "!!!"}, 400, "invalid_value", "q"),
        (None, "POST", "/v1/forum/search", {"q": "a", "limit": 51}, 400, "out_of_range", "limit"),
        (None, "POST", "/v1/forum/search", {"q": "a", "category_id": -1}, 400, "out_of_range",
         "category_id"),
        (None, "POST", "/v1/forum/search", {"q": "a", "since": "2026-02-30T00:00:00Z"}, 400,
         "invalid_value", "since"),
        (None, "POST", "/v1/forum/search", {"q": "a", "until": "yesterday"}, 400, "invalid_value",
         "until"),
        (None, "POST", "/v1/forum/search", {"q": "a", "tag": 3}, 400, "invalid_type", "tag"),
        (None, "POST", "/v1/forum/search", {"q": "a", "after": "zz"}, 400, "invalid_value",
         "after"),
        (None, "POST", "/v1/forum/search", {"q": "a", "sort": "x"}, 400, "unknown_field", "sort"),
        (admin, "POST", "/v1/forum/categories", {"slug": "Bad", "name": "x"}, 400,
         "invalid_value", "slug"),
        (admin, "POST", "/v1/forum/categories", {"slug": "ok_slug", "name": ""}, 400,
         "too_short", "name"),
        (admin, "POST", "/v1/forum/categories", {"slug": "ok_slug", "name": "x", "position": -1},
         400, "out_of_range", "position"),
        (admin, "POST", "/v1/forum/categories", {"slug": "ok_slug", "name": "x",
                                                 "read_only": "yes"}, 400, "invalid_type",
         "read_only"),
        (admin, "PATCH", "/v1/forum/categories/%d" % cid, {}, 400, "missing_field", "body"),
        (admin, "PATCH", "/v1/forum/categories/%d" % cid, {"archived": None}, 400,
         "invalid_type", "archived"),
        (admin, "PATCH", "/v1/forum/categories/%d" % cid, {"slug": "x"}, 400, "unknown_field",
         "slug"),
        (admin, "PATCH", "/v1/forum/categories/999999999", {"name": "x"}, 404, "not_found", None),
        (admin, "PUT", "/v1/forum/categories/0/moderators/1", None, 400, "invalid_value", "id"),
        (mod, "PATCH", "/v1/mod/threads/%d" % tid, {}, 400, "missing_field", "body"),
        (mod, "PATCH", "/v1/mod/threads/%d" % tid, {"locked": 1}, 400, "invalid_type", "locked"),
        (mod, "PATCH", "/v1/mod/threads/%d" % tid, {"category_id": 999999999}, 400,
         "invalid_value", "category_id"),
        (mod, "PATCH", "/v1/mod/threads/999999999", {"locked": True}, 404, "not_found", None),
        (mod, "POST", "/v1/mod/posts/%d/hide" % pid, {}, 400, "missing_field", "reason"),
        (mod, "POST", "/v1/mod/posts/999999999/hide", {"reason": "x"}, 404, "not_found", None),
        (mod, "GET", "/v1/mod/queue?status=closed", None, 400, "invalid_value", "status"),
        (mod, "GET", "/v1/mod/queue?assignee=you", None, 400, "invalid_value", "assignee"),
        (mod, "GET", "/v1/mod/queue?category_id=x", None, 400, "invalid_value", "category_id"),
        (mod, "POST", "/v1/mod/queue/999999999/assign", {}, 404, "not_found", None),
        (mod, "POST", "/v1/mod/queue/%d/assign" % item, {"assignee_id": "me"}, 400,
         "invalid_type", "assignee_id"),
        (mod, "POST", "/v1/mod/queue/resolve", {"action": "hide", "reason": "x"}, 400,
         "missing_field", "items"),
        (mod, "POST", "/v1/mod/queue/resolve", {"items": [], "action": "hide", "reason": "x"},
         400, "too_short", "items"),
        (mod, "POST", "/v1/mod/queue/resolve", {"items": [1] * 101, "action": "hide",
                                                "reason": "x"}, 400, "too_long", "items"),
        (mod, "POST", "/v1/mod/queue/resolve", {"items": ["a"], "action": "hide", "reason": "x"},
         400, "invalid_type", "items.0"),
        (mod, "POST", "/v1/mod/queue/resolve", {"items": [item], "action": "ban", "reason": "x"},
         400, "invalid_value", "action"),
        (mod, "POST", "/v1/mod/queue/resolve", {"items": [item], "action": "hide"}, 400,
         "missing_field", "reason"),
        (mod, "POST", "/v1/mod/queue/resolve", {"items": [item], "action": "silence",
                                                "reason": "x"}, 400, "missing_field", "minutes"),
        (mod, "POST", "/v1/mod/queue/resolve", {"items": [item], "action": "hide", "reason": "x",
                                                "minutes": 5}, 400, "invalid_value", "minutes"),
        (mod, "POST", "/v1/mod/queue/resolve", {"items": [999999999], "action": "hide",
                                                "reason": "x"}, 404, "not_found", "items.0"),
        (mod, "GET", "/v1/mod/log?target_kind=user", None, 400, "invalid_value", "target_kind"),
        (mod, "GET", "/v1/mod/log?actor_id=0", None, 400, "invalid_value", "actor_id"),
        (mod, "GET", "/v1/mod/log?action=DROP%20TABLE", None, 400, "invalid_value", "action"),
        (mod, "GET", "/v1/mod/log?limit=101", None, 400, "out_of_range", "limit"),
    ]
    for who, method, path, body, status, code, field in cases:
        r = call(method, path, body, who.token if who else None)
        try:
            expect(r, status, code, field)
        except AssertionError as e:
            raise AssertionError("%s %s %r: %s" % (method, path, body and str(body)[:80], e))
    # not a map, not JSON
    r = call("POST", "/v1/forum/threads/%d/posts" % tid, raw=pack([1]), token=u.token)
    expect(r, 400, "invalid_body")
    r = call("POST", "/v1/forum/threads/%d/posts" % tid, raw=b"{", token=u.token,
             json_body=True)
    expect(r, 400, "invalid_json")
    # every forum write needs a token
    for method, path in [("POST", "/v1/forum/threads/%d/posts" % tid),
                         ("PUT", "/v1/forum/handle"), ("GET", "/v1/mod/queue"),
                         ("GET", "/v1/mod/log"), ("POST", "/v1/mod/queue/resolve")]:
        expect(call(method, path, {}), 401, "unauthenticated")
    # the thread is still whole
    assert [x["seq"] for x in posts(tid)] == [1]


def main():
    setup()
    T.run_all(globals())
    T.finish()


if __name__ == "__main__":
    main()
