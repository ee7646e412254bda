#!/usr/bin/env python3
"""torch_train_bench.py - PyTorch training throughput on the shapes of tests/bench/bench_train.c:
BERT encoder (nn.Linear / nn.LayerNorm / exact GELU, HF BertModel order), vocabulary 30522, batch 32
of 32 or 128 tokens, dropout 0.1 (hidden and attention), mean pooling + L2 normalisation, loss =
sum(w * embeddings) with fixed w; forward + backward, and forward + backward + torch.optim.AdamW.
Prints one line per case in bench_train's columns (tok/s wall, tok/cpu-s, matrix GFLOP/s).

  python3 tests/bench/tools/torch_train_bench.py [--threads 1,2] [--quick]
  python3 tests/bench/tools/torch_train_bench.py --case L,H,NH,I,V,P,BATCH,LEN,THREADS
      one configuration (bench_train's grid runs each in its own process, alternating with xlrec):
      a warm-up step, then forward + backward + AdamW steps for >= 1 s and >= 2 steps; prints
      "case tok_s=<best wall> tok_cpu=<best CPU> gflops=<matrix GFLOP/s>"
  python3 tests/bench/tools/torch_train_bench.py --info      torch's version, CPU capability, BLAS
Run through torch_train_bench.sh, which sets OMP_WAIT_POLICY=PASSIVE, the thread counts and the BLAS.
"""
import argparse
import math
import resource
import time

import torch

SHAPES = [("MiniLM-L6", 6, 384, 12, 1536), ("small", 4, 256, 4, 1024)]
V, P = 30522, 512  # vocabulary and positions (--case sets them)


class Layer(torch.nn.Module):
    def __init__(self, h, nh, i, p):
        super().__init__()
        self.nh, self.dh, self.p = nh, h // nh, p
        self.q, self.k, self.v, self.o = (torch.nn.Linear(h, h) for _ in range(4))
        self.ln1, self.ln2 = torch.nn.LayerNorm(h, eps=1e-12), torch.nn.LayerNorm(h, eps=1e-12)
        self.f1, self.f2 = torch.nn.Linear(h, i), torch.nn.Linear(i, h)
        self.drop = torch.nn.Dropout(p)

    def forward(self, x):
        B, T, H = x.shape
        sp = lambda t: t.view(B, T, self.nh, self.dh).transpose(1, 2)
        s = sp(self.q(x)) @ sp(self.k(x)).transpose(-1, -2) / math.sqrt(self.dh)
        ctx = (self.drop(torch.softmax(s, -1)) @ sp(self.v(x))).transpose(1, 2).reshape(B, T, H)
        x = self.ln1(self.drop(self.o(ctx)) + x)
        return self.ln2(self.drop(self.f2(torch.nn.functional.gelu(self.f1(x)))) + x)


class Bert(torch.nn.Module):
    def __init__(self, layers, h, nh, i, p=0.1):
        super().__init__()
        self.word, self.pos, self.typ = torch.nn.Embedding(V, h), torch.nn.Embedding(P, h), torch.nn.Embedding(2, h)
        self.ln = torch.nn.LayerNorm(h, eps=1e-12)
        self.drop = torch.nn.Dropout(p)
        self.layers = torch.nn.ModuleList(Layer(h, nh, i, p) for _ in range(layers))

    def forward(self, ids):
        pos = torch.arange(ids.shape[1]).unsqueeze(0)
        x = self.drop(self.ln(self.word(ids) + self.typ(torch.zeros_like(ids)) + self.pos(pos)))
        for l in self.layers:
            x = l(x)
        return torch.nn.functional.normalize(x.mean(1), dim=1)


def blas_library():
    """The BLAS shared object this process mapped (torch's matrix products call it)."""
    libs = sorted({l.split()[-1] for l in open("/proc/self/maps") if "blas" in l and ".so" in l})
    return ", ".join(libs) if libs else "unknown"


def run_case(spec, min_time):
    global V, P
    L, H, NH, I, V, P, batch, n, thr = (int(x) for x in spec.split(","))
    torch.set_num_threads(thr)
    torch.manual_seed(0)
    model = Bert(L, H, NH, I)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, eps=1e-6, weight_decay=0.01)
    ids = torch.randint(0, V, (batch, n))
    w = torch.rand(batch, H) - 0.5

    def step():
        model.zero_grad(set_to_none=False)
        (model(ids) * w).sum().backward()
        opt.step()

    step()
    best, best_cpu, reps, t_end = 1e30, 1e30, 0, time.time() + min_time
    while reps < 2 or time.time() < t_end:
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
        reps += 1
    tok = batch * n
    print("case tok_s=%.1f tok_cpu=%.1f gflops=%.2f" % (tok / best, tok / best_cpu, flops(L, H, I, batch, n) / best * 1e-9),
          flush=True)


def flops(layers, h, i, batch, n):
    t = batch * n
    return 3.0 * layers * (2.0 * t * (4 * h * h + 2 * h * i) + 4.0 * batch * n * n * h)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--min-time", type=float, default=1.0)
    ap.add_argument("--case")
    ap.add_argument("--info", action="store_true")
    a = ap.parse_args()
    if a.info:
        print("torch %s, CPU capability %s, %d threads by default; BLAS: %s" % (
            torch.__version__, torch.backends.cpu.get_cpu_capability() if hasattr(torch.backends, "cpu") else "?",
            torch.get_num_threads(), blas_library()))
        return
    if a.case:
        run_case(a.case, a.min_time)
        return
    torch.manual_seed(0)
    print("torch %s, %s" % (torch.__version__, torch.backends.cpu.get_cpu_capability()
                            if hasattr(torch.backends, "cpu") else ""))
    print("%-10s %5s %4s | %10s %10s %8s | %12s | %8s" % ("shape", "len", "thr", "fwd+bwd", "tok/cpu-s", "GF/s",
                                                         "+AdamW tok/s", "maxRSS MB"))
    for name, L, H, NH, I in SHAPES[1:] if a.quick else SHAPES:
        for n in (32, 128):
            for thr in [int(x) for x in a.threads.split(",")]:
                torch.set_num_threads(thr)
                model = Bert(L, H, NH, I)
                model.train()
                opt = torch.optim.AdamW(model.parameters(), lr=1e-4, eps=1e-6, weight_decay=0.01)
                ids = torch.randint(0, V, (32, n))
                w = torch.rand(32, H) - 0.5
                res = []
                for with_opt in (False, True):
                    def step():
                        model.zero_grad(set_to_none=False)
                        (model(ids) * w).sum().backward()
                        if with_opt:
                            opt.step()
                    step()
                    best, best_cpu, reps, t_end = 1e30, 1e30, 0, time.time() + a.min_time
                    while reps < 2 or time.time() < t_end:
                        t0, c0 = time.perf_counter(), time.process_time()
                        step()
                        best = min(best, time.perf_counter() - t0)
                        best_cpu = min(best_cpu, time.process_time() - c0)
                        reps += 1
                    res.append((best, best_cpu))
                tok = 32 * n
                rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
                print("%-10s %5d %4d | %10.0f %10.0f %8.1f | %12.0f | %8.0f" % (
                    name, n, thr, tok / res[0][0], tok / res[0][1], flops(L, H, I, 32, n) / res[0][0] * 1e-9,
                    tok / res[1][0], rss), flush=True)


if __name__ == "__main__":
    main()
