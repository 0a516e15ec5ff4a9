// token-scan-gui.mjs: no Hub token in anything the GUI tests wrote.
//
// The GUI tests that hold a token (the Share page signs in with one; Model,
// Dataset, Train, Try and the window tests run with HF_TOKEN set as a
// canary) copy what they wrote (recipes, cards, event logs, checkpoints'
// configs, exported scripts, the Hub cache, their settings) to
// $VS_BUILD_DIR/tests/gui-artefacts/TEST/ before removing it (the token file
// and stored_tokens, whose job is to hold the token, are not copied). This
// scan runs after them and reads all of it, the screenshots and meson's
// test log, for the test tokens. It also checks the artefacts it expects are
// there, so a scan that reads nothing fails.
//
// Usage: node token-scan-gui.mjs
import fs from 'node:fs';
import path from 'node:path';

const buildDir = process.env.VS_BUILD_DIR;
const tokens = ['hf_test_write', 'hf_test_read', 'hf_test_other'];
let failures = 0;
const check = (cond, what) => {
  console.log(`${cond ? 'ok' : 'not ok'} - ${what}`);
  if (!cond) failures++;
};

function walk(dir) {
  let out = [];
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out = out.concat(walk(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

const artefacts = path.join(buildDir, 'tests', 'gui-artefacts');
const shots = path.join(buildDir, 'tests', 'app', 'screenshots');
const files = walk(artefacts).concat(walk(shots));
const testlog = path.join(buildDir, 'meson-logs', 'testlog.txt');
if (fs.existsSync(testlog)) files.push(testlog);

// What each test is known to write: the scan must have read it.
const expected = {
  'share-page': ['settings.txt', 'README.md'],
  'model-page': ['settings.txt', 'main'],
  'dataset-page': ['settings.txt'],
  'train-page': ['settings.txt', 'events.jsonl', 'recipe.json'],
  'try-page': ['settings.txt', 'train.py'],
  window: ['settings.txt', 'round trip.vectorsmith.json'],
};
for (const [test, names] of Object.entries(expected)) {
  const mine = files.filter((f) => f.startsWith(path.join(artefacts, test) + path.sep));
  for (const n of names) {
    check(mine.some((f) => path.basename(f) === n),
          `${test} left ${n} to scan (run the GUI tests before this one)`);
  }
}

let leaks = 0;
for (const f of files) {
  const data = fs.readFileSync(f);
  for (const t of tokens) {
    if (data.includes(t)) {
      console.log(`# ${path.relative(buildDir, f)} holds ${t.slice(0, 8)}…`);
      leaks++;
    }
  }
}
check(files.length > 50, `read ${files.length} files`);
check(leaks === 0, 'no test token in any artefact, screenshot or the test log');
process.exit(failures === 0 ? 0 : 1);
