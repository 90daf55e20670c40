#!/usr/bin/env python3
"""Compares where one training step's CPU time goes, op by op, in two libtorch profiler traces.

The traces come from `TrainBenchmark ... trace=DIR` (DJL, libtorch's legacy profiler) and
`train_benchmark_torch.py ... trace=DIR` (PyTorch eager); both are Chrome-trace JSON with one
complete ("X") event per ATen op, nested by time on each thread. Self time = an event's duration
minus the time of the events directly inside it, so every microsecond is counted once.

    python3 training/scripts/op_profile.py DIR/djl-mini.json DIR/torch-mini.json [top=25]
"""
import json
import sys
from collections import defaultdict


def events(path):
    with open(path) as f:
        d = json.load(f)
    ev = d if isinstance(d, list) else d.get("traceEvents", [])
    return [e for e in ev if e.get("ph") == "X" and "dur" in e]


def self_times(path):
    """(op name -> [self µs, calls]) and the total self µs, over every thread of the trace."""
    by_thread = defaultdict(list)
    for e in events(path):
        by_thread[e.get("tid")].append((float(e["ts"]), float(e["dur"]), e["name"]))
    out = defaultdict(lambda: [0.0, 0])

    def close(frame):
        start, end, name, child = frame
        out[name][0] += max(end - start - child, 0.0)
        out[name][1] += 1

    for evs in by_thread.values():
        evs.sort(key=lambda t: (t[0], -t[1]))  # parents first: earlier start, longer duration
        stack = []  # [start, end, name, time of direct children]
        for ts, dur, name in evs:
            while stack and ts >= stack[-1][1]:
                close(stack.pop())
            if stack:
                stack[-1][3] += dur
            stack.append([ts, ts + dur, name, 0.0])
        while stack:
            close(stack.pop())
    return out, sum(v[0] for v in out.values())


def main():
    paths = [a for a in sys.argv[1:] if "=" not in a]
    top = int(dict(a.split("=", 1) for a in sys.argv[1:] if "=" in a).get("top", 25))
    tables = [self_times(p) for p in paths]
    names = set()
    for t, _ in tables:
        names |= set(t)
    rank = sorted(names, key=lambda n: -max(t[n][0] if n in t else 0 for t, _ in tables))
    head = "%-44s" % "op (self ms, calls)" + "".join("%22s" % p.split("/")[-1] for p in paths)
    print(head)
    print("%-44s" % "total" + "".join("%16.1f      " % (tot / 1e3) for _, tot in tables))
    for n in rank[:top]:
        row = "%-44s" % n[:44]
        for t, _ in tables:
            ms, calls = (t[n][0] / 1e3, t[n][1]) if n in t else (0.0, 0)
            row += "%14.1f %7d" % (ms, calls)
        print(row)


if __name__ == "__main__":
    main()
