"""forum_cli.py — `khnet forum ...` and `khnet mod ...` (the CLI on
libkhnet's typed forum calls) against the harness's khnetd: categories,
a thread started with tags and a post from stdin, replies, reading, search;
a report resolved through `mod queue` / `assign` / `resolve`, lock, pin,
move, hide, unhide and the log; a whole thread deleted (`forum delete`,
`mod delete`); exit code 1 for the server's refusals and
2 for bad command lines.  Accounts are made over HTTP by hand (rawhttp),
so only the commands under test use libkhnet.
"""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import forum_lib as F  # noqa: E402
from rawhttp import Checker  # noqa: E402

T = Checker("forum_cli")
CLI = os.environ.get("KHNET_CLI")


def khnet(u, *args, stdin=None):
    """(exit code, parsed JSON stdout or None, stderr)."""
    p = subprocess.run([CLI, "--json", "--token", u.token] + list(args), capture_output=True,
                       text=True, timeout=60, input=stdin)
    try:
        out = json.loads(p.stdout) if p.stdout.strip() else None
    except ValueError:
        out = None
    return p.returncode, out, p.stderr


def t_forum_commands():
    u, v = F.User(), F.User()
    rc, cats, err = khnet(u, "forum")  # the default: categories
    assert rc == 0 and {c["slug"] for c in cats["items"]} >= {"general", "sti", "tourism"}, err
    cat = [c["id"] for c in cats["items"] if c["slug"] == "tourism"][0]
    rc, d, err = khnet(u, "forum", "post", str(cat), "Du lịch biển đảo", "-", "Biển", "đảo",
                       stdin="Vịnh **Nha Trang**\n")
    assert rc == 0, (rc, d, err)
    assert d["thread"]["tags"] == ["biển", "đảo"] and "<strong>Nha Trang</strong>" in \
        d["post"]["html"], d
    tid, pid = d["thread"]["id"], d["post"]["id"]
    rc, r, err = khnet(v, "forum", "reply", str(tid), "Đồng ý", str(pid))
    assert rc == 0 and r["reply_to"] == pid and r["seq"] == 2, (r, err)
    rc, page, _ = khnet(v, "forum", "read", str(tid))
    assert rc == 0 and [p["seq"] for p in page["items"]] == [1, 2], page
    rc, th, _ = khnet(v, "forum", "thread", str(tid))
    assert rc == 0 and th["posts"] == 2
    rc, ts, _ = khnet(v, "forum", "threads", str(cat))
    assert rc == 0 and tid in [t["id"] for t in ts["items"]]
    rc, s, _ = khnet(v, "forum", "search", "vinh nha trang", str(cat))
    assert rc == 0 and [x["post"]["id"] for x in s["items"]] == [pid], s
    # refusals: the server's are 1, the command line's 2
    rc, e, _ = khnet(v, "forum", "reply", "999999999", "x")
    assert rc == 1 and e["error"]["code"] == "not_found", e
    assert khnet(v, "forum", "reply", "abc", "x")[0] == 2
    assert khnet(v, "forum", "threads")[0] == 2
    assert khnet(v, "forum", "nonsense")[0] == 2


def t_mod_commands():
    cm = F.User(mod_of=(F.cat_id("finance"),))
    gm, a, r = F.User("moderator"), F.User(), F.User()
    t, p = F.start(a, F.cat_id("finance"))
    bad = F.reply(a, t["id"], "quảng cáo")
    item = F.expect(r.do("POST", "/v1/forum/posts/%d/report" % bad["id"], {"reason": "spam"}),
                    201)["item_id"]
    rc, q, err = khnet(cm, "mod")  # the default: queue
    assert rc == 0 and item in [x["id"] for x in q["items"]], (q, err)
    rc, x, _ = khnet(cm, "mod", "assign", str(item))
    assert rc == 0 and x["assignee_id"] == cm.id
    rc, x, _ = khnet(cm, "mod", "assign", str(item), "none")
    assert rc == 0 and x["assignee_id"] is None
    rc, x, err = khnet(cm, "mod", "resolve", "hide", "quảng cáo", str(item))
    assert rc == 0 and x["items"][0]["resolution"] == "hide", (x, err)
    rc, x, _ = khnet(cm, "mod", "unhide", str(bad["id"]))
    assert rc == 0 and x["hidden"] is None
    rc, x, _ = khnet(cm, "mod", "hide", str(bad["id"]), "lạc đề")
    assert rc == 0 and x["hidden"]["reason"] == "lạc đề"
    rc, x, _ = khnet(cm, "mod", "lock", str(t["id"]))
    assert rc == 0 and x["locked"] is True
    rc, x, _ = khnet(cm, "mod", "pin", str(t["id"]))
    assert rc == 0 and x["pinned"] is True
    rc, x, _ = khnet(cm, "mod", "lock", str(t["id"]), "off")
    assert rc == 0 and x["locked"] is False
    rc, e, _ = khnet(cm, "mod", "move", str(t["id"]), str(F.cat_id("tourism")))
    assert rc == 1 and e["error"]["code"] == "forbidden", e
    rc, x, _ = khnet(gm, "mod", "move", str(t["id"]), str(F.cat_id("tourism")))
    assert rc == 0 and x["category_id"] == F.cat_id("tourism")
    rc, log, _ = khnet(gm, "mod", "log", "thread.move")
    assert rc == 0 and log["items"][0]["target_id"] == t["id"], log
    rc, log, _ = khnet(cm, "mod", "log")
    acts = [e["action"] for e in log["items"] if e["target_id"] in (t["id"], bad["id"], item)]
    assert acts == ["thread.unlock", "thread.pin", "thread.lock", "post.hide", "post.unhide",
                    "queue.resolve", "post.hide", "queue.assign", "queue.assign"], acts
    rc, e, _ = khnet(a, "mod", "queue")
    assert rc == 1 and e["error"]["code"] == "forbidden", e
    assert khnet(cm, "mod", "resolve", "silence:x", "r", "1")[0] == 2
    assert khnet(cm, "mod", "lock", str(t["id"]), "maybe")[0] == 2


def t_thread_delete_commands():
    """`forum delete` / `mod delete` (khnet_forum_thread_delete): the author's
    own thread; a moderator's with a reason (logged); 404, 409, 403 and
    the command line's refusals."""
    cat = F.cat_id("education")
    cm, a, o = F.User(mod_of=(cat,)), F.User(), F.User()
    own, _ = F.start(a, cat)
    rc, d, err = khnet(a, "forum", "delete", str(own["id"]))
    assert rc == 0 and d["id"] == own["id"] and d["deleted_at"] and d["posts"] == 0, (d, err)
    rc, e, _ = khnet(a, "forum", "thread", str(own["id"]))
    assert rc == 1 and e["error"]["code"] == "not_found", e
    rc, e, _ = khnet(a, "forum", "delete", str(own["id"]))  # gone for its author
    assert rc == 1 and e["error"]["code"] == "not_found", e
    rc, e, _ = khnet(a, "forum", "delete", "999999999")
    assert rc == 1 and e["error"]["code"] == "not_found", e
    t, _ = F.start(a, cat)
    F.reply(o, t["id"], "Ý kiến khác")
    rc, e, _ = khnet(a, "forum", "delete", str(t["id"]))  # someone else's post stands
    assert rc == 1 and e["error"]["code"] == "conflict", e
    rc, e, _ = khnet(o, "forum", "delete", str(t["id"]), "không thích")
    assert rc == 1 and e["error"]["code"] == "forbidden", e
    rc, e, _ = khnet(cm, "mod", "delete", str(t["id"]), "")
    assert rc == 1 and e["error"]["code"] == "invalid_value" and e["error"]["field"] == \
        "reason", e
    rc, d, err = khnet(cm, "mod", "delete", str(t["id"]), "lạc đề & trùng lặp")
    assert rc == 0 and d["id"] == t["id"] and d["deleted_at"] and d["posts"] == 0, (d, err)
    rc, x, _ = khnet(cm, "forum", "thread", str(t["id"]))  # still there for its moderators
    assert rc == 0 and x["deleted_at"] == d["deleted_at"], x
    rc, log, _ = khnet(cm, "mod", "log", "thread.delete")
    mine = [e for e in log["items"] if e["target_id"] == t["id"]]
    assert len(mine) == 1 and mine[0]["reason"] == "lạc đề & trùng lặp", log
    assert khnet(cm, "mod", "delete", "abc")[0] == 2
    assert khnet(cm, "mod", "delete")[0] == 2
    assert khnet(cm, "forum", "delete", str(t["id"]), "a", "b")[0] == 2


def main():
    if not CLI:
        print("KHNET_CLI is not set: skipped")
        sys.exit(77)
    T.run_all(globals())
    T.finish()


if __name__ == "__main__":
    main()
