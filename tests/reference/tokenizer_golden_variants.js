#!/usr/bin/env node
// tokenizer_golden_variants.js: golden encodings for tokenizer.json variants
// that exercise the pipeline pieces the five real tokenizers in ../shared/data
// do not use (other normalizers, pre-tokenizers and split behaviours, added
// token flags, post-processors, WordLevel, BPE prefix/suffix, Metaspace
// schemes). Each variant is a real file with some top-level blocks replaced
// (or a small hand-written model), run through the real HF tokenizers
// (@anush008/tokenizers 0.6.0 = Rust tokenizers 0.22.2). Offsets are
// converted to UTF-8 byte offsets, as in tokenizer_golden.js.
//
//   node tests/reference/tokenizer_golden_variants.js ../shared/data > tests/tokenizer/fixtures/golden-variants.json
'use strict'
const path = require('path')
const fs = require('fs')
const { Tokenizer } = require(path.join(__dirname, 'tokenizer-js', 'node_modules', '@anush008', 'tokenizers'))

const shared = process.argv[2] || path.join(__dirname, '..', '..', '..', 'shared', 'data')
const MINILM = 'models/all-MiniLM-L6-v2/tokenizer.json'
const ROBERTA = 'tokenizers/roberta-base/tokenizer.json'
const PHI3 = 'tokenizers/phi-3-mini-4k-instruct/tokenizer.json'
const T5 = 'tokenizers/t5-small/tokenizer.json'

const LLAMA3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"

function tinyBpe () {
  const vocab = { '[UNK]': 0 }
  let id = 1
  const add = t => { if (!(t in vocab)) vocab[t] = id++ }
  for (const c of 'abcdefghijklmnopqrstuvwxyz') { add(c); add('##' + c); add(c + '</w>'); add('##' + c + '</w>') }
  const merges = [['t', '##h'], ['th', '##e</w>'], ['a', '##n'], ['an', '##d</w>'], ['##i', '##n'], ['##in', '##g</w>'], ['th', '##in'], ['thin', '##g</w>'], ['s', '##in']]
  for (const [a, b] of merges) add(a + b.slice(2))
  return {
    version: '1.0', truncation: null, padding: null,
    added_tokens: [{ id: 0, content: '[UNK]', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: null,
    decoder: { type: 'BPEDecoder', suffix: '</w>' },
    model: { type: 'BPE', dropout: null, unk_token: '[UNK]', continuing_subword_prefix: '##', end_of_word_suffix: '</w>', fuse_unk: true, byte_fallback: false, ignore_merges: false, vocab, merges },
  }
}

const EXTRA_ADDED = [
  { id: 30522, content: 'hello world', single_word: false, lstrip: false, rstrip: false, normalized: true, special: false },
  { id: 30523, content: 'cat', single_word: true, lstrip: false, rstrip: false, normalized: false, special: false },
  { id: 30524, content: '[NEW]', single_word: false, lstrip: true, rstrip: true, normalized: false, special: true },
]

const VARIANTS = [
  { name: 'wp-nfd-stripaccents-lowercase-whitespace', base: MINILM, patch: {
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFD' }, { type: 'StripAccents' }, { type: 'Lowercase' }] },
    pre_tokenizer: { type: 'Whitespace' } } },
  { name: 'wp-nfkc-strip-punct-digits', base: MINILM, patch: {
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Strip', strip_left: true, strip_right: true }, { type: 'Lowercase' }] },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, { type: 'Punctuation', behavior: 'Isolated' }, { type: 'Digits', individual_digits: true }] } } },
  { name: 'wp-nfc-replace-split-behaviours', base: MINILM, patch: {
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFC' }, { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }, { type: 'Lowercase' }] },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [
      { type: 'Split', pattern: { String: ',' }, behavior: 'MergedWithPrevious', invert: false },
      { type: 'Split', pattern: { Regex: '\\s+' }, behavior: 'Removed', invert: false },
      { type: 'Punctuation', behavior: 'MergedWithNext' }] } } },
  { name: 'wp-cased-contiguous-bertprocessing-added', base: MINILM, extra_added: EXTRA_ADDED, patch: {
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: false, strip_accents: false, lowercase: false },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Punctuation', behavior: 'Contiguous' }, { type: 'WhitespaceSplit' }] },
    post_processor: { type: 'BertProcessing', sep: ['[SEP]', 102], cls: ['[CLS]', 101] } } },
  { name: 'wp-stripaccents-cased-added', base: MINILM, extra_added: EXTRA_ADDED, patch: {
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: true, lowercase: false } } },
  { name: 'wp-nfkd-split-invert-template', base: MINILM, patch: {
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFKD' }, { type: 'Lowercase' }] },
    pre_tokenizer: { type: 'Split', pattern: { Regex: '[a-z]+|\\d+' }, behavior: 'Removed', invert: true },
    post_processor: { type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }, { SpecialToken: { id: '[MASK]', type_id: 1 } }],
      pair: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } }, { SpecialToken: { id: '[CLS]', type_id: 2 } }],
      special_tokens: { '[CLS]': { id: '[CLS]', ids: [101], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [102], tokens: ['[SEP]'] }, '[MASK]': { id: '[MASK]', ids: [103], tokens: ['[MASK]'] } } } } },
  { name: 'wp-unicode-scripts-chardelimiter', base: MINILM, patch: {
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'CharDelimiterSplit', delimiter: ' ' }, { type: 'UnicodeScripts' }] } } },
  { name: 'wordlevel-whitespace', base: MINILM, model_replace: { type: 'WordLevel', unk_token: '[UNK]' }, patch: {
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Whitespace' }, { type: 'Digits', individual_digits: false }] },
    post_processor: null, decoder: null } },
  { name: 'bpe-bytelevel-prefix-space', base: ROBERTA, patch: {
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true } } },
  { name: 'bpe-bytelevel-no-regex', base: ROBERTA, patch: {
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false } } },
  { name: 'bpe-llama3-split-ignore-merges', base: ROBERTA, model_patch: { ignore_merges: true }, patch: {
    pre_tokenizer: { type: 'Sequence', pretokenizers: [
      { type: 'Split', pattern: { Regex: LLAMA3 }, behavior: 'Isolated', invert: false },
      { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false }] },
    post_processor: { type: 'Sequence', processors: [
      { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
      { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
        pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<s>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
        special_tokens: { '<s>': { id: '<s>', ids: [0], tokens: ['<s>'] } } }] } } },
  { name: 'bpe-metaspace-first-nosplit', base: PHI3, patch: {
    normalizer: null, pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false } } },
  { name: 'bpe-metaspace-always-split', base: PHI3, patch: {
    normalizer: null, pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true } } },
  { name: 'unigram-nfkc-replace-metaspace-never', base: T5, patch: {
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' }] },
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'never', split: true } } },
  { name: 'unigram-nmt-whitespace-metaspace', base: T5, patch: {
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Nmt' }, { type: 'NFKC' }] },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Whitespace' }, { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true }] } } },
  { name: 'unigram-byte-fallback', base: T5, model_patch: { byte_fallback: true },
    model_vocab_append: Array.from({ length: 256 }, (_, b) => ['<0x' + b.toString(16).toUpperCase().padStart(2, '0') + '>', -50.0]) },
  { name: 'bpe-prefix-suffix-fuse-unk', json: tinyBpe() },
]

const TEXTS = [
  ['simple', 'Hello, world!'],
  ['accents', 'Café crème brûlée à la façon de Zoë: naïve résumé, Ångström, Øresund.'],
  ['combining', 'e\u0301 vs \u00e9, n\u0303o, A\u030a, q\u0323\u0307, Tie\u0302\u0301ng Vi\u1ec7t'],
  ['greek_turkish_german', 'ΣΊΣΥΦΟΣ Σίσυφος İstanbul ıi Straße ǅ'],
  ['compat', 'ﬁnance ﬀ ＡＢＣ１２３ ｶﾀｶﾅ ① ㈱ ™ ℃ ½ x² Ⅻ'],
  ['cjk_emoji', '東京タワー 안녕 🤗 👨‍👩‍👧 ok'],
  ['mixed_scripts', 'Hello世界Привет123мир abcΑΒΓ مرحباworld カタカナー漢字ひらがな x́y'],
  ['whitespace_runs', 'a    b\t\t\tc\n\n\nd \r\n e\u00a0\u00a0f\u3000g'],
  ['leading_trailing', '   leading and trailing   '],
  ['numbers', '3.14159 1,000,000 $100,000 12345678901 2026-11-28 ١٢٣ ¹²³'],
  ['contractions', "I'm can't won't they've you'll he'd it's O'Neil I’M"],
  ['punctuation', 'Wait... (e.g., U.S.A.) -- ¿Qué? ¡Sí! [x]{y}<z> 50% a,b,,c'],
  ['added', 'hello world cat concat cat\'s [NEW]x  [NEW]  y Hello World <s> [MASK] </s>'],
  ['bpe_words', 'the thing and sing THE Thing xyz theq abc123def 4x4'],
  ['zero_width_controls', 'zero\u200bwidth\u200djoin bell\u0007 del\u007f'],
  ['invalid_utf8', Buffer.concat([Buffer.from('ok '), Buffer.from([0xff]), Buffer.from(' a'), Buffer.from([0xe2, 0x82]), Buffer.from(' end')])],
  ['empty', ''],
]
const PAIRS = [['pair', 'How old are you?', 'I am 6 years old, cat.']]
const TRUNC = [['trunc_pair_12', 'one two three four five six seven', 'eight nine ten eleven twelve thirteen', 12]]

function utf8Offsets (text, o) {
  const cps = Array.from(text)
  const starts = [0]
  for (const cp of cps) starts.push(starts[starts.length - 1] + Buffer.byteLength(cp, 'utf8'))
  return [starts[o[0]], starts[o[1]]]
}

function build (v) {
  if (v.json) return v.json
  const j = JSON.parse(fs.readFileSync(path.join(shared, v.base), 'utf8'))
  for (const [k, val] of Object.entries(v.patch || {})) j[k] = val
  for (const [k, val] of Object.entries(v.model_patch || {})) j.model[k] = val
  if (v.model_replace) {
    j.model = { ...v.model_replace, vocab: j.model.vocab }
  }
  if (v.extra_added) j.added_tokens = j.added_tokens.concat(v.extra_added)
  if (v.model_vocab_append) j.model.vocab = j.model.vocab.concat(v.model_vocab_append)
  return j
}

async function run () {
  const lines = ['{', '"generated_by": "tests/reference/tokenizer_golden_variants.js with @anush008/tokenizers 0.6.0 (HF tokenizers 0.22.2)",', '"offsets": "UTF-8 byte offsets into the (repaired) text; pair tokens index into the pair text",', '"variants": [']
  for (let vi = 0; vi < VARIANTS.length; vi++) {
    const v = VARIANTS[vi]
    const j = build(v)
    const tok = Tokenizer.fromString(JSON.stringify(j))
    tok.disablePadding()
    const cases = []
    const add = async (label, text, pair, maxLength, addSpecial) => {
      if (maxLength > 0) tok.setTruncation(maxLength, { strategy: 'LongestFirst' })
      else tok.disableTruncation()
      const raw = Buffer.isBuffer(text) ? text : null
      const t = raw ? raw.toString('utf8') : text
      const e = await tok.encode(t, pair, { addSpecialTokens: addSpecial })
      const ids = Array.from(e.getIds())
      const c = { label }
      if (raw) c.text_b64 = raw.toString('base64'); else c.text = t
      if (pair !== null) c.pair = pair
      c.add_special_tokens = addSpecial
      c.max_length = maxLength
      c.ids = ids
      c.type_ids = Array.from(e.getTypeIds())
      c.special_tokens_mask = Array.from(e.getSpecialTokensMask())
      c.tokens = e.getTokens()
      c.offsets = e.getOffsets().map((o, i) => utf8Offsets(e.tokenToSequence(i) === 1 ? pair : t, o))
      c.decoded = (await tok.decode(ids, true)).split('\u0000').join('')
      cases.push(c)
    }
    for (const [label, text] of TEXTS) await add(label, text, null, 0, true)
    for (const [label, a, b] of PAIRS) await add(label, a, b, 0, true)
    for (const [label, a, b, n] of TRUNC) await add(label, a, b, n, true)
    await add('added_nospecial', TEXTS[11][1], null, 0, false)
    await add('pair_nospecial', PAIRS[0][1], PAIRS[0][2], 0, false)
    const head = { name: v.name }
    if (v.json) head.json = v.json
    else {
      head.base = v.base
      if (v.patch) head.patch = v.patch
      if (v.model_patch) head.model_patch = v.model_patch
      if (v.model_replace) head.model_replace = v.model_replace
      if (v.extra_added) head.extra_added = v.extra_added
      if (v.model_vocab_append) head.model_vocab_append = v.model_vocab_append
    }
    lines.push(JSON.stringify(head).slice(0, -1) + ', "cases": [')
    cases.forEach((c, k) => lines.push(JSON.stringify(c) + (k + 1 < cases.length ? ',' : '')))
    lines.push(']}' + (vi + 1 < VARIANTS.length ? ',' : ''))
  }
  lines.push(']}')
  process.stdout.write(lines.join('\n') + '\n')
}
run().catch(e => { console.error(e); process.exit(1) })
