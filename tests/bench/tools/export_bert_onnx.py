#!/usr/bin/env python3
"""Export random-weight BERT encoders of bench_encoder's shapes to ONNX, for the ONNX Runtime
side-by-side run (tests/bench/tools/ort_bench.js, called by build/bench/bench_encoder).

    /usr/bin/python3 tests/bench/tools/export_bert_onnx.py --out /tmp/ort     # Debian's python3-torch

writes minilm_l6.onnx (6 layers, hidden 384, 12 heads, FFN 1536) and bert_base.onnx (12, 768, 12,
3072), vocabulary 30522, 512 positions, 2 token types, LayerNorm eps 1e-12.

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
import math
import os

import torch
from torch import nn

SHAPES = {"minilm_l6": (6, 384, 12, 1536), "bert_base": (12, 768, 12, 3072)}
VOCAB, MAX_POS, TYPES, EPS = 30522, 512, 2, 1e-12


class Layer(nn.Module):
    def __init__(self, hidden, heads, inter):
        super().__init__()
        self.heads, self.dh = heads, hidden // heads
        self.query, self.key, self.value = nn.Linear(hidden, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, hidden)
        self.attn_out, self.ln1 = nn.Linear(hidden, hidden), nn.LayerNorm(hidden, eps=EPS)
        self.ffn_in, self.ffn_out = nn.Linear(hidden, inter), nn.Linear(inter, hidden)
        self.ln2 = nn.LayerNorm(hidden, eps=EPS)

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
    def __init__(self, layers, hidden, heads, inter):
        super().__init__()
        self.word, self.pos, self.tok_type = nn.Embedding(VOCAB, hidden), nn.Embedding(MAX_POS, hidden), nn.Embedding(TYPES, hidden)
        self.ln = nn.LayerNorm(hidden, eps=EPS)
        self.layers = nn.ModuleList([Layer(hidden, heads, inter) for _ in range(layers)])

    def forward(self, input_ids, attention_mask):
        s = input_ids.shape[1]
        pos_ids = torch.arange(s, dtype=torch.long, device=input_ids.device).unsqueeze(0)
        x = self.ln(self.word(input_ids) + self.tok_type(torch.zeros_like(input_ids)) + self.pos(pos_ids))
        ext = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -10000.0
        for layer in self.layers:
            x = layer(x, ext)
        return x


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.environ.get("XLREC_ORT_DIR", "/tmp/ort"))
    ap.add_argument("--opset", type=int, default=17)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(1234)
    for name, (layers, hidden, heads, inter) in SHAPES.items():
        model = Bert(layers, hidden, heads, inter).eval()
        for p in model.parameters():  # small weights, like a trained model's scale
            nn.init.normal_(p, std=0.05)
        ids = torch.randint(1000, 21000, (2, 16), dtype=torch.long)
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
