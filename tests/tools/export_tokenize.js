#!/usr/bin/env node
// export_tokenize.js - token ids of each input line from an exported checkpoint's tokenizer.json,
// computed by HuggingFace tokenizers (the npm `tokenizers` package: the Node binding of the Rust
// library that transformers' BertTokenizerFast runs).  The reference side of the tokenizer check in
// docs/export.md and tests/tools/check_export.py.
//
//   npm install tokenizers@0.23.2            (in a folder outside the repository)
//   NODE_PATH=that/node_modules node tests/tools/export_tokenize.js [--max-len N] EXPORT_DIR [FILE]
//
// Prints one line per input line: the ids with [CLS]/[SEP] ("2 1734 17 3"), truncated to
// sentence_bert_config.json's max_seq_length as SentenceTransformer.encode truncates (the last
// token kept is [SEP]); --max-len N truncates to N instead (0: not at all).  Lines are read as
// UTF-8 without their line ending.
'use strict';
const fs = require('fs');
const path = require('path');
const { Tokenizer } = require('tokenizers');

async function main() {
    const argv = process.argv.slice(2);
    let maxLen = -1;
    if (argv[0] === '--max-len') {
        maxLen = parseInt(argv[1], 10);
        argv.splice(0, 2);
    }
    if (argv.length < 1 || argv.length > 2 || !(maxLen >= -1)) {
        process.stderr.write('usage: export_tokenize.js [--max-len N] EXPORT_DIR [FILE]\n');
        process.exit(2);
    }
    const dir = argv[0];
    const tok = Tokenizer.fromFile(path.join(dir, 'tokenizer.json'));
    const sb = path.join(dir, 'sentence_bert_config.json');
    if (maxLen < 0) maxLen = fs.existsSync(sb) ? JSON.parse(fs.readFileSync(sb, 'utf8')).max_seq_length || 0 : 0;
    if (maxLen > 0) tok.setTruncation(maxLen);
    const text = fs.readFileSync(argv.length > 1 ? argv[1] : 0, 'utf8');
    const lines = text.split('\n');
    if (lines.length && lines[lines.length - 1] === '') lines.pop();
    const out = [];
    for (const line of lines) {
        const enc = await tok.encode(line.replace(/\r$/, ''));
        out.push(enc.getIds().join(' '));
    }
    process.stdout.write(out.join('\n') + (out.length ? '\n' : ''));
}

main().catch((e) => {
    process.stderr.write(`export_tokenize.js: ${e.message}\n`);
    process.exit(1);
});
