// The npm reader beside vectorsmith: hyparquet loads every row of a Parquet
// file into JS objects; prints seconds and peak RSS as JSON.
//   node read-hyparquet.mjs FILE.parquet
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(join(process.cwd(), 'tests/reference/data-js/'));
const start = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
const { parquetReadObjects } = await import(require.resolve('hyparquet'));
const { compressors } = await import(require.resolve('hyparquet-compressors'));
const buf = readFileSync(process.argv[2]);
const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
const rows = await parquetReadObjects({ file, compressors });
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
const cpu = process.cpuUsage(cpu0);
let text = 0;
for (const r of rows) for (const v of Object.values(r)) if (typeof v === 'string') text += Buffer.byteLength(v);
console.log(JSON.stringify({ reader: 'hyparquet', format: 'parquet', rows: rows.length, seconds: Number(seconds.toFixed(3)), cpu_seconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(3)),
  peak_rss_mb: Number((process.resourceUsage().maxRSS / 1024).toFixed(1)), text_mb: Number((text / 1048576).toFixed(1)) }));
