// Writes tests/data/fixtures/parquet/*.parquet with parquet-wasm (the Rust
// arrow-rs writer compiled to WebAssembly): one file per codec and per value
// encoding / page version, with string, list<string>, int, float, double and
// bool columns, nulls, several pages and two row groups. The expected rows of
// each file are decoded by hyparquet (an independent JavaScript reader), not
// by vectorsmith. hyparquet must decode every file to the same rows (the
// script fails otherwise); those rows are written once, with each file's
// footer facts (codec and encodings per column chunk), to expected.json, with
// the conventions of ../shared/data/parquet/README.md (INT64 as decimal
// strings, null as null, lists as arrays).
//
//   cd tests/reference/data-js && npm ci && node gen-parquet-fixtures.mjs
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm/node';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', '..', 'data', 'fixtures', 'parquet');
mkdirSync(out, { recursive: true });

// Deterministic data (a tiny LCG), 200 rows.
let state = 12345;
const rnd = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
const words = ['the', 'cat', 'sat', 'on', 'a', 'mat', 'dog', 'ran', 'café', 'naïve', '東京', 'ümlaut', 'query', 'passage'];
const N = 200;
const id = [], text = [], score = [], flag = [], small = [], f32 = [], tags = [], meta = [];
for (let i = 0; i < N; i++) {
  id.push(BigInt(1000000000000 + i * 7 - (i % 3) * 1000));
  // Shared prefixes (DELTA_BYTE_ARRAY) and repeats (dictionaries).
  const n = 1 + Math.floor(rnd() * 8);
  let s = `sentence ${Math.floor(i / 3)}:`;
  for (let k = 0; k < n; k++) s += ' ' + words[Math.floor(rnd() * words.length)];
  text.push(i % 17 === 5 ? null : s);
  score.push(i % 11 === 3 ? null : Math.round(rnd() * 5000) / 1000);
  flag.push(rnd() < 0.4);
  small.push(Math.floor(rnd() * 200) - 100);
  f32.push(Math.fround(rnd() * 10 - 5));
  meta.push(i % 9 === 4 ? null : { lang: i % 5 === 1 ? null : words[i % words.length], n: i % 4 });
  if (i % 13 === 2) tags.push(null);
  else if (i % 13 === 7) tags.push([]);
  else {
    const m = 1 + Math.floor(rnd() * 4);
    const l = [];
    for (let k = 0; k < m; k++) l.push(i % 19 === 4 && k === 1 ? null : `neg ${words[Math.floor(rnd() * words.length)]} ${i}`);
    tags.push(l);
  }
}
const table = new arrow.Table({
  id: arrow.vectorFromArray(id, new arrow.Int64()),
  text: arrow.vectorFromArray(text, new arrow.Utf8()),
  score: arrow.vectorFromArray(score, new arrow.Float64()),
  flag: arrow.vectorFromArray(flag, new arrow.Bool()),
  small: arrow.vectorFromArray(small, new arrow.Int32()),
  f32: arrow.vectorFromArray(f32, new arrow.Float32()),
  tags: arrow.vectorFromArray(tags, new arrow.List(new arrow.Field('item', new arrow.Utf8(), true))),
  // A struct (nested group without repetition): read as meta.lang / meta.n columns.
  meta: arrow.vectorFromArray(meta, new arrow.Struct([new arrow.Field('lang', new arrow.Utf8(), true),
                                                      new arrow.Field('n', new arrow.Int32(), true)])),
});

const C = pw.Compression, E = pw.Encoding, V = pw.WriterVersion;
const variants = [
  { name: 'codec-none', codec: C.UNCOMPRESSED },
  { name: 'codec-snappy', codec: C.SNAPPY },
  { name: 'codec-gzip', codec: C.GZIP },
  { name: 'codec-zstd', codec: C.ZSTD },
  { name: 'enc-plain-v1', codec: C.SNAPPY, dict: false },
  { name: 'enc-plain-v2', codec: C.ZSTD, dict: false, v2: true },
  { name: 'enc-dict-v2', codec: C.SNAPPY, v2: true },
  { name: 'enc-delta-v2', codec: C.ZSTD, dict: false, v2: true,
    cols: { id: E.DELTA_BINARY_PACKED, small: E.DELTA_BINARY_PACKED, text: E.DELTA_LENGTH_BYTE_ARRAY, 'tags.list.item': E.DELTA_LENGTH_BYTE_ARRAY } },
  { name: 'enc-delta-byte-array-v1', codec: C.GZIP, dict: false,
    cols: { text: E.DELTA_BYTE_ARRAY, 'tags.list.item': E.DELTA_BYTE_ARRAY, id: E.DELTA_BINARY_PACKED } },
];

const bigintJson = (k, v) => (typeof v === 'bigint' ? v.toString() : v);

let sharedRows = null;
const files = [];
for (const v of variants) {
  let b = new pw.WriterPropertiesBuilder()
    .setCompression(v.codec)
    .setWriterVersion(v.v2 ? V.V2 : V.V1)
    .setDataPageSizeLimit(512)
    .setMaxRowGroupSize(128);
  if (v.dict === false) b = b.setDictionaryEnabled(false);
  for (const [col, enc] of Object.entries(v.cols || {})) b = b.setColumnEncoding(col, enc).setColumnDictionaryEnabled(col, false);
  const wasmTable = pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream'));
  const bytes = pw.writeParquet(wasmTable, b.build());
  const file = join(out, `${v.name}.parquet`);
  writeFileSync(file, bytes);

  // Expected values from hyparquet.
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const meta = parquetMetadata(ab);
  const rows = await parquetReadObjects({ file: ab, compressors });
  const chunks = [];
  meta.row_groups.forEach((rg, g) => rg.columns.forEach(c => chunks.push({
    row_group: g, path: c.meta_data.path_in_schema.join('.'), codec: c.meta_data.codec,
    encodings: c.meta_data.encodings, num_values: c.meta_data.num_values,
  })));
  const rowsJson = JSON.stringify(rows, bigintJson);
  if (sharedRows === null) sharedRows = rowsJson;
  else if (sharedRows !== rowsJson) throw new Error(`${v.name}: hyparquet decodes different rows`);
  files.push({
    file: `${v.name}.parquet`,
    created_by: meta.created_by,
    num_rows: Number(meta.num_rows),
    num_row_groups: meta.row_groups.length,
    column_chunks: chunks,
  });
  console.log(v.name, bytes.length, 'bytes', meta.row_groups.length, 'row groups');
}

writeFileSync(join(out, 'expected.json'), JSON.stringify({
  writer: 'parquet-wasm 0.8.0 (arrow-rs)',
  decoded_by: 'hyparquet + hyparquet-compressors (every file decoded, all equal)',
  files,
  rows: JSON.parse(sharedRows),
}, bigintJson, 0) + '\n');
