"""messaging.py — conversations, messages, read cursors, blocks, reports and
silencing (PROTOCOL.md "Messaging") from an independent peer: hand-written
HTTP, python3-msgpack bodies, psql for the event rows (khnet_events) and the
audit log that only the database shows.

Starts its own khnetd with cheap scrypt and generous rate limits.
"""

import json
import os
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from rawhttp import (Checker, api_call, expect, fast_flags, psql, start_khnetd,  # noqa: E402
                     stop_at_end)

T = Checker("messaging")
DB = os.environ["KHNET_DATABASE_URL"]
WORK = tempfile.mkdtemp(prefix="khnet-messaging.")
LOG = os.path.join(WORK, "khnetd.log")
FAST = fast_flags(2)
ADDR = None
PW = "correct horse battery"
N = [0]


def call(method, path, body=None, token=None, raw=None):
    return api_call(method, path, body, token, addr=ADDR, raw=raw, timeout=15)


class User:
    def __init__(self, role=None):
        N[0] += 1
        email = "m%d@example.org" % N[0]
        r = call("POST", "/v1/accounts", {"email": email, "password": PW})
        self.id = expect(r, 201)["id"]
        if role:
            psql("UPDATE khnet_accounts SET role = '%s' WHERE id = %d" % (role, self.id))
        r = call("POST", "/v1/sessions", {"email": email, "password": PW})
        self.token = expect(r, 201)["token"]

    def do(self, method, path, body=None, raw=None):
        return call(method, path, body, self.token, raw)


def direct(a, b):
    return expect(a.do("POST", "/v1/conversations", {"type": "direct", "member_id": b.id}), 201)


def group(owner, members, title="Nhóm thủy sản"):
    return expect(owner.do("POST", "/v1/conversations", {
        "type": "group", "title": title, "member_ids": [m.id for m in members]}), 201)


def send(u, conv, cid, text="Chào anh Minh!", **kw):
    body = {"client_id": cid, "text": text}
    body.update(kw)
    return u.do("POST", "/v1/conversations/%d/messages" % conv, body)


def events(u, after=0):
    out = psql("SELECT coalesce(json_agg(json_build_object('seq', seq, 'kind', kind, "
               "'payload', payload) ORDER BY seq), '[]') FROM khnet_events "
               "WHERE account_id = %d AND seq > %d" % (u.id, after))
    return json.loads(out)


def last_event_seq(u):
    return int(psql("SELECT coalesce(max(seq), 0) FROM khnet_events WHERE account_id = %d" % u.id))


def history(u, conv):
    """Every message of conv as u sees it, paging backwards with `before`."""
    items, path = [], "/v1/conversations/%d/messages?limit=7" % conv
    while True:
        page = expect(u.do("GET", path), 200)
        items = page["items"] + items
        if not page["prev"]:
            return items
        path = "/v1/conversations/%d/messages?limit=7&before=%s" % (conv, page["prev"])


# ---- cases ------------------------------------------------------------------------

def t_direct_is_one_per_pair():
    a, b = User(), User()
    c = direct(a, b)
    assert c["type"] == "direct" and c["members"] == sorted([a.id, b.id]), c
    assert c["title"] is None and c["owner_id"] is None and c["unread"] == 0, c
    again = expect(b.do("POST", "/v1/conversations", {"type": "direct", "member_id": a.id}), 200)
    assert again["id"] == c["id"], again
    expect(a.do("POST", "/v1/conversations", {"type": "direct", "member_id": a.id}),
           400, "invalid_value", "member_id")
    expect(a.do("POST", "/v1/conversations", {"type": "direct", "member_id": 99999999}),
           400, "invalid_value", "member_id")


def t_idempotent_send_under_retry():
    a, b = User(), User()
    c = direct(a, b)["id"]
    results = []

    def go():
        results.append(send(a, c, "retry-1", "Xin chào"))
    ts = [threading.Thread(target=go) for _ in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    statuses = sorted(r.status for r in results)
    assert statuses == [200] * 7 + [201], statuses
    ids = {r.json["id"] for r in results}
    assert len(ids) == 1, ids
    assert psql("SELECT count(*) FROM khnet_messages WHERE client_id = 'retry-1'") == "1"
    assert psql("SELECT count(*) FROM khnet_events WHERE kind = 'message.new' AND "
                "payload->>'client_id' = 'retry-1'") == "2"  # one per member, once
    expect(send(a, c, "retry-1", "another text"), 409, "conflict", "client_id")
    # the same client_id from another sender is another message
    expect(send(b, c, "retry-1", "Xin chào"), 201)


def t_ordering_concurrent_senders():
    members = [User() for _ in range(4)]
    conv = group(members[0], members[1:])["id"]
    per = 15

    def go(u, k):
        for i in range(per):
            r = send(u, conv, "o-%d-%d" % (k, i), "tin %d từ %d" % (i, k))
            assert r.status == 201, r
    ts = [threading.Thread(target=go, args=(u, k)) for k, u in enumerate(members)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    views = [history(u, conv) for u in members]
    total = per * len(members)
    for v in views:
        assert [m["seq"] for m in v] == list(range(1, total + 1)), [m["seq"] for m in v]
        assert [m["id"] for m in v] == [m["id"] for m in views[0]]
    # each sender's own messages appear in the order they were sent
    for k in range(len(members)):
        mine = [m["client_id"] for m in views[0] if m["client_id"].startswith("o-%d-" % k)]
        assert mine == ["o-%d-%d" % (k, i) for i in range(per)], mine
    # forward paging with after gives the same
    page = expect(members[1].do("GET", "/v1/conversations/%d/messages?limit=5" % conv), 200)
    first = expect(members[1].do("GET", "/v1/conversations/%d/messages?limit=100&before=%s"
                                 % (conv, page["prev"])), 200)
    assert first["prev"] is None and first["items"][0]["seq"] == 1
    fwd = expect(members[1].do("GET", "/v1/conversations/%d/messages?limit=100&after=%s"
                               % (conv, first["next"])), 200)
    assert [m["seq"] for m in first["items"] + fwd["items"]] == list(range(1, total + 1))
    assert fwd["next"] is None


def t_blocked():
    a, b, c = User(), User(), User()
    conv = direct(a, b)["id"]
    expect(send(a, conv, "b1"), 201)
    expect(b.do("POST", "/v1/blocks/%d" % a.id), 204)
    expect(b.do("POST", "/v1/blocks/%d" % a.id), 204)  # idempotent
    expect(send(a, conv, "b2"), 403, "blocked")
    expect(send(b, conv, "b3"), 403, "blocked")
    expect(a.do("POST", "/v1/conversations", {"type": "direct", "member_id": b.id}), 403, "blocked")
    expect(b.do("POST", "/v1/conversations", {"type": "direct", "member_id": a.id}), 403, "blocked")
    g = group(a, [b, c])["id"]  # groups are not affected
    expect(send(a, g, "b4"), 201)
    lst = expect(b.do("GET", "/v1/blocks"), 200)
    assert [x["account_id"] for x in lst["items"]] == [a.id] and lst["next"] is None, lst
    expect(b.do("POST", "/v1/blocks/%d" % b.id), 400, "invalid_value", "account_id")
    expect(b.do("POST", "/v1/blocks/99999999"), 404, "not_found")
    expect(b.do("POST", "/v1/blocks/x"), 400, "invalid_value", "account_id")
    expect(b.do("DELETE", "/v1/blocks/%d" % a.id), 204)
    expect(send(a, conv, "b5"), 201)


def t_silenced():
    a, b, mod = User(), User(), User("moderator")
    conv = direct(a, b)["id"]
    expect(b.do("POST", "/v1/accounts/%d/silence" % a.id, {"minutes": 10, "reason": "spam"}),
           403, "forbidden")
    r = expect(mod.do("POST", "/v1/accounts/%d/silence" % a.id, {"minutes": 10, "reason": "spam"}),
               200)
    assert r["account_id"] == a.id and r["until"].endswith("Z"), r
    err = send(a, conv, "s1")
    expect(err, 403, "silenced")
    assert err.json["error"]["until"] == r["until"], err.json
    expect(send(b, conv, "s2"), 201)  # the other side is not silenced
    audit = psql("SELECT actor_id, detail->>'minutes', detail->>'reason' FROM khnet_audit_log "
                 "WHERE action = 'silence' AND target_id = %d" % a.id)
    assert audit == "%d|10|spam" % mod.id, audit
    other_mod = User("moderator")
    expect(mod.do("POST", "/v1/accounts/%d/silence" % other_mod.id,
                  {"minutes": 5, "reason": "x"}), 403, "forbidden")
    expect(mod.do("POST", "/v1/accounts/%d/silence" % mod.id, {"minutes": 5, "reason": "x"}),
           400, "invalid_value", "id")
    expect(mod.do("POST", "/v1/accounts/%d/silence" % a.id, {"minutes": 0, "reason": "ok now"}),
           200)
    expect(send(a, conv, "s3"), 201)


def t_removed_member_stops():
    o, b, c = User(), User(), User()
    conv = group(o, [b, c])["id"]
    expect(send(o, conv, "r1"), 201)
    expect(b.do("DELETE", "/v1/conversations/%d/members/%d" % (conv, c.id)), 403, "forbidden")
    expect(o.do("DELETE", "/v1/conversations/%d/members/%d" % (conv, c.id)), 204)
    evs = events(c)
    assert evs[-1]["kind"] == "conversation.removed", evs[-1]
    assert evs[-1]["payload"] == {"conversation_id": conv, "reason": "removed"}, evs[-1]
    mark = last_event_seq(c)
    expect(send(o, conv, "r2"), 201)
    expect(o.do("PATCH", "/v1/conversations/%d" % conv, {"title": "Đổi tên"}), 200)
    assert events(c, mark) == [], events(c, mark)
    expect(c.do("GET", "/v1/conversations/%d" % conv), 404, "not_found")
    expect(c.do("GET", "/v1/conversations/%d/messages" % conv), 404, "not_found")
    expect(send(c, conv, "r3"), 404, "not_found")
    lst = expect(c.do("GET", "/v1/conversations"), 200)
    assert conv not in [x["id"] for x in lst["items"]]
    # b leaves; the others get member_left; owner leaving hands the group on
    expect(b.do("DELETE", "/v1/conversations/%d/members/me" % conv), 204)
    assert events(b)[-1]["payload"]["reason"] == "left"
    assert events(o)[-1]["kind"] == "conversation.updated"
    assert events(o)[-1]["payload"]["change"] == "member_left"
    # re-adding c: c sees it again, starting read
    expect(o.do("POST", "/v1/conversations/%d/members/%d" % (conv, c.id)), 200)
    assert events(c)[-1]["kind"] == "conversation.created"
    got = expect(c.do("GET", "/v1/conversations/%d" % conv), 200)
    assert got["unread"] == 0 and c.id in got["members"], got
    expect(send(c, conv, "r4"), 201)
    d = direct(o, c)["id"]
    expect(o.do("DELETE", "/v1/conversations/%d/members/me" % d), 403, "forbidden")


def t_edit_delete_read_unread():
    a, b = User(), User()
    conv = direct(a, b)["id"]
    m1 = expect(send(a, conv, "e1", "một"), 201)
    m2 = expect(send(a, conv, "e2", "hai", reply_to=m1["id"]), 201)
    assert m2["reply_to"] == m1["id"] and m2["seq"] == m1["seq"] + 1
    assert expect(b.do("GET", "/v1/unread"), 200) == {"total": 2, "conversations": 1}
    assert expect(a.do("GET", "/v1/unread"), 200)["total"] == 0
    r = expect(b.do("POST", "/v1/conversations/%d/read" % conv, {"up_to": m2["id"]}), 200)
    assert r == {"conversation_id": conv, "up_to_seq": m2["seq"], "unread": 0}, r
    r = expect(b.do("POST", "/v1/conversations/%d/read" % conv, {"up_to": m1["id"]}), 200)
    assert r["up_to_seq"] == m2["seq"], r  # monotonic
    expect(b.do("PATCH", "/v1/messages/%d" % m1["id"], {"text": "x"}), 403, "forbidden")
    e = expect(a.do("PATCH", "/v1/messages/%d" % m1["id"], {"text": "một (sửa)"}), 200)
    assert e["text"] == "một (sửa)" and e["edited_at"], e
    expect(b.do("DELETE", "/v1/messages/%d" % m1["id"]), 403, "forbidden")
    d = expect(a.do("DELETE", "/v1/messages/%d" % m1["id"]), 200)
    assert d["text"] is None and d["deleted_at"], d
    expect(a.do("PATCH", "/v1/messages/%d" % m1["id"], {"text": "y"}), 409, "conflict")
    h = history(b, conv)
    assert h[0]["text"] is None and h[1]["text"] == "hai", h
    kinds = [e["kind"] for e in events(b)]
    assert kinds == ["conversation.created", "message.new", "message.new", "message.read",
                     "message.edited", "message.deleted"], kinds
    ev = events(a)
    assert ev[3]["payload"] == {"conversation_id": conv, "account_id": b.id,
                                "up_to_seq": m2["seq"]}, ev[3]
    assert ev[1]["payload"] == m1, (ev[1], m1)
    lst = expect(b.do("GET", "/v1/conversations"), 200)
    assert lst["items"][0]["id"] == conv and lst["items"][0]["last_message"]["id"] == m2["id"]


def t_conversation_list_cursor():
    a = User()
    others = [User() for _ in range(5)]
    convs = [direct(a, o)["id"] for o in others]
    expect(send(a, convs[0], "l1"), 201)  # bumps the first to the front
    want = [convs[0]] + convs[:0:-1]
    got, path = [], "/v1/conversations?limit=2"
    while path:
        page = expect(a.do("GET", path), 200)
        got += [c["id"] for c in page["items"]]
        path = page["next"] and "/v1/conversations?limit=2&after=" + page["next"]
    assert got == want, (got, want)


def t_reports():
    a, b, mod = User(), User(), User("moderator")
    conv = direct(a, b)["id"]
    ms = [expect(send(a, conv, "p%d" % i, "tin %d" % i), 201) for i in range(8)]
    target = ms[4]
    rep = expect(b.do("POST", "/v1/messages/%d/report" % target["id"], {"reason": "quấy rối"}), 201)
    again = expect(b.do("POST", "/v1/messages/%d/report" % target["id"], {"reason": "x"}), 200)
    assert again["id"] == rep["id"] and rep["status"] == "open" and rep["target_kind"] == "message"
    outsider = User()
    expect(outsider.do("POST", "/v1/messages/%d/report" % target["id"], {"reason": "x"}), 404)
    expect(b.do("GET", "/v1/reports"), 403, "forbidden")
    lst = expect(mod.do("GET", "/v1/reports?status=open&limit=100"), 200)
    mine = [x for x in lst["items"] if x["id"] == rep["id"]]
    assert len(mine) == 1, lst
    x = mine[0]
    assert x["message"]["id"] == target["id"] and x["message"]["original_text"] == "tin 4", x
    assert [m["seq"] for m in x["context"]] == [2, 3, 4, 6, 7, 8], x["context"]
    expect(b.do("POST", "/v1/reports/%d/resolve" % rep["id"], {"resolution": "ok"}), 403)
    res = expect(mod.do("POST", "/v1/reports/%d/resolve" % rep["id"],
                        {"resolution": "warned the sender"}), 200)
    assert res["status"] == "resolved" and res["resolved_by"] == mod.id, res
    expect(mod.do("POST", "/v1/reports/%d/resolve" % rep["id"], {"resolution": "again"}),
           409, "conflict")
    expect(mod.do("POST", "/v1/reports/99999999/resolve", {"resolution": "x"}), 404)
    assert psql("SELECT count(*) FROM khnet_audit_log WHERE action = 'report_resolve' "
                "AND actor_id = %d" % mod.id) == "1"
    lst = expect(mod.do("GET", "/v1/reports?status=resolved"), 200)
    assert rep["id"] in [x["id"] for x in lst["items"]]
    expect(mod.do("GET", "/v1/reports?status=maybe"), 400, "invalid_value", "status")


def t_permission_matrix():
    a, b, outsider = User(), User(), User()
    conv = group(a, [b])["id"]
    m = expect(send(a, conv, "pm1"), 201)
    anon = [("POST", "/v1/conversations"), ("GET", "/v1/conversations"),
            ("GET", "/v1/conversations/%d" % conv), ("PATCH", "/v1/conversations/%d" % conv),
            ("POST", "/v1/conversations/%d/members/%d" % (conv, b.id)),
            ("DELETE", "/v1/conversations/%d/members/me" % conv),
            ("POST", "/v1/conversations/%d/read" % conv),
            ("POST", "/v1/conversations/%d/messages" % conv),
            ("GET", "/v1/conversations/%d/messages" % conv),
            ("PATCH", "/v1/messages/%d" % m["id"]), ("DELETE", "/v1/messages/%d" % m["id"]),
            ("POST", "/v1/messages/%d/report" % m["id"]), ("GET", "/v1/unread"),
            ("GET", "/v1/blocks"), ("POST", "/v1/blocks/%d" % b.id),
            ("DELETE", "/v1/blocks/%d" % b.id), ("GET", "/v1/reports"),
            ("POST", "/v1/reports/1/resolve"), ("POST", "/v1/accounts/%d/silence" % b.id)]
    for method, path in anon:
        r = call(method, path, {} if method in ("POST", "PATCH") else None)
        expect(r, 401, "unauthenticated")
    o = outsider
    expect(o.do("GET", "/v1/conversations/%d" % conv), 404, "not_found")
    expect(o.do("GET", "/v1/conversations/%d/messages" % conv), 404, "not_found")
    expect(send(o, conv, "pm2"), 404, "not_found")
    expect(o.do("PATCH", "/v1/conversations/%d" % conv, {"title": "x"}), 404, "not_found")
    expect(o.do("POST", "/v1/conversations/%d/members/%d" % (conv, o.id)), 404, "not_found")
    expect(o.do("DELETE", "/v1/conversations/%d/members/me" % conv), 404, "not_found")
    expect(o.do("POST", "/v1/conversations/%d/read" % conv, {"up_to": m["id"]}), 404)
    expect(o.do("PATCH", "/v1/messages/%d" % m["id"], {"text": "x"}), 404, "not_found")
    expect(o.do("DELETE", "/v1/messages/%d" % m["id"]), 404, "not_found")
    expect(b.do("PATCH", "/v1/conversations/%d" % conv, {"title": "x"}), 403, "forbidden")
    expect(b.do("POST", "/v1/conversations/%d/members/%d" % (conv, o.id)), 403, "forbidden")
    for method, path, body in [("GET", "/v1/reports", None),
                               ("POST", "/v1/reports/1/resolve", {"resolution": "x"}),
                               ("POST", "/v1/accounts/%d/silence" % a.id,
                                {"minutes": 1, "reason": "x"})]:
        expect(b.do(method, path, body), 403, "forbidden")


def t_bad_inputs():
    a, b = User(), User()
    conv = direct(a, b)["id"]
    m = expect(send(a, conv, "bi0"), 201)
    P = "/v1/conversations/%d/messages" % conv
    cases = [
        ("POST", P, None, "missing_field", "body"),
        ("POST", P, [1], "invalid_body", None),
        ("POST", P, {"text": "x"}, "missing_field", "client_id"),
        ("POST", P, {"client_id": "c"}, "missing_field", "text"),
        ("POST", P, {"client_id": 5, "text": "x"}, "invalid_type", "client_id"),
        ("POST", P, {"client_id": "c", "text": 5}, "invalid_type", "text"),
        ("POST", P, {"client_id": "", "text": "x"}, "too_short", "client_id"),
        ("POST", P, {"client_id": "c" * 65, "text": "x"}, "too_long", "client_id"),
        ("POST", P, {"client_id": "c", "text": ""}, "too_short", "text"),
        ("POST", P, {"client_id": "c", "text": "a" * 8193}, "too_long", "text"),
        ("POST", P, {"client_id": "c", "text": "ễ" * 2731}, "too_long", "text"),  # 8193 bytes
        ("POST", P, {"client_id": "c", "text": "x", "reply_to": "1"}, "invalid_type", "reply_to"),
        ("POST", P, {"client_id": "c", "text": "x", "reply_to": 0}, "out_of_range", "reply_to"),
        ("POST", P, {"client_id": "c", "text": "x", "reply_to": 99999999}, "invalid_value",
         "reply_to"),
        ("POST", P, {"client_id": "c", "text": "x", "extra": 1}, "unknown_field", "extra"),
        ("POST", "/v1/conversations/0/messages", {"client_id": "c", "text": "x"},
         "invalid_value", "id"),
        ("POST", "/v1/conversations/abc/messages", {"client_id": "c", "text": "x"},
         "invalid_value", "id"),
        ("GET", P + "?before=garbage", None, "invalid_value", "before"),
        ("GET", P + "?after=AAAAAAAAAAAAAAAAAA", None, "invalid_value", "after"),
        ("GET", P + "?limit=0", None, "out_of_range", "limit"),
        ("GET", P + "?limit=101", None, "out_of_range", "limit"),
        ("GET", P + "?limit=x", None, "invalid_value", "limit"),
        ("GET", "/v1/conversations?after=zzz", None, "invalid_value", "after"),
        ("POST", "/v1/conversations", {}, "missing_field", "type"),
        ("POST", "/v1/conversations", {"type": "triad"}, "invalid_value", "type"),
        ("POST", "/v1/conversations", {"type": "direct"}, "missing_field", "member_id"),
        ("POST", "/v1/conversations", {"type": "direct", "member_id": "7"}, "invalid_type",
         "member_id"),
        ("POST", "/v1/conversations", {"type": "direct", "member_id": b.id, "title": "x"},
         "unknown_field", "title"),
        ("POST", "/v1/conversations", {"type": "group", "member_ids": []}, "missing_field",
         "title"),
        ("POST", "/v1/conversations", {"type": "group", "title": "t"}, "missing_field",
         "member_ids"),
        ("POST", "/v1/conversations", {"type": "group", "title": "t", "member_ids": ["x"]},
         "invalid_type", "member_ids.0"),
        ("POST", "/v1/conversations", {"type": "group", "title": "t", "member_ids": [b.id, -1]},
         "invalid_value", "member_ids.1"),
        ("POST", "/v1/conversations", {"type": "group", "title": "t",
                                       "member_ids": [b.id, 2**64 - 1]},
         "invalid_value", "member_ids.1"),
        ("POST", "/v1/conversations", {"type": "group", "title": "t",
                                       "member_ids": list(range(1, 257))}, "too_long",
         "member_ids"),
        ("POST", "/v1/conversations", {"type": "group", "title": "t" * 201, "member_ids": []},
         "too_long", "title"),
        ("POST", "/v1/conversations", {"type": "group", "title": "t",
                                       "member_ids": [99999999]}, "invalid_value", "member_ids"),
        ("POST", "/v1/conversations/%d/read" % conv, {}, "missing_field", "up_to"),
        ("POST", "/v1/conversations/%d/read" % conv, {"up_to": 99999999}, "invalid_value",
         "up_to"),
        ("PATCH", "/v1/messages/%d" % m["id"], {}, "missing_field", "text"),
        ("PATCH", "/v1/messages/%d" % m["id"], {"text": "a" * 8193}, "too_long", "text"),
        ("PATCH", "/v1/messages/x", {"text": "a"}, "invalid_value", "id"),
        ("POST", "/v1/messages/%d/report" % m["id"], {}, "missing_field", "reason"),
        ("POST", "/v1/messages/%d/report" % m["id"], {"reason": "r" * 1001}, "too_long", "reason"),
    ]
    for method, path, body, code, field in cases:
        r = a.do(method, path, body)
        try:
            expect(r, 400, code, field)
        except AssertionError as e:
            raise AssertionError("%s %s %r: %s" % (method, path, str(body)[:80], e)) from None
    # 8192 bytes exactly is fine
    expect(send(a, conv, "bi1", "ễ" * 2730 + "ab"), 201)
    # invalid UTF-8 in text: fixstr header 0xa2 + bytes c3 28
    raw = b"\x82\xa9client_id\xa3bi2\xa4text\xa2\xc3\x28"
    r = a.do("POST", P, raw=raw)
    expect(r, 400, "invalid_utf8")
    mod = User("moderator")
    expect(mod.do("POST", "/v1/accounts/%d/silence" % a.id, {"minutes": -1, "reason": "x"}),
           400, "out_of_range", "minutes")
    expect(mod.do("POST", "/v1/accounts/%d/silence" % a.id, {"minutes": 1}),
           400, "missing_field", "reason")
    expect(mod.do("GET", "/v1/reports?after=bad"), 400, "invalid_value", "after")


def t_group_events_and_limits():
    o = User()
    others = [User() for _ in range(3)]
    g = group(o, others[:2])
    assert g["owner_id"] == o.id and g["members"] == sorted([o.id] + [u.id for u in others[:2]])
    ev = events(others[0])[-1]
    assert ev["kind"] == "conversation.created" and ev["payload"]["id"] == g["id"]
    assert "unread" not in ev["payload"], ev
    r = expect(o.do("PATCH", "/v1/conversations/%d" % g["id"], {"title": "Đề án 2026"}), 200)
    assert r["title"] == "Đề án 2026"
    ev = events(others[1])[-1]
    assert ev["kind"] == "conversation.updated" and ev["payload"]["change"] == "title", ev
    m = expect(send(others[0], g["id"], "ge1"), 201)
    for u in [o] + others[:2]:  # every member, the sender too
        e = events(u)[-1]
        assert e["kind"] == "message.new" and e["payload"] == m, (u.id, e)
    assert events(others[2]) == []
    expect(o.do("POST", "/v1/conversations/%d/members/%d" % (g["id"], others[2].id)), 200)
    e = events(others[0])[-1]
    assert e["payload"]["change"] == "member_added" and e["payload"]["account_id"] == others[2].id
    # 256 members at most
    psql("INSERT INTO khnet_accounts (email, password_hash) SELECT 'fill' || i || '@x.org', 'x' "
         "FROM generate_series(1, 260) i")
    ids = [int(x) for x in psql("SELECT id FROM khnet_accounts WHERE email LIKE 'fill%%' "
                                "ORDER BY id").split()]
    big = expect(o.do("POST", "/v1/conversations", {"type": "group", "title": "big",
                                                     "member_ids": ids[:255]}), 201)
    assert len(big["members"]) == 256
    expect(o.do("POST", "/v1/conversations/%d/members/%d" % (big["id"], ids[255])),
           409, "conflict")
    # repeated ids and the owner's own are folded (api_id_array without `unique`)
    d = expect(o.do("POST", "/v1/conversations", {
        "type": "group", "title": "dup", "member_ids": [others[0].id, others[0].id, o.id]}), 201)
    assert d["members"] == sorted([o.id, others[0].id]), d


def main():
    global ADDR
    p, ADDR = start_khnetd(FAST, LOG)
    with stop_at_end(T, p, LOG):
        T.run_all(globals())
    T.finish()


if __name__ == "__main__":
    main()
