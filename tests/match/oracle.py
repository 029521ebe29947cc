"""oracle.py — the round optimiser (server/match) against independent solvers.

Random instances of a few hundred mentees are solved by our module (through
tests/match/match_driver.c) and by
  * networkx's network simplex (min_cost_flow) on the same flow network with
    an S->T bypass, so "leave a mentee unmatched" costs nothing, and
  * scipy's linear_sum_assignment on the capacity-expanded matrix: each
    mentor repeated `capacity` times plus one zero-score "unmatched" column
    per mentee, forbidden pairs at -inf.
All three optima must agree, and our assignment must be feasible, keep the
pins and add up to its total.  MATCH_OPT_MAX_PAIRS (flag 1) is checked
against networkx's max_flow_min_cost.  Greedy's total is reported beside
the optimum (the "advantage over greedy" of issue 10).

usage: oracle.py <match_driver>
"""
import random
import subprocess
import sys

import networkx as nx
import numpy as np
from scipy.optimize import linear_sum_assignment

DRIVER = sys.argv[1]
FAILS = []


def check(ok, what):
    if not ok:
        FAILS.append(what)
        print("FAIL:", what)


def instance(rnd, n_mentees, n_mentors, density, pin_rate):
    caps = [rnd.randint(0, 5) for _ in range(n_mentors)]
    edges = []
    pinned_mentees = set()
    pin_left = list(caps)
    for i in range(n_mentees):
        for j in range(n_mentors):
            if rnd.random() >= density:
                continue
            score = rnd.randint(1, 200)
            pin = 0
            if i not in pinned_mentees and pin_left[j] > 0 and rnd.random() < pin_rate:
                pin = 1
                pinned_mentees.add(i)
                pin_left[j] -= 1
            edges.append((i, j, score, pin))
    rnd.shuffle(edges)
    return n_mentees, n_mentors, caps, edges


def run_driver(inst, flags=0, mode=None):
    n, m, caps, edges = inst
    text = "%d %d %d %d\n%s\n%s" % (
        n, m, len(edges), flags, " ".join(map(str, caps)),
        "".join("%d %d %d %d\n" % e for e in edges))
    args = [DRIVER] + ([mode] if mode else [])
    out = subprocess.run(args, input=text, capture_output=True, text=True,
                         check=True).stdout.split("\n")
    rc, total, pairs, secs = out[0].split()
    assign = [int(x) for x in out[1].split()] if n else []
    return int(rc), int(total), int(pairs), float(secs), assign


def reduce_pins(inst):
    """The instance left once pins are taken: (free mentees, capacities
    left, edges among them, the pins' total)."""
    n, m, caps, edges = inst
    left = list(caps)
    pinned = {}
    base = 0
    for i, j, s, p in edges:
        if p:
            pinned[i] = j
            left[j] -= 1
            base += s
    free = [(i, j, s) for i, j, s, p in edges if not p and i not in pinned]
    return pinned, left, free, base


def networkx_optimum(inst, max_pairs=False):
    n, m, caps, edges = inst
    pinned, left, free, base = reduce_pins(inst)
    g = nx.DiGraph()
    mentees = [i for i in range(n) if i not in pinned]
    for i in mentees:
        g.add_edge("s", ("a", i), capacity=1, weight=0)
    for i, j, s in free:
        g.add_edge(("a", i), ("b", j), capacity=1, weight=-s)
    for j in range(m):
        if left[j] > 0:
            g.add_edge(("b", j), "t", capacity=left[j], weight=0)
    g.add_node("s")
    g.add_node("t")
    if max_pairs:
        flow = nx.max_flow_min_cost(g, "s", "t")
        cost = nx.cost_of_flow(g, flow)
        pairs = sum(v for v in flow["s"].values())
        return base - cost, pairs + len(pinned)
    g.add_edge("s", "t", capacity=len(mentees), weight=0)
    g.nodes["s"]["demand"] = -len(mentees)
    g.nodes["t"]["demand"] = len(mentees)
    flow = nx.min_cost_flow(g)
    return base - nx.cost_of_flow(g, flow), None


def scipy_optimum(inst):
    n, m, caps, edges = inst
    pinned, left, free, base = reduce_pins(inst)
    mentees = [i for i in range(n) if i not in pinned]
    if not mentees:
        return base
    row = {i: r for r, i in enumerate(mentees)}
    cols = [j for j in range(m) for _ in range(left[j])]
    width = len(cols) + len(mentees)
    forbidden = -10 ** 9
    matrix = np.full((len(mentees), width), forbidden, dtype=np.int64)
    matrix[:, len(cols):] = 0  # the "unmatched" columns
    first = {}
    for c, j in enumerate(cols):
        first.setdefault(j, []).append(c)
    for i, j, s in free:
        for c in first.get(j, []):
            matrix[row[i], c] = s
    r, c = linear_sum_assignment(matrix, maximize=True)
    return base + int(matrix[r, c].sum())


def check_assignment(inst, assign, total, what):
    n, m, caps, edges = inst
    score = {(i, j): s for i, j, s, p in edges}
    used = [0] * m
    got = 0
    for i, j in enumerate(assign):
        if j < 0:
            continue
        check((i, j) in score, "%s: pair %d-%d not eligible" % (what, i, j))
        used[j] += 1
        got += score.get((i, j), 0)
    check(all(used[j] <= caps[j] for j in range(m)), what + ": a capacity is exceeded")
    for i, j, s, p in edges:
        if p:
            check(assign[i] == j, "%s: pin %d-%d not kept" % (what, i, j))
    check(got == total, "%s: the pairs add to %d, not %d" % (what, got, total))


def main():
    rnd = random.Random(20261204)
    sizes = [(5, 3, 0.5), (40, 10, 0.3), (120, 30, 0.15), (300, 80, 0.08), (400, 120, 0.05)]
    gains = []
    for k in range(25):
        n, m, density = sizes[k % len(sizes)]
        inst = instance(rnd, n, m, density, 0.02 if k % 2 else 0.0)
        what = "instance %d (%d x %d, %d pairs)" % (k, n, m, len(inst[3]))
        rc, total, pairs, secs, assign = run_driver(inst)
        check(rc == 0, what + ": rc %d" % rc)
        check_assignment(inst, assign, total, what)
        nx_total, _ = networkx_optimum(inst)
        sp_total = scipy_optimum(inst)
        check(total == nx_total, "%s: ours %d, networkx %d" % (what, total, nx_total))
        check(total == sp_total, "%s: ours %d, scipy %d" % (what, total, sp_total))
        grc, gtotal, gpairs, _, gassign = run_driver(inst, mode="greedy")
        check(grc == 0 and gtotal <= total, what + ": greedy above the optimum")
        check_assignment(inst, gassign, gtotal, what + " (greedy)")
        gains.append(total / gtotal if gtotal else 1.0)
        # Most pairs first, then score: against max_flow_min_cost.
        rc2, total2, pairs2, _, assign2 = run_driver(inst, flags=1)
        check_assignment(inst, assign2, total2, what + " (max pairs)")
        mp_total, mp_pairs = networkx_optimum(inst, max_pairs=True)
        check((total2, pairs2) == (mp_total, mp_pairs),
              "%s max pairs: ours %d/%d, networkx %d/%d" % (what, total2, pairs2, mp_total,
                                                              mp_pairs))
        check(pairs2 >= pairs, what + ": max-pairs has fewer pairs")
        print("%s: optimum %d (%d pairs, %.4f s), greedy %d (%d pairs), ratio %.4f" % (
            what, total, pairs, secs, gtotal, gpairs, gains[-1]))
    print("optimum / greedy: min %.4f, mean %.4f, max %.4f" % (
        min(gains), sum(gains) / len(gains), max(gains)))
    check(max(gains) > 1.0, "greedy was never beaten: the instances are too easy")
    if FAILS:
        print("%d failures" % len(FAILS))
        sys.exit(1)
    print("ok")


main()
