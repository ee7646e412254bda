#!/usr/bin/python3
"""check_export.py - load an `xlrec export` folder the way transformers + sentence-transformers
would (config.json, model.safetensors, modules.json, 1_Pooling, K_Dense, K_Normalize,
sentence_bert_config.json) into an independent forward pass written in plain torch ops, and
compare its sentence embeddings with `xlrec embed` on the xlrec model file it came from.

The reference is written from HF's BertModel / DistilBertModel and sentence-transformers'
Pooling / Dense / Normalize semantics, reading the HF tensor names of the export (it does not
import transformers, which Debian does not package, nor xlrec's own naming):
  embeddings  LayerNorm(W_word[id] + W_type[0] + W_pos[p])   (DistilBERT: no type embedding)
  layer       x = LN(x + O(softmax(Q K^T / sqrt(dh) + mask) V)); x = LN(x + W2 gelu_erf(W1 x + b1) + b2)
  pooling     cls: h[0]; mean: sum over real tokens / count; max: padding at -1e9;
              mean_sqrt_len: sum / sqrt(count)
  Dense       act(W u + b), act = tanh or identity;  Normalize: u / max(||u||, 1e-12)
in float64 on the float32 weights (so the reference is exact to ~1e-15), then rounded to float32.

Token ids: from HuggingFace tokenizers (tests/tools/export_tokenize.js on the export's
tokenizer.json) when --hf-ids FILE is given (one line of ids per sentence), else from
`xlrec tokenize --tokenizer EXPORT_DIR`; `xlrec embed` tokenises the text itself with the
vocabulary inside the model file, so equal embeddings also mean equal ids.

Usage (Debian: apt-get install python3-torch python3-numpy):
  /usr/bin/python3 tests/tools/check_export.py --xlrec build/xlrec --model M.xlm --export DIR
        [--sentences FILE] [--hf-ids FILE] [--batch 8] [--tol 1e-5] [--write-expected FILE.json]
Prints one JSON line {"sentences", "dim", "max_abs_diff", "ids_equal", ...}; exit 0 when the
maximum absolute difference is <= --tol (and the ids agree), 1 otherwise, 77 when torch is missing.
"""
import argparse
import json
import math
import os
import struct
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import torch
except ImportError as e:  # the C test skips on this status
    print("check_export.py: %s (apt-get install python3-torch python3-numpy)" % e, file=sys.stderr)
    sys.exit(77)

# Everyday sentences in the eleven core languages (written for this check, not from a test set),
# with accents, CJK, Arabic, digits and punctuation, of 5 to 30 tokens.
SENTENCES = [
    "The film starts at eight o'clock tonight.",
    "I would like to read a good book about history.",
    "Der Zug nach München hat zwanzig Minuten Verspätung.",
    "Können Sie mir bitte den Weg zum Bahnhof zeigen?",
    "Le musée est fermé le lundi, mais ouvert le dimanche.",
    "Nous avons regardé un très beau film français hier soir.",
    "¿Dónde está la biblioteca más cercana?",
    "Mi hermana trabaja en un hospital de Barcelona.",
    "La pizza napoletana è la mia preferita.",
    "O livro que você me emprestou é excelente.",
    "Сегодня вечером мы идём в кино.",
    "Я читаю интересную книгу о путешествиях.",
    "我喜欢看中国电影和读小说。",
    "明天的天气会很好。",
    "東京駅までの行き方を教えてください。",
    "この映画はとても面白かったです。",
    "저는 한국 음식을 정말 좋아해요.",
    "이 책은 2019년에 출판되었습니다.",
    "أحب قراءة الكتب في المساء.",
    "المتحف مفتوح من الساعة التاسعة صباحا.",
    "Hello!",
    "A very long sentence that keeps going and going, with many words in it, so that the "
    "tokenizer has to truncate it at the maximum sequence length of the model, which is short.",
]


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        assert t["dtype"] == "F32", (name, t["dtype"])
        b, e = t["data_offsets"]
        arr = np.frombuffer(data[b:e], dtype="<f4").reshape(t["shape"])
        out[name] = torch.from_numpy(arr.astype(np.float64))
    return out


def layer_norm(x, g, b, eps):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + eps) * g + b


def load_export(d):
    cfg = json.load(open(os.path.join(d, "config.json")))
    W = read_safetensors(os.path.join(d, "model.safetensors"))
    mt = cfg["model_type"]
    if mt == "bert":
        arch = dict(H=cfg["hidden_size"], nh=cfg["num_attention_heads"], N=cfg["num_hidden_layers"],
                    eps=cfg.get("layer_norm_eps", 1e-12), types=True)
        names = {"q": "encoder.layer.%d.attention.self.query", "k": "encoder.layer.%d.attention.self.key",
                 "v": "encoder.layer.%d.attention.self.value", "o": "encoder.layer.%d.attention.output.dense",
                 "ln1": "encoder.layer.%d.attention.output.LayerNorm", "f1": "encoder.layer.%d.intermediate.dense",
                 "f2": "encoder.layer.%d.output.dense", "ln2": "encoder.layer.%d.output.LayerNorm"}
        assert cfg.get("hidden_act", "gelu") == "gelu" and cfg.get("position_embedding_type", "absolute") == "absolute"
    elif mt == "distilbert":
        arch = dict(H=cfg["dim"], nh=cfg["n_heads"], N=cfg["n_layers"], eps=1e-12, types=False)
        names = {"q": "transformer.layer.%d.attention.q_lin", "k": "transformer.layer.%d.attention.k_lin",
                 "v": "transformer.layer.%d.attention.v_lin", "o": "transformer.layer.%d.attention.out_lin",
                 "ln1": "transformer.layer.%d.sa_layer_norm", "f1": "transformer.layer.%d.ffn.lin1",
                 "f2": "transformer.layer.%d.ffn.lin2", "ln2": "transformer.layer.%d.output_layer_norm"}
        assert cfg.get("activation", "gelu") == "gelu" and not cfg.get("sinusoidal_pos_embds", False)
    else:
        raise SystemExit("check_export.py: model_type %r" % mt)
    modules = json.load(open(os.path.join(d, "modules.json")))
    assert modules[0]["type"].endswith(".Transformer") and modules[0]["path"] == ""
    head = []
    for m in modules[1:]:
        kind = m["type"].rsplit(".", 1)[1]
        p = os.path.join(d, m["path"])
        if kind == "Pooling":
            pc = json.load(open(os.path.join(p, "config.json")))
            modes = [k for k in ("cls_token", "mean_tokens", "max_tokens", "mean_sqrt_len_tokens",
                                 "weightedmean_tokens", "lasttoken") if pc.get("pooling_mode_" + k)]
            assert len(modes) == 1, modes
            head.append(("pool", modes[0]))
        elif kind == "Dense":
            dc = json.load(open(os.path.join(p, "config.json")))
            dw = read_safetensors(os.path.join(p, "model.safetensors"))
            act = dc.get("activation_function", "torch.nn.modules.activation.Tanh")
            assert act in ("torch.nn.modules.activation.Tanh", "torch.nn.modules.linear.Identity"), act
            head.append(("dense", dw["linear.weight"], dw.get("linear.bias"), act.endswith("Tanh")))
        elif kind == "Normalize":
            head.append(("normalize",))
        else:
            raise SystemExit("check_export.py: module %r" % kind)
    sb = json.load(open(os.path.join(d, "sentence_bert_config.json")))
    return arch, names, W, head, sb["max_seq_length"]


def encode(arch, names, W, head, ids_list):
    """Sentence embeddings of a padded batch, as SentenceTransformer.encode computes them."""
    B, L = len(ids_list), max(len(x) for x in ids_list)
    ids = torch.zeros(B, L, dtype=torch.long)
    mask = torch.zeros(B, L)
    for i, x in enumerate(ids_list):
        ids[i, :len(x)] = torch.tensor(x)
        mask[i, :len(x)] = 1
    H, nh, eps = arch["H"], arch["nh"], arch["eps"]
    dh = H // nh
    x = W["embeddings.word_embeddings.weight"][ids] + W["embeddings.position_embeddings.weight"][torch.arange(L)][None]
    if arch["types"]:
        x = x + W["embeddings.token_type_embeddings.weight"][torch.zeros_like(ids)]
    x = layer_norm(x, W["embeddings.LayerNorm.weight"], W["embeddings.LayerNorm.bias"], eps)
    neg = torch.finfo(torch.float64).min
    for l in range(arch["N"]):
        lin = lambda t, k: t @ W[names[k] % l + ".weight"].T + W[names[k] % l + ".bias"]
        q = lin(x, "q").view(B, L, nh, dh).transpose(1, 2)
        k = lin(x, "k").view(B, L, nh, dh).transpose(1, 2)
        v = lin(x, "v").view(B, L, nh, dh).transpose(1, 2)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(dh)
        s = s.masked_fill((mask == 0)[:, None, None, :], neg)
        ctx = (torch.softmax(s, dim=-1) @ v).transpose(1, 2).reshape(B, L, H)
        x = layer_norm(lin(ctx, "o") + x, W[names["ln1"] % l + ".weight"], W[names["ln1"] % l + ".bias"], eps)
        h = torch.nn.functional.gelu(lin(x, "f1"))  # exact erf form
        x = layer_norm(lin(h, "f2") + x, W[names["ln2"] % l + ".weight"], W[names["ln2"] % l + ".bias"], eps)
    m = mask[:, :, None].double()
    u = None
    for step in head:
        if step[0] == "pool":
            mode = step[1]
            if mode == "cls_token":
                u = x[:, 0]
            elif mode == "mean_tokens":
                u = (x * m).sum(1) / torch.clamp(m.sum(1), min=1e-9)
            elif mode == "max_tokens":
                u = x.masked_fill(m == 0, -1e9).max(1).values
            elif mode == "mean_sqrt_len_tokens":
                u = (x * m).sum(1) / torch.sqrt(m.sum(1))
            else:
                raise SystemExit("check_export.py: pooling %s is not checked here" % mode)
        elif step[0] == "dense":
            _, w, b, tanh = step
            u = u @ w.T + (b if b is not None else 0)
            if tanh:
                u = torch.tanh(u)
        else:
            u = u / torch.clamp(u.norm(dim=1, keepdim=True), min=1e-12)
    return u.float()


def run(cmd, stdin=None):
    r = subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise SystemExit("check_export.py: %s failed: %s" % (" ".join(cmd), r.stderr.decode(errors="replace")))
    return r.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--xlrec", default="build/xlrec")
    ap.add_argument("--model", required=True, help="the xlrec model file that was exported")
    ap.add_argument("--export", required=True, help="the folder `xlrec export` wrote")
    ap.add_argument("--sentences", help="one sentence per line (default: the built-in multilingual list)")
    ap.add_argument("--hf-ids", help="ids from tests/tools/export_tokenize.js, one line per sentence")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--tol", type=float, default=1e-5)
    ap.add_argument("--write-expected", help="also write sentences, ids and the reference embeddings as JSON")
    args = ap.parse_args()
    torch.set_num_threads(1)
    sents = [l.rstrip("\r\n") for l in open(args.sentences, encoding="utf-8")] if args.sentences else SENTENCES
    text = ("\n".join(sents) + "\n").encode("utf-8")
    arch, names, W, head, max_len = load_export(args.export)
    # ids: HF tokenizers' (given) or xlrec's on the export's tokenizer.json, truncated like ST
    xl_ids = [[int(t) for t in l.split()] for l in
              run([args.xlrec, "tokenize", "--tokenizer", args.export, "--max-len", str(max_len)], text).decode().splitlines()]
    ids = xl_ids
    ids_equal = None
    if args.hf_ids:
        hf_ids = [[int(t) for t in l.split()] for l in open(args.hf_ids)]
        ids_equal = hf_ids == xl_ids
        ids = hf_ids
    assert len(ids) == len(sents), (len(ids), len(sents))
    ref = torch.cat([encode(arch, names, W, head, ids[i:i + args.batch]) for i in range(0, len(ids), args.batch)])
    with tempfile.TemporaryDirectory() as tmp:
        npy = os.path.join(tmp, "xl.npy")
        run([args.xlrec, "embed", "--model", args.model, "--format", "npy", "-o", npy], text)
        xl = torch.from_numpy(np.load(npy).astype(np.float32))
    diff = (xl - ref).abs().max().item()
    res = {"sentences": len(sents), "dim": ref.shape[1], "max_abs_diff": float("%.3g" % diff),
           "tolerance": args.tol, "ids_equal_hf_tokenizers": ids_equal,
           "tokens": sum(len(x) for x in ids), "longest": max(len(x) for x in ids), "torch": torch.__version__}
    print(json.dumps(res, ensure_ascii=False))
    if args.write_expected:
        with open(args.write_expected, "w", encoding="utf-8") as f:
            json.dump({"sentences": sents, "input_ids": ids,
                       "sentence_embedding": [[float("%.9g" % v) for v in row] for row in ref.tolist()]},
                      f, ensure_ascii=False, indent=1)
            f.write("\n")
    ok = diff <= args.tol and ids_equal is not False
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
