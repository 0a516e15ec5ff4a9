// interop.mjs: vectorsmith-cli against a real Hub client, npm's @huggingface/hub
// (huggingface.js), both talking to the fake Hub over HTTP.
//
//   1. `vectorsmith-cli push` a model folder (weights through LFS: basic and
//      multipart); huggingface.js snapshotDownload gets every byte intact.
//   2. `vectorsmith-cli pull` of the same repo into an empty cache writes the
//      same cache tree (blobs, refs, snapshot symlinks) as huggingface.js.
//   3. huggingface.js uploadFiles({useXet: false}); `vectorsmith-cli pull` reads it.
//   4. whoami / login / failure paths of the CLI, in words, without the token.
//
// Usage: node interop.mjs FAKE_HUB   (env from meson: VS_CLI, VS_JS_DIR, VS_SHARED_DATA, VS_BUILD_DIR)
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';

const fakeHubPath = process.argv[2];
const cli = process.env.VS_CLI;
const jsDir = process.env.VS_JS_DIR;
const shared = process.env.VS_SHARED_DATA;
const outputs = [];
let failures = 0;

function check(cond, what) {
  if (cond) {
    console.log(`ok - ${what}`);
  } else {
    console.log(`not ok - ${what}`);
    failures++;
  }
}

let hubLib;
try {
  const req = createRequire(path.join(jsDir, 'package.json'));
  hubLib = await import(pathToFileURL(req.resolve('@huggingface/hub')).href);
} catch (e) {
  console.log(`# @huggingface/hub is not installed in ${jsDir} (run tools/setup.sh): ${e.message}`);
  process.exit(77);
}

// ---- the fake Hub ---------------------------------------------------------
const fake = spawn(fakeHubPath, ['--parquet', path.join(shared, 'parquet', 'alltypes_plain.parquet')],
                   { stdio: ['pipe', 'pipe', 'inherit'] });
const firstLine = await new Promise((resolve) => {
  readline.createInterface({ input: fake.stdout }).once('line', resolve);
});
const [hubUrl] = firstLine.split(' ');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vs-hub-interop-'));
process.on('exit', () => {
  try { fake.stdin.end(); fake.kill(); } catch { /* already gone */ }
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function state() {
  return (await fetch(`${hubUrl}/_test/state`)).json();
}

function run(args, { env = {}, input } = {}) {
  const r = spawnSync(cli, args, {
    input,
    encoding: 'utf8',
    env: { ...process.env, HF_ENDPOINT: hubUrl, HF_HUB_DISABLE_TELEMETRY: '1', ...env },
  });
  outputs.push(`$ vectorsmith-cli ${args.join(' ')}\n${r.stdout}${r.stderr}`);
  return r;
}

// ---- a model folder: real safetensors weights plus a small hand-made one -------
function safetensors(n) {
  const header = JSON.stringify({ w: { dtype: 'F32', shape: [n], data_offsets: [0, n * 4] } });
  const padded = Math.ceil(header.length / 8) * 8;
  const buf = Buffer.alloc(8 + padded + n * 4, 0x20);
  buf.writeBigUInt64LE(BigInt(padded), 0);
  buf.write(header, 8, 'utf8');
  for (let i = 0; i < n; i++) buf.writeFloatLE(i * 0.5 - 7, 8 + padded + i * 4);
  return buf;
}

const model = path.join(tmp, 'model');
const labse = path.join(shared, 'models', 'LaBSE-partial');
for (const f of ['config.json', 'config_sentence_transformers.json', 'modules.json', 'sentence_bert_config.json',
                 'special_tokens_map.json', 'tokenizer_config.json', '1_Pooling/config.json', '2_Dense/config.json',
                 '2_Dense/model.safetensors']) {
  fs.mkdirSync(path.dirname(path.join(model, f)), { recursive: true });
  fs.copyFileSync(path.join(labse, f), path.join(model, f));
}
fs.writeFileSync(path.join(model, 'model.safetensors'), safetensors(12000));

function listFiles(dir, prefix = '') {
  let out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out = out.concat(listFiles(path.join(dir, e.name), rel));
    else out.push(rel);
  }
  return out.sort();
}

function sameBytes(a, b) {
  return fs.existsSync(a) && fs.existsSync(b) && Buffer.compare(fs.readFileSync(a), fs.readFileSync(b)) === 0;
}

// A description of a cache repo folder: every path with its kind and content
// (link target, file bytes as sha256), without trees/ and .no_exist/, which
// huggingface.js does not write.
import crypto from 'node:crypto';
function describe(dir, prefix = '') {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((x, y) => x.name.localeCompare(y.name))) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (!prefix && (e.name === 'trees' || e.name === '.no_exist')) continue;
    const full = path.join(dir, e.name);
    if (e.isSymbolicLink()) out.push(`L ${rel} -> ${fs.readlinkSync(full)}`);
    else if (e.isDirectory()) { out.push(`D ${rel}`); out.push(...describe(full, rel)); }
    else out.push(`F ${rel} ${crypto.createHash('sha256').update(fs.readFileSync(full)).digest('hex')}`);
  }
  return out;
}

// ---- 1. push with the CLI, download with huggingface.js -------------------------
const env = { HF_HOME: path.join(tmp, 'hf-cli'), HF_TOKEN: 'hf_test_write' };
let r = run(['push', model, 'testuser/cli-model', '--message', 'Add model'], { env });
check(r.status === 0, `push exits 0 (${r.stderr.trim()})`);
const commitUrl = r.stdout.trim();
check(/^http:\/\/127\.0\.0\.1:\d+\/testuser\/cli-model\/commit\/[0-9a-f]{40}$/.test(commitUrl), `push prints the commit URL (${commitUrl})`);

const jsCache = path.join(tmp, 'js-cache');
const creds = { accessToken: 'hf_test_write' };
const jsSnap = await hubLib.snapshotDownload({ repo: { type: 'model', name: 'testuser/cli-model' }, cacheDir: jsCache,
                                               hubUrl, ...creds });
for (const f of listFiles(model)) {
  check(sameBytes(path.join(model, f), path.join(jsSnap, f)), `huggingface.js downloads ${f} intact`);
}
const card = fs.readFileSync(path.join(jsSnap, 'README.md'), 'utf8');
check(card.startsWith('---\n') && card.includes('library_name: sentence-transformers') &&
      card.includes('pipeline_tag: sentence-similarity') && card.includes('SentenceTransformer("testuser/cli-model")'),
      'push added a sentence-transformers model card');
check(commitUrl.endsWith(path.basename(jsSnap)), 'the snapshot huggingface.js names is the pushed commit');

// ---- 1b. the model card, read back by an independent YAML parser -------------------
{
  const req = createRequire(path.join(jsDir, 'package.json'));
  const YAML = await import(pathToFileURL(req.resolve('yaml')).href);
  const front = YAML.parse(card.split('\n---\n')[0].slice(4));
  check(front.library_name === 'sentence-transformers' && front.pipeline_tag === 'sentence-similarity' &&
        Array.isArray(front.tags) && front.tags.includes('sentence-transformers'), 'card front matter parses (untrained)');

  const trained = path.join(tmp, 'trained');
  fs.cpSync(model, trained, { recursive: true });
  const record = {
    base_model: 'sentence-transformers/LaBSE',
    datasets: [{ name: 'sentence-transformers/all-nli', path: 'sentence-transformers/all-nli', split: 'train',
                 num_rows: 1000, columns: ['anchor', 'positive', 'negative'],
                 samples: [{ anchor: 'A person on a horse jumps over a broken down airplane.',
                             positive: 'A person is outdoors, on a horse.', negative: 'A person is at a diner: ordering an omelette.' },
                           { anchor: "Children smiling and waving at camera", positive: 'There are children present',
                             negative: 'The kids are frowning' }] },
               { name: 'sentence-transformers/stsb', split: 'validation', num_rows: 100, columns: ['sentence1', 'sentence2', 'score'] }],
    loss: { name: 'MultipleNegativesRankingLoss', params: { scale: 20.0, similarity_fct: 'cos_sim' } },
    args_non_default: { num_train_epochs: 1, per_device_train_batch_size: 16, learning_rate: 2e-5 },
    log: [{ epoch: 0.5, step: 31, training_loss: 1.2345, 'sts-dev_spearman_cosine': 0.71 },
          { epoch: 1.0, step: 62, training_loss: 0.9876, 'sts-dev_spearman_cosine': 0.7345 }],
    final_metrics: { 'sts-dev_pearson_cosine': 0.7421, 'sts-dev_spearman_cosine': 0.7345 },
    evaluator: 'EmbeddingSimilarityEvaluator',
  };
  fs.writeFileSync(path.join(trained, 'vectorsmith_training_record.json'), JSON.stringify(record));
  const rr = run(['push', trained, 'testuser/trained-model'], { env: { HF_HOME: path.join(tmp, 'hf-t'), HF_TOKEN: 'hf_test_write' } });
  check(rr.status === 0, `push of a trained model (${rr.stderr.trim()})`);
  const snapT = await hubLib.snapshotDownload({ repo: { type: 'model', name: 'testuser/trained-model' },
                                                cacheDir: path.join(tmp, 'js-cache-t'), hubUrl, ...creds });
  const cardT = fs.readFileSync(path.join(snapT, 'README.md'), 'utf8');
  const fm = YAML.parse(cardT.split('\n---\n')[0].slice(4));
  const mi = fm['model-index']?.[0]?.results?.[0];
  check(fm.base_model === 'sentence-transformers/LaBSE', 'card: base_model');
  check(fm.widget?.length === 2 && fm.widget[0].source_sentence === record.datasets[0].samples[0].anchor &&
        JSON.stringify(fm.widget[0].sentences) === JSON.stringify([record.datasets[0].samples[0].positive,
          record.datasets[0].samples[0].negative, record.datasets[0].samples[1].anchor]) &&
        fm.widget[1].sentences[0] === 'There are children present', 'card: widget examples from the samples');
  check(JSON.stringify(fm.datasets) === JSON.stringify(['sentence-transformers/all-nli']), 'card: training datasets');
  check(['generated_from_trainer', 'dataset_size:1000', 'loss:MultipleNegativesRankingLoss'].every((t) => fm.tags.includes(t)),
        `card: trainer tags (${fm.tags})`);
  check(JSON.stringify(fm.metrics) === JSON.stringify(['pearson_cosine', 'spearman_cosine']), 'card: metrics without the evaluator prefix');
  check(mi?.task?.type === 'semantic-similarity' && mi?.dataset?.name === 'sts-dev' &&
        mi.metrics.length === 2 && mi.metrics[0].type === 'pearson_cosine' && mi.metrics[0].value === 0.7421 &&
        mi.metrics[1].name === 'Spearman Cosine' && mi.metrics[1].value === 0.7345, 'card: model-index holds the final metrics');
  const order = ['# SentenceTransformer based on sentence-transformers/LaBSE', '## Model Details', '### Full Model Architecture',
                 '## Usage', '## Evaluation', '## Training Details', '### Training Dataset', '### Evaluation Dataset',
                 '### Training Hyperparameters', '### Training Logs', '### Framework Versions', '## Citation'];
  let at = 0;
  const inOrder = order.every((h) => { const i = cardT.indexOf(h, at); if (i < 0) return false; at = i; return true; });
  check(inOrder, 'card: body sections in sentence-transformers order');
  check(cardT.includes('| 1.0 | 62 | 0.9876 | 0.7345 |'), 'card: training log row');
}

// ---- 2. pull with the CLI: the same cache tree as huggingface.js ------------------
// (regular files now answer 307 to /api/resolve-cache/..., as the Hub does)
await fetch(`${hubUrl}/_test/config`, { method: 'POST', body: JSON.stringify({ resolve_cache: true }) });
r = run(['pull', 'testuser/cli-model'], { env });
check(r.status === 0, `pull exits 0 (${r.stderr.trim()})`);
const cliSnap = r.stdout.trim();
check(cliSnap === path.join(env.HF_HOME, 'hub', 'models--testuser--cli-model', 'snapshots', path.basename(jsSnap)),
      `pull prints the snapshot folder (${cliSnap})`);
{
  const log = await (await fetch(`${hubUrl}/_test/log`)).json();
  check(log.some((e) => e.method === 'HEAD' && e.path.startsWith('/api/resolve-cache/')) &&
        log.some((e) => e.method === 'GET' && e.path.startsWith('/api/resolve-cache/')),
        'pull followed the relative 307 to /api/resolve-cache/ for HEAD and GET');
}
const a = describe(path.join(jsCache, 'models--testuser--cli-model'));
const b = describe(path.join(env.HF_HOME, 'hub', 'models--testuser--cli-model'));
check(a.length > 10 && JSON.stringify(a) === JSON.stringify(b), 'pull writes the cache tree huggingface.js writes');
if (JSON.stringify(a) !== JSON.stringify(b)) {
  console.log('# huggingface.js:\n# ' + a.join('\n# '));
  console.log('# vectorsmith:\n# ' + b.join('\n# '));
}
check(fs.readFileSync(path.join(env.HF_HOME, 'hub', 'models--testuser--cli-model', 'refs', 'main'), 'utf8') ===
      path.basename(jsSnap), 'refs/main holds the commit without a newline');

// ---- 3. upload with huggingface.js, pull with the CLI ------------------------------
await hubLib.createRepo({ repo: { type: 'model', name: 'testuser/js-model' }, hubUrl, ...creds });
const big = fs.readFileSync(path.join(labse, '2_Dense', 'model.safetensors'));
const small = safetensors(3000);
const text = 'hello from huggingface.js\n';
await hubLib.uploadFiles({
  repo: { type: 'model', name: 'testuser/js-model' }, hubUrl, ...creds, useXet: false,
  commitTitle: 'Upload from huggingface.js',
  files: [
    { path: 'weights/big.safetensors', content: new Blob([big]) },
    { path: 'small.safetensors', content: new Blob([small]) },
    { path: 'notes/readme.txt', content: new Blob([text]) },
  ],
});
const env2 = { HF_HOME: path.join(tmp, 'hf-cli-2') };   // anonymous pull
r = run(['pull', 'testuser/js-model'], { env: env2 });
check(r.status === 0, `pull of the huggingface.js upload exits 0 (${r.stderr.trim()})`);
const snap2 = r.stdout.trim();
check(fs.existsSync(path.join(snap2, 'weights/big.safetensors')) &&
      Buffer.compare(fs.readFileSync(path.join(snap2, 'weights/big.safetensors')), big) === 0, 'pull reads the multipart LFS upload');
check(fs.existsSync(path.join(snap2, 'small.safetensors')) &&
      Buffer.compare(fs.readFileSync(path.join(snap2, 'small.safetensors')), small) === 0, 'pull reads the basic LFS upload');
check(fs.existsSync(path.join(snap2, 'notes/readme.txt')) &&
      fs.readFileSync(path.join(snap2, 'notes/readme.txt'), 'utf8') === text, 'pull reads the inline file');

// ---- 4. whoami, login, failures ---------------------------------------------------
r = run(['whoami'], { env: { ...env, HF_TOKEN: 'hf_test_write' } });
check(r.status === 0 && r.stdout.startsWith('testuser\n'), 'whoami prints the user');
r = run(['whoami'], { env: { ...env, HF_TOKEN: 'hf_wrong_token' } });
check(r.status === 1 && r.stderr.startsWith('vectorsmith-cli whoami: ') && r.stderr.includes('invalid credentials') &&
      !r.stderr.includes('hf_wrong_token'), `whoami with a bad token fails in words (${r.stderr.trim()})`);
const loginHome = path.join(tmp, 'hf-login');
r = run(['login'], { env: { HF_HOME: loginHome, HF_TOKEN: '' }, input: 'hf_test_write\n' });
check(r.status === 0 && r.stdout.trim() === 'Logged in as testuser', `login (${r.stdout.trim()} ${r.stderr.trim()})`);
const tokFile = path.join(loginHome, 'token');
check(fs.existsSync(tokFile) && fs.readFileSync(tokFile, 'utf8') === 'hf_test_write' &&
      (fs.statSync(tokFile).mode & 0o777) === 0o600, 'login writes the token file, mode 0600, no newline');
r = run(['whoami'], { env: { HF_HOME: loginHome, HF_TOKEN: '' } });
check(r.status === 0 && r.stdout.startsWith('testuser'), 'whoami uses the saved token');
r = run(['push', model, 'testuser/cli-model'], { env: { ...env, HF_TOKEN: 'hf_test_read' } });
check(r.status === 1 && r.stderr.includes('no write access'), `push with a read token fails in words (${r.stderr.trim()})`);
r = run(['push', model, 'otheruser/x'], { env });
check(r.status === 1 && r.stderr.includes('permission denied'), `push into another namespace fails (${r.stderr.trim()})`);
r = run(['pull', 'testuser/nothing-here'], { env });
check(r.status === 1 && r.stderr.includes('repo not found'), `pull of a missing repo fails in words (${r.stderr.trim()})`);
r = run(['pull', 'testuser/cli-model', '--revision', 'v9'], { env });
check(r.status === 1 && r.stderr.includes('revision not found'), `pull of a missing revision (${r.stderr.trim()})`);
r = run(['pull', 'testuser/cli-model'], { env: { ...env, HF_HUB_OFFLINE: '1' } });
check(r.status === 0 && r.stdout.trim() === cliSnap, 'pull offline serves the cache');
r = run(['pull', 'testuser/tiny-dataset', '--repo-type', 'dataset'], { env });
check(r.status === 0 && fs.readFileSync(path.join(r.stdout.trim(), 'data', 'train.csv'), 'utf8').startsWith('sentence1,'),
      `pull --repo-type dataset (${r.stderr.trim()})`);
check(r.stdout.includes(path.join('hub', 'datasets--testuser--tiny-dataset', 'snapshots')), 'datasets go to datasets--org--name');
r = run(['pull', 'not a repo'], { env });
check(r.status === 2, 'pull with a bad repo id is a usage error');
r = run(['push', model, 'testuser/pr-model', '--private', '--create-pr', '--message', 'Via PR'], { env });
check(r.status === 0 && /\/discussions\/1$/.test(r.stdout.trim().split('\n')[1] ?? ''), `push --create-pr prints the PR URL (${r.stdout.trim()})`);
const st = await state();
check(st.repos['model:testuser/pr-model']?.private === true, 'push --private made a private repo');
check(st.repos['model:testuser/pr-model']?.branches['refs/pr/1'] !== undefined, 'push --create-pr opened refs/pr/1');
check(st.violations === 0, 'no client sent the token to the storage host');

for (const o of outputs) {
  check(!o.includes('hf_test_write') && !o.includes('hf_test_read') && !o.includes('hf_wrong_token'),
        `no token in the output of: ${o.split('\n')[0]}`);
}
const outDir = path.join(process.env.VS_BUILD_DIR ?? tmp, 'tests', 'hub-outputs');
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, 'interop.txt'), outputs.join('\n'));

fake.stdin.end();
console.log(`1..${failures === 0 ? 'done' : 'failed'}`);
process.exit(failures === 0 ? 0 : 1);
