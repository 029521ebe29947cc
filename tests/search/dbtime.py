#!/usr/bin/python3
"""tests/search/dbtime.py DB_URL [RUNS] — the database's CPU time per
search: for each query of the bench's two sets (tests/bench/search:
QUERIES and NATURAL, the statement khnetd sends, anonymous caller), the
call run RUNS times (default 5) after one warm-up in one session, and the
backend's CPU time around each run (/proc/PID/schedstat: nanoseconds on a
CPU, so the figure does not grow with the time spent waiting for a core on
a shared machine; the cluster must run on this host).  Prints each query's
median and the mean of the medians."""
import statistics, sys
from sqlcalls import Session, bench_sets, call

url = sys.argv[1]
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
db = Session(url)
pid = db.run("SELECT pg_backend_pid();")[0].strip()


def cpu_ns():
    with open("/proc/%s/schedstat" % pid) as f:
        return int(f.read().split()[0])


queries, natural = bench_sets()
meds = []
for name, _, b in queries + natural:
    sql = call(b, "count(*)")
    db.run(sql)
    ts = []
    for _ in range(runs):
        t0 = cpu_ns()
        db.run(sql)
        ts.append((cpu_ns() - t0) / 1e6)
    meds.append(statistics.median(ts))
    print("%-16s %8.2f ms" % (name, meds[-1]))
print("db_cpu_ms_mean %.2f over %d queries" % (statistics.mean(meds), len(meds)))
