"""invitations.py — invitations for imported people (PROTOCOL.md
"Invitations"), from an independent peer: who may invite and list (each
role), every bad input, the whole flow (invite a list with every skip
reason, the token from the development mailer's log line, claim, log in,
the token spent, re-invites rate limited, `all`), expiry, and export and
erasure covering invitations and mails.  Real SMTP delivery: mail.py."""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import profiles_lib as L  # noqa: E402
from profiles_lib import PW, call, psql  # noqa: E402
from mailed import mail_logs, mailed_token  # noqa: E402
from rawhttp import Checker  # noqa: E402

T = Checker("invitations")
W = {}


def imported(email, has_email=True, password=False):
    """An account as an import makes it (no password), with a profile."""
    aid = int(psql("INSERT INTO khnet_accounts (email, created_by_import%s) VALUES (%s, true%s) "
                   "RETURNING id" % (", password_hash" if password else "",
                                     "'%s'" % email if has_email else "NULL",
                                     ", 'scrypt$x'" if password else "")).split()[0])
    psql("INSERT INTO khnet_profiles (account_id, external_id, full_name, languages) VALUES "
         "(%d, 'ext-%d', 'Người Nhập %d', ARRAY['vi'])" % (aid, aid, aid))
    return aid


def token_for(email):
    """The invitation token mailed to email, by either server's pump."""
    return mailed_token(email, "invitation_token", mail_logs(L.S.log))


def invite(body, token=None):
    return call("POST", "/v1/invitations", body, token=token or W["liaison"])


def claim(tok, pw=PW + " new", terms=True):
    return call("POST", "/v1/invitations/claim",
                {"token": tok, "new_password": pw, "accept_terms": terms})


def setup():
    for role in ["member", "moderator", "liaison", "admin"]:
        W["%s_id" % role], W[role] = L.account("%s@inv.example.org" % role, role)


def t_permissions():
    for role, want in [(None, 401), ("member", 403), ("moderator", 403), ("liaison", 200),
                       ("admin", 200)]:
        tok = W[role] if role else None
        r = call("POST", "/v1/invitations", {"account_ids": [999999999]}, token=tok)
        L.expect(r, want, None if want == 200 else
                 {401: "unauthenticated", 403: "forbidden"}[want])
        r = call("GET", "/v1/invitations", token=tok)
        L.expect(r, want, None if want == 200 else
                 {401: "unauthenticated", 403: "forbidden"}[want])
    # claiming needs no session: the token is the credential
    L.expect(claim("A" * 43), 400, "invalid_value", "token")


def t_bad_inputs():
    for body, code, field in [
            ({}, "invalid_value", "all"),
            ({"all": False}, "invalid_value", "all"),
            ({"all": True, "account_ids": [1]}, "invalid_value", "all"),
            ({"all": "yes"}, "invalid_type", "all"),
            ({"account_ids": []}, "too_short", "account_ids"),
            ({"account_ids": [0]}, "invalid_value", "account_ids.0"),
            ({"account_ids": [5, -1]}, "invalid_value", "account_ids.1"),
            ({"account_ids": ["7"]}, "invalid_type", "account_ids.0"),
            ({"account_ids": [7, 7]}, "invalid_value", "account_ids.1"),
            ({"account_ids": [7, 2**64 - 1]}, "invalid_value", "account_ids.1"),
            ({"account_ids": list(range(1, 502))}, "too_long", "account_ids"),
            ({"account_ids": 7}, "invalid_type", "account_ids"),
            ({"account_ids": [7], "note": "x"}, "unknown_field", "note")]:
        L.expect(invite(body), 400, code, field)
    for q, code in [("limit=0", "out_of_range"), ("limit=101", "out_of_range"),
                    ("limit=x", "invalid_value"), ("cursor=abc", "invalid_value")]:
        L.expect(call("GET", "/v1/invitations?" + q, token=W["liaison"]), 400, code)
    ok = {"token": "A" * 43, "new_password": PW, "accept_terms": True}
    for body, code, field in [
            (dict(ok, accept_terms=False), "invalid_value", "accept_terms"),
            (dict(ok, accept_terms="yes"), "invalid_type", "accept_terms"),
            ({k: v for k, v in ok.items() if k != "accept_terms"}, "missing_field", "accept_terms"),
            ({k: v for k, v in ok.items() if k != "token"}, "missing_field", "token"),
            (dict(ok, new_password="short"), "too_short", "new_password"),
            (dict(ok, token=""), "too_short", "token"),
            (dict(ok, extra=1), "unknown_field", "extra")]:
        L.expect(call("POST", "/v1/invitations/claim", body), 400, code, field)


def t_invite_claim_and_list():
    normal = W["member_id"]
    no_mail = imported(None, has_email=False)
    has_pw = imported("haspw@inv.example.org", password=True)
    t = imported("target@inv.example.org")
    r = invite({"account_ids": [999999999, has_pw, t, no_mail, normal]})
    L.expect(r, 200)
    assert r.json["invited"] == [t], r.json
    assert sorted((s["account_id"], s["reason"]) for s in r.json["skipped"]) == sorted(
        [(999999999, "not_found"), (has_pw, "claimed"), (no_mail, "no_email"),
         (normal, "not_imported")]), r.json
    tok = token_for("target@inv.example.org")
    # only the token's SHA-256 is stored (and the queued mail's copy is wiped once sent)
    assert psql("SELECT count(*) FROM khnet_invitations WHERE account_id = %d AND token_hash = "
                "sha256(convert_to('%s', 'UTF8'))" % (t, tok)) == "1"
    deadline = time.monotonic() + 5
    while psql("SELECT count(*) FROM khnet_mail_queue WHERE token = '%s'" % tok) != "0":
        assert time.monotonic() < deadline, "the sent mail's token is still queued"
        time.sleep(0.05)
    assert psql("SELECT count(*) FROM khnet_audit_log WHERE action = 'invite' AND target_id = %d"
                % t) == "1"
    # re-inviting within 24 hours is refused per person
    r = invite({"account_ids": [t]}, token=W["admin"])
    assert r.json == {"invited": [], "skipped": [{"account_id": t, "reason": "too_soon"}]}, r.json
    L.expect(claim(tok), 204)
    assert L.login("target@inv.example.org", PW + " new")
    L.expect(claim(tok, PW + " other"), 400, "invalid_value", "token")  # spent
    assert psql("SELECT terms_accepted_at IS NOT NULL FROM khnet_accounts WHERE id = %d" % t) == "t"
    r = call("GET", "/v1/invitations?limit=1", token=W["admin"])
    L.expect(r, 200)
    item = r.json["items"][0]
    assert item["account_id"] == t and item["email"] == "target@inv.example.org", item
    assert item["claimed_at"] and item["invited_by"] == W["liaison_id"], item
    assert item["mail"] == "sent" and item["full_name"].startswith("Người Nhập"), item
    r = invite({"account_ids": [t]})
    assert r.json["skipped"] == [{"account_id": t, "reason": "claimed"}], r.json


def t_invite_all_and_paging():
    ids = [imported("all%d@inv.example.org" % i) for i in range(3)]
    imported(None, has_email=False)  # never picked by `all`
    r = invite({"all": True})
    L.expect(r, 200)
    assert set(ids) <= set(r.json["invited"]) and r.json["remaining"] == 0, r.json
    for i in range(3):
        token_for("all%d@inv.example.org" % i)
    r = invite({"all": True})
    assert r.json == {"invited": [], "skipped": [], "remaining": 0}, r.json
    seen, cursor = [], None
    while True:
        r = call("GET", "/v1/invitations?limit=2" + ("&cursor=" + cursor if cursor else ""),
                 token=W["liaison"])
        L.expect(r, 200)
        seen += [i["id"] for i in r.json["items"]]
        cursor = r.json["next"]
        if not cursor:
            break
    want = psql("SELECT string_agg(id::text, ',' ORDER BY id DESC) FROM khnet_invitations")
    assert ",".join(map(str, seen)) == want, (seen, want)


def t_expired_token():
    aid = imported("late@inv.example.org")
    L.expect(invite({"account_ids": [aid]}), 200)
    tok = token_for("late@inv.example.org")
    psql("UPDATE khnet_invitations SET expires_at = now() - interval '1 second' "
         "WHERE account_id = %d" % aid)
    L.expect(claim(tok), 400, "invalid_value", "token")
    assert psql("SELECT password_hash IS NULL FROM khnet_accounts WHERE id = %d" % aid) == "t"


def t_export_and_erasure():
    aid = imported("exported@inv.example.org")
    L.expect(invite({"account_ids": [aid]}), 200)
    L.expect(claim(token_for("exported@inv.example.org")), 204)
    tok = L.login("exported@inv.example.org", PW + " new")
    r = call("GET", "/v1/account/export", token=tok)
    L.expect(r, 200)
    inv, mails = r.json["invitations"], r.json["mails"]
    assert len(inv) == 1 and inv[0]["claimed_at"] and inv[0]["invited_by"] == W["liaison_id"], inv
    assert mails == [dict(mails[0], kind="invitation", state="sent")], mails
    assert r.json["account"]["terms_accepted_at"], r.json["account"]
    assert "token" not in repr(inv) + repr(mails)
    L.expect(call("DELETE", "/v1/account", {"password": PW + " new"}, token=tok), 204)
    for table in ["khnet_invitations", "khnet_mail_queue"]:
        assert psql("SELECT count(*) FROM %s WHERE account_id = %d" % (table, aid)) == "0", table


def main():
    with L.serving(T, "invitations"):
        if T.check("setup", setup):
            T.run_all(globals())
    T.finish()


if __name__ == "__main__":
    main()
