#!/usr/bin/python3
"""make_encoder_fixture.py - write a small HuggingFace-style encoder directory with
random weights plus the outputs of an independent PyTorch reference forward pass
(expected.json), for xlrec's parity tests (tests/test_bert.c).

The reference below is written from the papers / HF semantics with plain torch
ops (it does not import transformers or sentence-transformers):
  embeddings  e = W_word[id] (+ W_type[tt]) + W_pos[p], LayerNorm(eps)
  attention   softmax(Q K^T / sqrt(dh) + mask) V per head, mask = finfo.min on padded keys
  layer       x = LN(x + attn_out(ctx)); x = LN(x + W2 gelu_erf(W1 x + b1) + b2)
  pooling     mean over mask-1 positions, max with padding set to -1e9 (sentence-transformers)
  ST head     Dense: tanh(W_d mean + b_d), Normalize: x / max(||x||, 1e-12)
The reference runs in float64 on the float32 weights and its outputs are rounded
to float32.  Some tensors are stored as F16/BF16 (and the reference uses the same rounded
values) so the converter's widening is exercised; the DistilBERT directory uses
real-checkpoint names (distilbert. prefix, an unused vocab_transform head and an
I64 position_ids buffer to be ignored).

With --verify-hf the script instead loads DIR with the real libraries
(transformers.AutoModel, sentence_transformers.SentenceTransformer modules)
and prints max |difference| against DIR/expected.json: run it where those
libraries are installed to show the reference equals HuggingFace.

Usage (Debian: apt-get install python3-torch python3-numpy):
  /usr/bin/python3 weights/tools/make_encoder_fixture.py --arch distilbert tests/fixtures/distilbert_tiny
  /usr/bin/python3 weights/tools/make_encoder_fixture.py --verify-hf tests/fixtures/distilbert_tiny
"""
import argparse
import json
import math
import os
import struct
import sys

import numpy as np
import torch

VOCAB_WORDS = ("the of and to in a is that for it as was with be by on not he i this are or his from at which "
               "but have an they you were her she there one all we can their has been if more when will would "
               "who so no der die und das ist le la les et est el los y es il di che non la casa haus maison "
               "world welt monde mundo hello hallo bonjour hola movie film buch book livre libro").split()


def build_vocab(n):
    toks = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + list(".,!?'-")
    for w in VOCAB_WORDS:
        if len(toks) >= n:
            break
        if w not in toks:
            toks.append(w)
    i = 0
    while len(toks) < n:
        toks.append("##" + "abcdefghijklmnopqrstuvwxyz"[i % 26] * (1 + i // 26))
        i += 1
    return toks[:n]


def write_safetensors(path, tensors):
    """tensors: list of (name, dtype string, np array already in that dtype's bit layout)."""
    header, blobs, off = {}, [], 0
    for name, dtype, arr in tensors:
        raw = arr.tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def as_dtype(t, dtype):
    """Round a float32 tensor to dtype; returns (values as float32 torch tensor, storage array)."""
    if dtype == "F32":
        return t, t.numpy().astype("<f4")
    if dtype == "F16":
        h = t.to(torch.float16)
        return h.to(torch.float32), h.numpy().astype("<f2")
    if dtype == "BF16":
        b = t.to(torch.bfloat16)
        bits = b.view(torch.int16).numpy().astype("<i2").view("<u2")
        return b.to(torch.float32), bits
    raise ValueError(dtype)


def layer_norm(x, g, b, eps):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + eps) * g + b


def reference(P, cfg, ids, tts, mask):
    """Independent forward pass; P maps canonical BERT names to float32 tensors."""
    B, L = ids.shape
    H, nh = cfg["hidden"], cfg["heads"]
    dh = H // nh
    x = P["embeddings.word_embeddings.weight"][ids]
    if cfg["arch"] == "bert":
        x = x + P["embeddings.token_type_embeddings.weight"][tts]
    x = x + P["embeddings.position_embeddings.weight"][torch.arange(L)][None]
    x = layer_norm(x, P["embeddings.LayerNorm.weight"], P["embeddings.LayerNorm.bias"], cfg["eps"])
    hidden = [x]
    neg = torch.finfo(x.dtype).min
    for l in range(cfg["layers"]):
        p = lambda s: P["encoder.layer.%d.%s" % (l, s)]
        lin = lambda t, s: t @ p(s + ".weight").T + p(s + ".bias")
        q = lin(x, "attention.self.query").view(B, L, nh, dh).transpose(1, 2)
        k = lin(x, "attention.self.key").view(B, L, nh, dh).transpose(1, 2)
        v = lin(x, "attention.self.value").view(B, L, nh, dh).transpose(1, 2)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(dh)
        s = s.masked_fill((mask == 0)[:, None, None, :], neg)
        w = torch.softmax(s, dim=-1)
        ctx = (w @ v).transpose(1, 2).reshape(B, L, H)
        x = layer_norm(lin(ctx, "attention.output.dense") + x, p("attention.output.LayerNorm.weight"),
                       p("attention.output.LayerNorm.bias"), cfg["eps"])
        h = torch.nn.functional.gelu(lin(x, "intermediate.dense"))  # exact erf form
        x = layer_norm(lin(h, "output.dense") + x, p("output.LayerNorm.weight"), p("output.LayerNorm.bias"), cfg["eps"])
        hidden.append(x)
    m = mask[:, :, None].to(x.dtype)
    mean = (x * m).sum(1) / torch.clamp(m.sum(1), min=1e-9)
    mx = x.masked_fill(m == 0, -1e9).max(1).values
    out = {"last_hidden_state": x, "mean_pooled": mean, "max_pooled": mx, "hidden_states": torch.stack(hidden)}
    if "pooler.dense.weight" in P:
        out["pooler_output"] = torch.tanh(x[:, 0] @ P["pooler.dense.weight"].T + P["pooler.dense.bias"])
    if "dense.weight" in P:
        d = torch.tanh(mean @ P["dense.weight"].T + P["dense.bias"])
        out["sentence_embedding"] = d / torch.clamp(d.norm(dim=1, keepdim=True), min=1e-12)
    return out


def tolist32(t):
    """Nested lists of float32 values written with 9 significant digits (round-trips float32 exactly)."""
    if t.dim() == 1:
        return [float("%.9g" % v) for v in t.tolist()]
    return [tolist32(r) for r in t]


def make(args):
    torch.manual_seed(args.seed)
    os.makedirs(args.dir, exist_ok=True)
    cfg = {"arch": args.arch, "hidden": args.hidden, "heads": args.heads, "layers": args.layers, "eps": 1e-12}
    V, H, I, Pm, T = args.vocab, args.hidden, args.inter, args.maxpos, 2
    vocab = build_vocab(V)
    std = args.std  # larger than BERT's 0.02 so every layer matters numerically
    shapes = {"embeddings.word_embeddings.weight": (V, H), "embeddings.position_embeddings.weight": (Pm, H),
              "embeddings.LayerNorm.weight": (H,), "embeddings.LayerNorm.bias": (H,)}
    if args.arch == "bert":
        shapes["embeddings.token_type_embeddings.weight"] = (T, H)
    for l in range(args.layers):
        pre = "encoder.layer.%d." % l
        for s in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
            shapes[pre + s + ".weight"] = (H, H)
            shapes[pre + s + ".bias"] = (H,)
        shapes[pre + "intermediate.dense.weight"] = (I, H)
        shapes[pre + "intermediate.dense.bias"] = (I,)
        shapes[pre + "output.dense.weight"] = (H, I)
        shapes[pre + "output.dense.bias"] = (H,)
        for s in ("attention.output.LayerNorm", "output.LayerNorm"):
            shapes[pre + s + ".weight"] = (H,)
            shapes[pre + s + ".bias"] = (H,)
    if args.arch == "bert":
        shapes["pooler.dense.weight"] = (H, H)
        shapes["pooler.dense.bias"] = (H,)
    P, stored = {}, []
    for name, shp in shapes.items():
        t = torch.randn(shp) * std
        if name.endswith("LayerNorm.weight"):
            t = 1.0 + 0.2 * torch.randn(shp)
        dtype = "F32"
        if name == "embeddings.word_embeddings.weight":
            dtype = "F16"
        elif name.endswith("intermediate.dense.weight"):
            dtype = "BF16"
        P[name], arr = as_dtype(t, dtype)
        stored.append((name, dtype, arr))

    if args.arch == "distilbert":
        rename = [("encoder.layer.", "transformer.layer."), ("attention.self.query", "attention.q_lin"),
                  ("attention.self.key", "attention.k_lin"), ("attention.self.value", "attention.v_lin"),
                  ("attention.output.dense", "attention.out_lin"), ("attention.output.LayerNorm", "sa_layer_norm"),
                  ("intermediate.dense", "ffn.lin1"), ("output.dense", "ffn.lin2"),
                  ("output.LayerNorm", "output_layer_norm")]

        def ck(name):
            for a, b in rename:
                name = name.replace(a, b)
            return "distilbert." + name

        ckpt = [(ck(n), d, a) for n, d, a in stored]
        ckpt.append(("distilbert.embeddings.position_ids", "I64", np.arange(Pm, dtype="<i8")[None]))
        ckpt.append(("vocab_transform.weight", "F32", (torch.randn(H, H) * std).numpy().astype("<f4")))
        ckpt.append(("vocab_transform.bias", "F32", np.zeros(H, dtype="<f4")))
        ckpt.sort(key=lambda e: e[0], reverse=True)
        write_safetensors(os.path.join(args.dir, "model.safetensors"), ckpt)
        config = {"architectures": ["DistilBertModel"], "model_type": "distilbert", "vocab_size": V, "dim": H,
                  "n_layers": args.layers, "n_heads": args.heads, "hidden_dim": I, "max_position_embeddings": Pm,
                  "activation": "gelu", "dropout": 0.1, "attention_dropout": 0.1, "sinusoidal_pos_embds": False,
                  "initializer_range": 0.02, "pad_token_id": 0, "qa_dropout": 0.1, "seq_classif_dropout": 0.2,
                  "tie_weights_": True}
    else:
        write_safetensors(os.path.join(args.dir, "model.safetensors"), stored)
        config = {"architectures": ["BertModel"], "model_type": "bert", "vocab_size": V, "hidden_size": H,
                  "num_hidden_layers": args.layers, "num_attention_heads": args.heads, "intermediate_size": I,
                  "hidden_act": "gelu", "max_position_embeddings": Pm, "type_vocab_size": T, "layer_norm_eps": 1e-12,
                  "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "initializer_range": 0.02,
                  "pad_token_id": 0, "position_embedding_type": "absolute"}
    with open(os.path.join(args.dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(args.dir, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("".join(t + "\n" for t in vocab))
    with open(os.path.join(args.dir, "tokenizer_config.json"), "w") as f:
        json.dump({"do_lower_case": False, "model_max_length": Pm, "tokenize_chinese_chars": True,
                   "strip_accents": None, "cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]",
                   "unk_token": "[UNK]", "mask_token": "[MASK]",
                   "tokenizer_class": "DistilBertTokenizer" if args.arch == "distilbert" else "BertTokenizer"}, f,
                  indent=2)
    if args.dense:
        # sentence-transformers: Transformer -> Pooling(mean) -> Dense(tanh) -> Normalize
        D = args.dense
        os.makedirs(os.path.join(args.dir, "1_Pooling"), exist_ok=True)
        os.makedirs(os.path.join(args.dir, "2_Dense"), exist_ok=True)
        os.makedirs(os.path.join(args.dir, "3_Normalize"), exist_ok=True)
        with open(os.path.join(args.dir, "3_Normalize", "README"), "w") as f:
            f.write("sentence-transformers Normalize module: no parameters (L2 normalisation).\n")
        with open(os.path.join(args.dir, "modules.json"), "w") as f:
            json.dump([{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                       {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
                       {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"},
                       {"idx": 3, "name": "3", "path": "3_Normalize",
                        "type": "sentence_transformers.models.Normalize"}], f, indent=2)
        with open(os.path.join(args.dir, "1_Pooling", "config.json"), "w") as f:
            json.dump({"word_embedding_dimension": H, "pooling_mode_cls_token": False,
                       "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
                       "pooling_mode_mean_sqrt_len_tokens": False}, f, indent=2)
        with open(os.path.join(args.dir, "2_Dense", "config.json"), "w") as f:
            json.dump({"in_features": H, "out_features": D, "bias": True,
                       "activation_function": "torch.nn.modules.activation.Tanh"}, f, indent=2)
        P["dense.weight"], wa = as_dtype(torch.randn(D, H) * (1.0 / math.sqrt(H)), "BF16")
        P["dense.bias"], ba = as_dtype(torch.randn(D) * 0.1, "F32")
        write_safetensors(os.path.join(args.dir, "2_Dense", "model.safetensors"),
                          [("linear.bias", "F32", ba), ("linear.weight", "BF16", wa)])
        with open(os.path.join(args.dir, "sentence_bert_config.json"), "w") as f:
            json.dump({"max_seq_length": min(32, Pm), "do_lower_case": False}, f, indent=2)

    lengths = [int(v) for v in args.lengths.split(",")]
    B, L = len(lengths), max(lengths)
    g = torch.Generator().manual_seed(args.seed + 1)
    ids = torch.zeros(B, L, dtype=torch.long)
    tts = torch.zeros(B, L, dtype=torch.long)
    mask = torch.zeros(B, L, dtype=torch.long)
    for b, n in enumerate(lengths):
        ids[b, :n] = torch.randint(5, V, (n,), generator=g)
        ids[b, 0] = 2
        if n > 1:
            ids[b, n - 1] = 3
        mask[b, :n] = 1
        if args.arch == "bert" and n > 4:
            tts[b, n // 2:n] = 1
    with torch.no_grad():
        # computed in float64 from the float32 weights, then rounded to float32: the
        # fixture holds the exact answer, so a float32 implementation only adds its own rounding
        out = reference({k: v.double() for k, v in P.items()}, cfg, ids, tts, mask)
        out = {k: v.float() for k, v in out.items()}
    exp = {"input_ids": ids.tolist(), "token_type_ids": tts.tolist(), "attention_mask": mask.tolist()}
    for k, v in out.items():
        if k == "hidden_states" and args.no_hidden_states:
            continue
        exp[k] = tolist32(v)
    exp["gelu"] = "erf"
    exp["layer_norm_eps"] = 1e-12
    exp["generator"] = "weights/tools/make_encoder_fixture.py (independent torch reference), torch " + torch.__version__
    exp["command"] = " ".join(["make_encoder_fixture.py"] + sys.argv[1:])
    with open(os.path.join(args.dir, "expected.json"), "w") as f:
        json.dump(exp, f, separators=(",", ":"))
    print("wrote", args.dir, {k: list(v.shape) for k, v in out.items()})


def verify_hf(d):
    """Compare expected.json with transformers (+ sentence-transformers) on the same directory."""
    import transformers
    exp = json.load(open(os.path.join(d, "expected.json")))
    ids = torch.tensor(exp["input_ids"])
    mask = torch.tensor(exp["attention_mask"])
    model = transformers.AutoModel.from_pretrained(d).eval()
    kw = {"input_ids": ids, "attention_mask": mask}
    if model.config.model_type == "bert":
        kw["token_type_ids"] = torch.tensor(exp["token_type_ids"])
    with torch.no_grad():
        out = model(**kw, output_hidden_states=True)
    m = mask.bool()
    last = torch.tensor(exp["last_hidden_state"])
    res = {"transformers": transformers.__version__,
           "last_hidden_state": float((out.last_hidden_state - last)[m].abs().max())}
    if "pooler_output" in exp and getattr(out, "pooler_output", None) is not None:
        res["pooler_output"] = float((out.pooler_output - torch.tensor(exp["pooler_output"])).abs().max())
    hs = torch.stack(out.hidden_states)
    if "hidden_states" in exp:
        res["hidden_states"] = float((hs - torch.tensor(exp["hidden_states"]))[:, m].abs().max())
    if os.path.exists(os.path.join(d, "modules.json")):
        import sentence_transformers
        st = sentence_transformers.SentenceTransformer(d, device="cpu").eval()
        feats = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in kw:
            feats["token_type_ids"] = kw["token_type_ids"]
        with torch.no_grad():
            emb = st(feats)["sentence_embedding"]
        res["sentence_transformers"] = sentence_transformers.__version__
        res["sentence_embedding"] = float((emb - torch.tensor(exp["sentence_embedding"])).abs().max())
    print(json.dumps({os.path.basename(d.rstrip("/")): res}))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("--arch", choices=("bert", "distilbert"), default="distilbert")
    ap.add_argument("--vocab", type=int, default=120)
    ap.add_argument("--hidden", type=int, default=24)
    ap.add_argument("--heads", type=int, default=3)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--inter", type=int, default=40)
    ap.add_argument("--maxpos", type=int, default=40)
    ap.add_argument("--dense", type=int, default=12, help="sentence-transformers Dense output size (0: none)")
    ap.add_argument("--lengths", default="17,5,1,12")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--std", type=float, default=0.5, help="weight standard deviation")
    ap.add_argument("--no-hidden-states", action="store_true", help="omit per-layer hidden_states (smaller file)")
    ap.add_argument("--verify-hf", action="store_true")
    args = ap.parse_args()
    if args.verify_hf:
        verify_hf(args.dir)
    else:
        make(args)


if __name__ == "__main__":
    main()
