"""forum_search.py — forum search ranked best first (PROTOCOL.md "POST
/v1/forum/search"): a thread whose title matches ranks above one whose tags
match, which ranks above a short reply that says the word, which ranks
above a long reply that mentions it once; equal ranks go newest post
first; the cursor walks that order exactly, a page at a time, with no hit
twice or lost, also when a post arrives between pages; folding is expert
search's;
hidden and deleted posts never match for those who may not see them, nor
does a cursor bring them back; a cursor that is not this search's is 400.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import forum_lib as F  # noqa: E402
from forum_lib import User, call, reply, start  # noqa: E402
from rawhttp import Checker, expect  # noqa: E402

T = Checker("forum_search")
CAT = {}
# letters only, so one lexeme; each test puts its own first letters before
# it (the last word of a query is a prefix: no test's word may start another's)
WORD = "qzx" + "".join(chr(ord("a") + int(d)) for d in str(os.getpid()))
FILLER = ("Chúng tôi đo oxy hoà tan và độ mặn hai lần mỗi ngày trong suốt một vụ nuôi; "
          "cảm biến trôi sau sáu tuần nên phải hiệu chuẩn lại. ") * 8


def search(body, tok=None):
    return expect(call("POST", "/v1/forum/search", body, tok), 200)


def walk(q, limit, tok=None, **extra):
    """Every hit of q, a page of `limit` at a time, following `next`."""
    got, body = [], dict(q=q, limit=limit, **extra)
    while True:
        r = search(body, tok)
        assert len(r["items"]) <= limit
        got += r["items"]
        if not r["next"]:
            return got
        body = dict(q=q, limit=limit, after=r["next"], **extra)


def t_title_above_tags_above_short_above_long():
    a, b = User(), User()
    cat = CAT["agriculture"]
    w = "rank" + WORD
    long_t, _ = start(a, cat, title="Cảm biến cho ao tôm", md=FILLER)
    long_r = reply(b, long_t["id"], FILLER + " Có ai thử " + w + " chưa? " + FILLER)
    short_t, _ = start(a, cat, title="Hỏi nhanh", md="Chào cả nhà")
    short_r = reply(b, short_t["id"], w + " tốt lắm")
    tag_t, tag_p = start(a, cat, title="Kinh nghiệm nuôi", md="Xem tag", tags=[w])
    title_t, title_p = start(a, cat, title="Dùng " + w + " để đo độ mặn", md="Ai biết không?")
    hits = search({"q": w})["items"]
    order = [x["post"]["id"] for x in hits]
    assert order == [title_p["id"], tag_p["id"], short_r["id"], long_r["id"]], order
    ranks = [x["rank"] for x in hits]
    assert ranks == sorted(ranks, reverse=True) and ranks[0] > ranks[1] > ranks[2] > ranks[3], ranks
    assert hits[0]["thread"]["id"] == title_t["id"] and hits[1]["thread"]["id"] == tag_t["id"]
    # the folding is expert search's: upper case finds the same hits
    assert [x["post"]["id"] for x in search({"q": w.upper()})["items"]] == order
    # a filter keeps the order of what it keeps
    mine = [x["post"]["id"] for x in search({"q": w, "author_id": b.id})["items"]]
    assert mine == [short_r["id"], long_r["id"]], mine


def t_equal_ranks_newest_first_and_cursor_exact():
    a = User()
    w = "tie" + WORD
    t, op = start(a, CAT["tourism"], title="Trang " + w, md="mở đầu")
    same = [reply(a, t["id"], "cùng một câu " + w)["id"] for _ in range(7)]
    once = search({"q": w, "limit": 50})
    order = [x["post"]["id"] for x in once["items"]]
    assert once["next"] is None
    assert order == [op["id"]] + same[::-1], (order, same)
    for limit in (1, 2, 3):
        assert [x["post"]["id"] for x in walk(w, limit)] == order, limit
    # posts written between pages do not shift what the cursor continues:
    # the new post is newer (so before the cursor's place among equals)
    first = search({"q": w, "limit": 3})
    reply(a, t["id"], "cùng một câu " + w)
    r = search({"q": w, "limit": 50, "after": first["next"]})
    assert [x["post"]["id"] for x in r["items"]] == order[3:]


def t_hidden_and_deleted_never_matched():
    a, other = User(), User()
    mod = User("moderator")
    w = "hid" + WORD
    t, _ = start(a, CAT["tourism"], title="Chủ đề " + w, md="mở")
    hid = reply(a, t["id"], w + " ẩn")
    gone = reply(a, t["id"], w + " xoá")
    keep = reply(a, t["id"], w + " giữ lại, dài hơn một chút")
    expect(mod.do("POST", "/v1/mod/posts/%d/hide" % hid["id"], {"reason": "lạc đề"}), 200)
    expect(a.do("DELETE", "/v1/forum/posts/%d" % gone["id"]), 200)
    for tok in (None, other.token):
        ids = [x["post"]["id"] for x in walk(w, 1, tok)]
        assert hid["id"] not in ids and gone["id"] not in ids and keep["id"] in ids, ids
    # the author and the moderator see the hidden one (never the deleted one)
    for u in (a, mod):
        ids = [x["post"]["id"] for x in walk(w, 1, u.token)]
        assert hid["id"] in ids and gone["id"] not in ids, ids


def t_bad_cursor():
    a, w = User(), "cur" + WORD
    t, _ = start(a, CAT["tourism"], title="Con trỏ " + w, md="một")
    for _ in range(2):
        reply(a, t["id"], "hai " + w)
    listing = expect(call("GET", "/v1/forum/threads/%d/posts?limit=1" % t["id"]), 200)["next"]
    good = search({"q": w, "limit": 1})["next"]
    assert good and listing
    tampered = good[:-2] + ("AA" if good[-2:] != "AA" else "BB")
    for after in ("zz", "", 7, "A" * 30, listing, tampered):
        r = call("POST", "/v1/forum/search", {"q": w, "after": after})
        assert r.status == 400, (after, r.status, r.json)
        assert (r.json["error"]["code"], r.json["error"]["field"]) == ("invalid_value", "after"), \
            (after, r.json)


def setup():
    CAT.update({k: v["id"] for k, v in F.categories().items()})


def main():
    setup()
    T.run_all(globals())
    T.finish()


if __name__ == "__main__":
    main()
