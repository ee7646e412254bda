#!/usr/bin/env node
// export_tokenize.js - token ids of each input line from an exported checkpoint's tokenizer.json,
// computed by HuggingFace tokenizers (the npm `tokenizers` package: the Node binding of the Rust
// library that transformers' BertTokenizerFast runs).  The reference side of the tokenizer check in
// docs/export.md and tests/tools/check_export.py.
//
//   npm install tokenizers@0.23.2            (in a folder outside the repository)
//   NODE_PATH=that/node_modules node tests/tools/export_tokenize.js EXPORT_DIR [FILE]
//
// Prints one line per input line: the ids with [CLS]/[SEP] ("2 1734 17 3"), truncated to
// sentence_bert_config.json's max_seq_length as SentenceTransformer.encode truncates (the last
// token kept is [SEP]).  Lines are read as UTF-8 without their line ending.
'use strict';
const fs = require('fs');
const path = require('path');
const { Tokenizer } = require('tokenizers');

async function main() {
    const argv = process.argv.slice(2);
    if (argv.length < 1 || argv.length > 2) {
        process.stderr.write('usage: export_tokenize.js EXPORT_DIR [FILE]\n');
        process.exit(2);
    }
    const dir = argv[0];
    const tok = Tokenizer.fromFile(path.join(dir, 'tokenizer.json'));
    let maxLen = 0;
    const sb = path.join(dir, 'sentence_bert_config.json');
    if (fs.existsSync(sb)) maxLen = JSON.parse(fs.readFileSync(sb, 'utf8')).max_seq_length || 0;
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
