"""Helpers of the search tools in this folder (identity.py, dbtime.py):
the bench's query sets, khnet_search_experts calls as khnetd sends them
(server/api/search/search.c experts_parse: sort relevance with a
non-blank q, else recent; limit 20), and one psql session driven line by
line (no driver module on a plain Debian: psql is the client)."""
import os, subprocess, sys, unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def bench_sets():
    """QUERIES and NATURAL of tests/bench/search: (name, weight, body) lists,
    read from the bench's Python block, not copied."""
    src = open(os.path.join(ROOT, "tests/bench/search"), encoding="utf-8").read()
    ns = {"unicodedata": unicodedata}
    exec(src[src.index("QUERIES = ["):src.index("def lit(")], ns)
    return ns["QUERIES"], ns["NATURAL"]


def lit(v):
    return "NULL" if v is None else "'" + str(v).replace("'", "''") + "'"


def arr(v):
    return "NULL" if v is None else lit("{" + ",".join(
        '"%s"' % str(x).replace("\\", "\\\\").replace('"', '\\"') for x in v) + "}")


def call(b, what="body::text", viewer=("NULL", "NULL"), after_key=None, after_id=None):
    """The SELECT of khnet_search_experts for request body b (a dict as
    POSTed), giving `what` of its row."""
    q = b.get("q")
    sort = b.get("sort") or ("relevance" if q and q.strip() else "recent")
    mentor = b.get("willing_to_mentor")
    return ("SELECT %s FROM khnet_search_experts(%s::bigint, %s, %s, %s::text[], %s::text[],"
            " %s::text[], %s::text[], %s::boolean, %s::int, NULL::timestamptz, %s, %d, %s,"
            " %s::bigint, %s::text[], %s::text[]);" % (
                what, viewer[0], viewer[1], lit(q), arr(b.get("sectors")), arr(b.get("countries")),
                arr(b.get("degree_levels")), arr(b.get("languages")),
                "NULL" if mentor is None else ("true" if mentor else "false"),
                lit(b.get("min_years")), lit(sort), b.get("limit", 20), lit(after_key),
                "NULL" if after_id is None else after_id, arr(b.get("cities")),
                arr(b.get("affiliations"))))


class Session:
    """One psql session: run(sql) returns the lines it printed (unaligned,
    tuples only); a failing statement ends the program."""

    def __init__(self, url):
        self.proc = subprocess.Popen(["psql", url, "-XAtq", "-v", "ON_ERROR_STOP=1"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     encoding="utf-8", bufsize=1)

    def run(self, sql):
        self.proc.stdin.write(sql + "\n\\echo @@done@@\n")
        self.proc.stdin.flush()
        lines = []
        while True:
            line = self.proc.stdout.readline()
            if not line:
                sys.exit("psql ended (a statement failed?)")
            if line.rstrip("\n") == "@@done@@":
                return lines
            lines.append(line.rstrip("\n"))
