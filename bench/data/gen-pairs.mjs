// Writes a pairs dataset (anchor, positive, score) of N rows as JSONL, CSV
// (RFC 4180 quoting: some texts hold commas and quotes) and Parquet
// (parquet-wasm, SNAPPY, dictionary off for the text columns, 100k-row
// row groups): node gen-pairs.mjs OUT_DIR [N]
import { createWriteStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(join(process.cwd(), 'tests/reference/data-js/'));
const arrow = require('apache-arrow');
const pw = require('parquet-wasm/node');

const out = process.argv[2];
const N = Number(process.argv[3] || 1000000);
const words = ('the a of to and in is was for on with as by at from that this it an be are were has had not but ' +
  'or which one all their there been his her they can who more when will would about into over after people ' +
  'time year new first work school city river music team world game film state house war water north, south, ' +
  '"quoted" café naïve').split(' ');
let s = 42;
const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
const sentence = (n) => { let t = words[Math.floor(rnd() * words.length)]; for (let i = 1; i < n; i++) t += ' ' + words[Math.floor(rnd() * words.length)]; return t; };

const anchors = new Array(N), positives = new Array(N), scores = new Float64Array(N);
for (let i = 0; i < N; i++) {
  anchors[i] = `q${i} ` + sentence(6 + Math.floor(rnd() * 8));
  positives[i] = `p${i} ` + sentence(10 + Math.floor(rnd() * 14));
  scores[i] = Math.round(rnd() * 5000) / 1000;
}
const csvField = (t) => (/[",\n]/.test(t) ? '"' + t.replaceAll('"', '""') + '"' : t);
const jl = createWriteStream(join(out, 'pairs.jsonl'));
const csv = createWriteStream(join(out, 'pairs.csv'));
csv.write('anchor,positive,score\n');
let bufJ = '', bufC = '';
for (let i = 0; i < N; i++) {
  bufJ += JSON.stringify({ anchor: anchors[i], positive: positives[i], score: scores[i] }) + '\n';
  bufC += csvField(anchors[i]) + ',' + csvField(positives[i]) + ',' + scores[i] + '\n';
  if (bufJ.length > 1 << 20) { jl.write(bufJ); csv.write(bufC); bufJ = ''; bufC = ''; }
}
jl.end(bufJ); csv.end(bufC);
const table = new arrow.Table({
  anchor: arrow.vectorFromArray(anchors, new arrow.Utf8()),
  positive: arrow.vectorFromArray(positives, new arrow.Utf8()),
  score: arrow.vectorFromArray(scores, new arrow.Float64()),
});
const props = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.SNAPPY)
  .setDictionaryEnabled(false).setMaxRowGroupSize(100000).build();
writeFileSync(join(out, 'pairs.parquet'), pw.writeParquet(pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream')), props));
console.error(`wrote ${N} rows to ${out}`);
