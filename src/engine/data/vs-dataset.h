/* vs-dataset.h: datasets as a column store, their case, and batch samplers.
 *
 * A VsDataset is a table of named, typed columns (string, float64, int64,
 * bool, list<string>; any cell may be null) read from the files
 * sentence-embedding datasets come in: CSV/TSV, JSON Lines, JSON arrays (each
 * optionally .gz) and Parquet, or a folder / Hugging Face Hub snapshot whose
 * files name their split (train/validation/test). Readers stream: memory is
 * the column store plus one bounded read buffer (one Parquet column chunk).
 *
 * Case detection reads column names, types and value ranges and decides which
 * of sentence-transformers' data formats the table is (st-spec.md, "dataset
 * cases"):
 *   1  pair + label: float score, binary 0/1 or multi-class
 *   2  positive pair (anchor, positive)
 *   3  single sentence + class label
 *   4  triplet, or anchor, positive, negative_1..negative_n
 * with a sentence of evidence, the label's range/classes, and the losses
 * ranked (compatible first, each incompatible one with its reason).
 *
 * Samplers turn a dataset into batches of row indices (sentence-transformers'
 * BATCH_SAMPLER, NO_DUPLICATES and GROUP_BY_LABEL); their position
 * (epoch, batch) can be saved in a checkpoint and restored.
 *
 * Usage:
 *
 *   g_autoptr(GError) error = NULL;
 *   g_autoptr(VsDataset) ds = vs_dataset_load ("data/", "train", &error);
 *   if (ds == NULL)
 *     return fail (error);                   // "data/train.csv: line 12: ..."
 *   g_autoptr(VsCaseInfo) info = vs_dataset_detect_case (ds, NULL, 0, &error);
 *   g_print ("case %d: %s\n", info->case_number, info->evidence);
 *   g_autoptr(VsDataset) st = vs_dataset_apply_case (ds, info, &error);
 *   // st: the input columns in loss order, then "label" (if any)
 *   g_autoptr(VsSampler) s = vs_sampler_new (st, VS_SAMPLER_NO_DUPLICATES,
 *                                            32, FALSE, 0, NULL, &error);
 *   gsize n;
 *   const gsize *rows;
 *   while ((rows = vs_sampler_next (s, &n)) != NULL)
 *     {
 *       const VsColumn *a = vs_dataset_get_column (st, 0);
 *       for (gsize i = 0; i < n; i++)
 *         use (vs_column_get_string (a, rows[i]));
 *     }
 *
 * Ownership: columns and the strings they return are owned by their dataset
 * (borrowed pointers stay valid until the dataset is freed or a column is
 * added/removed). Functions returning VsDataset * return a new dataset the
 * caller frees with vs_dataset_free (); the input is never modified unless
 * the function's name says so (rename, add).
 */
#pragma once

#include <glib.h>
#include <cjson/cJSON.h>

G_BEGIN_DECLS

/* ---------------------------------------------------------------------- */
/* Columns                                                                 */

typedef enum
{
  VS_COLUMN_STRING,       /* UTF-8 text (or raw bytes from unannotated Parquet binary) */
  VS_COLUMN_FLOAT64,
  VS_COLUMN_INT64,
  VS_COLUMN_BOOL,
  VS_COLUMN_STRING_LIST,  /* list<string>; a list and each element may be null */
} VsColumnType;

typedef struct _VsColumn VsColumn;

/* "string", "float64", "int64", "bool", "list<string>". */
const char   *vs_column_type_to_string (VsColumnType type);

const char   *vs_column_get_name       (const VsColumn *col);
VsColumnType  vs_column_get_type       (const VsColumn *col);
/* Number of cells in the column (equal to the dataset's n_rows once built). */
gsize         vs_column_get_length     (const VsColumn *col);
gboolean      vs_column_is_null        (const VsColumn *col, gsize row);
/* STRING: the cell (NUL-terminated, borrowed) or NULL when null.
 * Other types: NULL (use vs_column_format_cell for a text form). */
const char   *vs_column_get_string     (const VsColumn *col, gsize row);
/* STRING: byte length of the cell (binary cells may contain NUL); 0 if null. */
gsize         vs_column_get_string_length (const VsColumn *col, gsize row);
/* FLOAT64, INT64, BOOL: the value as a double; NAN when null or not numeric. */
double        vs_column_get_double     (const VsColumn *col, gsize row);
/* INT64 (BOOL as 0/1): the value; 0 when null or of another type. */
gint64        vs_column_get_int64      (const VsColumn *col, gsize row);
/* BOOL: the value; FALSE when null or of another type. */
gboolean      vs_column_get_bool       (const VsColumn *col, gsize row);
/* STRING_LIST: number of elements (0 for a null list or another type). */
guint         vs_column_get_list_length (const VsColumn *col, gsize row);
/* STRING_LIST: element i (borrowed), NULL for a null element or i out of range. */
const char   *vs_column_get_list_item  (const VsColumn *col, gsize row, guint i);
/* Any type: the cell as Python's str() would print it ("3.5", "1", "True",
 * "['a', 'b']"; "None" for null). This is what NO_DUPLICATES compares.
 * Caller frees with g_free. */
char         *vs_column_format_cell    (const VsColumn *col, gsize row);
/* Any type: the cell as a new cJSON value, as vs_dataset_save_jsonl writes
 * it (null for a null cell or a non-finite float; strings as stored). */
cJSON        *vs_column_cell_to_json   (const VsColumn *col, gsize row);

/* Appending (building datasets in memory; readers use the same calls).
 * Each appends one cell at the end of the column. Appending a value of the
 * wrong type is API misuse (g_return_if_fail). */
void          vs_column_append_null    (VsColumn *col);
void          vs_column_append_string  (VsColumn *col, const char *s);      /* NULL = null */
void          vs_column_append_string_len (VsColumn *col, const char *s, gsize len);
void          vs_column_append_double  (VsColumn *col, double v);
void          vs_column_append_int64   (VsColumn *col, gint64 v);
void          vs_column_append_bool    (VsColumn *col, gboolean v);
/* items may contain NULL (null element); items == NULL appends a null list. */
void          vs_column_append_string_list (VsColumn *col, const char *const *items, guint n_items);

/* ---------------------------------------------------------------------- */
/* Datasets                                                                */

typedef struct _VsDataset VsDataset;

/* An empty dataset (no columns, 0 rows). Never fails. */
VsDataset    *vs_dataset_new           (void);
void          vs_dataset_free          (VsDataset *ds);

/* Load a file (.csv .tsv .jsonl .json .parquet; text formats optionally .gz),
 * a folder, or a Hub snapshot folder. A file's name or folder names its split
 * as Hugging Face `datasets` infers it (train; validation = validation, valid,
 * val, dev, eval; test); when some files name a split, the others are not
 * data; several subset folders side by side (all-nli's pair/, triplet/) make
 * splits "subset/split". split selects one ("train", "triplet/train", or a
 * subset alone for its train split); NULL picks "train" if present, else the
 * only split, else fails listing them. A split may span several files
 * (train-00000-of-00002.parquet, ...), which are concatenated.
 * Returns NULL with a VS_ERROR naming the file and line / row group / page. */
VsDataset    *vs_dataset_load          (const char *path, const char *split, GError **error);
/* Same, reading at most max_rows rows (0 = all), stopping early. */
VsDataset    *vs_dataset_load_limit    (const char *path, const char *split,
                                        gsize max_rows, GError **error);
/* Watching a long load from another thread (a window loading a million
 * rows on a worker): cancel, when not NULL, is read between rows — set it
 * non-zero from any thread and the load stops soon after, failing with
 * VS_ERROR_CANCELLED; progress, when not NULL, is called on the loading
 * thread every few thousand rows with the bytes read so far of every file
 * of the load and their total (a .gz file counts its compressed bytes; a
 * pipe has no size: total 0). */
typedef void (*VsLoadProgressFunc) (guint64  done,
                                    guint64  total,
                                    gpointer user_data);
typedef struct
{
  const gint         *cancel;
  VsLoadProgressFunc  progress;
  gpointer            user_data;
} VsLoadMonitor;

/* vs_dataset_load_limit, watched by monitor (may be NULL). */
VsDataset    *vs_dataset_load_monitored (const char          *path,
                                         const char          *split,
                                         gsize                max_rows,
                                         const VsLoadMonitor *monitor,
                                         GError             **error);
/* The splits a path offers, NULL-terminated, sorted train, validation, test,
 * then others by name; a single file gives { "train" }. Free with g_strfreev.
 * NULL with an error when the path does not exist or holds no data files. */
char        **vs_dataset_list_splits   (const char *path, GError **error);

gsize         vs_dataset_get_n_rows    (const VsDataset *ds);
guint         vs_dataset_get_n_columns (const VsDataset *ds);
/* Borrowed; NULL when index >= n_columns. */
const VsColumn *vs_dataset_get_column  (const VsDataset *ds, guint index);
/* Borrowed; NULL when there is no column of that name. */
const VsColumn *vs_dataset_get_column_by_name (const VsDataset *ds, const char *name);
/* Index of the column, or -1. */
int           vs_dataset_find_column   (const VsDataset *ds, const char *name);
/* Writable column for appending (borrowed); NULL when index is out of range. */
VsColumn     *vs_dataset_get_column_mut (VsDataset *ds, guint index);
/* The format the data was read from: "csv", "tsv", "jsonl", "json",
 * "parquet" (a ".gz" suffix is not included), or "memory". */
const char   *vs_dataset_get_format    (const VsDataset *ds);

/* Add an empty column at the end and return it (borrowed); NULL with
 * VS_ERROR_INVALID when the name is already taken. */
VsColumn     *vs_dataset_add_column    (VsDataset *ds, const char *name,
                                        VsColumnType type, GError **error);
/* Check that every column has the same length; sets n_rows. Call after
 * appending. FALSE with VS_ERROR_INVALID naming the column otherwise. */
gboolean      vs_dataset_seal          (VsDataset *ds, GError **error);

/* Rename a column in place. FALSE when old is missing or new is taken. */
gboolean      vs_dataset_rename_column (VsDataset *ds, const char *old_name,
                                        const char *new_name, GError **error);
/* A new dataset with only these columns, in this order. NULL when one is missing. */
VsDataset    *vs_dataset_select_columns (const VsDataset *ds, const char *const *names,
                                         guint n_names, GError **error);
/* Rows [start, start+n), clamped to the table. Never fails. */
VsDataset    *vs_dataset_slice         (const VsDataset *ds, gsize start, gsize n);
/* The given rows in the given order (may repeat). Rows >= n_rows are API misuse. */
VsDataset    *vs_dataset_take          (const VsDataset *ds, const gsize *rows, gsize n);
/* All rows in a seeded random order (Fisher-Yates over splitmix64; the same
 * seed gives the same order on every machine). */
VsDataset    *vs_dataset_shuffle       (const VsDataset *ds, guint64 seed);
/* Drop rows whose values in the given columns (NULL = all columns) equal those
 * of an earlier row; keeps the first occurrence. */
VsDataset    *vs_dataset_dedup         (const VsDataset *ds, const char *const *columns,
                                        guint n_columns);
/* Seeded shuffle, then the first round(eval_ratio * n) rows (at least 1 when
 * 0 < ratio and n >= 2) go to *eval and the rest to *train.
 * FALSE with VS_ERROR_INVALID when the ratio is outside (0, 1) or a side would be empty. */
gboolean      vs_dataset_train_eval_split (const VsDataset *ds, double eval_ratio,
                                           guint64 seed, VsDataset **train,
                                           VsDataset **eval, GError **error);

/* Write the rows as JSON Lines (one object per row, keys in column order).
 * Atomic (temporary file + rename). */
gboolean      vs_dataset_save_jsonl    (const VsDataset *ds, const char *path, GError **error);

/* ---------------------------------------------------------------------- */
/* Case detection                                                          */

typedef enum
{
  VS_LABEL_NONE,     /* no label column */
  VS_LABEL_FLOAT,    /* similarity score (float) */
  VS_LABEL_BINARY,   /* integer (or bool) 0/1 */
  VS_LABEL_CLASS,    /* class ids: integers with >2 values, or string categories */
} VsLabelKind;

/* "none", "float", "binary", "class". */
const char   *vs_label_kind_to_string  (VsLabelKind kind);

typedef enum
{
  VS_ROLE_AUTO,      /* let detection decide */
  VS_ROLE_IGNORE,    /* not used for training */
  VS_ROLE_ANCHOR,    /* first text column: anchor, sentence1, query, the sentence (case 3) */
  VS_ROLE_POSITIVE,  /* second text column: positive, sentence2, answer, document */
  VS_ROLE_NEGATIVE,  /* negative columns, in table order */
  VS_ROLE_LABEL,     /* the label / score */
} VsColumnRole;

typedef struct
{
  const char   *column;
  VsColumnRole  role;
} VsRoleOverride;

/* "auto", "ignore", "anchor", "positive", "negative", "label". */
const char   *vs_column_role_to_string (VsColumnRole role);
/* The role a name gives (a recipe's "roles", inspect --role): "anchor",
 * "positive", "negative", "label", "ignore", and "sentence" (= anchor: the
 * one text of case 3). FALSE for any other name, "auto" included. */
gboolean      vs_column_role_from_string (const char   *name,
                                          VsColumnRole *role);

typedef struct
{
  char         *name;        /* sentence-transformers class name, e.g. "CoSENTLoss" */
  gboolean      compatible;
  char         *reason;      /* why (in)compatible, one sentence */
} VsLossFit;

typedef struct
{
  int           case_number;    /* 1..4; 0 when no case fits (evidence says why) */
  char        **inputs;         /* NULL-terminated: text columns in the order the loss reads them */
  guint         n_inputs;
  guint         n_negatives;    /* case 4: inputs beyond anchor and positive */
  char         *label_column;   /* NULL when none */
  VsLabelKind   label_kind;
  double        label_min;      /* FLOAT/BINARY/integer CLASS labels; NAN otherwise */
  double        label_max;
  char        **classes;        /* CLASS/BINARY: distinct label values as text, NULL-terminated,
                                   sorted (numerically for integers); class id = index */
  guint         n_classes;
  char         *evidence;       /* e.g. "`score` is a float in [0, 5] → pair with similarity score" */
  gboolean      swapped_anchor_positive; /* anchor texts much longer than positives */
  char         *swap_evidence;  /* sentence explaining the flag, or NULL */
  VsLossFit    *losses;         /* ranked: compatible first (best first), then incompatible */
  guint         n_losses;
} VsCaseInfo;

/* Decide the case. overrides (may be NULL) fix roles for named columns;
 * a column named in an override must exist (VS_ERROR_NOT_FOUND otherwise).
 * Returns a VsCaseInfo even when no case fits (case_number 0); NULL only on
 * an error in the overrides. Free with vs_case_info_free. */
VsCaseInfo   *vs_dataset_detect_case   (const VsDataset *ds, const VsRoleOverride *overrides,
                                        guint n_overrides, GError **error);
void          vs_case_info_free        (VsCaseInfo *info);
/* The same with no label column (a recipe's "label": null, inspect
 * --no-label): each column detection would take as the label is ignored in
 * turn, so the table is read as texts only (an anchor,positive,score file is
 * case 2). An override with the label role is API misuse. */
VsCaseInfo   *vs_dataset_detect_case_without_label (const VsDataset *ds, const VsRoleOverride *overrides,
                                                    guint n_overrides, GError **error);

/* A new dataset in sentence-transformers' training layout: the input columns
 * (as info->inputs, in that order), then "label" when info has one (FLOAT:
 * float64; BINARY/CLASS: int64 class ids, string classes mapped to their index
 * in info->classes). Rows with a null input or a null/unknown label are
 * dropped. NULL with VS_ERROR_INVALID when info->case_number is 0. */
VsDataset    *vs_dataset_apply_case    (const VsDataset *ds, const VsCaseInfo *info,
                                        GError **error);

/* ---------------------------------------------------------------------- */
/* Samplers                                                                */

typedef enum
{
  VS_SAMPLER_BATCH,          /* seeded random permutation cut into batches */
  VS_SAMPLER_NO_DUPLICATES,  /* no cell value (label excluded) twice in a batch */
  VS_SAMPLER_GROUP_BY_LABEL, /* each label contributes an even number of rows, >= 2 per label per batch */
} VsSamplerKind;

typedef struct _VsSampler VsSampler;

typedef struct
{
  guint64 epoch;   /* current epoch (0-based) */
  guint64 batch;   /* batches already yielded in this epoch */
} VsSamplerPosition;

/* A sampler over ds (borrowed: it must outlive the sampler). batch_size >= 1
 * (even for GROUP_BY_LABEL). label_column: the column NO_DUPLICATES ignores
 * and GROUP_BY_LABEL groups by; NULL = "label", then "score" if present
 * (NO_DUPLICATES then ignores both, as sentence-transformers does).
 * Each epoch's order is a function of seed + epoch only.
 * NULL with VS_ERROR_INVALID (odd batch size for GROUP_BY_LABEL, missing
 * label column, empty dataset). */
VsSampler    *vs_sampler_new           (const VsDataset *ds, VsSamplerKind kind,
                                        guint batch_size, gboolean drop_last,
                                        guint64 seed, const char *label_column,
                                        GError **error);
void          vs_sampler_free          (VsSampler *s);
/* Next batch of the current epoch: row indices (borrowed, valid until the
 * next call), *n_rows set; NULL at the end of the epoch (then call
 * vs_sampler_set_epoch for the next one). */
const gsize  *vs_sampler_next          (VsSampler *s, gsize *n_rows);
/* Start epoch `epoch` from its first batch. */
void          vs_sampler_set_epoch     (VsSampler *s, guint64 epoch);
VsSamplerPosition vs_sampler_get_position (const VsSampler *s);
/* Resume: the next vs_sampler_next yields batch pos.batch of epoch pos.epoch,
 * exactly as an uninterrupted run would. FALSE with VS_ERROR_INVALID when
 * pos.batch is past the epoch's end. */
gboolean      vs_sampler_set_position  (VsSampler *s, VsSamplerPosition pos, GError **error);
/* Number of batches per epoch as sentence-transformers' len() reports it
 * (ceil(n/B), floor with drop_last; GROUP_BY_LABEL counts kept rows). */
gsize         vs_sampler_get_n_batches (const VsSampler *s);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsDataset, vs_dataset_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsCaseInfo, vs_case_info_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsSampler, vs_sampler_free)

G_END_DECLS
