// franc_predict.mjs - run franc (npm, the UDHR-trained trigram identifier) on
// the text column of a langid test file, one prediction (ISO 639-3 or "und")
// per line.  minLength 1 so franc always guesses, like `xlrec langid
// --min-confidence 0`.  With --only LANGS.tsv franc is restricted to the
// languages of our model that it knows (its `only` option).
//
//   npm install --prefix /tmp/franc franc@6.2.0
//   FRANC_DIR=/tmp/franc node src/langid/tools/franc_predict.mjs test.tsv [--only langs.tsv] > franc.txt
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import {pathToFileURL} from 'node:url';

const dir = process.env.FRANC_DIR || '/tmp/franc';
const {franc} = await import(pathToFileURL(path.join(dir, 'node_modules/franc/index.js')).href);
const args = process.argv.slice(2);
const file = args[0];
let only = [];
const oi = args.indexOf('--only');
if (oi >= 0) {
  only = fs.readFileSync(args[oi + 1], 'utf8').split('\n').slice(1).filter(Boolean).map((l) => l.split('\t')[1]);
  only = [...new Set(only)];
}
const rl = readline.createInterface({input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity});
const out = [];
for await (const line of rl) {
  const cols = line.split('\t');
  const text = cols.slice(3).join('\t');
  out.push(franc(text, only.length ? {minLength: 1, only} : {minLength: 1}));
}
process.stdout.write(out.join('\n') + '\n');
