#!/usr/bin/env python3
"""Writes the TorchScript archives through which the Java trainer reaches PyTorch ops that DJL's
op set does not expose (dev.sparkllm.training.fused.ScriptModules loads them):

- gelu_tanh.pt: `F.gelu(x, approximate="tanh")`, GPT-2's `gelu_new` as one kernel forward and one
  (`gelu_backward`) under autograd; composed from DJL ops it is six forward and about ten backward.
- clip_grad_norm.pt: global-norm clipping of a list of gradients in one call.
- adamw.pt: one AdamW step over lists of parameters, gradients and moments, in place, with the
  ops and order of torch.optim.AdamW's single-tensor path (`lerp_`, `addcmul_`, `addcdiv_`, none of
  which DJL has): one call per group of parameters instead of about twenty JNI calls per parameter.

    /usr/bin/python3 training/scripts/make_fused_scripts.py   # Debian python3-torch (>= 1.12)

The archives hold TorchScript source (code/__torch__.py), not pickled Python objects; libtorch 2.x
loads archives written by 1.13. They are committed under
training/src/main/resources/dev/sparkllm/training/fused/.
"""
import math
import os
from typing import List

import torch
import torch.nn.functional as F
from torch import Tensor


class GeluTanh(torch.nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return F.gelu(x, approximate="tanh")


class ClipGradNorm(torch.nn.Module):
    """Global-norm clipping as torch.nn.utils.clip_grad_norm_: coef = max/(norm + 1e-6), at most 1;
    the norm is summed in double from each gradient's fp32 norm. Returns the norm before."""

    def forward(self, grads: List[Tensor], max_norm: float) -> float:
        total = 0.0
        for g in grads:
            n = float(torch.linalg.vector_norm(g.float()))
            total += n * n
        norm = math.sqrt(total)
        if max_norm > 0.0:
            coef = max_norm / (norm + 1e-6)
            if coef < 1.0:
                for g in grads:
                    g.mul_(coef)
        return norm


class AdamW(torch.nn.Module):
    """Decoupled weight decay, bias correction, eps outside the square root, as torch.optim.AdamW."""

    def forward(self, params: List[Tensor], grads: List[Tensor], exp_avgs: List[Tensor],
                exp_avg_sqs: List[Tensor], lr: float, beta1: float, beta2: float, eps: float,
                weight_decay: float, step: int) -> int:
        bias_correction1 = 1.0 - beta1 ** step
        bias_correction2_sqrt = math.sqrt(1.0 - beta2 ** step)
        step_size = lr / bias_correction1
        for i in range(len(params)):
            p = params[i]
            g = grads[i].to(p.dtype)
            m = exp_avgs[i]
            v = exp_avg_sqs[i]
            if weight_decay != 0.0:
                p.mul_(1.0 - lr * weight_decay)
            m.lerp_(g, 1.0 - beta1)
            v.mul_(beta2).addcmul_(g, g, value=1.0 - beta2)
            denom = (v.sqrt() / bias_correction2_sqrt).add_(eps)
            p.addcdiv_(m, denom, value=-step_size)
        return len(params)


def reference_adamw_check(path):
    """The scripted step equals torch.optim.AdamW on the same tensors."""
    torch.manual_seed(0)
    p = torch.randn(5, 3)
    q = p.clone().requires_grad_(True)
    opt = torch.optim.AdamW([q], lr=1e-2, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)
    m, v = torch.zeros_like(p), torch.zeros_like(p)
    script = torch.jit.load(path)
    for step in range(1, 4):
        g = torch.randn(5, 3)
        q.grad = g.clone()
        opt.step()
        script([p], [g], [m], [v], 1e-2, 0.9, 0.95, 1e-8, 0.1, step)
    assert torch.allclose(p, q.detach(), rtol=0, atol=1e-7), (p - q).abs().max()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.normpath(os.path.join(here, "..", "src", "main", "resources", "dev", "sparkllm",
                                        "training", "fused"))
    os.makedirs(out, exist_ok=True)
    for name, module in (("gelu_tanh.pt", GeluTanh()), ("adamw.pt", AdamW()),
                         ("clip_grad_norm.pt", ClipGradNorm())):
        path = os.path.join(out, name)
        scripted = torch.jit.script(module)
        scripted.eval()
        torch.jit.save(scripted, path)
        print(path, os.path.getsize(path), "bytes, torch", torch.__version__)
    x = torch.linspace(-6, 6, 13)
    assert torch.allclose(torch.jit.load(os.path.join(out, "gelu_tanh.pt"))(x),
                          F.gelu(x, approximate="tanh"))
    reference_adamw_check(os.path.join(out, "adamw.pt"))
    grads = [torch.tensor([3.0, 0.0]), torch.tensor([4.0])]
    assert torch.jit.load(os.path.join(out, "clip_grad_norm.pt"))(grads, 1.0) == 5.0
    assert torch.allclose(grads[0], torch.tensor([0.6, 0.0])), grads


if __name__ == "__main__":
    main()
