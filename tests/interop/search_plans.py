"""search_plans.py — the search's ranking statement prepared once per shape
and database session (migrations/repeatable/42_search_plans.sql, issue 11
search speed), seen from psql sessions calling khnet_search_experts as
khnetd does (tests/search/sqlcalls.py): the answer of a search is the same
the first time a session runs its shape, when it runs it again, after
DEALLOCATE ALL or DISCARD ALL dropped it, after a rolled-back transaction
prepared it, and when the session already holds the bound of statements;
the statement's text holds no value of the query (two page sizes share
one statement, no word's pair keys in it); a session never holds more
than khnet_search_plans_max() of them; filtered and non-relevance searches
are planned for their values (no statement kept).  That the answers are
the right ones is the other search suites' (all run through this path);
tests/search/identity.py compares every answer byte for byte against an
earlier version on a large directory."""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "search"))
from rawhttp import Checker  # noqa: E402
from search_lib import DB, seed  # noqa: E402
from sqlcalls import Session, call  # noqa: E402

T = Checker("search_plans")
seed(800, 11)

ANON = ("NULL", "NULL")
LIAISON = ("1", "'liaison'")
# one concept with narrower ones, three concepts, six, a Vietnamese one, a
# prefix still typed, a quoted phrase, a name, the mentoring filters (a
# generic plan too), nothing found (the close-name pass)
PLANNED = [{"q": "aquaculture"}, {"q": "machine learning for shrimp farming"},
           {"q": "marine biology coral reef ecology remote sensing oceanography"},
           {"q": "nuôi tôm"}, {"q": "port logis"}, {"q": "\"offshore wind\""},
           {"q": "Nguyen Thi"}, {"q": "machine learning", "willing_to_mentor": True, "min_years": 5},
           {"q": "zzqx nonsense"}]
# planned for their values: a filter on a list, another sort, no text
UNPLANNED = [{"q": "aquaculture", "countries": ["VN", "AU"]}, {"q": "aquaculture", "sort": "recent"},
             {"q": "offshore wind", "cities": ["Nha Trang"]}, {"sectors": ["aquaculture"]}]


def answer(db, body, viewer=ANON, after=None):
    """The body of khnet_search_experts's row; `after` a next_key."""
    ak, aid = (after.rsplit("|", 1)[0], after.rsplit("|", 1)[1]) if after else (None, None)
    row = db.run(call(body, "status || ' ' || body::text", viewer, ak, aid))
    assert len(row) == 1 and row[0].startswith("ok "), row
    return row[0][3:]


def pages(db, body, viewer=ANON):
    """The first page and the one after it (by next_key), as text."""
    first = answer(db, body, viewer)
    key = json.loads(first).get("next_key")
    return first, answer(db, body, viewer, key) if key else None


def kept(db):
    """The session's search statements: (count, any with a literal array)."""
    row = db.run("SELECT count(*) || ' ' || coalesce(bool_or(statement ~ '''\\{'), false) "
                 "FROM pg_prepared_statements WHERE name LIKE 'khnet\\_search\\_%';")
    n, lit = row[0].split()
    return int(n), lit == "t"


def fresh():
    return Session(DB)


def close(db):
    db.proc.stdin.close()
    db.proc.wait()


def once(body, viewer=ANON):
    """pages() in a session of its own: the statement's first use."""
    db = fresh()
    try:
        return pages(db, body, viewer)
    finally:
        close(db)


def t_same_answers_first_and_again():
    db = fresh()
    for body in PLANNED + UNPLANNED:
        for viewer in (ANON, LIAISON):
            first = once(body, viewer)
            assert pages(db, body, viewer) == first, (body, viewer, "first use in a session")
            assert pages(db, body, viewer) == first, (body, viewer, "run again")


def t_statements_per_shape_only():
    db = fresh()
    answer(db, {"q": "aquaculture"})
    answer(db, {"q": "aquaculture"})
    assert kept(db) == (1, False), kept(db)
    # the page size is a value: the same statement
    answer(db, {"q": "aquaculture", "limit": 5})
    assert kept(db) == (1, False), kept(db)
    # another viewer level reads another document column: another shape
    answer(db, {"q": "aquaculture"}, LIAISON)
    assert kept(db) == (2, False), kept(db)
    for body in UNPLANNED:
        answer(db, body)
    assert kept(db) == (2, False), ("planned for their values, not kept", kept(db))


def t_dropped_statements_prepared_again():
    db = fresh()
    body = {"q": "machine learning for shrimp farming"}
    first = pages(db, body)
    n = kept(db)[0]   # the first page's and the next page's (keyset) shapes
    assert n == 2, kept(db)
    db.run("DEALLOCATE ALL;")
    assert kept(db) == (0, False)
    assert pages(db, body) == first, "after DEALLOCATE ALL"
    db.run("DISCARD ALL;")
    assert pages(db, body) == first, "after DISCARD ALL"
    assert kept(db)[0] == n, kept(db)


def t_rolled_back_transaction():
    db = fresh()
    body = {"q": "nuôi tôm"}
    want = once(body)
    db.run("BEGIN;")
    assert pages(db, body) == want
    db.run("ROLLBACK;")
    # PREPARE is not undone by the rollback: the statements serve on
    assert kept(db)[0] == 2, kept(db)
    assert pages(db, body) == want, "after the rollback"
    db.run("BEGIN;")
    assert pages(db, body) == want, "in another transaction"
    db.run("COMMIT;")


def t_bounded_per_session():
    db = fresh()
    most = int(db.run("SELECT khnet_search_plans_max();")[0])
    seen = {}
    bodies = [dict(b) for b in PLANNED]
    # more shapes than the bound: each at three viewer levels, two pages
    for body in bodies:
        for viewer in (ANON, ("2", "'member'"), LIAISON):
            seen[(str(body), viewer)] = pages(db, body, viewer)
            assert kept(db)[0] <= most, (kept(db), most)
    assert len(seen) * 2 > most, "the walk must reach the bound"
    assert kept(db)[0] == most, (kept(db), most)
    # answers of dropped and of kept shapes stay the same
    for body in bodies:
        for viewer in (ANON, ("2", "'member'"), LIAISON):
            assert pages(db, body, viewer) == seen[(str(body), viewer)], (body, viewer)
            assert once(body, viewer) == seen[(str(body), viewer)], (body, viewer)
    assert kept(db)[0] == most, (kept(db), most)


T.run_all(globals())
T.finish()
