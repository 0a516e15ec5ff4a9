// hub-ids.mjs: every command that takes a MODEL accepts a Hub id.
//
// A tiny model is made and pushed to the fake Hub with vectorsmith-cli; then
// `encode`, `evaluate` and `new-model --tokenizer` are given the Hub id with an
// empty cache, and must produce exactly what they produce from the local
// folder (the pulled snapshot holds the same bytes). A second `encode` with
// HF_HUB_OFFLINE=1 is served from the cache alone.
//
// Usage: node hub-ids.mjs FAKE_HUB   (env from meson: VS_CLI, VS_SOURCE_DIR)
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

const cli = process.env.VS_CLI;
const src = process.env.VS_SOURCE_DIR;
let failures = 0;
function check(cond, what) {
  console.log(`${cond ? 'ok' : 'not ok'} - ${what}`);
  if (!cond) failures++;
}

const fake = spawn(process.argv[2], [], { stdio: ['pipe', 'pipe', 'inherit'] });
const [hubUrl] = (await new Promise((resolve) => {
  readline.createInterface({ input: fake.stdout }).once('line', resolve);
})).split(' ');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vs-hub-ids-'));
process.on('exit', () => {
  try { fake.stdin.end(); fake.kill(); } catch { /* gone */ }
  fs.rmSync(tmp, { recursive: true, force: true });
});

function run(args, env = {}, input) {
  const r = spawnSync(cli, args, {
    input, encoding: 'utf8',
    env: { ...process.env, HF_ENDPOINT: hubUrl, HF_HOME: path.join(tmp, 'hf'), HF_TOKEN: 'hf_test_write', ...env },
  });
  if (r.status !== 0) console.log(`# vectorsmith-cli ${args.join(' ')}: ${r.stderr.trim()}`);
  return r;
}

const local = path.join(tmp, 'tiny');
let r = run(['new-model', '--architecture', 'bert', '--preset', 'tiny', '--tokenizer',
             path.join(src, 'data', 'demo', 'tokenizer'), '--normalize', '--seed', '7', local]);
check(r.status === 0, 'new-model makes a local model');
r = run(['push', local, 'testuser/tiny-model', '--message', 'tiny']);
check(r.status === 0 && r.stdout.includes('testuser/tiny-model'), 'push prints the commit URL');

const texts = 'A man is playing a guitar.\nA woman slices an onion.\nÉtienne reads in Québec.\n';
const fromFolder = run(['encode', local], {}, texts);
const fromHub = run(['encode', 'testuser/tiny-model'], { HF_HOME: path.join(tmp, 'hf-empty') }, texts);
check(fromFolder.status === 0 && fromHub.status === 0, 'encode runs on the folder and on the Hub id');
check(fromHub.stdout === fromFolder.stdout && fromHub.stdout.split('\n').length === 4,
      'encode of the Hub id prints exactly the embeddings of the local folder');
const offline = run(['encode', 'testuser/tiny-model'], { HF_HOME: path.join(tmp, 'hf-empty'), HF_HUB_OFFLINE: '1',
                                                        HF_ENDPOINT: 'http://127.0.0.1:9' }, texts);
check(offline.status === 0 && offline.stdout === fromFolder.stdout, 'offline encode is served from the cache');
const missing = run(['encode', 'testuser/no-such-model'], { HF_HOME: path.join(tmp, 'hf-empty') }, texts);
check(missing.status === 1 && /not found|does not exist|no such/i.test(missing.stderr),
      `a missing repo is an error in words (${missing.stderr.trim()})`);

const data = path.join(src, 'data', 'demo', 'stsb-dev.csv');
const evalArgs = ['--evaluator', 'similarity', '--data', data, '--columns', 'sentence1,sentence2', '--label', 'score'];
const evFolder = run(['evaluate', local, ...evalArgs]);
const evHub = run(['evaluate', 'testuser/tiny-model', ...evalArgs], { HF_HOME: path.join(tmp, 'hf-empty2') });
check(evFolder.status === 0 && evHub.status === 0 && evHub.stdout === evFolder.stdout,
      'evaluate of the Hub id gives the metrics of the local folder');

const viaHub = path.join(tmp, 'from-hub-tokenizer');
const viaFolder = path.join(tmp, 'from-folder-tokenizer');
const a = run(['new-model', '--architecture', 'bert', '--preset', 'tiny', '--tokenizer', 'testuser/tiny-model', '--seed', '3', viaHub],
              { HF_HOME: path.join(tmp, 'hf-empty3') });
const b = run(['new-model', '--architecture', 'bert', '--preset', 'tiny', '--tokenizer', local, '--seed', '3', viaFolder]);
check(a.status === 0 && b.status === 0, 'new-model takes its tokenizer from a Hub id');
check(a.status === 0 && b.status === 0 &&
      fs.readFileSync(path.join(viaHub, 'tokenizer.json')).equals(fs.readFileSync(path.join(viaFolder, 'tokenizer.json'))) &&
      fs.readFileSync(path.join(viaHub, 'model.safetensors')).equals(fs.readFileSync(path.join(viaFolder, 'model.safetensors'))),
      'the model made from the Hub tokenizer equals the one made from the folder');

// A Hub that cannot be reached at all (connection refused) is said at once,
// not retried like a connection that dropped: no "retrying" in the debug log.
const refused = run(['pull', 'testuser/tiny-model'],
                    { HF_HOME: path.join(tmp, 'hf-refused'), HF_ENDPOINT: 'http://127.0.0.1:9', G_MESSAGES_DEBUG: 'all' });
check(refused.status === 1 && refused.stderr.includes('127.0.0.1:9') && !refused.stderr.includes('retrying'),
      'an unreachable Hub fails without retries, naming the address');

console.log(failures === 0 ? '# all passed' : `# ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
