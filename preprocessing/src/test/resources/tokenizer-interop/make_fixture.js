// Interop fixture for TokenizerInteropTest, produced with Hugging Face's own tokenizers (Rust,
// through its Node binding), never with our code:
//   1. expected_ids.json: tokenizer.json, tokenizer-char.json and tokenizer-word.json (written by
//      our trainer from corpus.txt) loaded by HF, encoding text.txt (whole and line by line) without
//      added special tokens; DJL must produce the same ids.
//   2. hf_merges.json: HF's BpeTrainer (defaults: no specials, min_frequency 0, vocab 30000) run
//      on corpus.txt with the same ByteLevel pre-tokenizer (add_prefix_space false); HF reads the
//      file line by line, each line keeping its "\n". Our trainer must learn the same merges.
//
// Run once, outside the repository (no node_modules in the repo):
//   mkdir -p /tmp/hf-node && cd /tmp/hf-node && npm init -y && npm install tokenizers@0.23.2
//   NODE_PATH=/tmp/hf-node/node_modules node make_fixture.js   (from this directory)
const fs = require('fs');
const path = require('path');
const os = require('os');
const { Tokenizer, BPE, byteLevelPreTokenizer, byteLevelDecoder } = require('tokenizers');

const here = __dirname;

async function encodeWith(file, text) {
  const tok = Tokenizer.fromFile(path.join(here, file));
  const out = { whole: [], lines: [] };
  out.whole = (await tok.encode(text, null, { addSpecialTokens: false })).getIds();
  for (const line of text.split('\n')) {
    out.lines.push((await tok.encode(line, null, { addSpecialTokens: false })).getIds());
  }
  out.decoded = await tok.decode(out.whole, false);
  return out;
}

async function encodeFixture() {
  const text = fs.readFileSync(path.join(here, 'text.txt'), 'utf8');
  const out = {
    bpe: await encodeWith('tokenizer.json', text),
    char: await encodeWith('tokenizer-char.json', text),
    word: await encodeWith('tokenizer-word.json', text),
  };
  if (out.bpe.decoded !== text) {
    throw new Error('HF byte-level round trip failed on text.txt');
  }
  fs.writeFileSync(path.join(here, 'expected_ids.json'), JSON.stringify(out, null, 0) + '\n');
}

function trainFixture() {
  const tok = new Tokenizer(BPE.empty());
  tok.setPreTokenizer(byteLevelPreTokenizer(false, true));
  tok.train([path.join(here, 'corpus.txt')]);
  const tmp = path.join(os.tmpdir(), 'hf-trained-' + process.pid + '.json');
  tok.save(tmp, false);
  const model = JSON.parse(fs.readFileSync(tmp, 'utf8')).model;
  fs.unlinkSync(tmp);
  // Newer versions write merges as [left, right] pairs, older ones as "left right" strings.
  const merges = model.merges.map((m) => (Array.isArray(m) ? m.join(' ') : m));
  fs.writeFileSync(path.join(here, 'hf_merges.json'), JSON.stringify(merges, null, 0) + '\n');
}

encodeFixture()
  .then(trainFixture)
  .catch((e) => {
    console.error(e);
    process.exit(1);
  });
