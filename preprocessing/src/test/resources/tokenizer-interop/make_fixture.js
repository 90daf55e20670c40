// Interop fixture for TokenizerInteropTest, produced with Hugging Face's own tokenizers (Rust,
// through its Node binding), never with our code:
//   1. expected_ids.json: tokenizer.json (written by our trainer from corpus.txt) loaded by HF,
//      encoding text.txt without added special tokens; DJL must produce the same ids.
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

async function encodeFixture() {
  const tok = Tokenizer.fromFile(path.join(here, 'tokenizer.json'));
  const text = fs.readFileSync(path.join(here, 'text.txt'), 'utf8');
  const lines = text.split('\n');
  const out = { whole: [], lines: [] };
  out.whole = (await tok.encode(text, null, { addSpecialTokens: false })).getIds();
  for (const line of lines) {
    out.lines.push((await tok.encode(line, null, { addSpecialTokens: false })).getIds());
  }
  const decoded = await tok.decode(out.whole, false);
  if (decoded !== text) {
    throw new Error('HF round trip failed on text.txt');
  }
  fs.writeFileSync(path.join(here, 'expected_ids.json'), JSON.stringify(out) + '\n');
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
