// share-download.mjs HUB_URL REPO_ID FOLDER CACHE_DIR: huggingface.js (an
// independent client) downloads the repo the Share page pushed and compares
// every file of the output folder byte for byte; the card's YAML front
// matter is parsed by the yaml package. The token comes in $VS_TEST_TOKEN.
// Exit 0 when all holds, 1 otherwise, 77 when the npm packages are missing.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [hubUrl, repoId, folder, cacheDir] = process.argv.slice(2);
const jsDir = process.env.VS_JS_DIR;
let failures = 0;

function check(cond, what) {
  console.log(`${cond ? 'ok' : 'not ok'} - ${what}`);
  if (!cond) failures++;
}

let hubLib, YAML;
try {
  const req = createRequire(path.join(jsDir, 'package.json'));
  hubLib = await import(pathToFileURL(req.resolve('@huggingface/hub')).href);
  YAML = await import(pathToFileURL(req.resolve('yaml')).href);
} catch (e) {
  console.log(`# npm packages missing in ${jsDir} (run tools/setup.sh): ${e.message}`);
  process.exit(77);
}

function listFiles(dir, prefix = '') {
  let out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out = out.concat(listFiles(path.join(dir, e.name), rel));
    else out.push(rel);
  }
  return out.sort();
}

const snap = await hubLib.snapshotDownload({ repo: { type: 'model', name: repoId }, cacheDir, hubUrl,
                                            accessToken: process.env.VS_TEST_TOKEN });
const local = listFiles(folder);
const remote = listFiles(snap).filter((f) => f !== '.gitattributes');
check(JSON.stringify(local) === JSON.stringify(remote), `the repo holds exactly the folder's ${local.length} files`);
for (const f of local) {
  const a = fs.readFileSync(path.join(folder, f));
  const b = fs.existsSync(path.join(snap, f)) ? fs.readFileSync(path.join(snap, f)) : null;
  check(b !== null && Buffer.compare(a, b) === 0, `${f} is byte-identical (${a.length} bytes)`);
}
const card = fs.readFileSync(path.join(snap, 'README.md'), 'utf8');
check(card.startsWith('---\n'), 'the card starts with front matter');
let front = null;
try {
  front = YAML.parse(card.split('\n---\n')[0].slice(4), { uniqueKeys: true });
} catch (e) {
  console.log(`# YAML: ${e.message}`);
}
check(front !== null && typeof front === 'object', 'the front matter parses as YAML');
check(front?.library_name === 'sentence-transformers', 'library_name: sentence-transformers');
check(front?.pipeline_tag === 'sentence-similarity', 'pipeline_tag: sentence-similarity');
check(Array.isArray(front?.tags) && front.tags.includes('sentence-transformers'), 'tags list sentence-transformers');
console.log(`# front matter keys: ${front ? Object.keys(front).join(', ') : '-'}`);
process.exit(failures === 0 ? 0 : 1);
