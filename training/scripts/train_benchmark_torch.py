#!/usr/bin/env python3
"""PyTorch eager baseline for dev.sparkllm.jobs.bench.TrainBenchmark (docs/benchmarks.md): the same
GPT-2 model, batch, AdamW step and FLOP count, so tokens/s of the DJL trainer can be compared with
plain PyTorch on the same machine.

  python3 train_benchmark_torch.py [presets=tiny,mini] [steps=5] [batch=8] [threads=0]
                                   [peak_gflops=auto]
Prints JSON like TrainBenchmark.
"""
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

PRESETS = {  # (context, layers, heads, width), as GptConfig.preset
    "tiny": (128, 2, 2, 64),
    "mini": (256, 6, 6, 384),
    "gpt2": (1024, 12, 12, 768),
}


class Block(nn.Module):
    def __init__(self, c, nh):
        super().__init__()
        self.nh = nh
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
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(b, t, c)
        x = x + self.c_proj(y)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class Gpt(nn.Module):
    def __init__(self, vocab, ctx, nl, nh, c):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab, c), nn.Embedding(ctx, c)
        self.h = nn.ModuleList(Block(c, nh) for _ in range(nl))
        self.ln_f = nn.LayerNorm(c)

    def forward(self, ids):
        x = self.wte(ids) + self.wpe(torch.arange(ids.shape[1]))
        for b in self.h:
            x = b(x)
        return self.ln_f(x) @ self.wte.weight.T


def main():
    a = dict(arg.split("=", 1) for arg in sys.argv[1:])
    steps, batch = int(a.get("steps", 5)), int(a.get("batch", 8))
    if int(a.get("threads", 0)) > 0:
        torch.set_num_threads(int(a["threads"]))
    cores = os.cpu_count()
    peak = float(a["peak_gflops"]) * 1e9 if "peak_gflops" in a else cores * 2.5e9 * 32
    results = []
    for preset in a.get("presets", "tiny,mini").split(","):
        ctx, nl, nh, c = PRESETS[preset]
        vocab = 50257 if preset == "gpt2" else 8192
        torch.manual_seed(1)
        model = Gpt(vocab, ctx, nl, nh, c)
        for p in model.parameters():  # GPT-2 init, as the Java model
            if p.dim() >= 2:
                nn.init.normal_(p, 0.0, 0.02)
        opt = torch.optim.AdamW(model.parameters(), lr=6e-4, betas=(0.9, 0.95), weight_decay=0.1)
        rows = torch.randint(0, vocab, (batch, ctx + 1))
        x, y = rows[:, :-1], rows[:, 1:]

        def step():
            loss = F.cross_entropy(model(x).reshape(-1, vocab), y.reshape(-1))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
            return loss.item()

        step()
        start = time.perf_counter()
        for _ in range(steps):
            loss = step()
        secs = time.perf_counter() - start
        n = sum(p.numel() for p in model.parameters()) - ctx * c
        fpt = 6 * n + 12 * nl * c * ctx
        tps = steps * batch * ctx / secs
        results.append({"preset": preset, "parameters": n + ctx * c, "batch": batch,
                        "seq_len": ctx, "seconds_per_step": secs / steps, "tokens_per_s": tps,
                        "flops_per_token": fpt, "mfu": tps * fpt / peak, "last_loss": loss})
    print(json.dumps({"engine": "PyTorch eager " + torch.__version__, "cores": cores,
                      "torch_threads": torch.get_num_threads(), "results": results}, indent=2))


if __name__ == "__main__":
    main()
