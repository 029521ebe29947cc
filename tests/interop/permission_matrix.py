"""permission_matrix.py — who may call what (issue 3): every accounts,
sessions, roles, partners, password-reset, data-rights (export, erase),
profile and import endpoint, called by
each role (anonymous, member, moderator, liaison, admin) on its own and on
someone else's data, against PROTOCOL.md's answer: allowed (2xx) or exactly
the documented 4xx status and error code.

The expectations are the MATRIX table below, one row per (endpoint, case)
and one column per role; the code only builds a fresh world for each cell
(an actor of that role and another account, each with a profile), sends
the request and compares.  One line per cell is printed; any differing
cell fails the suite.

Cells are independent: every one gets new accounts and new tokens, so a
destructive cell (log out everywhere, password change, reset confirm)
cannot change another's outcome, and the order of rows does not matter.
Anonymous cells still get an actor account (its e-mail and password are
what an anonymous caller may know) but send no token.
"""

import itertools
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import profiles_lib as L  # noqa: E402
from profiles_lib import PW, call, psql  # noqa: E402
from mailed import log_marks, mail_logs, mailed_token  # noqa: E402
from rawhttp import Checker  # noqa: E402

ROLES = ("anonymous", "member", "moderator", "liaison", "admin")
MISSING = "999999999"  # an id no account, session or partner has

# Request bodies by name; "{...}" in any string is a placeholder (see
# World.fill).  {n} is unique per cell, for values that must be unique.
BODIES = {
    "new_account": {"email": "new{n}@example.org", "password": PW},
    "other_email": {"email": "{other_email}", "password": PW},
    "login_me": {"email": "{my_email}", "password": PW},
    "login_other": {"email": "{other_email}", "password": PW + " not"},
    "password": {"current_password": PW, "new_password": PW + " 2"},
    "wrong_password": {"current_password": PW + " wrong", "new_password": PW + " 2"},
    "role_member": {"role": "member"},
    "role_admin": {"role": "admin"},
    "partner": {"name": "Partner {n}", "origins": ["https://p{n}.example.org"]},
    "partner_enable": {"disabled": False},
    "reset_me": {"email": "{my_email}"},
    "reset_other": {"email": "{other_email}"},
    "reset_confirm": {"token": "{my_reset_token}", "new_password": PW + " 3"},
    "reset_spent": {"token": "{spent_reset_token}", "new_password": PW + " 3"},
    "profile": {"full_name": "Lê Thị Hồng Nhung", "country": "VN"},
    "patch": {"version": 1, "city": "Nha Trang"},
    "erase": {"password": PW},
    "erase_wrong": {"password": PW + " wrong"},
    "import": {"format": "jsonl",
               "data": '{"external_id": "matrix-{n}", "full_name": "Phạm Minh Tuấn"}\n'},
}

# Expected answers: "2xx" statuses, or "status code [field]".
U = "401 unauthenticated"
F = "403 forbidden"
NF = "404 not_found"

# (method, path, body, case, flags) → anonymous, member, moderator, liaison, admin.
# Flags: "noprofile" = the actor has no profile yet.
MATRIX = [
    # ---- accounts and sessions (PROTOCOL.md "Accounts and sessions") ----
    ("POST", "/v1/accounts", "new_account", "new e-mail", "", "201", "201", "201", "201", "201"),
    ("POST", "/v1/accounts", "other_email", "other's e-mail", "",
     "409 conflict email", "409 conflict email", "409 conflict email", "409 conflict email",
     "409 conflict email"),
    ("POST", "/v1/sessions", "login_me", "own credentials", "", "201", "201", "201", "201", "201"),
    ("POST", "/v1/sessions", "login_other", "other's e-mail", "", U, U, U, U, U),
    ("GET", "/v1/sessions", None, "own", "", U, "200", "200", "200", "200"),
    ("DELETE", "/v1/sessions/current", None, "own", "", U, "204", "204", "204", "204"),
    ("DELETE", "/v1/sessions", None, "own (everywhere)", "", U, "204", "204", "204", "204"),
    ("DELETE", "/v1/sessions/{my_session}", None, "own", "", U, "204", "204", "204", "204"),
    ("DELETE", "/v1/sessions/{other_session}", None, "other's", "",
     U, "404 not_found id", "404 not_found id", "404 not_found id", "404 not_found id"),
    ("DELETE", "/v1/sessions/" + MISSING, None, "unknown", "",
     U, "404 not_found id", "404 not_found id", "404 not_found id", "404 not_found id"),
    ("GET", "/v1/account", None, "own", "", U, "200", "200", "200", "200"),
    ("POST", "/v1/account/password", "password", "own", "", U, "204", "204", "204", "204"),
    ("POST", "/v1/account/password", "wrong_password", "not own password", "",
     U, "403 forbidden current_password", "403 forbidden current_password",
     "403 forbidden current_password", "403 forbidden current_password"),
    # ---- data rights (PROTOCOL.md "GET /v1/account/export", "DELETE /v1/account") ----
    ("GET", "/v1/account/export", None, "own", "", U, "200", "200", "200", "200"),
    ("DELETE", "/v1/account", "erase", "own", "", U, "204", "204", "204", "204"),
    ("DELETE", "/v1/account", "erase_wrong", "not own password", "",
     U, "403 forbidden password", "403 forbidden password", "403 forbidden password",
     "403 forbidden password"),
    # ---- roles: admins only, audited ----
    ("PUT", "/v1/accounts/{me}/role", "role_admin", "own (promote)", "", U, F, F, F, "200"),
    ("PUT", "/v1/accounts/{other}/role", "role_member", "other's", "", U, F, F, F, "200"),
    ("PUT", "/v1/accounts/" + MISSING + "/role", "role_member", "unknown", "",
     U, F, F, F, "404 not_found id"),
    ("PUT", "/v1/accounts/{erased}/role", "role_member", "erased account", "",
     U, F, F, F, "404 not_found id"),
    # ---- partners (admin) ----
    ("GET", "/v1/partners", None, "all", "", U, F, F, F, "200"),
    ("POST", "/v1/partners", "partner", "new", "", U, F, F, F, "201"),
    ("PATCH", "/v1/partners/{partner}", "partner_enable", "existing", "", U, F, F, F, "200"),
    ("PATCH", "/v1/partners/" + MISSING, "partner_enable", "unknown", "",
     U, F, F, F, "404 not_found id"),
    ("POST", "/v1/partners/{partner}/key", None, "existing", "", U, F, F, F, "200"),
    ("POST", "/v1/partners/" + MISSING + "/key", None, "unknown", "",
     U, F, F, F, "404 not_found id"),
    # ---- password resets: no token needed; never reveal an account ----
    ("POST", "/v1/password-resets", "reset_me", "own e-mail", "",
     "202", "202", "202", "202", "202"),
    ("POST", "/v1/password-resets", "reset_other", "other's e-mail", "",
     "202", "202", "202", "202", "202"),
    ("POST", "/v1/password-resets/confirm", "reset_confirm", "own token", "",
     "204", "204", "204", "204", "204"),
    ("POST", "/v1/password-resets/confirm", "reset_spent", "spent token", "",
     "400 invalid_value token", "400 invalid_value token", "400 invalid_value token",
     "400 invalid_value token", "400 invalid_value token"),
    # ---- profiles (PROTOCOL.md "Profiles", "Writing a profile") ----
    ("GET", "/v1/profiles/{me}", None, "own", "", "200", "200", "200", "200", "200"),
    ("GET", "/v1/profiles/{other}", None, "other's", "", "200", "200", "200", "200", "200"),
    ("GET", "/v1/profiles/" + MISSING, None, "unknown", "", NF, NF, NF, NF, NF),
    ("GET", "/v1/profiles/{erased}", None, "erased account", "", NF, NF, NF, NF, NF),
    ("GET", "/v1/profiles", None, "directory", "", "200", "200", "200", "200", "200"),
    ("GET", "/v1/profiles/me", None, "own", "", U, "200", "200", "200", "200"),
    ("GET", "/v1/profiles/me", None, "own (none yet)", "noprofile", U, NF, NF, NF, NF),
    ("POST", "/v1/profiles", "profile", "own (none yet)", "noprofile",
     U, "201", "201", "201", "201"),
    ("POST", "/v1/profiles", "profile", "own (exists)", "",
     U, "409 conflict", "409 conflict", "409 conflict", "409 conflict"),
    ("PATCH", "/v1/profiles/me", "patch", "own", "", U, "200", "200", "200", "200"),
    ("PATCH", "/v1/profiles/{me}", "patch", "own", "", U, "200", "200", "200", "200"),
    ("PATCH", "/v1/profiles/{other}", "patch", "other's", "", U, F, F, F, "200"),
    ("PATCH", "/v1/profiles/" + MISSING, "patch", "unknown", "", U, F, F, F, NF),
    ("PATCH", "/v1/profiles/{erased}", "patch", "erased account", "", U, F, F, F, NF),
    # ---- bulk import (liaison officers and admins) ----
    ("POST", "/v1/profiles/import", "import", "new rows", "", U, F, F, "200", "200"),
]

# Keys that must be present (+) or absent (-) in a 2xx profile read: only
# the owner and admins see version/visibility (PROTOCOL.md "Profiles").
KEYS = {
    ("GET", "/v1/profiles/{me}"): {r: "+version" for r in ROLES[1:]} | {"anonymous": "-version"},
    ("GET", "/v1/profiles/{other}"): {"anonymous": "-version", "member": "-version",
                                      "moderator": "-version", "liaison": "-version",
                                      "admin": "+version"},
}

T = Checker("permission_matrix")
SEQ = itertools.count(1)
SHARED = {}


class World:
    """The accounts one cell runs against: the actor (in `role`) and another."""

    def __init__(self, role, flags):
        self.n = next(SEQ)
        self.role = role
        self.my_email = "actor%d@example.org" % self.n
        self.other_email = "other%d@example.org" % self.n
        self.me, self.token = L.account(self.my_email, "member" if role == "anonymous" else role)
        self.other, other_token = L.account(self.other_email)
        if "noprofile" not in flags:
            make_profile(self.token)
        make_profile(other_token)
        self.values = {"n": str(self.n), "me": str(self.me), "other": str(self.other),
                       "my_email": self.my_email, "other_email": self.other_email,
                       "partner": SHARED["partner"]}

    def value(self, name):
        if name not in self.values:  # the costlier ones, made only when used
            self.values[name] = LAZY[name](self)
        return self.values[name]

    def fill(self, v):
        if isinstance(v, str):
            return re.sub(r"\{(\w+)\}", lambda m: self.value(m.group(1)), v)
        if isinstance(v, dict):
            return {k: self.fill(x) for k, x in v.items()}
        if isinstance(v, list):
            return [self.fill(x) for x in v]
        return v


def make_profile(token):
    r = call("POST", "/v1/profiles", {"full_name": "Nguyễn Văn Hải"}, token=token)
    L.expect(r, 201)


def session_of(account_id):
    return psql("SELECT max(id) FROM khnet_sessions WHERE account_id = %d" % account_id)


def reset_token(email):
    """Asks a reset for `email` and reads the token the development mailer logged."""
    logs = mail_logs(L.S.log)  # either server's pump may deliver it
    marks = log_marks(logs)
    L.expect(call("POST", "/v1/password-resets", {"email": email}), 202)
    return mailed_token(email, "reset_token", logs, marks)


def erased_account(w):
    """An account with a profile that then erased itself."""
    aid, tok = L.account("erased%d@example.org" % w.n)
    make_profile(tok)
    L.expect(call("DELETE", "/v1/account", {"password": PW}, token=tok), 204)
    return str(aid)


def spent_token(w):
    tok = reset_token(w.my_email)
    L.expect(call("POST", "/v1/password-resets/confirm",
                  {"token": tok, "new_password": PW + " 4"}), 204)
    return tok


LAZY = {
    "my_session": lambda w: session_of(w.me),
    "other_session": lambda w: session_of(w.other),
    "my_reset_token": lambda w: reset_token(w.my_email),
    "spent_reset_token": spent_token,
    "erased": erased_account,
}


def parse_expect(text):
    parts = text.split()
    return int(parts[0]), (parts[1] if len(parts) > 1 else None), \
        (parts[2] if len(parts) > 2 else None)


def run_cell(row, role, want):
    method, path, body, _, flags = row[:5]
    w = World(role, flags)
    r = call(method, w.fill(path), w.fill(BODIES[body]) if body else None,
             token=None if role == "anonymous" else w.token)
    status, code, field = parse_expect(want)
    got = "%d" % r.status
    if r.status >= 400 and isinstance(r.json, dict) and "error" in r.json:
        err = r.json["error"]
        got += " " + err.get("code", "?") + (" " + err["field"] if err.get("field") else "")
    assert r.status == status, "got %s, want %s" % (got, want)
    if status >= 400:
        assert r.json["error"]["code"] == code, "got %s, want %s" % (got, want)
        assert field is None or r.json["error"].get("field") == field, \
            "got %s, want %s" % (got, want)
    if status == 401:  # RFC 9110 11.6.1: every 401 names the scheme
        assert r.header("www-authenticate") == "Bearer", "401 without WWW-Authenticate: Bearer"
    rule = KEYS.get((method, path), {}).get(role)
    if rule:
        present = rule[1:] in r.json
        assert present == (rule[0] == "+"), "key %r %s" % (
            rule[1:], "present, must be absent" if present else "absent, must be present")


def setup():
    r = call("POST", "/v1/partners", {"name": "Matrix partner",
                                      "origins": ["https://matrix.example.org"]},
             token=L.admin_token())
    L.expect(r, 201)
    SHARED["partner"] = str(r.json["id"])


def main():
    with L.serving(T, "permission_matrix"):
        ok = T.check("setup", setup)
        for row in MATRIX if ok else ():
            method, path, _, case, _ = row[:5]
            for role, want in zip(ROLES, row[5:]):
                T.check("%-6s %-36s %-18s %-9s → %s" % (method, path, case, role, want),
                        run_cell, row, role, want)
    T.finish()


if __name__ == "__main__":
    main()
