"""mentoring_lib — what the mentoring*.py suites share: members made
straight in SQL (an imported account and a profile), calls of the mentoring
SQL functions through psql (one (status, field, body) row each), events,
and the round optimiser's driver (tests/match/match_driver.c).

Lives in lib/ so CTest's interop/*.py glob does not run it as a test.
"""

import json
import os
import subprocess

DB = os.environ["KHNET_DATABASE_URL"]


def sql(text):
    """One script through psql; its unaligned output.  A failing statement
    is an AssertionError carrying psql's message (a failed check, not a
    crashed suite)."""
    r = subprocess.run(["psql", DB, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", text],
                       capture_output=True, text=True)
    assert r.returncode == 0, "%s\n%s" % (text[:300], r.stderr.strip())
    return r.stdout.strip()


def lit(v):
    """A SQL literal for v (None, bool, int, str, list of str, dict)."""
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, dict):
        return lit(json.dumps(v)) + "::jsonb"
    if isinstance(v, (list, tuple)):
        return "ARRAY[%s]::text[]" % ",".join(lit(x) for x in v) if v else "'{}'::text[]"
    return "'" + str(v).replace("'", "''") + "'"


def call_sql(fn, *args):
    """SELECT fn(args): (status, field, body)."""
    row = sql("SELECT json_build_array(status, field, body) FROM %s(%s)"
              % (fn, ", ".join(lit(a) for a in args)))
    return tuple(json.loads(row))


def call_sql_async(fn, *args):
    """The same call as a running psql process (for concurrency tests)."""
    text = ("SELECT json_build_array(status, field, body) FROM %s(%s)"
            % (fn, ", ".join(lit(a) for a in args)))
    return subprocess.Popen(["psql", DB, "-XAtq", "-c", text], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def member(name, langs=("vi", "en"), years=None, tz="Asia/Ho_Chi_Minh", expertise=(),
           mentor_capacity=0, topics=(), willing=False, seeking=False, sectors=(),
           country="VN", role="member"):
    """A live account with a profile; its id."""
    aid = int(sql("INSERT INTO khnet_accounts (email, role, created_by_import) VALUES (%s, %s, true)"
                  " RETURNING id" % (lit(name.lower().replace(" ", ".") + "@example.org"),
                                     lit(role))).split("\n")[0])
    sql("INSERT INTO khnet_profiles (account_id, full_name, languages, years_experience, time_zone,"
        " expertise, mentor_capacity, mentor_topics, willing_to_mentor, seeking_mentor, country)"
        " VALUES (%d, %s, %s, %s, %s, %s, %d, %s, %s, %s, %s)"
        % (aid, lit(name), lit(list(langs)), lit(years), lit(tz),
           lit([e.lower() for e in expertise]), mentor_capacity,
           lit([t.lower() for t in topics]), lit(willing), lit(seeking), lit(country)))
    for s in sectors:
        sql("INSERT INTO khnet_profile_sectors SELECT %d, id FROM khnet_sectors WHERE slug = %s"
            % (aid, lit(s)))
    return aid


def events(aid, kind=None):
    """The member's events (kind, payload), oldest first."""
    rows = sql("SELECT json_build_array(kind, payload) FROM khnet_events WHERE account_id = %d"
               " ORDER BY seq" % aid)
    out = [tuple(json.loads(r)) for r in rows.split("\n") if r]
    return [e for e in out if kind is None or e[0] == kind]


def solve(driver, n_mentees, mentors, pairs, mode=None):
    """Runs the optimiser on a round's problem: mentors [(id, capacity)],
    pairs [(mentee_index, mentor_index, score, pinned)].  Returns (total,
    assignment list of mentor indexes or -1)."""
    text = "%d %d %d 0\n%s\n%s" % (n_mentees, len(mentors), len(pairs),
                                   " ".join(str(c) for _, c in mentors),
                                   "".join("%d %d %d %d\n" % p for p in pairs))
    out = subprocess.run([driver] + ([mode] if mode else []), input=text, capture_output=True,
                         text=True, check=True).stdout.split("\n")
    rc, total = out[0].split()[:2]
    assert rc == "0", out
    return int(total), [int(x) for x in out[1].split()] if n_mentees else []
