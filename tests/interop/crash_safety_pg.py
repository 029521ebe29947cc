"""crash_safety_pg.py — no acknowledged write is lost and none is doubled
when PostgreSQL is stopped (pg_ctl -m fast: sessions cut mid-transaction)
and started again under a steady write load through HAProxy and two khnetd
(issue 12, Tests).  The deployment, the load and what "exactly once" means
per kind (messages, profile edits, forum posts): lib/crashlib.py.

Needs KHNET_TEST_PGCTL (an executable taking stop/start for the cluster of
KHNET_TEST_DATABASE_URL; `deploy/dev test` writes one for its throwaway
cluster).  Without it: exit 77, reported skipped, never passed.  RUN_SERIAL
(tests/CMakeLists.txt): no other suite may use the cluster meanwhile.
PostgreSQL stays down 1 s between the two.

Prints the figures as `pg_restart.NAME VALUE UNIT` lines, as
crash_safety.py does (the outage: from pg_ctl stop until pg_ctl start
returned), plus the pg_ctl times.
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from crashlib import Deployment, run_load, setup, verify  # noqa: E402
from rawhttp import Checker, pgctl, pgctl_from_env  # noqa: E402

PGCTL = pgctl_from_env("crash_safety_pg")
T = Checker("crash_safety_pg")


def restart_pg():
    t = time.monotonic()
    stop = pgctl(PGCTL, "stop")
    try:
        time.sleep(1.0)
    finally:
        start = pgctl(PGCTL, "start")
    return t, time.monotonic(), [("pg_ctl_stop", round(stop * 1000), "ms"),
                                 ("pg_ctl_start", round(start * 1000), "ms")]


def main():
    dep = Deployment(T)
    try:
        world = setup(dep.addr)
        run = run_load(dep.addr, world, "pg", restart_pg)
        verify(T, world, run, "pg_restart", "pg")
    finally:
        dep.close()
    T.finish()


if __name__ == "__main__":
    main()
