#!/usr/bin/env node
// hf_bench.js - throughput of HuggingFace's native tokenizers (Rust, via the npm
// package @anush008/tokenizers of ../shared/tools/ref-tokenizer) on a text file,
// one thread, for tests/bench/bench_tokenizer.c to print side by side with xlrec.
//
//   RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false \
//   NODE_PATH=/tmp/ref-tokenizer/node_modules node tokenizer/tools/hf_bench.js TOKENIZER_JSON FILE
//
// Output (one line): "hf <cpu seconds> <wall seconds> <bytes> <lines> <tokens>"; best
// (by process CPU time, all threads) of 3 runs of encodeBatch over all lines
// (split on "\n") with [CLS]/[SEP].
'use strict';
const fs = require('fs');
const { Tokenizer } = require('@anush008/tokenizers');
async function main() {
  const [tokPath, file] = process.argv.slice(2);
  const tok = Tokenizer.fromFile(tokPath);
  const buf = fs.readFileSync(file);
  const lines = buf.toString('utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let best = Infinity, bestWall = 0, tokens = 0;
  for (let run = 0; run < 3; run++) {
    const t0 = process.hrtime.bigint(), c0 = process.cpuUsage();
    let n = 0;
    for (let i = 0; i < lines.length; i += 1000) {
      const encs = await tok.encodeBatch(lines.slice(i, i + 1000), { addSpecialTokens: true });
      for (const e of encs) n += e.getLength();
    }
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const cu = process.cpuUsage(c0), cpu = (cu.user + cu.system) / 1e6;
    if (cpu < best) { best = cpu; bestWall = wall; }
    tokens = n;
  }
  console.log(`hf ${best} ${bestWall} ${buf.length} ${lines.length} ${tokens}`);
}
main().catch((e) => { console.error(e); process.exit(1); });
