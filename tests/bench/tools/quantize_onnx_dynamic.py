#!/usr/bin/python3
"""quantize_onnx_dynamic.py - ONNX Runtime's own int8 path for bench_encoder (issue 19): rewrite every
weight MatMul of an ONNX model as dynamic quantisation, the graph ONNX Runtime's quantize_dynamic
writes (its Python tool is not packaged in Debian; this uses only Debian's python3-onnx and numpy).

    /usr/bin/python3 tests/bench/tools/quantize_onnx_dynamic.py IN.onnx OUT.onnx [--per-tensor]

For each MatMul(X, W) whose W is a float initializer [K, N] (every nn.Linear of the exported
encoder: Q, K, V, attention output, FFN in and out; the attention products Q K^T and P V have no
initializer and stay float32, as in xlrec's int8 encoder):

    Xq, xs, xz = DynamicQuantizeLinear(X)         uint8 activations, per tensor, computed per call
    acc        = MatMulInteger(Xq, Wq, xz, 0)      int32; Wq int8 in [-127, 127], symmetric
    Y          = Cast<float>(acc) * (xs * ws)       ws: one scale per output column (per tensor
                                                    with --per-tensor, ORT's default)

ws[n] = max_k |W[k, n]| / 127 (1 for a zero column), Wq = round(W / ws) clamped to +-127: the rule
of `xlrec quantize --dtype int8` (per output channel).  One DynamicQuantizeLinear is shared by the
MatMuls that read the same X (Q, K and V), as ORT's tool does.  ONNX Runtime's graph optimiser
(level "all", ort_bench.js) fuses the pattern into DynamicQuantizeMatMul / MatMulIntegerToFloat and
runs MLAS's u8s8 int8 GEMM (AVX2 vpmaddubsw, AVX-512 VNNI where present).
"""
import argparse
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--per-tensor", action="store_true", help="one weight scale per matrix (ORT's default)")
    a = ap.parse_args()
    if a.src == a.dst:
        sys.exit("quantize_onnx_dynamic.py: the output would overwrite the input")
    model = onnx.load(a.src)
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    uses = {}
    for node in g.node:
        for i in node.input:
            uses[i] = uses.get(i, 0) + 1
    new_nodes, quantised_inputs, dropped, n_mm = [], {}, set(), 0
    for node in g.node:
        w = inits.get(node.input[1]) if node.op_type == "MatMul" and len(node.input) == 2 else None
        if w is None or w.data_type != TensorProto.FLOAT or len(w.dims) != 2:
            new_nodes.append(node)
            continue
        W = numpy_helper.to_array(w).astype(np.float32)  # [K, N]
        amax = np.abs(W).max() if a.per_tensor else np.abs(W).max(axis=0)
        scale = np.where(amax > 0, amax / 127.0, 1.0).astype(np.float32)
        Wq = np.clip(np.round(W / scale), -127, 127).astype(np.int8)
        base = node.name or node.output[0]
        x = node.input[0]
        if x not in quantised_inputs:
            q = [x + "_quantized", x + "_scale", x + "_zero_point"]
            new_nodes.append(helper.make_node("DynamicQuantizeLinear", [x], q, name=x + "_QuantizeLinear"))
            quantised_inputs[x] = q
        xq, xs, xz = quantised_inputs[x]
        wq_name, wz_name, ws_name = base + "_Wq", base + "_Wzp", base + "_Wscale"
        g.initializer.extend([numpy_helper.from_array(Wq, wq_name),
                              numpy_helper.from_array(np.array(0, dtype=np.int8), wz_name),
                              numpy_helper.from_array(np.asarray(scale, dtype=np.float32), ws_name)])
        acc, accf, s = base + "_int32", base + "_int32_float", base + "_scale_product"
        new_nodes.append(helper.make_node("MatMulInteger", [xq, wq_name, xz, wz_name], [acc], name=base + "_MatMulInteger"))
        new_nodes.append(helper.make_node("Cast", [acc], [accf], to=TensorProto.FLOAT, name=base + "_Cast"))
        new_nodes.append(helper.make_node("Mul", [xs, ws_name], [s], name=base + "_ScaleMul"))
        new_nodes.append(helper.make_node("Mul", [accf, s], [node.output[0]], name=base + "_OutputMul"))
        uses[w.name] -= 1
        if uses[w.name] == 0:
            dropped.add(w.name)
        n_mm += 1
    del g.node[:]
    g.node.extend(new_nodes)
    keep = [t for t in g.initializer if t.name not in dropped]
    del g.initializer[:]
    g.initializer.extend(keep)
    onnx.checker.check_model(model)
    onnx.save(model, a.dst)
    print(f"{a.dst}: {n_mm} MatMuls quantised ({'per tensor' if a.per_tensor else 'per output column'}), "
          f"{len(quantised_inputs)} DynamicQuantizeLinear")


if __name__ == "__main__":
    main()
