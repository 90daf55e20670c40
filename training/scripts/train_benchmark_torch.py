#!/usr/bin/env python3
"""PyTorch eager baseline for dev.sparkllm.jobs.bench.TrainBenchmark (docs/benchmarks.md): the same
GPT-2 model, batch, AdamW step and FLOP count, so tokens/s of the DJL trainer can be compared with
plain PyTorch on the same machine.

  python3 train_benchmark_torch.py [presets=tiny,mini] [steps=5] [batch=8] [threads=0]
                                   [seq=0 (context)] [peak_gflops=auto] [profile=false]
                                   [dropout=preset's] [trace=DIR]
Prints JSON like TrainBenchmark, with the BLAS library the process actually loaded (Debian's torch
reports BLAS_INFO=generic at build time but calls whatever libblas.so.3 the alternatives system
selects, e.g. OpenBLAS once libopenblas0-pthread is installed).
"""
import json
import math
import os
import sys
import time

# threads=N must bind OpenBLAS too, and only the environment does that, before torch loads it:
# torch.set_num_threads does not reach the BLAS of a BLAS_INFO=generic build, so a "1-thread"
# baseline would run its matrix products on every core (and undercount its CPU time).
for _arg in sys.argv[1:]:
    if _arg.startswith("threads=") and int(_arg[8:]) > 0:
        for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(_var, _arg[8:])
        if int(_arg[8:]) > 1:
            # Two thread pools share the cores here (torch's OpenMP for elementwise ops, OpenBLAS's
            # own for GEMMs); OpenMP's threads spin after each parallel region and starve
            # OpenBLAS's. Passive waiting made this baseline 2.5x faster at 2 threads on 2 cores
            # (docs/benchmarks.md); DJL's libtorch runs MKL on its one OpenMP pool.
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

PRESETS = {  # (context, layers, heads, width, dropout), as GptConfig.preset
    "tiny": (128, 2, 2, 64, 0.0),
    "mini": (256, 6, 6, 384, 0.1),
    "gpt2": (1024, 12, 12, 768, 0.0),
}


class Block(nn.Module):
    def __init__(self, c, nh, p):
        super().__init__()
        self.nh, self.p = nh, p
        self.ln_1, self.ln_2 = nn.LayerNorm(c), nn.LayerNorm(c)
        self.c_attn, self.c_proj = nn.Linear(c, 3 * c), nn.Linear(c, c)
        self.c_fc, self.mlp_proj = nn.Linear(c, 4 * c), nn.Linear(4 * c, c)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, self.nh, c // self.nh).transpose(1, 2) for z in (q, k, v))
        # Explicit causal attention, as in the Java model (no fused kernel there either).
        att = (q @ k.transpose(-2, -1)) / math.sqrt(c // self.nh)
        att = att.masked_fill(torch.triu(torch.ones(t, t, dtype=torch.bool), 1), float("-inf"))
        # Dropout where the Java model (and GPT-2) has it: attention probabilities, both residual
        # branches, embeddings; F.dropout is the identity at p = 0.
        att = F.dropout(att.softmax(-1), self.p, self.training)
        y = (att @ v).transpose(1, 2).reshape(b, t, c)
        x = x + F.dropout(self.c_proj(y), self.p, self.training)
        h = self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))
        return x + F.dropout(h, self.p, self.training)


class Gpt(nn.Module):
    def __init__(self, vocab, ctx, nl, nh, c, p):
        super().__init__()
        self.p = p
        self.wte, self.wpe = nn.Embedding(vocab, c), nn.Embedding(ctx, c)
        self.h = nn.ModuleList(Block(c, nh, p) for _ in range(nl))
        self.ln_f = nn.LayerNorm(c)

    def forward(self, ids):
        x = F.dropout(self.wte(ids) + self.wpe(torch.arange(ids.shape[1])), self.p, self.training)
        for b in self.h:
            x = b(x)
        return self.ln_f(x) @ self.wte.weight.T


def loaded_blas():
    """BLAS/LAPACK shared objects mapped into this process (after a matmul has run)."""
    libs = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if any(k in path for k in ("blas", "lapack", "mkl")) and path.startswith("/"):
                libs.add(os.path.realpath(path))
    return sorted(libs)


class Phases:
    """Wall and thread-CPU seconds per phase; CPU ops are synchronous, so clocks bracket them."""

    def __init__(self):
        self.acc = {}
        self.mark()

    def mark(self):
        self.wall, self.cpu = time.perf_counter(), time.thread_time()

    def lap(self, name):
        w, c = time.perf_counter(), time.thread_time()
        a = self.acc.setdefault(name, [0.0, 0.0])
        a[0] += w - self.wall
        a[1] += c - self.cpu
        self.wall, self.cpu = w, c


def main():
    a = dict(arg.split("=", 1) for arg in sys.argv[1:])
    steps, batch = int(a.get("steps", 5)), int(a.get("batch", 8))
    seq_arg = int(a.get("seq", 0))
    profile = a.get("profile", "false") == "true"
    if int(a.get("threads", 0)) > 0:
        torch.set_num_threads(int(a["threads"]))
        torch.set_num_interop_threads(int(a["threads"]))
    cores = os.cpu_count()
    peak = float(a["peak_gflops"]) * 1e9 if "peak_gflops" in a else cores * 2.5e9 * 32
    results = []
    for preset in a.get("presets", "tiny,mini").split(","):
        ctx, nl, nh, c, drop = PRESETS[preset]
        drop = float(a.get("dropout", drop))
        vocab = 50257 if preset == "gpt2" else 8192
        torch.manual_seed(1)
        model = Gpt(vocab, ctx, nl, nh, c, drop)
        for p in model.parameters():  # GPT-2 init, as the Java model
            if p.dim() >= 2:
                nn.init.normal_(p, 0.0, 0.02)
        opt = torch.optim.AdamW(model.parameters(), lr=6e-4, betas=(0.9, 0.95), weight_decay=0.1)
        seq = min(seq_arg, ctx) if seq_arg > 0 else ctx
        rows = torch.randint(0, vocab, (batch, seq + 1))

        def step(ph=None):
            ph = ph or Phases()
            x, y = rows[:, :-1], rows[:, 1:]
            ph.lap("data")
            loss = F.cross_entropy(model(x).reshape(-1, vocab), y.reshape(-1))
            value = loss.item()
            ph.lap("forward_loss")
            loss.backward()
            ph.lap("backward")
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            ph.lap("clip")
            opt.step()
            opt.zero_grad(set_to_none=True)
            ph.lap("optimizer")
            return value

        step()
        start, cpu_start = time.perf_counter(), time.thread_time()
        for _ in range(steps):
            loss = step()
        secs = time.perf_counter() - start
        cpu_secs = time.thread_time() - cpu_start
        n = sum(p.numel() for p in model.parameters()) - ctx * c
        fpt = 6 * n + 12 * nl * c * seq
        tps = steps * batch * seq / secs
        r = {"preset": preset, "parameters": n + ctx * c, "batch": batch, "seq_len": seq, "dropout": drop,
             "seconds_per_step": secs / steps, "tokens_per_s": tps,
             "cpu_seconds_per_step": cpu_secs / steps,
             "tokens_per_cpu_s": steps * batch * seq / cpu_secs,
             "flops_per_token": fpt, "achieved_gflops": tps * fpt / 1e9, "peak_gflops": peak / 1e9,
             "mfu": tps * fpt / peak, "last_loss": loss}
        if profile:
            ph = Phases()
            for _ in range(steps):
                ph.mark()
                step(ph)
            r["profile"] = {k: {"wall_ms": v[0] * 1e3 / steps, "cpu_ms": v[1] * 1e3 / steps}
                            for k, v in ph.acc.items()}
        if "trace" in a:  # one step under torch's profiler, for op_profile.py
            os.makedirs(a["trace"], exist_ok=True)
            r["trace"] = os.path.join(a["trace"], "torch-%s.json" % preset)
            with torch.autograd.profiler.profile(record_shapes=True) as prof:
                step()
            prof.export_chrome_trace(r["trace"])
        results.append(r)
    print(json.dumps({"engine": "PyTorch eager " + torch.__version__, "cores": cores,
                      "torch_threads": torch.get_num_threads(),
                      "torch_interop_threads": torch.get_num_interop_threads(),
                      "blas_loaded": loaded_blas(),
                      "openblas_num_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
                      "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
                      "blas_build_info": torch.__config__.show().split("BLAS_INFO=")[1].split(",")[0],
                      "results": results}, indent=2))


if __name__ == "__main__":
    main()
