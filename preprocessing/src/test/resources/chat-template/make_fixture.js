// Fixture for ChatTemplateInteropTest, produced with Hugging Face's own libraries, never our code:
// @huggingface/jinja (the Jinja engine transformers.js uses for apply_chat_template) renders
// chat_template.jinja, and the Node binding of HF tokenizers encodes the result with the
// tokenizer-interop tokenizer.json. Java must render the same text and produce the same ids.
//
// Run once, outside the repository (no node_modules in the repo):
//   mkdir -p /tmp/hf-node && cd /tmp/hf-node && npm init -y
//   npm install tokenizers@0.23.2 @huggingface/jinja@0.5.11
//   NODE_PATH=/tmp/hf-node/node_modules node make_fixture.js   (from this directory)
const fs = require('fs');
const path = require('path');
const { Template } = require('@huggingface/jinja');
const { Tokenizer } = require('tokenizers');

const here = __dirname;
const template = new Template(fs.readFileSync(path.join(here, 'chat_template.jinja'), 'utf8'));
const conversations = [
  [
    { role: 'system', content: 'You label passages.' },
    { role: 'user', content: 'Which genre is this: "The jury said"?' },
    { role: 'assistant', content: 'news' },
  ],
  [
    { role: 'user', content: 'hi' },
    { role: 'assistant', content: 'hello' },
    { role: 'user', content: 'what now?' },
    { role: 'assistant', content: 'tea.' },
  ],
];

async function main() {
  const tok = Tokenizer.fromFile(path.join(here, '../tokenizer-interop/tokenizer.json'));
  const out = [];
  for (const messages of conversations) {
    const full = template.render({ messages, eos_token: '<|endoftext|>', add_generation_prompt: false });
    const prompt = template.render({
      messages: messages.slice(0, -1), eos_token: '<|endoftext|>', add_generation_prompt: true });
    const ids = (await tok.encode(full, null, { addSpecialTokens: false })).getIds();
    out.push({ messages, full, prompt, ids });
  }
  fs.writeFileSync(path.join(here, 'expected.json'), JSON.stringify(out, null, 1) + '\n');
}
main();
