// token-scan.mjs: fails if a Hub token appears in any output or log.
//
// Runs every hub command of vectorsmith-cli, successes and failures, with
// G_MESSAGES_DEBUG=all and a fresh random token, and looks for the token in
// everything they print and in every file they leave in $HF_HOME (except the
// token file and stored_tokens, whose job is to hold it; the scan checks they
// do, so a scan that finds nothing is known to be looking). Then scans what the
// other hub tests captured ($VS_BUILD_DIR/tests/hub-outputs) and the meson test
// log for the fixed test tokens.
//
// Usage: node token-scan.mjs FAKE_HUB
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

const cli = process.env.VS_CLI;
const shared = process.env.VS_SHARED_DATA;
const buildDir = process.env.VS_BUILD_DIR;
const token = `hf_scan_${crypto.randomBytes(12).toString('hex')}`;
let failures = 0;
const check = (cond, what) => {
  console.log(`${cond ? 'ok' : 'not ok'} - ${what}`);
  if (!cond) failures++;
};

const fake = spawn(process.argv[2], ['--extra-token', token], { stdio: ['pipe', 'pipe', 'pipe'] });
let fakeStderr = '';
fake.stderr.on('data', (d) => { fakeStderr += d; });
const [hubUrl] = (await new Promise((resolve) => readline.createInterface({ input: fake.stdout }).once('line', resolve))).split(' ');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vs-hub-scan-'));
process.on('exit', () => {
  try { fake.stdin.end(); fake.kill(); } catch { /* gone */ }
  fs.rmSync(tmp, { recursive: true, force: true });
});

const home = path.join(tmp, 'hf');
const transcript = [];
function run(args, env = {}, input) {
  const r = spawnSync(cli, args, {
    input, encoding: 'utf8',
    env: { ...process.env, HF_ENDPOINT: hubUrl, HF_HOME: home, G_MESSAGES_DEBUG: 'all', HF_TOKEN: '', ...env },
  });
  transcript.push(`$ ${args.join(' ')} -> ${r.status}\n${r.stdout}${r.stderr}`);
  return r;
}
const rule = (json) => fetch(`${hubUrl}/_test/rule`, { method: 'POST', body: JSON.stringify(json) });

// a small model folder
const model = path.join(tmp, 'model');
fs.mkdirSync(path.join(model, '2_Dense'), { recursive: true });
for (const f of ['modules.json', 'config.json', 'sentence_bert_config.json', '2_Dense/config.json', '2_Dense/model.safetensors']) {
  fs.copyFileSync(path.join(shared, 'models', 'LaBSE-partial', f), path.join(model, f));
}

check(run(['login'], {}, `${token}\n`).status === 0, 'login');
check(run(['whoami']).status === 0, 'whoami with the saved token');
check(run(['push', model, 'testuser/scan-model', '--message', 'scan']).status === 0, 'push');
check(run(['pull', 'testuser/scan-model'], { HF_TOKEN: token }).status === 0, 'pull with HF_TOKEN');
check(run(['pull', 'testuser/scan-model'], { HF_HUB_OFFLINE: '1' }).status === 0, 'pull offline');
fs.rmSync(path.join(home, 'hub'), { recursive: true, force: true });
await rule({ match: '/cdn/', method: 'GET', drop_after: 1000, count: 1 });
check(run(['pull', 'testuser/scan-model']).status === 0, 'pull resuming after a dropped connection');
await rule({ match: '/commit/', status: 503, count: 1 });
fs.writeFileSync(path.join(model, 'extra.txt'), 'changed\n');
check(run(['push', model, 'testuser/scan-model']).status === 1, 'push failing on a 503 commit');
await rule({ match: '/preupload/', status: 401, count: 1, error_message: `Invalid credentials in Authorization header (token ${token})` });
check(run(['push', model, 'testuser/scan-model']).status === 1, 'push failing with a server that echoes the token');
check(run(['push', model, 'otheruser/nope']).status === 1, 'push into another namespace');
check(run(['pull', 'testuser/missing']).status === 1, 'pull of a missing repo');
check(run(['whoami'], { HF_TOKEN: `${token}x` }).status === 1, 'whoami with a wrong token');
check(run(['login'], {}, `${token}x\n`).status === 1, 'login with a wrong token');

const everything = transcript.join('\n') + fakeStderr;
check(everything.includes('vectorsmith-cli push:') && everything.includes('DEBUG'), 'the transcript holds errors and debug logs');
check(!everything.includes(token), 'the token appears in no output or log of the commands');
if (everything.includes(token)) {
  for (const t of transcript) if (t.includes(token)) console.log(`# leaked in: ${t.split('\n')[0]}`);
}

// files left in $HF_HOME
function walk(dir) {
  let out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out = out.concat(walk(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}
let holders = 0;
for (const f of walk(home)) {
  const has = fs.readFileSync(f).includes(token);
  const name = path.basename(f);
  if (name === 'token' || name === 'stored_tokens') {
    holders += has ? 1 : 0;
  } else {
    check(!has, `no token in ${path.relative(home, f)}`);
  }
}
check(holders === 2, 'the token file and stored_tokens hold the token (the scan can see it)');

// what the other hub tests captured, and meson's log so far
const fixed = ['hf_test_write', 'hf_test_read', 'hf_test_other', token];
const captured = [];
const outDir = path.join(buildDir ?? tmp, 'tests', 'hub-outputs');
if (fs.existsSync(outDir)) for (const f of fs.readdirSync(outDir)) captured.push(path.join(outDir, f));
const testlog = path.join(buildDir ?? tmp, 'meson-logs', 'testlog.txt');
if (fs.existsSync(testlog)) captured.push(testlog);
for (const f of captured) {
  const text = fs.readFileSync(f, 'utf8');
  check(!fixed.some((t) => text.includes(t)), `no token in ${path.basename(f)}`);
}

fake.stdin.end();
process.exit(failures === 0 ? 0 : 1);
