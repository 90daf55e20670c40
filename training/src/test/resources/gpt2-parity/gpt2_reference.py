#!/usr/bin/env python3
"""Independent GPT-2 reference for the Java parity test.

Follows Hugging Face's GPT2LMHeadModel parameter layout and math exactly (Conv1D weights stored
[in, out] and applied as x @ W + b, gelu_new tanh approximation, LayerNorm eps 1e-5, causal mask,
LM head tied to wte) without needing the transformers or safetensors packages, which are not
installable here. Safetensors files are written and read with a few lines of struct/json.

  python3 gpt2_reference.py            # writes model.safetensors and expected.safetensors here
  python3 gpt2_reference.py --check F  # runs F (e.g. an export from Java) on the fixture inputs,
                                       # prints the max |logits - expected| and exits 1 if > 1e-4
"""
import json
import math
import os
import struct
import sys

import numpy as np
import torch

N_LAYER, N_HEAD, N_EMBD, VOCAB, N_CTX = 2, 2, 32, 100, 16
BATCH = 2
EPS = 1e-5
HERE = os.path.dirname(os.path.abspath(__file__))

DTYPES = {"F32": (np.float32, 4), "I64": (np.int64, 8)}


def write_safetensors(path, tensors):
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, arr in tensors.items():
        arr = np.ascontiguousarray(arr)
        code = "F32" if arr.dtype == np.float32 else "I64"
        data = arr.astype("<f4" if code == "F32" else "<i8").tobytes()
        header[name] = {"dtype": code, "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * ((8 - len(head) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        body = f.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        np_type, _ = DTYPES[meta["dtype"]]
        b, e = meta["data_offsets"]
        out[name] = np.frombuffer(body[b:e], dtype=np.dtype(np_type).newbyteorder("<")).reshape(
            meta["shape"])
    return out


def random_weights():
    g = torch.Generator().manual_seed(1234)

    def rnd(*shape, std=0.2):
        return torch.randn(*shape, generator=g) * std

    w = {"wte.weight": rnd(VOCAB, N_EMBD), "wpe.weight": rnd(N_CTX, N_EMBD)}
    for i in range(N_LAYER):
        p = f"h.{i}."
        # LayerNorm and biases are random too, so a swapped or untransposed tensor cannot hide.
        w[p + "ln_1.weight"] = 1.0 + rnd(N_EMBD, std=0.1)
        w[p + "ln_1.bias"] = rnd(N_EMBD, std=0.1)
        w[p + "attn.c_attn.weight"] = rnd(N_EMBD, 3 * N_EMBD)  # Conv1D: [in, out]
        w[p + "attn.c_attn.bias"] = rnd(3 * N_EMBD, std=0.1)
        w[p + "attn.c_proj.weight"] = rnd(N_EMBD, N_EMBD)
        w[p + "attn.c_proj.bias"] = rnd(N_EMBD, std=0.1)
        w[p + "ln_2.weight"] = 1.0 + rnd(N_EMBD, std=0.1)
        w[p + "ln_2.bias"] = rnd(N_EMBD, std=0.1)
        w[p + "mlp.c_fc.weight"] = rnd(N_EMBD, 4 * N_EMBD)
        w[p + "mlp.c_fc.bias"] = rnd(4 * N_EMBD, std=0.1)
        w[p + "mlp.c_proj.weight"] = rnd(4 * N_EMBD, N_EMBD)
        w[p + "mlp.c_proj.bias"] = rnd(N_EMBD, std=0.1)
    w["ln_f.weight"] = 1.0 + rnd(N_EMBD, std=0.1)
    w["ln_f.bias"] = rnd(N_EMBD, std=0.1)
    return w


def gelu_new(x):
    # transformers.activations.NewGELUActivation
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def layer_norm(x, w, b):
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), w, b, EPS)


def conv1d(x, w, b):
    # transformers.pytorch_utils.Conv1D: addmm(bias, x, weight) with weight [in, out]
    return torch.addmm(b, x.reshape(-1, x.shape[-1]), w).reshape(*x.shape[:-1], w.shape[-1])


def forward(w, ids):
    w = {k[len("transformer."):] if k.startswith("transformer.") else k: torch.as_tensor(np.array(v))
         for k, v in w.items()}
    bsz, t = ids.shape
    hs = N_EMBD // N_HEAD
    h = w["wte.weight"][ids] + w["wpe.weight"][torch.arange(t)]
    causal = torch.tril(torch.ones(t, t, dtype=torch.bool))
    for i in range(N_LAYER):
        p = f"h.{i}."
        a = layer_norm(h, w[p + "ln_1.weight"], w[p + "ln_1.bias"])
        q, k, v = conv1d(a, w[p + "attn.c_attn.weight"], w[p + "attn.c_attn.bias"]).split(N_EMBD, dim=2)
        q, k, v = (z.view(bsz, t, N_HEAD, hs).permute(0, 2, 1, 3) for z in (q, k, v))
        att = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(hs)
        att = torch.where(causal, att, torch.tensor(torch.finfo(att.dtype).min))
        att = torch.softmax(att, dim=-1)
        y = torch.matmul(att, v).permute(0, 2, 1, 3).reshape(bsz, t, N_EMBD)
        h = h + conv1d(y, w[p + "attn.c_proj.weight"], w[p + "attn.c_proj.bias"])
        m = layer_norm(h, w[p + "ln_2.weight"], w[p + "ln_2.bias"])
        m = gelu_new(conv1d(m, w[p + "mlp.c_fc.weight"], w[p + "mlp.c_fc.bias"]))
        h = h + conv1d(m, w[p + "mlp.c_proj.weight"], w[p + "mlp.c_proj.bias"])
    h = layer_norm(h, w["ln_f.weight"], w["ln_f.bias"])
    return h @ w["wte.weight"].T


def main():
    expected_path = os.path.join(HERE, "expected.safetensors")
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        exp = read_safetensors(expected_path)
        logits = forward(read_safetensors(sys.argv[2]), torch.as_tensor(np.array(exp["input_ids"])))
        diff = float((logits - torch.as_tensor(np.array(exp["logits"]))).abs().max())
        print(json.dumps({"max_abs_diff": diff}))
        sys.exit(0 if diff <= 1e-4 else 1)
    w = random_weights()
    ids = torch.randint(0, VOCAB, (BATCH, N_CTX), generator=torch.Generator().manual_seed(99))
    with torch.no_grad():
        logits = forward({k: v.numpy() for k, v in w.items()}, ids)
    write_safetensors(os.path.join(HERE, "model.safetensors"), {k: v.numpy() for k, v in w.items()})
    write_safetensors(expected_path, {"input_ids": ids.numpy(), "logits": logits.numpy()})
    with open(os.path.join(HERE, "config.json"), "w") as f:
        json.dump({"model_type": "gpt2", "n_layer": N_LAYER, "n_head": N_HEAD, "n_embd": N_EMBD,
                   "vocab_size": VOCAB, "n_positions": N_CTX, "layer_norm_epsilon": EPS,
                   "activation_function": "gelu_new"}, f, indent=2, sort_keys=True)
    print("wrote fixture; logits[0,0,:4] =", logits[0, 0, :4].tolist())


if __name__ == "__main__":
    main()
