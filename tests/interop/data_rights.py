"""data_rights.py — a member's data rights (PROTOCOL.md "GET
/v1/account/export", "DELETE /v1/account"): the export holds my data and
none of another member's, in msgpack and JSON; erasure needs the password,
removes personal data in one go (the search vocabulary included: keywords,
affiliation and name words nobody else has) and leaves messages readable by
the other member, attributed to "former member".
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import profiles_lib as L  # noqa: E402
from profiles_lib import JSON, call, expect, psql  # noqa: E402
from rawhttp import Checker  # noqa: E402

T = Checker("data_rights")
CTX = {}
A_EMAIL, B_EMAIL = "an.le@example.org", "binh.tran@example.org"
A_NAME, B_NAME = "Lê Thị Ân", "Trần Văn Bình"
A_TEXT, B_TEXT = "Chào anh, tôi là Ân", "Bình's private reply 42"


# What A and B bring to the search vocabulary and name words (folded).
A_VOCAB = {("expertise", "zebraphyte xylology"), ("word", "zebraphyte"),
           ("affiliation", "vien zorblax"), ("name", "le"), ("name", "thi"), ("name", "an")}
B_VOCAB = {("expertise", "aquaculture"), ("word", "xylology"), ("word", "aquaculture"),
           ("name", "tran"), ("name", "van"), ("name", "binh")}


def vocab():
    rows = psql("SELECT kind || '|' || term FROM khnet_search_terms UNION ALL "
                "SELECT 'name|' || term FROM khnet_search_name_words").split("\n")
    return {tuple(r.split("|", 1)) for r in rows if r}


def setup():
    CTX["a"] = L.account(A_EMAIL)
    CTX["b"] = L.account(B_EMAIL)
    ta, tb = CTX["a"][1], CTX["b"][1]
    expect(call("POST", "/v1/profiles", {
        "full_name": A_NAME, "display_name": "Ân Lê", "sectors": ["aquaculture", "tourism"],
        "expertise": ["Zebraphyte xylology", "aquaculture"], "affiliation": "Viện Zorblax",
        "degrees": [{"level": "phd", "field": "Hải dương học", "institution": "ĐH Nha Trang",
                     "year": 2012}]}, token=ta), 201)
    expect(call("POST", "/v1/profiles", {"full_name": B_NAME, "display_name": "Bình",
                                         "expertise": ["aquaculture", "xylology of reefs"]},
                token=tb), 201)
    assert vocab() >= A_VOCAB | B_VOCAB, vocab()
    r = call("POST", "/v1/conversations", {"type": "direct", "member_id": CTX["b"][0]}, token=ta)
    expect(r, 201)
    CTX["conv"] = r.json["id"]
    r = call("POST", "/v1/conversations/%d/messages" % CTX["conv"],
             {"client_id": "a-1", "text": A_TEXT}, token=ta)
    expect(r, 201)
    assert r.json["sender_name"] == "Ân Lê", r.json
    CTX["a_msg"] = r.json["id"]
    r = call("POST", "/v1/conversations/%d/messages" % CTX["conv"],
             {"client_id": "b-1", "text": B_TEXT}, token=tb)
    expect(r, 201)
    assert r.json["sender_name"] == "Bình", r.json
    CTX["b_msg"] = r.json["id"]
    expect(call("POST", "/v1/messages/%d/report" % CTX["b_msg"], {"reason": "spam test"},
                token=ta), 201)
    _, tc = L.account("cuong@example.org")
    CTX["c"] = int(psql("SELECT id FROM khnet_accounts WHERE email = 'cuong@example.org'"))
    expect(call("POST", "/v1/blocks/%d" % CTX["c"], token=ta), 204)
    # an audit row with A as target
    admin = L.admin_token()
    expect(call("PUT", "/v1/accounts/%d/role" % CTX["a"][0], {"role": "moderator"}, token=admin),
           200)
    expect(call("PUT", "/v1/accounts/%d/role" % CTX["a"][0], {"role": "member"}, token=admin),
           200)
    CTX["a"] = (CTX["a"][0], L.login(A_EMAIL))  # a second session


def t_export_contents():
    for accept in (L.MSGPACK, JSON):
        r = call("GET", "/v1/account/export", token=CTX["a"][1], accept=accept)
        expect(r, 200)
        assert r.header("cache-control") == "no-store", r.headers
        d = r.json
        assert d["format"] == "khnet-export/1"
        assert d["account"]["id"] == CTX["a"][0] and d["account"]["email"] == A_EMAIL, d["account"]
        assert "password_hash" not in d["account"]
        assert len(d["sessions"]) == 2 and all("token_hash" not in s for s in d["sessions"])
        p = d["profile"]
        assert p["full_name"] == A_NAME and p["sectors"] == ["aquaculture", "tourism"], p
        assert p["degrees"][0]["institution"] == "ĐH Nha Trang" and "visibility" in p, p
        acts = [x["action"] for x in d["audit"]]
        assert acts.count("role_change") == 2, acts
        assert [m["text"] for m in d["messages"]] == [A_TEXT], d["messages"]
        assert [c["id"] for c in d["conversations"]] == [CTX["conv"]]
        assert d["reports"][0]["target_id"] == CTX["b_msg"] and d["reports"][0]["reason"] == "spam test"
        assert d["blocks"] == [{"account_id": CTX["c"], "created_at": d["blocks"][0]["created_at"]}]
        assert d["events"] and all(set(e) == {"seq", "kind", "created_at"} for e in d["events"])
        text = json.dumps(d, ensure_ascii=False)
        for other in (B_EMAIL, B_NAME, B_TEXT, "Bình", CTX["a"][1], "scrypt$"):
            assert other not in text, "export leaks %r" % other


def t_export_needs_token():
    expect(call("GET", "/v1/account/export"), 401, "unauthenticated")
    expect(call("GET", "/v1/account/export", token="x" * 43), 401, "unauthenticated")


def t_erase_refusals():
    ta = CTX["a"][1]
    expect(call("DELETE", "/v1/account", {"password": L.PW}), 401, "unauthenticated")
    expect(call("DELETE", "/v1/account", {"password": "wrong password!"}, token=ta), 403,
           "forbidden", "password")
    expect(call("DELETE", "/v1/account", token=ta), 400, "missing_field", "password")
    expect(call("DELETE", "/v1/account", {}, token=ta), 400, "missing_field", "password")
    expect(call("DELETE", "/v1/account", {"password": 7}, token=ta), 400, "invalid_type",
           "password")
    expect(call("DELETE", "/v1/account", {"password": L.PW, "x": 1}, token=ta), 400,
           "unknown_field", "x")
    expect(call("GET", "/v1/account", token=ta), 200)  # nothing happened


def t_erase():
    aid, ta = CTX["a"]
    expect(call("DELETE", "/v1/account", {"password": L.PW}, token=ta, json_body=True), 204)
    r = call("POST", "/v1/sessions", {"email": A_EMAIL, "password": L.PW})
    expect(r, 401, "unauthenticated")
    expect(call("GET", "/v1/account", token=ta), 401, "unauthenticated")
    expect(call("GET", "/v1/account/export", token=ta), 401, "unauthenticated")
    expect(call("GET", "/v1/profiles/%d" % aid), 404, "not_found")
    expect(call("GET", "/v1/profiles/%d" % aid, token=CTX["b"][1]), 404, "not_found")
    row = psql("SELECT coalesce(email, '-'), coalesce(password_hash, '-'), erased_at IS NOT NULL "
               "FROM khnet_accounts WHERE id = %d" % aid)
    assert row == "-|-|t", row
    for table, col in (("khnet_profiles", "account_id"), ("khnet_degrees", "profile_id"),
                       ("khnet_profile_sectors", "profile_id"), ("khnet_search_docs", "profile_id"),
                       ("khnet_sessions", "account_id"), ("khnet_password_resets", "account_id"),
                       ("khnet_blocks", "blocker_id"), ("khnet_events", "account_id")):
        n = psql("SELECT count(*) FROM %s WHERE %s = %d" % (table, col, aid))
        assert n == "0", "%s still has %s rows" % (table, n)
    assert psql("SELECT count(*) FROM khnet_audit_log WHERE action = 'account_erase' "
                "AND actor_id = %d AND target_id = %d" % (aid, aid)) == "1"
    # what only A brought to the vocabulary is gone; what B shares stays
    v = vocab()
    assert not v & A_VOCAB, v & A_VOCAB
    assert v >= B_VOCAB, B_VOCAB - v


def t_messages_stay():
    tb = CTX["b"][1]
    r = call("GET", "/v1/conversations/%d/messages" % CTX["conv"], token=tb)
    expect(r, 200)
    items = {m["id"]: m for m in r.json["items"]}
    a = items[CTX["a_msg"]]
    assert a["text"] == A_TEXT and a["sender_id"] == CTX["a"][0], a
    assert a["sender_name"] == "former member", a
    assert items[CTX["b_msg"]]["sender_name"] == "Bình"
    r = call("GET", "/v1/conversations/%d" % CTX["conv"], token=tb, accept=JSON)
    expect(r, 200)
    assert r.json["last_message"]["sender_name"] == "Bình", r.json
    # the reports B could be the target of stay for moderators
    assert psql("SELECT count(*) FROM khnet_reports WHERE reporter_id = %d" % CTX["a"][0]) == "1"


def t_email_free_again():
    aid = L.register(A_EMAIL)
    assert aid != CTX["a"][0]


def t_erase_forgets_signup_reply():
    # a sign-up with an Idempotency-Key stores its answer, e-mail included
    email = "dung@example.org"
    r = call("POST", "/v1/accounts", {"email": email, "password": L.PW},
             headers=[("Idempotency-Key", "signup-dung-1")])
    aid = expect(r, 201)["id"]
    stored = "SELECT count(*) FROM khnet_idempotency WHERE result::text LIKE '%%%s%%'" % email
    assert psql(stored) == "1", psql(stored)
    tok = L.login(email)
    expect(call("DELETE", "/v1/account", {"password": L.PW}, token=tok), 204)
    assert psql(stored) == "0", "the erased account's e-mail stays in its sign-up reply"
    assert psql("SELECT erased_at IS NOT NULL FROM khnet_accounts WHERE id = %d" % aid) == "t"


def main():
    with L.serving(T, "data_rights"):
        T.check("setup", setup)
        for name in ("export_contents", "export_needs_token", "erase_refusals", "erase",
                     "messages_stay", "email_free_again", "erase_forgets_signup_reply"):
            T.check(name, globals()["t_" + name])
    T.finish()


if __name__ == "__main__":
    main()
