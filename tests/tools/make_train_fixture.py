#!/usr/bin/env python3
"""make_train_fixture.py - PyTorch autograd reference for the C training code (tests/test_backprop.c).

Writes tests/fixtures/train_tiny/ (float32 .npy files, described in its README.md):
  (a) the LaBSE bidirectional additive-margin ranking loss on N = 4 translation pairs (8 sequences of
      different lengths, padded here, packed in C), mean pooling over mask-1 positions, one Dense
      layer 24 -> 16 tanh, L2 normalisation; loss and the gradient of every parameter;
  (b) masked language modelling with a plain tied decoder + bias (logits = h W_word^T + b, no
      transform layer), mean cross-entropy over the selected positions; loss, every parameter
      gradient (the word embedding gets both the lookup and the decoder part) and the bias gradient;
  (c) ten torch.optim.AdamW steps (float32) on a parameter vector with given gradients.
The encoder is written out with plain torch ops in float64 in HF BertModel's order of operations
(eval mode, no dropout) so the reference is exact to ~1e-15; results are rounded to float32.

Usage: python3 tests/tools/make_train_fixture.py [OUT_DIR]   (Debian: apt-get install python3-torch)
"""
import math
import os
import sys

import numpy as np
import torch

torch.manual_seed(1234)
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "fixtures", "train_tiny")

# ---- the tiny config (tests/test_backprop.c: fixture_config() must match) ----
V, H, L, NH, I, P, TV = 50, 24, 2, 3, 40, 16, 2
DH = H // NH
EPS = 1e-12
DENSE_OUT = 16
MARGIN, SCALE = 0.3, 20.0
DT = torch.float64


def param_list():
    """(name, shape) in state_dict order of a BertModel (no pooler) + sentence-transformers Dense."""
    out = [("embeddings.word_embeddings.weight", (V, H)), ("embeddings.position_embeddings.weight", (P, H)),
           ("embeddings.token_type_embeddings.weight", (TV, H)), ("embeddings.LayerNorm.weight", (H,)),
           ("embeddings.LayerNorm.bias", (H,))]
    for l in range(L):
        pre = f"encoder.layer.{l}."
        for nm in ("query", "key", "value"):
            out += [(pre + f"attention.self.{nm}.weight", (H, H)), (pre + f"attention.self.{nm}.bias", (H,))]
        out += [(pre + "attention.output.dense.weight", (H, H)), (pre + "attention.output.dense.bias", (H,)),
                (pre + "attention.output.LayerNorm.weight", (H,)), (pre + "attention.output.LayerNorm.bias", (H,)),
                (pre + "intermediate.dense.weight", (I, H)), (pre + "intermediate.dense.bias", (I,)),
                (pre + "output.dense.weight", (H, I)), (pre + "output.dense.bias", (H,)),
                (pre + "output.LayerNorm.weight", (H,)), (pre + "output.LayerNorm.bias", (H,))]
    out += [("dense.0.weight", (DENSE_OUT, H)), ("dense.0.bias", (DENSE_OUT,))]
    return out


def init_params():
    """Larger than BERT's N(0, 0.02) so every gradient is well away from zero; values rounded to
    float32 first so C (float32) and this script start from the same numbers."""
    ps = {}
    for name, shape in param_list():
        if name.endswith("LayerNorm.weight"):
            t = 1.0 + 0.1 * torch.randn(shape)
        elif len(shape) == 2:
            t = 0.15 * torch.randn(shape)
        else:
            t = 0.05 * torch.randn(shape)
        ps[name] = t.float().to(DT).requires_grad_(True)
    return ps


def layer_norm(x, g, b):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + EPS) * g + b


def gelu(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def encoder(ps, ids, types, mask):
    """ids, types [B, T] long; mask [B, T] 0/1 -> last hidden [B, T, H] (HF BertModel, eval)."""
    B, T = ids.shape
    pos = torch.arange(T).unsqueeze(0).expand(B, T)
    e = ps["embeddings.word_embeddings.weight"][ids] + ps["embeddings.token_type_embeddings.weight"][types]
    e = e + ps["embeddings.position_embeddings.weight"][pos]
    x = layer_norm(e, ps["embeddings.LayerNorm.weight"], ps["embeddings.LayerNorm.bias"])
    add_mask = (1.0 - mask.to(DT))[:, None, None, :] * torch.finfo(torch.float32).min  # HF extended mask
    for l in range(L):
        pre = f"encoder.layer.{l}."
        lin = lambda t, nm: t @ ps[pre + nm + ".weight"].T + ps[pre + nm + ".bias"]
        heads = lambda t: t.view(B, T, NH, DH).permute(0, 2, 1, 3)
        q, k, v = heads(lin(x, "attention.self.query")), heads(lin(x, "attention.self.key")), heads(
            lin(x, "attention.self.value"))
        s = q @ k.transpose(-1, -2) / math.sqrt(DH) + add_mask
        ctx = (torch.softmax(s, -1) @ v).permute(0, 2, 1, 3).reshape(B, T, H)
        x = layer_norm(lin(ctx, "attention.output.dense") + x, ps[pre + "attention.output.LayerNorm.weight"],
                       ps[pre + "attention.output.LayerNorm.bias"])
        f = gelu(lin(x, "intermediate.dense"))
        x = layer_norm(lin(f, "output.dense") + x, ps[pre + "output.LayerNorm.weight"], ps[pre + "output.LayerNorm.bias"])
    return x


def batch(lengths, gen):
    T = max(lengths)
    ids = torch.zeros(len(lengths), T, dtype=torch.long)
    types = torch.zeros(len(lengths), T, dtype=torch.long)
    mask = torch.zeros(len(lengths), T, dtype=torch.long)
    for b, n in enumerate(lengths):
        ids[b, :n] = torch.randint(1, V, (n,), generator=gen)
        ids[b, 0] = 2  # [CLS]
        if b % 2 == 1 and n > 2:
            types[b, n // 2:n] = 1
        mask[b, :n] = 1
    return ids, types, mask


def save(name, arr):
    np.save(os.path.join(OUT, name), np.ascontiguousarray(np.asarray(arr, dtype=np.float32)))


def flat_grads(ps):
    """every parameter's gradient in param_list order; 0 for a parameter the loss does not use (Dense in MLM)"""
    return np.concatenate([(ps[n].grad if ps[n].grad is not None else torch.zeros_like(ps[n])).detach().numpy().ravel()
                           for n, _ in param_list()])


def main():
    os.makedirs(OUT, exist_ok=True)
    gen = torch.Generator().manual_seed(99)
    ps = init_params()
    with open(os.path.join(OUT, "tensors.txt"), "w") as f:
        for n, shape in param_list():
            f.write(n + " " + " ".join(str(d) for d in shape) + "\n")
    save("params.npy", np.concatenate([ps[n].detach().numpy().ravel() for n, _ in param_list()]))

    # (a) ranking loss: sources are sequences 0..3, targets 4..7
    lengths = [7, 3, 9, 5, 4, 8, 6, 2]
    ids, types, mask = batch(lengths, gen)
    h = encoder(ps, ids, types, mask)
    m = mask.to(DT).unsqueeze(-1)
    pooled = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
    z = torch.tanh(pooled @ ps["dense.0.weight"].T + ps["dense.0.bias"])
    e = z / z.norm(dim=1, keepdim=True).clamp(min=1e-12)
    N = 4
    S = e[:N] @ e[N:].T
    Z = SCALE * (S - MARGIN * torch.eye(N, dtype=DT))
    lab = torch.arange(N)
    loss = 0.5 * (torch.nn.functional.cross_entropy(Z, lab) + torch.nn.functional.cross_entropy(Z.T, lab))
    loss.backward()
    save("rank_ids.npy", ids), save("rank_types.npy", types), save("rank_len.npy", lengths)
    save("rank_loss.npy", [loss.item()]), save("rank_emb.npy", e.detach())
    save("rank_grads.npy", flat_grads(ps))
    for p in ps.values():
        p.grad = None

    # (b) MLM with a plain tied decoder + bias over selected positions
    lengths = [9, 6, 12]
    ids, types, mask = batch(lengths, gen)
    labels = torch.full(ids.shape, -1, dtype=torch.long)
    MASK_ID = 3
    for b, n in enumerate(lengths):
        for t in range(1, n):
            if torch.rand((), generator=gen).item() < 0.5:
                labels[b, t] = ids[b, t]
                r = torch.rand((), generator=gen).item()
                if r < 0.8:
                    ids[b, t] = MASK_ID
                elif r < 0.9:
                    ids[b, t] = int(torch.randint(4, V, (1,), generator=gen))
    bias = (0.1 * torch.randn(V)).float().to(DT).requires_grad_(True)
    h = encoder(ps, ids, types, mask)
    sel = labels >= 0
    logits = h[sel] @ ps["embeddings.word_embeddings.weight"].T + bias
    loss = torch.nn.functional.cross_entropy(logits, labels[sel])
    loss.backward()
    save("mlm_ids.npy", ids), save("mlm_types.npy", types), save("mlm_len.npy", lengths)
    save("mlm_labels.npy", labels), save("mlm_bias.npy", bias.detach())
    save("mlm_loss.npy", [loss.item()]), save("mlm_grads.npy", flat_grads(ps))
    save("mlm_bias_grad.npy", bias.grad)

    # (c) ten AdamW steps, float32, two parameter groups (decay / no decay)
    n = 64
    lr, betas, eps, wd = 1e-2, (0.9, 0.999), 1e-6, 0.01
    p0 = torch.randn(n, generator=gen).float()
    grads = torch.randn(10, n, generator=gen).float()
    pa = p0[:48].clone().requires_grad_(True)  # decay group
    pb = p0[48:].clone().requires_grad_(True)  # no-decay group (biases, LayerNorm)
    opt = torch.optim.AdamW([{"params": [pa], "weight_decay": wd}, {"params": [pb], "weight_decay": 0.0}], lr=lr,
                            betas=betas, eps=eps)
    after = []
    for t in range(10):
        pa.grad = grads[t, :48].clone()
        pb.grad = grads[t, 48:].clone()
        opt.step()
        after.append(torch.cat([pa.detach(), pb.detach()]).clone())
    save("adamw_p0.npy", p0), save("adamw_grads.npy", grads), save("adamw_params.npy", torch.stack(after))
    save("adamw_decay.npy", [1.0] * 48 + [0.0] * 16)
    save("adamw_hparams.npy", [lr, betas[0], betas[1], eps, wd])
    print("wrote", OUT, "torch", torch.__version__, "rank loss", float(np.load(os.path.join(OUT, "rank_loss.npy"))[0]),
          "mlm loss", float(np.load(os.path.join(OUT, "mlm_loss.npy"))[0]))


if __name__ == "__main__":
    main()
