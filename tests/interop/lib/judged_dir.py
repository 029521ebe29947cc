"""judged_dir — the generated directory behind the natural judged set
(tests/search/judged.json "natural", issue 11): deterministic profiles
whose expertise is written in one surface form or another of the concepts
they hold, their grades for a query, and the same documents as plain text
for a lexical baseline.  No I/O except `load` (psql)."""

import random
import unicodedata

FAMILY = ["Nguyễn", "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
          "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Trương", "Đinh", "Lâm"]
MIDDLE = ["Văn", "Thị", "Minh", "Hữu", "Thanh", "Ngọc", "Quốc", "Đức", "Thu", "Xuân", "Bảo", "Gia",
          "Hoài", "Kim", "Công", "Anh", "Thế", "Mỹ"]
GIVEN = ["Anh", "Bình", "Châu", "Dũng", "Hà", "Hải", "Hòa", "Hương", "Khánh", "Lan", "Long", "Mai",
         "Nam", "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Thư", "Trang", "Tuấn", "Vy", "Hùng", "Linh",
         "Nhung", "Trí", "Việt", "Yến", "Đạt", "Ngân", "Phúc", "Quyên", "Thủy", "Hạnh", "Tùng", "Khoa"]
POSITIONS = ["Professor", "Associate Professor", "Lecturer", "Research Scientist", "Senior Engineer",
             "Engineer", "Consultant", "Director", "Postdoctoral Researcher", "Physician", "Analyst",
             "Project Manager", "Founder"]
# (country, city, affiliations, weight)
PLACES = [
    ("VN", "Nha Trang", ["Nha Trang University", "Institute of Oceanography, Nha Trang",
                         "Pasteur Institute in Nha Trang", "Khanh Hoa Department of Science and Technology"], 14),
    ("VN", "Cam Ranh", ["Cam Ranh Port Authority", "Khanh Hoa University"], 3),
    ("VN", "Hà Nội", ["Vietnam National University, Hanoi", "Hanoi University of Science and Technology",
                      "Vietnam Academy of Science and Technology"], 10),
    ("VN", "Thành phố Hồ Chí Minh", ["Vietnam National University Ho Chi Minh City",
                                     "Ton Duc Thang University"], 9),
    ("VN", "Đà Nẵng", ["University of Danang"], 4),
    ("US", "San Jose", ["San Jose State University", "Intel"], 4),
    ("US", "Houston", ["University of Houston", "Rice University"], 3),
    ("US", "Boston", ["Massachusetts Institute of Technology", "Woods Hole Oceanographic Institution"], 3),
    ("CA", "Toronto", ["University of Toronto"], 2),
    ("CA", "Vancouver", ["University of British Columbia"], 2),
    ("AU", "Townsville", ["James Cook University", "Australian Institute of Marine Science"], 3),
    ("AU", "Melbourne", ["University of Melbourne", "Monash University"], 3),
    ("JP", "Tokyo", ["University of Tokyo", "Tokyo University of Marine Science and Technology"], 3),
    ("KR", "Busan", ["Pukyong National University"], 2),
    ("FR", "Brest", ["Ifremer", "Université de Bretagne Occidentale"], 2),
    ("DE", "Bremen", ["University of Bremen"], 2),
    ("GB", "Southampton", ["University of Southampton"], 2),
    ("NO", "Trondheim", ["Norwegian University of Science and Technology"], 1),
    ("SG", "Singapore", ["National University of Singapore"], 2),
]


def fold(s):
    """khnet's folding: NFC, lower-case, no diacritics, đ -> d."""
    s = unicodedata.normalize("NFD", unicodedata.normalize("NFC", s).lower().replace("đ", "d"))
    return "".join(ch for ch in s if unicodedata.category(ch) != "Mn")


class Directory:
    def __init__(self, spec):
        self.spec = spec
        self.concepts = spec["concepts"]
        rnd = random.Random(spec["seed"])
        self.people = [self._person(rnd, i) for i in range(spec["profiles"])]

    def _form(self, rnd, cid, vi_share):
        c = self.concepts[cid]
        forms = c["vi"] if rnd.random() < vi_share else c["en"]
        return rnd.choice(forms)

    def _keyword(self, rnd, cid, vi_share):
        return self._form(rnd, cid, vi_share).lower()  # profiles keep keywords lower-case

    def _person(self, rnd, i):
        keys = sorted(self.concepts)
        if rnd.random() < 0.14:
            primary, second = rnd.choice(self.spec["combos"])
            if rnd.random() < 0.5:
                primary, second = second, primary
            secondary = [second]
        else:
            primary = rnd.choice(keys)
            same = [k for k in keys if k != primary
                    and self.concepts[k]["sector"] == self.concepts[primary]["sector"]]
            secondary = []
            for _ in range(rnd.choice([0, 1, 1, 2])):
                pool = same if same and rnd.random() < 0.6 else keys
                k = rnd.choice(pool)
                if k != primary and k not in secondary:
                    secondary.append(k)
        places = [p for p in PLACES for _ in range(p[3])]
        country, city, affs, _w = rnd.choice(places)
        vi_share = 0.55 if country == "VN" else 0.25
        expertise = [self._keyword(rnd, primary, vi_share)]
        if rnd.random() < 0.35:
            other = self._keyword(rnd, primary, 1 - vi_share)
            if other not in expertise:
                expertise.append(other)
        for k in secondary:
            f = self._keyword(rnd, k, vi_share)
            if f not in expertise:
                expertise.append(f)
        sectors = []
        for k in [primary] + secondary:
            s = self.concepts[k]["sector"]
            if s not in sectors:
                sectors.append(s)
        aff = rnd.choice(affs)
        position = rnd.choice(POSITIONS)
        field = rnd.choice(self.spec["fields"][sectors[0]])
        name = "%s %s %s" % (rnd.choice(FAMILY), rnd.choice(MIDDLE), rnd.choice(GIVEN))
        topic = self._form(rnd, primary, vi_share)
        if country == "VN" and rnd.random() < 0.6:
            bio = "Chuyên gia về %s, hiện công tác tại %s (%s)." % (topic, aff, city)
            if secondary:
                bio += " Quan tâm đến %s." % self._form(rnd, secondary[0], 0.8)
        else:
            bio = "Works on %s at %s, %s." % (topic, aff, city)
            if secondary:
                bio += " Also interested in %s." % self._form(rnd, secondary[0], 0.2)
        return {"i": i, "name": name, "headline": "%s, %s" % (position, field), "bio": bio,
                "country": country, "city": city, "affiliation": aff, "position": position,
                "expertise": expertise, "sectors": sectors, "primary": primary,
                "secondary": secondary}

    # ---- grades ---------------------------------------------------------------

    def _under(self, k, cid):
        """k is cid or a narrower concept of it (two levels at most)."""
        for _ in range(3):
            if k == cid:
                return True
            k = self.concepts[k]["parent"]
            if k is None:
                return False
        return False

    def _one(self, p, cid):
        if p["primary"] == cid:
            return 3
        if cid in p["secondary"] or self._under(p["primary"], cid):
            return 2
        if any(self._under(k, cid) for k in p["secondary"]):
            return 1
        return 0

    def _passes(self, p, query):
        if "cities" in query and fold(p["city"]) not in {fold(c) for c in query["cities"]}:
            return False
        if "countries" in query and p["country"] not in query["countries"]:
            return False
        if "affiliations" in query and fold(p["affiliation"]) not in {
                fold(a) for a in query["affiliations"]}:
            return False
        return True

    def name_query(self, query):
        p = self.people[query["target"]]
        fam, _mid, given = p["name"].split(" ")
        return {"full": p["name"], "accentless": fold(p["name"]).title(),
                "given_family": "%s %s" % (given, fam)}[query["form"]]

    def grades(self, query):
        """{profile index: grade > 0}."""
        g = {}
        if query["type"] == "name":
            # a full name: that person, and namesakes written the same (3)
            # or folded alike (2); a given + family name: everyone so named
            target = self.people[query["target"]]
            t = target["name"].split(" ")
            for p in self.people:
                n = p["name"].split(" ")
                if query["form"] == "given_family":
                    if (n[0], n[2]) == (t[0], t[2]):
                        g[p["i"]] = 3
                    elif (fold(n[0]), fold(n[2])) == (fold(t[0]), fold(t[2])):
                        g[p["i"]] = 2
                elif p["name"] == target["name"]:
                    g[p["i"]] = 3
                elif fold(p["name"]) == fold(target["name"]):
                    g[p["i"]] = 2
            g[target["i"]] = 3
            return g
        cs = query["concepts"]
        for p in self.people:
            if not self._passes(p, query):
                continue
            if len(cs) == 1:
                v = self._one(p, cs[0])
            else:
                held = [self._one(p, c) >= 2 or any(self._under(k, c) for k in [p["primary"]] + p["secondary"])
                        for c in cs]
                v = 3 if all(held) else 1 if any(held) else 0
            if v:
                g[p["i"]] = v
        return g


def sql_literal(s):
    return "'" + s.replace("'", "''") + "'"


def load_sql(d):
    """One script inserting every profile (accounts, profiles, sectors: one
    statement each, so the search triggers run once per table)."""
    acc, prof, sec = [], [], []
    for p in d.people:
        email = sql_literal("natural+%d@example.org" % p["i"])
        ext = sql_literal("natural-%d" % p["i"])
        acc.append("(%s, 'x', 'member')" % email)
        prof.append("(%s, %s, %s, %s, %s, %s, %s, %s, %s, ARRAY[%s]::text[])" % (
            email, ext, sql_literal(p["name"]), sql_literal(p["headline"]), sql_literal(p["bio"]),
            sql_literal(p["country"]), sql_literal(p["city"]), sql_literal(p["affiliation"]),
            sql_literal(p["position"]), ",".join(sql_literal(e) for e in p["expertise"])))
        for s in p["sectors"]:
            sec.append("(%s, %s)" % (ext, sql_literal(s)))
    return ("BEGIN;\n"
            "INSERT INTO khnet_accounts (email, password_hash, role) VALUES %s;\n"
            "INSERT INTO khnet_profiles (account_id, external_id, full_name, headline, bio, country, "
            "city, affiliation, position, expertise, languages, vis_bio, vis_contact, vis_affiliation) "
            "SELECT a.id, v.ext, v.n, v.h, v.b, v.c, v.city, v.aff, v.pos, v.e, ARRAY['vi','en'], "
            "'public', 'public', 'public' FROM (VALUES %s) v(email, ext, n, h, b, c, city, aff, pos, e) "
            "JOIN khnet_accounts a ON a.email = v.email;\n"
            "INSERT INTO khnet_profile_sectors (profile_id, sector_id) SELECT p.account_id, s.id "
            "FROM (VALUES %s) v(ext, slug) JOIN khnet_profiles p ON p.external_id = v.ext "
            "JOIN khnet_sectors s ON s.slug = v.slug;\n"
            "COMMIT;\n" % (",\n".join(acc), ",\n".join(prof), ",\n".join(sec)))
