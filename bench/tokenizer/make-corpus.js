// make-corpus.js DATA_DIR BYTES: a few MB of English text, one sentence per
// line, from the text columns of the datasets in ../shared/data (STS-B, PAWS,
// SNLI, Banking77), repeated in a shuffled order until BYTES are reached.
'use strict'
const fs = require('fs')
const path = require('path')
const [dir, bytesArg] = process.argv.slice(2)
const want = Number(bytesArg || 4000000)
const sents = []
const add = s => { s = (s || '').trim(); if (s.length > 0) sents.push(s.replace(/[\r\n\t]+/g, ' ')) }
for (const f of ['sts-train.images+track5.csv', 'sts-dev.images+track5.csv', 'sts-test.images+track5.csv']) {
  for (const line of fs.readFileSync(path.join(dir, 'datasets/stsb', f), 'utf8').split('\n')) {
    const cols = line.split('\t'); add(cols[5]); add(cols[6])
  }
}
for (const line of fs.readFileSync(path.join(dir, 'datasets/paws/paws_wiki_labeled_final_dev.first1000.tsv'), 'utf8').split('\n').slice(1)) {
  const cols = line.split('\t'); add(cols[1]); add(cols[2])
}
for (const line of fs.readFileSync(path.join(dir, 'datasets/snli/snli_1.0_dev.first500.jsonl'), 'utf8').split('\n')) {
  if (line) { const j = JSON.parse(line); add(j.sentence1); add(j.sentence2) }
}
for (const line of fs.readFileSync(path.join(dir, 'datasets/banking77/test.csv'), 'utf8').split('\n').slice(1)) {
  const m = line.match(/^"?(.*?)"?,[^,]*$/); if (m) add(m[1])
}
let seed = 12345
const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 }
const out = []
let total = 0
while (total < want) {
  const s = sents[Math.floor(rnd() * sents.length)]
  out.push(s); total += Buffer.byteLength(s) + 1
}
process.stdout.write(out.join('\n') + '\n')
