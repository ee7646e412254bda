#!/usr/bin/env python3
"""Export random-weight BERT encoders of bench_encoder's shapes to ONNX, for the ONNX Runtime
side-by-side run (tests/bench/tools/ort_bench.js, called by build/bench/bench_encoder).

    /usr/bin/python3 tests/bench/tools/export_bert_onnx.py --out /tmp/ort     # Debian's python3-torch

writes minilm_l6.onnx (6 layers, hidden 384, 12 heads, FFN 1536) and bert_base.onnx (12, 768, 12,
3072), vocabulary 30522, 512 positions, and the shapes of xlrec's shipped encoder (issue 15)
xlrec_l4.onnx (4 layers, hidden 256, 4 heads, FFN 1024) and xlrec_l2.onnx (2 layers), vocabulary
24000, 64 positions; 2 token types, LayerNorm eps 1e-12.

    /usr/bin/python3 tests/bench/tools/export_bert_onnx.py --from-hf DIR --name xlrec_l4 --out /tmp/ort

instead exports the weights of an `xlrec export` folder DIR (config.json + model.safetensors,
BertModel names) into the same graph, so ONNX Runtime runs the shipped model itself; the script
prints the largest difference between the torch graph's last hidden state and a float64
recomputation from the safetensors on random ids, as a check that the weights were mapped right.

What is compared: the graph is HuggingFace BertModel's encoder written in plain torch.nn (no
transformers needed), with the same operations xlrec runs per layer:
  embeddings  word[ids] + type[0] + position[0..S) -> LayerNorm
  per layer   q, k, v = Linear(x); S = q k^T / sqrt(dh) + (1 - mask) * -10000; P = softmax(S);
              ctx = P v (heads concatenated); h1 = LayerNorm(Linear(ctx) + x);
              h2 = LayerNorm(Linear(GELU_erf(Linear(h1))) + h1)
  output      last_hidden_state [B, S, H]
written in the op order transformers uses (view/permute heads, matmul, add mask, softmax), so ONNX
Runtime's own graph optimizer (level "all": Attention, BiasGelu, SkipLayerNormalization,
EmbedLayerNormalization fusions where it recognises them) sees the same graph as an HF export.
Inputs: input_ids and attention_mask [B, S] int64 (dynamic B and S); the runner passes an all-ones
mask, so both sides compute full attention over every position.  xlrec's figure also includes mean
pooling + L2 normalisation of the result (under 0.1% of the time); ORT's stops at the hidden state.
Weights are random (seeded): speed does not depend on them.
"""
import argparse
import json
import math
import os
import struct

import numpy as np

import torch
from torch import nn

# name: layers, hidden, heads, FFN, vocabulary, positions
SHAPES = {"minilm_l6": (6, 384, 12, 1536, 30522, 512), "bert_base": (12, 768, 12, 3072, 30522, 512),
          "xlrec_l4": (4, 256, 4, 1024, 24000, 64), "xlrec_l2": (2, 256, 4, 1024, 24000, 64)}
TYPES, EPS = 2, 1e-12


class Layer(nn.Module):
    def __init__(self, hidden, heads, inter, eps=EPS):
        super().__init__()
        self.heads, self.dh = heads, hidden // heads
        self.query, self.key, self.value = nn.Linear(hidden, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, hidden)
        self.attn_out, self.ln1 = nn.Linear(hidden, hidden), nn.LayerNorm(hidden, eps=eps)
        self.ffn_in, self.ffn_out = nn.Linear(hidden, inter), nn.Linear(inter, hidden)
        self.ln2 = nn.LayerNorm(hidden, eps=eps)

    def split(self, t):  # [B, S, H] -> [B, nh, S, dh]
        b, s, _ = t.shape
        return t.view(b, s, self.heads, self.dh).permute(0, 2, 1, 3)

    def forward(self, x, ext_mask):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.dh) + ext_mask
        probs = torch.softmax(scores, dim=-1)
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        ctx = ctx.view(ctx.shape[0], ctx.shape[1], -1)
        h1 = self.ln1(self.attn_out(ctx) + x)
        return self.ln2(self.ffn_out(nn.functional.gelu(self.ffn_in(h1))) + h1)


class Bert(nn.Module):
    def __init__(self, layers, hidden, heads, inter, vocab, max_pos, types=TYPES, eps=EPS):
        super().__init__()
        self.word, self.pos, self.tok_type = nn.Embedding(vocab, hidden), nn.Embedding(max_pos, hidden), nn.Embedding(types, hidden)
        self.ln = nn.LayerNorm(hidden, eps=eps)
        self.layers = nn.ModuleList([Layer(hidden, heads, inter, eps) for _ in range(layers)])

    def forward(self, input_ids, attention_mask):
        s = input_ids.shape[1]
        pos_ids = torch.arange(s, dtype=torch.long, device=input_ids.device).unsqueeze(0)
        x = self.ln(self.word(input_ids) + self.tok_type(torch.zeros_like(input_ids)) + self.pos(pos_ids))
        ext = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -10000.0
        for layer in self.layers:
            x = layer(x, ext)
        return x


def from_hf(d):
    """A Bert module holding the weights of an `xlrec export` folder (HF BertModel names)."""
    cfg = json.load(open(os.path.join(d, "config.json")))
    if cfg.get("model_type") != "bert":
        raise SystemExit("export_bert_onnx.py: %s: model_type %r (bert only)" % (d, cfg.get("model_type")))
    with open(os.path.join(d, "model.safetensors"), "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    W = {k: torch.from_numpy(np.frombuffer(raw[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]],
                                           dtype="<f4").reshape(v["shape"]).copy())
         for k, v in header.items() if k != "__metadata__"}
    model = Bert(cfg["num_hidden_layers"], cfg["hidden_size"], cfg["num_attention_heads"], cfg["intermediate_size"],
                 cfg["vocab_size"], cfg["max_position_embeddings"], cfg["type_vocab_size"], cfg["layer_norm_eps"])
    sd = {"word.weight": "embeddings.word_embeddings.weight", "pos.weight": "embeddings.position_embeddings.weight",
          "tok_type.weight": "embeddings.token_type_embeddings.weight", "ln.weight": "embeddings.LayerNorm.weight",
          "ln.bias": "embeddings.LayerNorm.bias"}
    per = {"query": "attention.self.query", "key": "attention.self.key", "value": "attention.self.value",
           "attn_out": "attention.output.dense", "ln1": "attention.output.LayerNorm",
           "ffn_in": "intermediate.dense", "ffn_out": "output.dense", "ln2": "output.LayerNorm"}
    for l in range(cfg["num_hidden_layers"]):
        for mine, hf in per.items():
            for wb in ("weight", "bias"):
                sd["layers.%d.%s.%s" % (l, mine, wb)] = "encoder.layer.%d.%s.%s" % (l, hf, wb)
    model.load_state_dict({k: W[v] for k, v in sd.items()})
    return model.eval(), W, cfg


def check_weights(model, W, cfg):
    """Largest |torch graph - float64 recomputation| of the last hidden state on random ids."""
    g = torch.Generator().manual_seed(5)
    L = min(24, cfg["max_position_embeddings"])
    ids = torch.randint(5, cfg["vocab_size"], (3, L), generator=g)
    mask = torch.ones_like(ids)
    with torch.no_grad():
        y = model(ids, mask).double()
    D = {k: v.double() for k, v in W.items()}
    H, nh, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["layer_norm_eps"]
    ln = lambda x, p: torch.nn.functional.layer_norm(x, (H,), D[p + ".weight"], D[p + ".bias"], eps)
    x = ln(D["embeddings.word_embeddings.weight"][ids] + D["embeddings.position_embeddings.weight"][:L][None]
           + D["embeddings.token_type_embeddings.weight"][0], "embeddings.LayerNorm")
    for l in range(cfg["num_hidden_layers"]):
        p = "encoder.layer.%d." % l
        lin = lambda t, s: t @ D[p + s + ".weight"].T + D[p + s + ".bias"]
        sp = lambda t: t.view(3, L, nh, H // nh).transpose(1, 2)
        q, k, v = sp(lin(x, "attention.self.query")), sp(lin(x, "attention.self.key")), sp(lin(x, "attention.self.value"))
        ctx = (torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(H // nh), -1) @ v).transpose(1, 2).reshape(3, L, H)
        x = ln(lin(ctx, "attention.output.dense") + x, p + "attention.output.LayerNorm")
        x = ln(lin(torch.nn.functional.gelu(lin(x, "intermediate.dense")), "output.dense") + x, p + "output.LayerNorm")
    return (y - x).abs().max().item()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.environ.get("XLREC_ORT_DIR", "/tmp/ort"))
    ap.add_argument("--opset", type=int, default=17)
    ap.add_argument("--from-hf", help="an `xlrec export` folder: export its weights instead of random ones")
    ap.add_argument("--name", default="xlrec_l4", help="with --from-hf: the .onnx file's name (without .onnx)")
    ap.add_argument("--shapes", default=",".join(SHAPES), help="random-weight shapes to export (comma-separated)")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(1234)
    jobs = []
    if args.from_hf:
        model, W, cfg = from_hf(args.from_hf)
        print(f"{args.from_hf}: torch graph vs float64 recomputation, last hidden state: "
              f"max |diff| {check_weights(model, W, cfg):.3g}")
        jobs.append((args.name, model, (cfg["num_hidden_layers"], cfg["hidden_size"], cfg["num_attention_heads"],
                                        cfg["intermediate_size"], cfg["vocab_size"], cfg["max_position_embeddings"])))
    else:
        for name in args.shapes.split(","):
            layers, hidden, heads, inter, vocab, max_pos = SHAPES[name]
            model = Bert(layers, hidden, heads, inter, vocab, max_pos).eval()
            for p in model.parameters():  # small weights, like a trained model's scale
                nn.init.normal_(p, std=0.05)
            jobs.append((name, model, SHAPES[name]))
    for name, model, (layers, hidden, heads, inter, vocab, max_pos) in jobs:
        ids = torch.randint(1000, min(21000, vocab), (2, 16), dtype=torch.long)
        mask = torch.ones_like(ids)
        path = os.path.join(args.out, name + ".onnx")
        with torch.no_grad():
            torch.onnx.export(model, (ids, mask), path, input_names=["input_ids", "attention_mask"],
                              output_names=["last_hidden_state"],
                              dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                                            "last_hidden_state": {0: "batch", 1: "seq"}},
                              opset_version=args.opset, do_constant_folding=True)
        print(f"{path}: {layers} layers, hidden {hidden}, {heads} heads, FFN {inter}, "
              f"{sum(p.numel() for p in model.parameters()) / 1e6:.1f} M parameters, torch {torch.__version__}")


if __name__ == "__main__":
    main()
