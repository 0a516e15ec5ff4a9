// bench-serve.mjs: the client side of bench/serve/run.sh.
//   node bench-serve.mjs URL REQUESTS   → JSON {"runs": [{clients, p50_ms, p99_ms, requests_per_s}]}
//   node bench-serve.mjs --texts N      → the N texts it sends, one a line
const words = ['cat', 'dog', 'the', 'a', 'plays', 'guitar', 'sun', 'rain', 'market', 'fell', 'man',
               'runs', 'quickly', 'over', 'river', 'blue', 'seven', 'idea'];
function texts(n) {
  let seed = 99;
  const out = [];
  for (let i = 0; i < n; i++) {
    const len = 4 + (i % 12);
    const t = [];
    for (let k = 0; k < len; k++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      t.push(words[seed % words.length]);
    }
    out.push(t.join(' '));
  }
  return out;
}

if (process.argv[2] === '--texts') {
  process.stdout.write(texts(Number(process.argv[3])).join('\n') + '\n');
  process.exit(0);
}
const url = process.argv[2];
const n = Number(process.argv[3]);
const all = texts(n);

async function run(clients) {
  const lat = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, async () => {
    while (next < n) {
      const input = all[next++];
      const s = performance.now();
      const r = await fetch(url + 'v1/embeddings', { method: 'POST', headers: { 'Content-Type': 'application/json' },
                                                    body: JSON.stringify({ input }) });
      if (r.status !== 200)
        throw new Error(`HTTP ${r.status}: ${await r.text()}`);
      await r.json();
      lat.push(performance.now() - s);
    }
  }));
  const secs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
  return { clients, p50_ms: q(0.5), p99_ms: q(0.99), requests_per_s: n / secs };
}

const runs = [await run(1), await run(8)];
process.stdout.write(JSON.stringify({ runs }) + '\n');
