#!/usr/bin/env node
// tokenizer_golden.js: golden encodings from the real Hugging Face `tokenizers`
// (Rust core 0.22.2 through npm @anush008/tokenizers 0.6.0), for the C tests in
// tests/tokenizer/. Re-run it after changing the inputs:
//
//   cd tests/reference/tokenizer-js && npm ci --ignore-scripts   (or npm install --ignore-scripts)
//   node tests/reference/tokenizer_golden.js ../shared/data > tests/tokenizer/fixtures/golden.json
//
// Offsets: the Node binding reports offsets in Unicode code points of the text;
// Vectorsmith reports byte offsets into the UTF-8 text, so this script converts
// them to UTF-8 byte offsets. Texts with invalid UTF-8 are given to the
// reference as the WHATWG/Rust "lossy" decoding (one U+FFFD per maximal invalid
// subpart) and stored as base64 bytes; their offsets are into the repaired text.
// Padding is disabled; truncation is LongestFirst, right side, only where a
// case gives max_length (counting special tokens, as sentence-transformers does).
'use strict'
const path = require('path')
const fs = require('fs')
const { Tokenizer } = require(path.join(__dirname, 'tokenizer-js', 'node_modules', '@anush008', 'tokenizers'))

const shared = process.argv[2] || path.join(__dirname, '..', '..', '..', 'shared', 'data')

const TOKENIZERS = {
  'minilm': 'models/all-MiniLM-L6-v2/tokenizer.json',
  'mpnet': 'tokenizers/all-mpnet-base-v2/tokenizer.json',
  'roberta': 'tokenizers/roberta-base/tokenizer.json',
  'roberta-legacy-merges': 'tokenizers/roberta-base/tokenizer.legacy-merges.json',
  't5': 'tokenizers/t5-small/tokenizer.json',
  'phi3': 'tokenizers/phi-3-mini-4k-instruct/tokenizer.json',
}

const long_word = 'Pneumonoultramicroscopicsilicovolcanoconiosis' + 'x'.repeat(60) + 'supercalifragilistic'
const long_text = Array.from({ length: 60 }, (_, i) =>
  ['The', 'quick', 'brown', 'fox', 'jumps', 'over', 'the', 'lazy', 'dog', 'naïve', 'café', '東京', '123', 'don\'t'][i % 14]).join(' ')

// [label, text] ; text may be a Buffer (raw bytes, possibly invalid UTF-8)
const SINGLES = [
  ['empty', ''],
  ['space', ' '],
  ['simple', 'Hello, world!'],
  ['accents', 'Café crème brûlée à la façon de Zoë: naïve résumé, São Paulo, Ångström, Øresund.'],
  ['combining', 'e\u0301 vs \u00e9, n\u0303o, A\u030a, q\u0323\u0307, \u1e69 Tie\u0302\u0301ng Vi\u1ec7t'],
  ['greek_turkish_german', 'ΣΊΣΥΦΟΣ Σίσυφος ΌΣΟΣ İstanbul ıi Straße STRASSE ǅ'],
  ['compat', 'ﬁnance ﬀ ＡＢＣ１２３ ｶﾀｶﾅ ① ㈱ ㍿ ™ ℃ ½ x² ﬃ Ⅻ'],
  ['cjk', '我爱北京天安门，天安门上太阳升。Hello世界！'],
  ['japanese_korean', 'こんにちは世界、カタカナです。안녕하세요 한국어 \u1100\u1161\u11a8'],
  ['scripts', 'Привет мир สวัสดีครับ مرحبا بالعالم שלום नमस्ते दुनिया Γειά'],
  ['emoji', 'I love 🤗 and 👍🏽 and 👨‍👩‍👧‍👦 so much 😂🔥 🏳️‍🌈 🇫🇷 ❤️'],
  ['new_emoji', 'new ones: 🥰 🫠 🪿 🧑‍💻 🫶🏾'],
  ['controls', 'bell\u0007 esc\u001b del\u007f nul\u0000 x\u0085y \u2028line\u2029para'],
  ['zero_width', 'zero\u200bwidth\u200cnon\u200djoiner\ufeffbom\u00adsoft\u2060wj'],
  ['whitespace_runs', 'a    b\t\t\tc\n\n\nd \r\n e\u00a0\u00a0f\u3000g\u2003h'],
  ['leading_trailing', '   leading and trailing   '],
  ['long_word', long_word + ' short ' + 'a'.repeat(99) + ' ' + 'b'.repeat(100) + ' ' + 'c'.repeat(101)],
  ['numbers', '3.14159 1,000,000 $100,000 12345678901234567890 2026-11-28 ١٢٣ ¹²³ 10^9'],
  ['contractions', "I'm can't won't they've you'll he'd it's O'Neil 'quoted' ’curly’ I’M"],
  ['mixed', 'Hello世界Привет123мир abcΑΒΓ مرحباworld'],
  ['punctuation', 'Wait... what?! (e.g., U.S.A.) -- "quoted" & \'single\' -- ¿Qué? ¡Sí! [x]{y}<z> 50% @user #tag —–・'],
  ['special_literals', 'This is [MASK] and <mask> and [CLS] and </s> <s> <pad> <unk> [UNK] literally.'],
  ['special_adjacent', 'foo[MASK]bar<mask>baz</s>qux<s>x <|endoftext|>y<|assistant|>  z <extra_id_0> <extra_id_99>w'],
  ['special_spaces', '  <mask>  [SEP]  </s>  '],
  ['code_urls', 'def f(x):\n\treturn x**2  # comment\nhttps://example.com/a?b=1&c=2 user@mail.org ~/.bashrc'],
  ['math_currency', '∑∫√ x² ≤ y³ ∀ε>0 €100 £50 ¥1000 ₹5 ¢'],
  ['repeats', '!!!!!!!!!! ........ ---- ____ ==== aaaaaaaaaaaaaaaaaaaa ababababab'],
  ['case_numbers', 'HELLO World MiXeD 12345.6789 3.14159 $100,000 2026-11-28'],
  ['invalid_utf8', Buffer.concat([Buffer.from('ok '), Buffer.from([0xff, 0xfe]), Buffer.from(' a'), Buffer.from([0xc3, 0x28]), Buffer.from(' b'), Buffer.from([0xe2, 0x82]), Buffer.from(' c'), Buffer.from([0xf0, 0x9f, 0x98]), Buffer.from(' end'), Buffer.from([0xed, 0xa0, 0x80])])],
  ['long_text', long_text],
]

const PAIRS = [
  ['pair', 'How old are you?', 'I am 6 years old.'],
  ['pair_empty_b', 'Only the first text.', ''],
  ['pair_unicode', 'Café 東京 🤗', 'naïve résumé <mask> [MASK]'],
]

// [label, text, pair|null, max_length]
const TRUNC = [
  ['trunc_single_16', long_text, null, 16],
  ['trunc_single_128', long_text, null, 128],
  ['trunc_single_3', 'Hello, world! How are you today?', null, 3],
  ['trunc_pair_17', long_text, 'A short second sentence here.', 17],
  ['trunc_pair_16', 'The first sentence is rather long, longer than the second.', long_text, 16],
  ['trunc_pair_equal_15', 'one two three four five six seven eight nine ten', 'uno dos tres cuatro cinco seis siete ocho nueve diez', 15],
]

function utf8Offsets (text, offsets) {
  const cps = Array.from(text)
  const starts = [0]
  for (const cp of cps) starts.push(starts[starts.length - 1] + Buffer.byteLength(cp, 'utf8'))
  return offsets.map(([a, b]) => [starts[a], starts[b]])
}

async function run () {
  const out = {
    generated_by: 'tests/reference/tokenizer_golden.js with @anush008/tokenizers 0.6.0 (HF tokenizers 0.22.2)',
    offsets: 'UTF-8 byte offsets into the (repaired) text; pair tokens index into the pair text',
    tokenizers: {},
  }
  for (const [name, rel] of Object.entries(TOKENIZERS)) {
    const tok = Tokenizer.fromFile(path.join(shared, rel))
    tok.disablePadding()
    const cases = []
    const add = async (label, text, pair, maxLength, addSpecial) => {
      if (maxLength > 0) tok.setTruncation(maxLength, { strategy: 'LongestFirst' })
      else tok.disableTruncation()
      // texts with invalid UTF-8 or a NUL (which C strings cannot carry) go as base64
      const raw = Buffer.isBuffer(text) ? text : (text.includes('\u0000') ? Buffer.from(text, 'utf8') : null)
      const t = raw ? raw.toString('utf8') : text
      const e = await tok.encode(t, pair, { addSpecialTokens: addSpecial })
      const ids = Array.from(e.getIds())
      const typeIds = Array.from(e.getTypeIds())
      const seqIds = []
      for (let i = 0; i < ids.length; i++) seqIds.push(e.tokenToSequence(i))
      const offs = e.getOffsets()
      const byteOffs = offs.map((o, i) => {
        const s = seqIds[i] === 1 ? pair : t
        return s === undefined || s === null ? o : utf8Offsets(s, [o])[0]
      })
      const c = { label }
      if (raw) c.text_b64 = raw.toString('base64'); else c.text = t
      if (pair !== null) c.pair = pair
      c.add_special_tokens = addSpecial
      c.max_length = maxLength
      c.ids = ids
      c.type_ids = typeIds
      c.special_tokens_mask = Array.from(e.getSpecialTokensMask())
      c.tokens = e.getTokens()
      c.offsets = byteOffs
      // C strings cannot carry NUL: Vectorsmith's decode drops it, so the fixture does too
      c.decoded = (await tok.decode(ids, true)).split('\u0000').join('')
      cases.push(c)
    }
    for (const [label, text] of SINGLES) await add(label, text, null, 0, true)
    for (const [label, a, b] of PAIRS) await add(label, a, b, 0, true)
    for (const [label, a, b, n] of TRUNC) await add(label, a, b, n, true)
    for (const [label, text] of SINGLES.slice(2, 6)) await add(label + '_nospecial', text, null, 0, false)
    await add('pair_nospecial', PAIRS[0][1], PAIRS[0][2], 0, false)
    out.tokenizers[name] = { path: rel, cases }
  }
  // The legacy-merges file must encode exactly as the pair-merges one; store it by reference.
  const a = JSON.stringify(out.tokenizers['roberta'].cases)
  const b = JSON.stringify(out.tokenizers['roberta-legacy-merges'].cases)
  if (a !== b) throw new Error('roberta legacy merges differ from pair merges under HF')
  out.tokenizers['roberta-legacy-merges'] = { path: TOKENIZERS['roberta-legacy-merges'], same_as: 'roberta' }
  // sentence-transformers' do_lower_case: Python's str.lower() before the
  // tokenizer; JS toLowerCase applies the same Unicode rules (full mappings,
  // final sigma). Only ids and tokens: lowercasing may change byte lengths.
  {
    const rel = TOKENIZERS['roberta']
    const tok = Tokenizer.fromFile(path.join(shared, rel))
    tok.disablePadding(); tok.disableTruncation()
    const texts = ['HELLO World MiXeD Case', 'ΣΊΣΥΦΟΣ ΌΣΟΣ Σ.', 'This is <mask> and <MASK> and </S>', 'Straße İstanbul ǅ ÀÉÎ']
    out.lowercase_input = { path: rel, cases: [] }
    for (const t of texts) {
      const e = await tok.encode(t.toLowerCase(), null, { addSpecialTokens: true })
      out.lowercase_input.cases.push({ text: t, ids: Array.from(e.getIds()), tokens: e.getTokens() })
    }
  }
  // one case per line keeps diffs readable and the file small
  const lines = ['{', `"generated_by": ${JSON.stringify(out.generated_by)},`, `"offsets": ${JSON.stringify(out.offsets)},`, '"tokenizers": {']
  const names = Object.keys(out.tokenizers)
  names.forEach((name, i) => {
    const tz = out.tokenizers[name]
    if (tz.same_as) {
      lines.push(`${JSON.stringify(name)}: ${JSON.stringify(tz)}` + (i + 1 < names.length ? ',' : ''))
      return
    }
    lines.push(`${JSON.stringify(name)}: {"path": ${JSON.stringify(tz.path)}, "cases": [`)
    tz.cases.forEach((c, j) => lines.push(JSON.stringify(c) + (j + 1 < tz.cases.length ? ',' : '')))
    lines.push(']}' + (i + 1 < names.length ? ',' : ''))
  })
  lines.push('},')
  lines.push(`"lowercase_input": ${JSON.stringify(out.lowercase_input)}`)
  lines.push('}')
  process.stdout.write(lines.join('\n') + '\n')
}
run().catch(e => { console.error(e); process.exit(1) })
