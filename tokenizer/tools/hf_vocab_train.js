// hf_vocab_train.js - the reference for `xlrec vocab train`: train a WordPiece
// vocabulary with HuggingFace tokenizers (the npm `tokenizers` package, Node
// binding of the Rust library) and print it as vocab.txt (one token per line,
// line number = id).
//
//   npm install tokenizers@0.23.2      (in some folder outside the repository)
//   NODE_PATH=that/node_modules node tokenizer/tools/hf_vocab_train.js \
//       [--lowercase] [--strip-accents 0|1] [--no-chinese-chars] --out vocab.txt FILE...
//
// The binding exposes only Tokenizer.train(files), which runs the model's
// default trainer: WordPieceTrainer with vocab_size 30000, min_frequency 0, no
// special tokens, no alphabet limit, continuing_subword_prefix "##".  Training
// is greedy, so the vocabulary for any smaller --vocab-size is a prefix of this
// one (ids are handed out in creation order and never taken back).
// Files are read line by line with their line endings (train_from_files), each
// line goes through BertNormalizer and BertPreTokenizer; docs/vocabulary.md
// says how the output is compared with xlrec's.
'use strict';
const { Tokenizer } = require('tokenizers');

let lowercase = false, strip = null, chinese = true, outPath = null;
const files = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--lowercase') lowercase = true;
    else if (argv[i] === '--strip-accents') strip = argv[++i] === '1';
    else if (argv[i] === '--no-chinese-chars') chinese = false;
    else if (argv[i] === '--out') outPath = argv[++i];
    else files.push(argv[i]);
}
if (!files.length || !outPath) {
    process.stderr.write('usage: hf_vocab_train.js [--lowercase] [--strip-accents 0|1] [--no-chinese-chars] --out FILE FILE...\n');
    process.exit(2);
}
const json = {
    version: '1.0', truncation: null, padding: null, added_tokens: [],
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: chinese,
                  strip_accents: strip, lowercase: lowercase },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: null,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##',
             max_input_chars_per_word: 100, vocab: {} },
};
const tok = Tokenizer.fromString(JSON.stringify(json));
tok.train(files);
const vocab = tok.getVocab(true);
const byId = [];
for (const [t, id] of Object.entries(vocab)) byId[id] = t;
const out = [];
for (let id = 0; id < byId.length; id++) out.push(byId[id] === undefined ? '' : byId[id]);
// (the trainer's progress bar prints to stdout, so the vocabulary goes to a file)
require('fs').writeFileSync(outPath, out.join('\n') + '\n');
