#!/usr/bin/env node
// ort_bench.js - ONNX Runtime (onnxruntime-node, CPU) throughput on the random-weight BERT shapes
// exported by export_bert_onnx.py, timed like bench_encoder: best of --reps rounds of at least
// --min-time seconds (wall clock), and tokens per CPU-second of the whole process (process.cpuUsage:
// all ORT threads, user + system).
//
//   node tests/bench/tools/ort_bench.js --ort /tmp/ort --model /tmp/ort/minilm_l6.onnx
//        [--len 16,128,512] [--batch 1,8] [--threads 1,2] [--reps 3] [--min-time 0.3]
//
// Session options: intraOpNumThreads = threads, interOpNumThreads = 1, sequential execution,
// graphOptimizationLevel "all" (ORT's default; its BERT fusions apply), everything else default
// (intra-op threads spin while waiting, ORT's default).  Inputs: random ids in [1000, 21000) and an
// all-ones attention_mask.  With a single case (one value per list) it prints one line that
// bench_encoder reads: "ort tokens_per_s X cpu_tokens_per_s Y"; with several, a table.
'use strict';
const path = require('path');

function parseArgs(argv) {
    const a = {ort: process.env.XLREC_ORT_DIR || '/tmp/ort', model: null, len: [16, 128, 512], batch: [1, 8],
               threads: [1, 2], reps: 3, minTime: 0.3};
    const list = (s) => s.split(',').map((x) => parseInt(x, 10)).filter((x) => x > 0);
    for (let i = 2; i < argv.length; i++) {
        const k = argv[i], v = argv[i + 1];
        if (v === undefined) throw new Error(`${k}: missing value`);
        i++;
        if (k === '--ort') a.ort = v;
        else if (k === '--model') a.model = v;
        else if (k === '--len') a.len = list(v);
        else if (k === '--batch') a.batch = list(v);
        else if (k === '--threads') a.threads = list(v);
        else if (k === '--reps') a.reps = parseInt(v, 10);
        else if (k === '--min-time') a.minTime = parseFloat(v);
        else throw new Error(`unknown option ${k}`);
    }
    if (!a.model) a.model = path.join(a.ort, 'minilm_l6.onnx');
    return a;
}

async function timeCase(ort, session, batch, len, reps, minTime) {
    const n = batch * len;
    const ids = new BigInt64Array(n);
    let s = 99n;
    for (let i = 0; i < n; i++) { // deterministic LCG ids in [1000, 21000)
        s = (s * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
        ids[i] = 1000n + ((s >> 33n) % 20000n);
    }
    const feeds = {
        input_ids: new ort.Tensor('int64', ids, [batch, len]),
        attention_mask: new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [batch, len]),
    };
    await session.run(feeds); // warm-up
    let best = Infinity, bestCpu = Infinity;
    for (let r = 0; r < reps; r++) {
        let iters = 0;
        const t0 = process.hrtime.bigint(), c0 = process.cpuUsage();
        let t;
        do {
            await session.run(feeds);
            iters++;
            t = Number(process.hrtime.bigint() - t0) * 1e-9;
        } while (t < minTime || iters < 2);
        const c = process.cpuUsage(c0), cpu = (c.user + c.system) * 1e-6 / iters;
        best = Math.min(best, t / iters);
        if (cpu > 0) bestCpu = Math.min(bestCpu, cpu);
    }
    return {tokS: n / best, cpuTokS: n / bestCpu, ms: best * 1e3};
}

async function main() {
    const a = parseArgs(process.argv);
    const ort = require(path.join(a.ort, 'node_modules', 'onnxruntime-node'));
    const single = a.len.length === 1 && a.batch.length === 1 && a.threads.length === 1;
    if (!single) {
        console.log(`# ort_bench: onnxruntime-node ${ort.env.versions ? ort.env.versions.common : '?'}, model ${a.model}`);
        console.log(`# best of ${a.reps} rounds of >= ${a.minTime} s; tok/cpu-s = tokens per CPU-second (all threads)`);
        console.log(['seqlen', 'batch', 'threads', 'tokens/s', 'ms/batch', 'tok/cpu-s'].map((x) => x.padStart(9)).join(' '));
    }
    for (const threads of a.threads) {
        const session = await ort.InferenceSession.create(a.model, {
            intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential',
            graphOptimizationLevel: 'all',
        });
        for (const len of a.len)
            for (const batch of a.batch) {
                const r = await timeCase(ort, session, batch, len, a.reps, a.minTime);
                if (single) console.log(`ort tokens_per_s ${r.tokS.toFixed(1)} cpu_tokens_per_s ${r.cpuTokS.toFixed(1)}`);
                else console.log([len, batch, threads, r.tokS.toFixed(0), r.ms.toFixed(2), r.cpuTokS.toFixed(0)]
                                     .map((x) => String(x).padStart(9)).join(' '));
            }
        if (session.release) await session.release();
    }
}

main().catch((e) => {
    console.error(`ort_bench: ${e.message || e}`);
    process.exit(1);
});
