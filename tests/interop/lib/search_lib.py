"""search_lib — shared by the search interop suites: msgpack calls, psql,
the deterministic seed plus a few hand-written profiles for exact cases
(diacritics, NFD, tone-mark placement, visibility)."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rawhttp import api_call, psql  # noqa: E402

DB = os.environ.get("KHNET_DATABASE_URL", "")
PW = "correct horse battery"


def call(method, path, body=None, token=None):
    """api_call on the harness's khnetd, with time for the larger searches."""
    return api_call(method, path, body, token, timeout=30)


def search(body, token=None):
    return call("POST", "/v1/search/experts", body, token)


def seed(n, s):
    subprocess.run([os.environ["KHNETD"], "seed", "--database-url", DB, "--profiles", str(n),
                    "--seed", str(s)], check=True, capture_output=True)


# external_id, full_name, headline, expertise, sector slugs, country, bio, vis_bio
HAND = [
    ("thu", "Nguyễn Thị Minh Thư", "Research Scientist, Aquaculture",
     ["nuôi tôm hùm", "lobster aquaculture"], ["aquaculture"], "AU",
     "Lobster hatcheries in Cam Ranh Bay.", "public"),
    ("thu-decoy", "Nguyễn Thị Minh Thu", "Lecturer, Finance", ["green finance"], ["finance"],
     "VN", "Bond markets.", "public"),
    ("hoa", "Trần Văn Hòa", "Marine spatial planner for Khánh Hòa",
     ["thụy sinh học", "marine spatial planning"], ["marine_economy"], "VN",
     "Coastal zoning.", "public"),
    ("secret", "Lê Quốc Bảo", "Engineer", ["automation"], ["high_tech_industry"], "JP",
     "Inventor of the zebraphyte sensor.", "members"),
    ("wind", "Phạm Đức Đạt", "Offshore wind engineer",
     ["offshore wind", "điện gió ngoài khơi", "wind turbine foundations"],
     ["renewable_energy"], "DK", "Designs offshore wind farms in the North Sea.", "public"),
]


def q(s):
    return "'" + s.replace("'", "''") + "'"


def add_hand_profiles():
    """Inserts HAND (idempotent per external id); returns {external_id: id}."""
    ids = {}
    for ext, name, head, exp, sectors, country, bio, vis in HAND:
        aid = psql("INSERT INTO khnet_accounts (email, password_hash, role) VALUES (%s, 'x', 'member') RETURNING id"
                   % q("hand+%s@example.org" % ext)).split()[0]
        arr = "ARRAY[%s]::text[]" % ",".join(q(e) for e in exp)
        psql("INSERT INTO khnet_profiles (account_id, external_id, full_name, headline, bio, "
             "country, expertise, languages, vis_bio) VALUES (%s, %s, %s, %s, %s, %s, %s, "
             "ARRAY['vi','en'], %s)" % (aid, q(ext), q(name), q(head), q(bio), q(country), arr,
                                         q(vis)))
        psql("INSERT INTO khnet_profile_sectors (profile_id, sector_id) SELECT %s, id FROM "
             "khnet_sectors WHERE slug IN (%s)" % (aid, ",".join(q(s) for s in sectors)))
        ids[ext] = int(aid)
    return ids


def member_token(email, role="member"):
    r = call("POST", "/v1/accounts", {"email": email, "password": PW})
    assert r.status == 201, r.body
    if role != "member":
        psql("UPDATE khnet_accounts SET role = %s WHERE email = %s" % (q(role), q(email)))
    r = call("POST", "/v1/sessions", {"email": email, "password": PW})
    assert r.status == 201, r.body
    return r.json["token"]
