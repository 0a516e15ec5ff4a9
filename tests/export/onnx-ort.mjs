// onnx-ort.mjs: `export-onnx` graphs run by onnxruntime-node equal `encode`.
//
// For each random model made with `vectorsmith-cli new-model` (BERT with
// every pooling mode, Dense layers with and without bias and with each
// activation, Normalize before and after a Dense; RoBERTa, DistilBERT,
// MPNet; opsets 14 and 17), the exported graph is run by onnxruntime (an
// independent implementation of every op) on texts tokenized by
// `vectorsmith-cli tokenize`, as one right-padded batch of several lengths
// and one text at a time; each sentence_embedding must equal `encode`'s
// within |a - b| <= 1e-4 (atol; rtol 0). Then the error paths: a folder
// that is not a model, an unwritable output (no file, no temp file left).
//
// Usage: node onnx-ort.mjs   (env from meson: VS_CLI, VS_JS_DIR, VS_SHARED_DATA)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const cli = process.env.VS_CLI;
const shared = process.env.VS_SHARED_DATA;
const req = createRequire(path.join(process.env.VS_JS_DIR, 'package.json'));
const ort = await import(pathToFileURL(req.resolve('onnxruntime-node')).href);
const ATOL = 1e-4;
let failures = 0;
function check(cond, what) {
  console.log(`${cond ? 'ok' : 'not ok'} - ${what}`);
  if (!cond) failures++;
}
function run(args, input) {
  return spawnSync(cli, args, { input: input ?? '', encoding: 'utf8', maxBuffer: 1 << 28 });
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vs-onnx-'));
const texts = [
  'A man is playing a guitar.',
  'Hi',
  'The quick brown fox jumps over the lazy dog, and then it runs far away into the forest.',
  'Sentence embeddings map text to vectors.',
  'ok ok',
];
const mpnetTok = path.join(shared, 'tokenizers', 'all-mpnet-base-v2');
const robertaTok = path.join(shared, 'tokenizers', 'roberta-base');

const cases = [
  { name: 'bert-mean', arch: 'bert', tok: mpnetTok, args: ['--pooling', 'mean'] },
  { name: 'bert-cls-dense-tanh-normalize', arch: 'bert', tok: mpnetTok,
    args: ['--pooling', 'cls', '--dense', '16:tanh', '--normalize'] },
  { name: 'bert-max-dense-relu-nobias', arch: 'bert', tok: mpnetTok,
    args: ['--pooling', 'max', '--dense', '24:relu:nobias'] },
  { name: 'bert-lasttoken', arch: 'bert', tok: mpnetTok, args: ['--pooling', 'lasttoken'] },
  { name: 'bert-weightedmean-dense-identity-nobias', arch: 'bert', tok: mpnetTok,
    args: ['--pooling', 'weightedmean', '--dense', '8:identity:nobias'] },
  { name: 'bert-mean_sqrt-dense-sigmoid-normalize-dense', arch: 'bert', tok: mpnetTok,
    args: ['--pooling', 'mean_sqrt_len_tokens', '--dense', '20:sigmoid', '--normalize', '--dense', '10:tanh'] },
  { name: 'bert-cls+max+mean', arch: 'bert', tok: mpnetTok, args: ['--pooling', 'cls+max+mean'] },
  { name: 'bert-mean-opset17', arch: 'bert', tok: mpnetTok, args: ['--pooling', 'mean', '--normalize'], opset: 17 },
  { name: 'roberta-mean-normalize', arch: 'roberta', tok: robertaTok, args: ['--pooling', 'mean', '--normalize'] },
  { name: 'xlm-roberta-cls', arch: 'xlm-roberta', tok: robertaTok, args: ['--pooling', 'cls'] },
  { name: 'distilbert-mean', arch: 'distilbert', tok: mpnetTok, args: ['--pooling', 'mean'] },
  { name: 'mpnet-mean-normalize', arch: 'mpnet', tok: mpnetTok, args: ['--pooling', 'mean', '--normalize'] },
  { name: 'mpnet-max-opset17', arch: 'mpnet', tok: mpnetTok, args: ['--pooling', 'max'], opset: 17 },
];

function maxDiff(a, b) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function runGraph(sess, enc, rows, padId, useTypes, returnAll = false) {
  const B = rows.length;
  const S = Math.max(...rows.map((r) => enc[r].ids.length));
  const ids = new BigInt64Array(B * S).fill(BigInt(padId));
  const mask = new BigInt64Array(B * S);
  const types = new BigInt64Array(B * S);
  rows.forEach((r, b) => {
    enc[r].ids.forEach((v, t) => {
      ids[b * S + t] = BigInt(v);
      mask[b * S + t] = 1n;
      types[b * S + t] = BigInt(enc[r].type_ids[t]);
    });
  });
  const feeds = {
    input_ids: new ort.Tensor('int64', ids, [B, S]),
    attention_mask: new ort.Tensor('int64', mask, [B, S]),
  };
  if (useTypes) feeds.token_type_ids = new ort.Tensor('int64', types, [B, S]);
  const out = await sess.run(feeds);
  return returnAll ? out : out.sentence_embedding;
}

for (const c of cases) {
  const dir = path.join(tmp, c.name);
  const onnx = path.join(tmp, `${c.name}.onnx`);
  let r = run(['new-model', '--architecture', c.arch, '--preset', 'tiny', '--tokenizer', c.tok,
               ...c.args, '--seed', '7', dir]);
  if (r.status !== 0) { check(false, `${c.name}: new-model: ${r.stderr}`); continue; }
  r = run(['export-onnx', dir, onnx, ...(c.opset ? ['--opset', String(c.opset)] : [])]);
  if (r.status !== 0) { check(false, `${c.name}: export-onnx: ${r.stderr}`); continue; }
  const tk = run(['tokenize', dir], texts.join('\n') + '\n');
  const en = run(['encode', dir], texts.join('\n') + '\n');
  if (tk.status !== 0 || en.status !== 0) { check(false, `${c.name}: tokenize/encode: ${tk.stderr}${en.stderr}`); continue; }
  const enc = tk.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const ref = en.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const lengths = new Set(enc.map((e) => e.ids.length));
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  const padId = cfg.pad_token_id ?? 0;
  let sess;
  try {
    sess = await ort.InferenceSession.create(onnx);
  } catch (e) {
    check(false, `${c.name}: onnxruntime cannot load the graph: ${e.message}`);
    continue;
  }
  const useTypes = sess.inputNames.includes('token_type_ids');
  check(sess.inputNames.includes('input_ids') && sess.inputNames.includes('attention_mask') &&
        sess.outputNames.includes('sentence_embedding') && sess.outputNames.includes('token_embeddings'),
        `${c.name}: inputs ${sess.inputNames} outputs ${sess.outputNames}`);
  check(useTypes === (c.arch === 'bert'), `${c.name}: token_type_ids only where the model has token types`);
  // one padded batch with every length
  const all = enc.map((_, i) => i);
  const emb = await runGraph(sess, enc, all, padId, useTypes);
  const D = ref[0].length;
  check(emb.dims[0] === texts.length && emb.dims[1] === D, `${c.name}: shape [${emb.dims}] == [${texts.length}, ${D}]`);
  let worst = 0;
  for (let i = 0; i < texts.length; i++)
    worst = Math.max(worst, maxDiff(emb.data.subarray(i * D, (i + 1) * D), ref[i]));
  check(worst <= ATOL, `${c.name}: padded batch (lengths ${[...lengths]}) max |onnx - encode| = ${worst.toExponential(2)} <= ${ATOL}`);
  // each text alone (no padding)
  let worst1 = 0;
  for (let i = 0; i < texts.length; i++) {
    const e1 = await runGraph(sess, enc, [i], padId, useTypes);
    worst1 = Math.max(worst1, maxDiff(e1.data, ref[i]));
  }
  check(worst1 <= ATOL, `${c.name}: one text at a time max |onnx - encode| = ${worst1.toExponential(2)} <= ${ATOL}`);
  // token_embeddings: their mean over the real tokens (computed here) is the
  // mean-pooled embedding of encode
  if (c.name === 'bert-mean') {
    const out = await runGraph(sess, enc, all, padId, useTypes, true);
    const te = out.token_embeddings;
    const [B, S, C] = te.dims;
    let worstT = 0;
    for (let b = 0; b < B; b++) {
      const L = enc[b].ids.length;
      for (let k = 0; k < C; k++) {
        let sum = 0;
        for (let t = 0; t < L; t++) sum += te.data[(b * S + t) * C + k];
        worstT = Math.max(worstT, Math.abs(sum / L - ref[b][k]));
      }
    }
    check(B === texts.length && C === D && worstT <= ATOL,
          `${c.name}: token_embeddings [${te.dims}] averaged here vs encode: max diff ${worstT.toExponential(2)} <= ${ATOL}`);
  }
}

// --max-length keeps only that many positions: longer inputs are refused by the runtime
{
  const dir = path.join(tmp, 'bert-mean');
  const onnx = path.join(tmp, 'short.onnx');
  const r = run(['export-onnx', dir, onnx, '--max-length', '8']);
  check(r.status === 0, `--max-length 8 exports (${r.stderr.trim()})`);
  if (r.status === 0) {
    const sess = await ort.InferenceSession.create(onnx);
    const tk = run(['tokenize', dir], texts[2] + '\n');
    const enc = [JSON.parse(tk.stdout)];
    let threw = false;
    try { await runGraph(sess, enc, [0], 1, true); } catch (e) { threw = true; }
    check(threw && enc[0].ids.length > 8, `a ${enc[0].ids.length}-token text is refused by a --max-length 8 graph`);
  }
}

// a folder that is not a model
{
  const notModel = path.join(tmp, 'not-a-model');
  fs.mkdirSync(notModel);
  fs.writeFileSync(path.join(notModel, 'readme.txt'), 'hello');
  const out = path.join(tmp, 'nm.onnx');
  const r = run(['export-onnx', notModel, out]);
  check(r.status !== 0 && r.stderr.includes(notModel) && !fs.existsSync(out),
        `not a model: exit ${r.status}, "${r.stderr.trim()}", no output`);
}

// an output path that cannot be written: a missing folder; a path that is a folder
{
  const dir = path.join(tmp, 'bert-mean');
  const bad = path.join(tmp, 'no-such-dir', 'out.onnx');
  let r = run(['export-onnx', dir, bad]);
  check(r.status !== 0 && r.stderr.includes(bad) && !fs.existsSync(path.dirname(bad)),
        `missing output folder: exit ${r.status}, "${r.stderr.trim()}"`);
  const asDir = path.join(tmp, 'is-a-dir');
  fs.mkdirSync(asDir);
  const before = fs.readdirSync(tmp).sort().join(',');
  r = run(['export-onnx', dir, asDir]);
  const after = fs.readdirSync(tmp).sort().join(',');
  check(r.status !== 0 && r.stderr.includes(asDir) && before === after && fs.readdirSync(asDir).length === 0,
        `output is a folder: exit ${r.status}, "${r.stderr.trim()}", nothing left behind`);
  r = run(['export-onnx', dir, path.join(tmp, 'x.onnx'), '--opset', '12']);
  check(r.status === 2 && r.stderr.includes('--opset'), `--opset 12 refused: "${r.stderr.trim()}"`);
}

fs.rmSync(tmp, { recursive: true, force: true });
console.log(failures === 0 ? 'all passed' : `${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
