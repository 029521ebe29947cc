"""crash_safety.py — no acknowledged write is lost and none is doubled when
a khnetd of two behind HAProxy is killed with SIGKILL under a steady write
load (issue 12, Tests).  The deployment, the load and what "exactly once"
means per kind (messages, profile edits, forum posts): lib/crashlib.py.

The kill is made to hit writes in flight, deterministically: a psql session
holds the row locks every write of the load needs (crashlib.Gate), so both
drivers' writes wait inside PostgreSQL; the khnetd killed is the one whose
PostgreSQL sessions are waiting (pg_stat_activity's client ports, matched
to the khnetd owning the socket) — with `balance leastconn` the load may
sit on one instance, and killing the idle one would test nothing.  The
locks are released 0.2 s after the kill: the dead khnetd's writes commit
with nobody to answer them, and their retries must find them done, not
write them again (checked: at least one did).  Before the kill the gate
also queues a table lock behind the waiting writes (Gate.hold_back), so
no retry can reach a row before the dead session's write on it has
committed: a retry arriving just after the release would otherwise take
the row first on a busy machine, write itself and leave nothing to be
found done.  khnetd stays down 3.5 s —
longer than HAProxy's three connection retries a second apart, which would
otherwise hold the requests sent to it until it is back — and is started
again on its port.

Prints the figures as `kill_9.NAME VALUE UNIT` lines: requests during the
outage (attempts in flight between the kill and the end of the last failed
attempt), failed attempts (each retried), retries that found their write
done, recovery time, the outage, acknowledged writes, acknowledged writes
lost (must be 0) and duplicates (must be 0).  PostgreSQL stopped and
started under the same load: crash_safety_pg.py.
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from crashlib import Deployment, Gate, run_load, setup, verify  # noqa: E402
from rawhttp import Checker  # noqa: E402

T = Checker("crash_safety")
DOWN = 3.5


def waiting_per_khnetd(dep, gate):
    """[sessions of khnetd1, of khnetd2] waiting on the gate's locks, once
    both drivers wait (or 3 s passed)."""
    deadline = time.monotonic() + 3.0
    while True:
        owners = [dep.khnetd_of_port(p) for p in gate.waiting()]
        counts = [owners.count(0), owners.count(1)]
        if sum(counts) >= 2 or time.monotonic() > deadline:
            return counts
        time.sleep(0.05)


def kill_in_flight(dep, world):
    def fault():
        gate = Gate(world)
        try:
            waiting = waiting_per_khnetd(dep, gate)
            gate.hold_back()
            i = 0 if waiting[0] >= waiting[1] else 1
            t = time.monotonic()
            dep.procs[i].kill()
            dep.procs[i].wait()
            time.sleep(0.2)
        finally:
            gate.release()
        time.sleep(max(0.0, DOWN - (time.monotonic() - t)))
        dep.procs[i] = dep.start_backend(dep.ports[i])
        back = time.monotonic()
        print("killed khnetd%d with writes waiting in PostgreSQL %r; down %.0f ms"
              % (i + 1, waiting, (back - t) * 1000), flush=True)
        return t, back, [("writes_in_flight_at_the_kill", waiting[i], "writes")]
    return fault


def main():
    dep = Deployment(T)
    try:
        world = setup(dep.addr)
        run = run_load(dep.addr, world, "kill", kill_in_flight(dep, world))
        verify(T, world, run, "kill_9", "kill", want_found=True)
    finally:
        dep.close()
    T.finish()


if __name__ == "__main__":
    main()
