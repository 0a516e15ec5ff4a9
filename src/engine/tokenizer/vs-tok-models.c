/* vs-tok-models.c: the models of tokenizer.json: WordPiece (greedy longest
 * match with a continuing-subword prefix), BPE (ranked merges with a
 * priority queue, byte fallback, a locked cache), Unigram (Viterbi over
 * piece scores, SentencePiece's unknown penalty, byte fallback) and
 * WordLevel. Each turns one pre-tokenized piece into tokens with byte
 * offsets into that piece. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "tokenizer/vs-tokenizer-private.h"
#include "vs-error.h"

typedef enum
{
  MODEL_WORDPIECE,
  MODEL_BPE,
  MODEL_UNIGRAM,
  MODEL_WORDLEVEL,
} ModelKind;

/* open-addressing map (a, b) -> (rank, new_id) for BPE merges */
typedef struct
{
  guint64 key;     /* (a << 32 | b) + 1; 0 = empty */
  guint32 rank;
  guint32 new_id;
} MergeSlot;

/* byte trie for Unigram */
typedef struct
{
  guint32 first_child;   /* 0 = none (node 0 is the root, never a child) */
  guint32 next_sibling;
  gint32  value;         /* piece id, -1 if no piece ends here */
  guint8  label;
} TrieNode;

#define BPE_CACHE_CAPACITY 10000
#define BPE_CACHE_MAX_WORD 256

struct _VsTokModel
{
  ModelKind   kind;
  GHashTable *vocab;        /* char* -> GUINT_TO_POINTER (id + 1) */
  GPtrArray  *vocab_r;      /* id -> char* (NULL for gaps); owns the strings */
  char       *unk_token;
  gint64      unk_id;
  /* WordPiece */
  char       *prefix;       /* continuing_subword_prefix */
  gint64      max_input_chars_per_word;
  gsize       max_token_bytes;   /* longest vocabulary entry */
  /* BPE */
  char       *suffix;       /* end_of_word_suffix */
  gboolean    fuse_unk;
  gboolean    byte_fallback;
  gboolean    ignore_merges;
  MergeSlot  *merges;
  gsize       merges_mask;
  GMutex      cache_lock;
  GHashTable *cache;        /* word -> GArray of guint32 pairs (id, len) */
  guint32     byte_ids[256];
  gboolean    have_byte_ids;
  /* Unigram */
  double     *scores;
  double      min_score;
  GArray     *trie;         /* TrieNode */
};

/* -------------------------------------------------------------- vocab */

static gint64
vocab_get (const VsTokModel *m, const char *s)
{
  gpointer v = g_hash_table_lookup (m->vocab, s);

  return v == NULL ? -1 : (gint64) GPOINTER_TO_UINT (v) - 1;
}

static gboolean
vocab_add (VsTokModel *m, const char *token, guint32 id)
{
  if (id >= m->vocab_r->len)
    g_ptr_array_set_size (m->vocab_r, id + 1);
  g_free (g_ptr_array_index (m->vocab_r, id));
  g_ptr_array_index (m->vocab_r, id) = g_strdup (token);
  /* later entries win, as HF's HashMap collect */
  g_hash_table_replace (m->vocab, g_strdup (token), GUINT_TO_POINTER (id + 1));
  return TRUE;
}

gint64
vs_tok_model_token_to_id (const VsTokModel *m, const char *token)
{
  return vocab_get (m, token);
}

const char *
vs_tok_model_id_to_token (const VsTokModel *m, guint32 id)
{
  if (id >= m->vocab_r->len)
    return NULL;
  return g_ptr_array_index (m->vocab_r, id);
}

gsize
vs_tok_model_vocab_size (const VsTokModel *m)
{
  return m->vocab_r->len;
}

gsize
vs_tok_model_vocab_count (const VsTokModel *m)
{
  /* HF's Model::get_vocab_size: entries, not highest id + 1 */
  return m->kind == MODEL_UNIGRAM ? m->vocab_r->len : g_hash_table_size (m->vocab);
}

static void
push_tok (GArray *out, guint32 id, gsize start, gsize end, const char *value)
{
  VsTok t = { id, start, end, g_strdup (value) };

  g_array_append_val (out, t);
}

/* ---------------------------------------------------------- WordPiece */

static void
wordpiece_tokenize (VsTokModel *m, const char *s, gsize len, GArray *out)
{
  guint first = out->len;
  gsize plen = m->prefix != NULL ? strlen (m->prefix) : 0;
  g_autofree char *buf = g_malloc (plen + len + 1);
  gsize start = 0;

  if ((gint64) vs_utf8_count (s, len) > m->max_input_chars_per_word)
    goto unk;
  if (plen > 0)
    memcpy (buf, m->prefix, plen);
  while (start < len)
    {
      gsize end = len;
      gint64 id = -1;
      char *key = start > 0 ? buf : buf + plen;

      /* no entry is longer than max_token_bytes: start the search there
       * (same result, and linear time whatever max_input_chars_per_word) */
      if (end - start > m->max_token_bytes)
        {
          end = start + m->max_token_bytes;
          while (end > start && ((guchar) s[end] & 0xC0) == 0x80)
            end--;
        }

      while (start < end)
        {
          gsize klen = end - start;
          memcpy (buf + plen, s + start, klen);
          buf[plen + klen] = '\0';
          id = vocab_get (m, key);
          if (id >= 0)
            break;
          end = g_utf8_prev_char (s + end) - s;
        }
      if (id < 0)
        goto unk;
      push_tok (out, id, start, end, key);
      start = end;
    }
  return;

unk:
  for (guint i = first; i < out->len; i++)
    g_free (g_array_index (out, VsTok, i).value);
  g_array_set_size (out, first);
  if (m->unk_id >= 0)
    push_tok (out, m->unk_id, 0, len, m->unk_token);
}

/* ---------------------------------------------------------------- BPE */

static inline guint64
merge_key (guint32 a, guint32 b)
{
  return (((guint64) a << 32) | b) + 1;
}

static inline gsize
merge_hash (guint64 k)
{
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  return (gsize) k;
}

static const MergeSlot *
merge_find (const VsTokModel *m, guint32 a, guint32 b)
{
  guint64 k = merge_key (a, b);
  gsize i;

  if (m->merges == NULL)
    return NULL;
  for (i = merge_hash (k) & m->merges_mask;; i = (i + 1) & m->merges_mask)
    {
      if (m->merges[i].key == k)
        return &m->merges[i];
      if (m->merges[i].key == 0)
        return NULL;
    }
}

static void
merge_insert (VsTokModel *m, guint32 a, guint32 b, guint32 rank, guint32 new_id)
{
  guint64 k = merge_key (a, b);
  gsize i;

  for (i = merge_hash (k) & m->merges_mask;; i = (i + 1) & m->merges_mask)
    {
      /* a repeated merge takes its last rank, as HF's HashMap collect does */
      if (m->merges[i].key == k || m->merges[i].key == 0)
        {
          m->merges[i].key = k;
          m->merges[i].rank = rank;
          m->merges[i].new_id = new_id;
          return;
        }
    }
}

typedef struct
{
  guint32 id;
  gsize   len;     /* bytes; 0 = merged away */
  gint64  prev;
  gint64  next;
} Symbol;

typedef struct
{
  guint32 rank;
  guint32 pos;
  guint32 new_id;
} Merge;

static inline gboolean
merge_less (const Merge *a, const Merge *b)
{
  return a->rank != b->rank ? a->rank < b->rank : a->pos < b->pos;
}

static void
heap_push (GArray *h, Merge x)
{
  guint i;

  g_array_append_val (h, x);
  i = h->len - 1;
  while (i > 0)
    {
      guint parent = (i - 1) / 2;
      Merge *hp = &g_array_index (h, Merge, parent);
      Merge *hi = &g_array_index (h, Merge, i);
      Merge t;
      if (!merge_less (hi, hp))
        break;
      t = *hp;
      *hp = *hi;
      *hi = t;
      i = parent;
    }
}

static Merge
heap_pop (GArray *h)
{
  Merge top = g_array_index (h, Merge, 0);
  guint i = 0;

  g_array_index (h, Merge, 0) = g_array_index (h, Merge, h->len - 1);
  g_array_set_size (h, h->len - 1);
  for (;;)
    {
      guint l = 2 * i + 1, r = l + 1, best = i;
      Merge t;
      if (l < h->len && merge_less (&g_array_index (h, Merge, l), &g_array_index (h, Merge, best)))
        best = l;
      if (r < h->len && merge_less (&g_array_index (h, Merge, r), &g_array_index (h, Merge, best)))
        best = r;
      if (best == i)
        break;
      t = g_array_index (h, Merge, i);
      g_array_index (h, Merge, i) = g_array_index (h, Merge, best);
      g_array_index (h, Merge, best) = t;
      i = best;
    }
  return top;
}

static void
word_add (GArray *w, guint32 id, gsize len)
{
  Symbol s = { id, len, (gint64) w->len - 1, -1 };

  if (w->len > 0)
    g_array_index (w, Symbol, w->len - 1).next = w->len;
  g_array_append_val (w, s);
}

/* HF's BPE::merge_word: one symbol per character (with prefix/suffix),
 * byte fallback or (fused) unknowns for characters not in the vocabulary. */
static GArray *
bpe_merge_word (VsTokModel *m, const char *s, gsize len)
{
  GArray *w = g_array_sized_new (FALSE, FALSE, sizeof (Symbol), len);
  g_autoptr(GString) key = g_string_new (NULL);
  gboolean have_unk = FALSE;
  guint32 unk_id = 0;
  gsize unk_len = 0;
  g_autoptr(GArray) heap = NULL;

  for (gsize i = 0; i < len;)
    {
      gsize next = g_utf8_next_char (s + i) - s;
      gsize byte_len;
      gint64 id;

      if (next > len)
        next = len;
      byte_len = next - i;
      g_string_truncate (key, 0);
      if (i > 0 && m->prefix != NULL)
        g_string_append (key, m->prefix);
      g_string_append_len (key, s + i, byte_len);
      if (next == len && m->suffix != NULL)
        g_string_append (key, m->suffix);

      id = vocab_get (m, key->str);
      if (id >= 0)
        {
          if (have_unk)
            {
              word_add (w, unk_id, unk_len);
              have_unk = FALSE;
            }
          word_add (w, id, byte_len);
        }
      else
        {
          gboolean done = FALSE;
          if (m->byte_fallback && m->have_byte_ids)
            {
              gboolean all = TRUE;
              for (gsize k = 0; k < key->len; k++)
                if (m->byte_ids[(guint8) key->str[k]] == G_MAXUINT32)
                  all = FALSE;
              if (all)
                {
                  if (have_unk)
                    {
                      word_add (w, unk_id, unk_len);
                      have_unk = FALSE;
                    }
                  for (gsize k = 0; k < key->len; k++)
                    word_add (w, m->byte_ids[(guint8) key->str[k]], 1);
                  done = TRUE;
                }
            }
          if (!done && m->unk_id >= 0)
            {
              if (have_unk && m->fuse_unk)
                unk_len += byte_len;
              else
                {
                  if (have_unk)
                    word_add (w, unk_id, unk_len);
                  have_unk = TRUE;
                  unk_id = m->unk_id;
                  unk_len = byte_len;
                }
            }
        }
      i = next;
    }
  if (have_unk)
    word_add (w, unk_id, unk_len);

  /* merge_all: lowest rank first, leftmost on ties */
  heap = g_array_sized_new (FALSE, FALSE, sizeof (Merge), w->len);
  for (guint i = 0; i + 1 < w->len; i++)
    {
      const MergeSlot *ms = merge_find (m, g_array_index (w, Symbol, i).id, g_array_index (w, Symbol, i + 1).id);
      if (ms != NULL)
        heap_push (heap, (Merge) { ms->rank, i, ms->new_id });
    }
  while (heap->len > 0)
    {
      Merge top = heap_pop (heap);
      Symbol *cur = &g_array_index (w, Symbol, top.pos);
      Symbol right;
      const MergeSlot *ms;

      if (cur->len == 0 || cur->next < 0)
        continue;
      right = g_array_index (w, Symbol, cur->next);
      ms = merge_find (m, cur->id, right.id);
      if (ms == NULL || ms->new_id != top.new_id)
        continue;
      /* merge right into cur */
      g_array_index (w, Symbol, cur->next).len = 0;
      cur->id = top.new_id;
      cur->len += right.len;
      cur->next = right.next;
      if (right.next >= 0 && right.next < (gint64) w->len)
        g_array_index (w, Symbol, right.next).prev = top.pos;
      if (cur->prev >= 0)
        {
          Symbol *p = &g_array_index (w, Symbol, cur->prev);
          ms = merge_find (m, p->id, cur->id);
          if (ms != NULL)
            heap_push (heap, (Merge) { ms->rank, (guint32) cur->prev, ms->new_id });
        }
      if (cur->next >= 0 && cur->next < (gint64) w->len)
        {
          Symbol *nx = &g_array_index (w, Symbol, cur->next);
          ms = merge_find (m, cur->id, nx->id);
          if (ms != NULL)
            heap_push (heap, (Merge) { ms->rank, top.pos, ms->new_id });
        }
    }
  /* compact to (id, len) pairs */
  {
    GArray *pairs = g_array_new (FALSE, FALSE, sizeof (guint32));
    for (guint i = 0; i < w->len; i++)
      {
        Symbol *sy = &g_array_index (w, Symbol, i);
        if (sy->len > 0)
          {
            guint32 l = (guint32) sy->len;
            g_array_append_val (pairs, sy->id);
            g_array_append_val (pairs, l);
          }
      }
    g_array_unref (w);
    return pairs;
  }
}

static void
bpe_tokenize (VsTokModel *m, const char *s, gsize len, GArray *out)
{
  g_autofree char *word = NULL;
  GArray *pairs = NULL;
  gsize off = 0;

  if (len == 0)
    return;
  if (memchr (s, '\0', len) != NULL)
    {
      /* a NUL cannot be part of a C-string key: no cache, no whole-word lookup */
      pairs = bpe_merge_word (m, s, len);
      goto emit;
    }
  word = g_strndup (s, len);
  if (m->ignore_merges)
    {
      gint64 id = vocab_get (m, word);
      if (id >= 0)
        {
          push_tok (out, id, 0, len, word);
          return;
        }
    }
  g_mutex_lock (&m->cache_lock);
  pairs = g_hash_table_lookup (m->cache, word);
  if (pairs != NULL)
    g_array_ref (pairs);
  g_mutex_unlock (&m->cache_lock);

  if (pairs == NULL)
    {
      pairs = bpe_merge_word (m, s, len);
      if (len < BPE_CACHE_MAX_WORD)
        {
          g_mutex_lock (&m->cache_lock);
          if (g_hash_table_size (m->cache) < BPE_CACHE_CAPACITY &&
              !g_hash_table_contains (m->cache, word))
            g_hash_table_insert (m->cache, g_strdup (word), g_array_ref (pairs));
          g_mutex_unlock (&m->cache_lock);
        }
    }
emit:
  for (guint i = 0; i + 1 < pairs->len; i += 2)
    {
      guint32 id = g_array_index (pairs, guint32, i);
      guint32 l = g_array_index (pairs, guint32, i + 1);
      const char *v = vs_tok_model_id_to_token (m, id);
      push_tok (out, id, off, off + l, v != NULL ? v : "");
      off += l;
    }
  g_array_unref (pairs);
}

/* ------------------------------------------------------------ Unigram */

static guint32
trie_child (const GArray *trie, guint32 node, guint8 label)
{
  guint32 c = g_array_index (trie, TrieNode, node).first_child;

  while (c != 0)
    {
      const TrieNode *n = &g_array_index (trie, TrieNode, c);
      if (n->label == label)
        return c;
      c = n->next_sibling;
    }
  return 0;
}

static void
trie_insert (GArray *trie, const char *key, gint32 value)
{
  guint32 node = 0;

  for (const guint8 *p = (const guint8 *) key; *p != 0; p++)
    {
      guint32 c = trie_child (trie, node, *p);
      if (c == 0)
        {
          TrieNode n = { 0, g_array_index (trie, TrieNode, node).first_child, -1, *p };
          g_array_append_val (trie, n);
          c = trie->len - 1;
          g_array_index (trie, TrieNode, node).first_child = c;
        }
      node = c;
    }
  g_array_index (trie, TrieNode, node).value = value;   /* last duplicate wins */
}

typedef struct
{
  gint64 id;
  double score;
  gint64 starts_at;   /* -1 = unreached */
} BestNode;

#define UNK_PENALTY 10.0

static void
unigram_tokenize (VsTokModel *m, const char *s, gsize len, GArray *out)
{
  g_autofree BestNode *best = NULL;
  g_autoptr(GArray) pieces = NULL;
  gsize starts_at = 0;
  gsize ends_at;
  gsize off = 0;
  gint64 pend_start = -1, pend_end = -1;

  if (len == 0)
    return;
  best = g_new (BestNode, len + 1);
  for (gsize i = 0; i <= len; i++)
    best[i] = (BestNode) { 0, 0.0, -1 };
  best[0].starts_at = 0;

  while (starts_at < len)
    {
      double base = best[starts_at].score;
      gboolean has_single = FALSE;
      gsize mblen = g_utf8_next_char (s + starts_at) - (s + starts_at);
      guint32 node = 0;

      for (gsize k = starts_at; k < len; k++)
        {
          const TrieNode *tn;
          node = trie_child (m->trie, node, (guint8) s[k]);
          if (node == 0)
            break;
          tn = &g_array_index (m->trie, TrieNode, node);
          if (tn->value >= 0)
            {
              gsize key_pos = k + 1;
              double cand = m->scores[tn->value] + base;
              if (best[key_pos].starts_at < 0 || cand > best[key_pos].score)
                {
                  best[key_pos].score = cand;
                  best[key_pos].starts_at = starts_at;
                  best[key_pos].id = tn->value;
                }
              if (key_pos - starts_at == mblen)
                has_single = TRUE;
            }
        }
      if (!has_single)
        {
          gsize key_pos = starts_at + mblen;
          double cand = m->min_score - UNK_PENALTY + base;
          if (best[key_pos].starts_at < 0 || cand > best[key_pos].score)
            {
              best[key_pos].score = cand;
              best[key_pos].starts_at = starts_at;
              best[key_pos].id = m->unk_id;
            }
        }
      starts_at += mblen;
    }

  /* backtrack; consecutive unknowns are fused into one piece. pieces holds
   * (start, end) byte pairs, last piece first. */
  pieces = g_array_new (FALSE, FALSE, sizeof (gsize));
  ends_at = len;
  while (ends_at > 0)
    {
      const BestNode *n = &best[ends_at];
      gsize st = n->starts_at < 0 ? 0 : (gsize) n->starts_at;

      if (m->unk_id >= 0 && n->id == m->unk_id)
        {
          if (pend_end < 0)
            pend_end = ends_at;
          pend_start = st;
        }
      else
        {
          if (pend_end >= 0)
            {
              gsize r[2] = { pend_start, pend_end };
              g_array_append_vals (pieces, r, 2);
              pend_start = pend_end = -1;
            }
          {
            gsize r[2] = { st, ends_at };
            g_array_append_vals (pieces, r, 2);
          }
        }
      ends_at = st;
    }
  if (pend_end >= 0)
    {
      gsize r[2] = { pend_start, pend_end };
      g_array_append_vals (pieces, r, 2);
    }

  for (guint i = pieces->len; i >= 2; i -= 2)
    {
      gsize ps = g_array_index (pieces, gsize, i - 2);
      gsize plen = g_array_index (pieces, gsize, i - 1) - ps;
      g_autofree char *piece = g_strndup (s + ps, plen);
      gint64 id = vocab_get (m, piece);

      if (id < 0 && m->byte_fallback && m->have_byte_ids)
        {
          gboolean all = TRUE;
          for (gsize k = 0; k < plen; k++)
            if (m->byte_ids[(guint8) s[ps + k]] == G_MAXUINT32)
              all = FALSE;
          if (all)
            {
              for (gsize k = 0; k < plen; k++)
                {
                  guint32 bid = m->byte_ids[(guint8) s[ps + k]];
                  push_tok (out, bid, off, off + plen, vs_tok_model_id_to_token (m, bid));
                }
              off += plen;
              continue;
            }
        }
      if (id < 0 || strlen (piece) != plen)
        id = m->unk_id;
      if (id >= 0)
        push_tok (out, id, off, off + plen, piece);
      off += plen;
    }
}

/* ---------------------------------------------------------- WordLevel */

static void
wordlevel_tokenize (VsTokModel *m, const char *s, gsize len, GArray *out)
{
  g_autofree char *word = g_strndup (s, len);
  gint64 id = vocab_get (m, word);

  if (id >= 0)
    push_tok (out, id, 0, len, word);
  else if (m->unk_id >= 0)
    push_tok (out, m->unk_id, 0, len, m->unk_token);
}

void
vs_tok_model_tokenize (VsTokModel    *m,
                   const char *s,
                   gsize       len,
                   GArray     *out)
{
  switch (m->kind)
    {
    case MODEL_WORDPIECE:
      wordpiece_tokenize (m, s, len, out);
      break;
    case MODEL_BPE:
      bpe_tokenize (m, s, len, out);
      break;
    case MODEL_UNIGRAM:
      unigram_tokenize (m, s, len, out);
      break;
    case MODEL_WORDLEVEL:
      wordlevel_tokenize (m, s, len, out);
      break;
    default:
      g_assert_not_reached ();
    }
}

/* ------------------------------------------------------------ loading */

void
vs_tok_model_free (VsTokModel *m)
{
  if (m == NULL)
    return;
  g_clear_pointer (&m->vocab, g_hash_table_unref);
  g_clear_pointer (&m->vocab_r, g_ptr_array_unref);
  g_clear_pointer (&m->cache, g_hash_table_unref);
  g_mutex_clear (&m->cache_lock);
  g_clear_pointer (&m->trie, g_array_unref);
  g_free (m->unk_token);
  g_free (m->prefix);
  g_free (m->suffix);
  g_free (m->merges);
  g_free (m->scores);
  g_free (m);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsTokModel, vs_tok_model_free)

static gboolean
load_vocab_object (VsTokModel *m, const cJSON *vocab, const char *where, GError **error)
{
  const cJSON *it;

  if (!cJSON_IsObject (vocab))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s.vocab: expected an object of token: id, got %s",
                   where, vs_json_type (vocab));
      return FALSE;
    }
  cJSON_ArrayForEach (it, vocab)
    {
      if (!cJSON_IsNumber (it) || it->valuedouble < 0 || it->valuedouble > G_MAXINT32 ||
          it->valuedouble != (double) (gint64) it->valuedouble)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s.vocab[\"%s\"]: expected a non-negative integer id, got %s",
                       where, it->string, vs_json_type (it));
          return FALSE;
        }
      vocab_add (m, it->string, (guint32) it->valuedouble);
      m->max_token_bytes = MAX (m->max_token_bytes, strlen (it->string));
    }
  return TRUE;
}

static void
find_byte_ids (VsTokModel *m)
{
  m->have_byte_ids = FALSE;
  for (int b = 0; b < 256; b++)
    {
      char name[8];
      gint64 id;
      g_snprintf (name, sizeof name, "<0x%02X>", b);
      id = vocab_get (m, name);
      m->byte_ids[b] = id >= 0 ? (guint32) id : G_MAXUINT32;
      if (id >= 0)
        m->have_byte_ids = TRUE;
    }
}

static gboolean
get_opt_string (const cJSON *j, const char *field, const char *where, char **out, GError **error)
{
  const char *v = NULL;

  if (!vs_json_get_string (j, field, where, &v, error))
    return FALSE;
  *out = g_strdup (v);
  return TRUE;
}

static gboolean
load_bpe (VsTokModel *m, const cJSON *j, const char *where, GError **error)
{
  const cJSON *merges = cJSON_GetObjectItemCaseSensitive (j, "merges");
  const cJSON *it;
  gsize n, cap = 16;
  guint32 rank = 0;
  gsize plen;

  if (!load_vocab_object (m, cJSON_GetObjectItemCaseSensitive (j, "vocab"), where, error))
    return FALSE;
  if (!get_opt_string (j, "unk_token", where, &m->unk_token, error) ||
      !get_opt_string (j, "continuing_subword_prefix", where, &m->prefix, error) ||
      !get_opt_string (j, "end_of_word_suffix", where, &m->suffix, error) ||
      !vs_json_get_bool (j, "fuse_unk", FALSE, where, &m->fuse_unk, error) ||
      !vs_json_get_bool (j, "byte_fallback", FALSE, where, &m->byte_fallback, error) ||
      !vs_json_get_bool (j, "ignore_merges", FALSE, where, &m->ignore_merges, error))
    return FALSE;
  if (m->prefix != NULL && *m->prefix == '\0')
    g_clear_pointer (&m->prefix, g_free);
  if (m->suffix != NULL && *m->suffix == '\0')
    g_clear_pointer (&m->suffix, g_free);
  m->unk_id = m->unk_token != NULL ? vocab_get (m, m->unk_token) : -1;
  if (merges == NULL || cJSON_IsNull (merges))
    n = 0;
  else if (!cJSON_IsArray (merges))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s.merges: expected an array, got %s", where, vs_json_type (merges));
      return FALSE;
    }
  else
    n = cJSON_GetArraySize (merges);
  while (cap < 2 * n + 16)
    cap *= 2;
  m->merges = g_new0 (MergeSlot, cap);
  m->merges_mask = cap - 1;
  plen = m->prefix != NULL ? strlen (m->prefix) : 0;

  cJSON_ArrayForEach (it, merges)
    {
      g_auto(GStrv) parts = NULL;
      const char *a, *b;
      gint64 ia, ib, inew;
      g_autofree char *joined = NULL;

      if (cJSON_IsString (it))
        {
          parts = g_strsplit (it->valuestring, " ", -1);
          if (g_strv_length (parts) != 2)
            {
              g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                           "%s.merges[%u]: expected two tokens separated by one space, got \"%s\"",
                           where, rank, it->valuestring);
              return FALSE;
            }
          a = parts[0];
          b = parts[1];
        }
      else if (cJSON_IsArray (it) && cJSON_GetArraySize (it) == 2 &&
               cJSON_IsString (cJSON_GetArrayItem (it, 0)) && cJSON_IsString (cJSON_GetArrayItem (it, 1)))
        {
          a = cJSON_GetArrayItem (it, 0)->valuestring;
          b = cJSON_GetArrayItem (it, 1)->valuestring;
        }
      else
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                       "%s.merges[%u]: expected \"a b\" or [\"a\", \"b\"], got %s",
                       where, rank, vs_json_type (it));
          return FALSE;
        }
      ia = vocab_get (m, a);
      ib = vocab_get (m, b);
      if (ia < 0 || ib < 0)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s.merges[%u]: token '%s' is not in the vocabulary",
                       where, rank, ia < 0 ? a : b);
          return FALSE;
        }
      joined = g_strconcat (a, strlen (b) >= plen ? b + plen : b, NULL);
      inew = vocab_get (m, joined);
      if (inew < 0)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE,
                       "%s.merges[%u]: merged token '%s' is not in the vocabulary", where, rank, joined);
          return FALSE;
        }
      merge_insert (m, ia, ib, rank, inew);
      rank++;
    }
  m->cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_array_unref);
  g_mutex_init (&m->cache_lock);
  find_byte_ids (m);
  return TRUE;
}

static gboolean
load_unigram (VsTokModel *m, const cJSON *j, const char *where, GError **error)
{
  const cJSON *vocab = cJSON_GetObjectItemCaseSensitive (j, "vocab");
  const cJSON *it;
  gint64 unk_id;
  guint32 id = 0;
  TrieNode root = { 0, 0, -1, 0 };

  if (!cJSON_IsArray (vocab))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s.vocab: expected an array of [piece, score], got %s",
                   where, vs_json_type (vocab));
      return FALSE;
    }
  if (!vs_json_get_int (j, "unk_id", -1, where, &unk_id, error) ||
      !vs_json_get_bool (j, "byte_fallback", FALSE, where, &m->byte_fallback, error))
    return FALSE;
  m->scores = g_new (double, MAX (cJSON_GetArraySize (vocab), 1));
  m->min_score = INFINITY;
  m->trie = g_array_new (FALSE, FALSE, sizeof (TrieNode));
  g_array_append_val (m->trie, root);
  cJSON_ArrayForEach (it, vocab)
    {
      const cJSON *piece = cJSON_GetArrayItem (it, 0);
      const cJSON *score = cJSON_GetArrayItem (it, 1);

      if (!cJSON_IsArray (it) || cJSON_GetArraySize (it) != 2 || !cJSON_IsString (piece) || !cJSON_IsNumber (score))
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s.vocab[%u]: expected [piece, score]", where, id);
          return FALSE;
        }
      vocab_add (m, piece->valuestring, id);
      m->scores[id] = score->valuedouble;
      if (score->valuedouble < m->min_score)
        m->min_score = score->valuedouble;
      if (*piece->valuestring != '\0')
        trie_insert (m->trie, piece->valuestring, id);
      id++;
    }
  if (unk_id >= (gint64) id)
    {
      g_set_error (error, VS_ERROR, VS_ERROR_INVALID, "%s.unk_id: %" G_GINT64_FORMAT " is outside the %u-piece vocabulary",
                   where, unk_id, id);
      return FALSE;
    }
  m->unk_id = unk_id;
  if (m->unk_id >= 0)
    m->unk_token = g_strdup (g_ptr_array_index (m->vocab_r, m->unk_id));
  find_byte_ids (m);
  return TRUE;
}

VsTokModel *
vs_tok_model_new_from_json (const cJSON *j,
                        const char  *where,
                        GError     **error)
{
  g_autoptr(VsTokModel) m = g_new0 (VsTokModel, 1);
  const char *type = NULL;
  const cJSON *vocab;

  if (!cJSON_IsObject (j))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s: %s", where,
                   j == NULL || cJSON_IsNull (j) ? "missing" : "expected an object");
      return NULL;
    }
  m->vocab = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  m->vocab_r = g_ptr_array_new_with_free_func (g_free);
  m->unk_id = -1;
  if (!vs_json_get_string (j, "type", where, &type, error))
    return NULL;
  vocab = cJSON_GetObjectItemCaseSensitive (j, "vocab");
  if (type == NULL)
    {
      /* untagged (older files, e.g. t5): guess as serde's untagged enum does */
      if (cJSON_IsArray (vocab))
        type = "Unigram";
      else if (cJSON_GetObjectItemCaseSensitive (j, "merges") != NULL)
        type = "BPE";
      else if (cJSON_GetObjectItemCaseSensitive (j, "max_input_chars_per_word") != NULL ||
               cJSON_GetObjectItemCaseSensitive (j, "continuing_subword_prefix") != NULL)
        type = "WordPiece";
      else if (cJSON_IsObject (vocab))
        type = "WordLevel";
      else
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s.type: missing, and the model has no vocab to guess it from", where);
          return NULL;
        }
    }

  if (g_str_equal (type, "WordPiece"))
    {
      m->kind = MODEL_WORDPIECE;
      if (!load_vocab_object (m, vocab, where, error) ||
          !get_opt_string (j, "unk_token", where, &m->unk_token, error) ||
          !get_opt_string (j, "continuing_subword_prefix", where, &m->prefix, error) ||
          !vs_json_get_int (j, "max_input_chars_per_word", 100, where, &m->max_input_chars_per_word, error))
        return NULL;
      if (m->unk_token == NULL)
        m->unk_token = g_strdup ("[UNK]");
      if (m->prefix == NULL)
        m->prefix = g_strdup ("##");
      m->unk_id = vocab_get (m, m->unk_token);
      if (m->unk_id < 0)
        {
          g_set_error (error, VS_ERROR, VS_ERROR_PARSE, "%s.unk_token: '%s' is not in the vocabulary", where, m->unk_token);
          return NULL;
        }
    }
  else if (g_str_equal (type, "BPE"))
    {
      m->kind = MODEL_BPE;
      if (!load_bpe (m, j, where, error))
        return NULL;
    }
  else if (g_str_equal (type, "Unigram"))
    {
      m->kind = MODEL_UNIGRAM;
      if (!load_unigram (m, j, where, error))
        return NULL;
    }
  else if (g_str_equal (type, "WordLevel"))
    {
      m->kind = MODEL_WORDLEVEL;
      if (!load_vocab_object (m, vocab, where, error) ||
          !get_opt_string (j, "unk_token", where, &m->unk_token, error))
        return NULL;
      m->unk_id = m->unk_token != NULL ? vocab_get (m, m->unk_token) : -1;
    }
  else
    {
      g_set_error (error, VS_ERROR, VS_ERROR_UNSUPPORTED, "%s.type: unknown model type '%s'", where, type);
      return NULL;
    }
  return g_steal_pointer (&m);
}
