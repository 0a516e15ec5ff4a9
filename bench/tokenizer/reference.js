// reference.js: the same measurement as bench-tokenizer.c with HF tokenizers
// (Rust 0.22.2 via npm @anush008/tokenizers 0.6.0, installed in
// tests/reference/tokenizer-js). run.sh sets RAYON_NUM_THREADS=1 and
// TOKENIZERS_PARALLELISM=false so the Rust side uses one thread; lines are
// encoded with encodeBatch in chunks of 256 to keep the Node<->Rust call
// overhead out of the number.
'use strict'
const path = require('path')
const fs = require('fs')
const { Tokenizer } = require(path.join(__dirname, '..', '..', 'tests', 'reference', 'tokenizer-js', 'node_modules', '@anush008', 'tokenizers'))

async function main () {
  const [tokPath, corpus] = process.argv.slice(2)
  const tok = Tokenizer.fromFile(tokPath)
  tok.disablePadding()
  tok.disableTruncation()
  const lines = fs.readFileSync(corpus, 'utf8').split('\n').filter(l => l.length > 0)
  let tokens = 0
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < lines.length; i += 256) {
    const encs = await tok.encodeBatch(lines.slice(i, i + 256))
    for (const e of encs) tokens += e.getLength()
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9
  console.log(`impl=hf-tokenizers tokenizer=${tokPath} lines=${lines.length} tokens=${tokens} seconds=${secs.toFixed(3)} tokens_per_s=${(tokens / secs).toFixed(0)}`)
}
main().catch(e => { console.error(e); process.exit(1) })
