#!/usr/bin/env python3
"""DJL trainer vs PyTorch eager, alternating runs (docs/benchmarks.md).

For each thread count, runs TrainBenchmark (JVM) and train_benchmark_torch.py one after the other,
`reps` times, so both sides see the same machine load; reports per preset the median tokens/s
(wall) and tokens per CPU-second (thread CPU time, steadier on a shared machine), the DJL/PyTorch
ratio of each, MFU, and what each side ran on (engine, BLAS, threads). Writes all raw runs and the
summary as JSON.

  python3 training/scripts/compare_train_benchmark.py [presets=tiny,mini] [threads=1,2] [reps=5]
      [steps=3] [batch=4] [seq=0] [out=bench-out/train-compare.json] [python=/usr/bin/python3]
      [malloc=tuned|default]

malloc=tuned (the default) gives both processes the glibc malloc settings that bin/spark-llm
exports (MALLOC_SETTINGS below): a step's large temporaries then come from the heap instead of a
fresh mmap that page-faults in full every step. Both engines allocate through glibc, both gain,
so the comparison stays fair; malloc=default measures both without them.

Run from the repository root after `bin/spark-llm --version` (which builds jobs/target).
"""
import json
import os
import statistics
import subprocess
import sys
import time

# As bin/spark-llm (keep in step): glibc caps the mmap threshold at 32 MiB on 64-bit.
MALLOC_SETTINGS = {"MALLOC_MMAP_THRESHOLD_": "33554432", "MALLOC_TRIM_THRESHOLD_": "4294967296",
                   "MALLOC_TOP_PAD_": "268435456"}
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(cmd, env=None):
    out = subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out[out.index("{"):])


def main():
    a = dict(arg.split("=", 1) for arg in sys.argv[1:])
    presets = a.get("presets", "tiny,mini")
    reps = int(a.get("reps", 5))
    common = [f"presets={presets}", f"steps={a.get('steps', 3)}", f"batch={a.get('batch', 4)}",
              f"seq={a.get('seq', 0)}"]
    jar = os.path.join(ROOT, "jobs/target/spark-llm-jobs-0.1.0-SNAPSHOT.jar")
    with open(os.path.join(ROOT, "jobs/target/classpath.txt")) as f:
        cp = jar + ":" + f.read().strip()
    py = a.get("python", "/usr/bin/python3")
    runs, summary = [], []
    for threads in a.get("threads", "1,2").split(","):
        # Pin every thread pool of both sides, so neither gets extra cores the other lacks.
        env = dict(os.environ, OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads,
                   OPENBLAS_NUM_THREADS=threads)
        if a.get("malloc", "tuned") == "tuned":
            env.update(MALLOC_SETTINGS)
        args = common + [f"threads={threads}"]
        sides = {
            "djl": ["java", "-Dai.djl.offline=true", "-cp", cp,
                    "dev.sparkllm.jobs.bench.TrainBenchmark"] + args,
            "torch": [py, "training/scripts/train_benchmark_torch.py"] + args,
        }
        for rep in range(reps):
            order = ["djl", "torch"] if rep % 2 == 0 else ["torch", "djl"]
            for side in order:
                start = time.time()
                r = run(sides[side], env)
                r.update(side=side, threads=int(threads), rep=rep, wall_s=time.time() - start)
                runs.append(r)
                print(f"threads={threads} rep={rep} {side}: " + ", ".join(
                    f"{x['preset']} {x['tokens_per_s']:.0f} tok/s" for x in r["results"]),
                    file=sys.stderr, flush=True)
        for preset in presets.split(","):
            row = {"preset": preset, "threads": int(threads)}
            for side in ("djl", "torch"):
                res = [x for r in runs if r["side"] == side and r["threads"] == int(threads)
                       for x in r["results"] if x["preset"] == preset]
                row[side] = {k: statistics.median(x[k] for x in res)
                             for k in ("tokens_per_s", "tokens_per_cpu_s", "mfu")}
            row["ratio_wall"] = row["djl"]["tokens_per_s"] / row["torch"]["tokens_per_s"]
            row["ratio_cpu"] = row["djl"]["tokens_per_cpu_s"] / row["torch"]["tokens_per_cpu_s"]
            summary.append(row)
    first = {side: next(r for r in runs if r["side"] == side) for side in ("djl", "torch")}
    env_info = {
        "djl_engine": first["djl"]["engine"],
        "torch_engine": first["torch"]["engine"],
        "torch_blas_loaded": first["torch"].get("blas_loaded"),
        "torch_blas_build_info": first["torch"].get("blas_build_info"),
        "djl_blas": "MKL, linked into DJL's libtorch_cpu (pytorch-native-cpu)",
        "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                     if l.startswith("model name")), "?"),
        "cores": os.cpu_count(),
        "malloc": a.get("malloc", "tuned"),
        "malloc_settings": MALLOC_SETTINGS if a.get("malloc", "tuned") == "tuned" else None,
        "load_average_at_end": os.getloadavg(),
    }
    print(f"{'preset':8} {'thr':>3} {'DJL tok/s':>10} {'torch tok/s':>11} {'ratio':>6}"
          f" {'DJL tok/cpu-s':>13} {'torch tok/cpu-s':>15} {'ratio':>6} {'DJL MFU':>8}")
    for r in summary:
        print(f"{r['preset']:8} {r['threads']:>3} {r['djl']['tokens_per_s']:>10.0f}"
              f" {r['torch']['tokens_per_s']:>11.0f} {r['ratio_wall']:>6.2f}"
              f" {r['djl']['tokens_per_cpu_s']:>13.0f} {r['torch']['tokens_per_cpu_s']:>15.0f}"
              f" {r['ratio_cpu']:>6.2f} {r['djl']['mfu'] * 100:>7.1f}%")
    print(json.dumps(env_info, indent=2))
    out = a.get("out", "bench-out/train-compare.json")
    os.makedirs(os.path.dirname(os.path.join(ROOT, out)) or ".", exist_ok=True)
    with open(os.path.join(ROOT, out), "w") as f:
        json.dump({"environment": env_info, "summary": summary, "runs": runs}, f, indent=2)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
