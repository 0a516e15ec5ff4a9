/* vs-model-card.h: the README.md model card sentence-transformers writes.
 *
 * The card is generated from a saved sentence-transformers model folder
 * (modules.json, config.json, sentence_bert_config.json, 1_Pooling/config.json,
 * k_Dense/config.json, config_sentence_transformers.json) plus, when the model
 * was trained here, the training record. It follows sentence-transformers'
 * model_card_template.md (st-spec.md section 5): YAML front matter
 * (tags, base_model, datasets, pipeline_tag: sentence-similarity,
 * library_name: sentence-transformers, metrics, model-index) and the body
 * sections in the same order (title, intro, Model Details, Usage, Evaluation,
 * Training Details with hyperparameters and logs, Framework Versions, Citation).
 *
 * The training record is a cJSON object the trainer builds and also saves as
 * vectorsmith_training_record.json in the model folder, so the card can be
 * regenerated before a push. Every field is optional:
 *
 *   {
 *     "model_name": "my-model",                  // title; default derived from base_model
 *     "base_model": "sentence-transformers/all-MiniLM-L6-v2",   // Hub id or local path
 *     "base_model_revision": "<commit>",         // optional
 *     "language": ["en"], "license": "apache-2.0",
 *     "datasets": [                              // training datasets, then evaluation ones
 *       {"name": "sentence-transformers/all-nli", // Hub id or a file name
 *        "path": "/local/path/or/hub-id",
 *        "split": "train",                      // "train" (training) or anything else (evaluation)
 *        "num_rows": 1000,
 *        "columns": ["anchor", "positive", "negative"],
 *        "samples": [{"anchor": "...", ...}]     // optional: first rows shown in the card
 *       }],
 *     "loss": {"name": "MultipleNegativesRankingLoss",
 *              "params": {"scale": 20.0, "similarity_fct": "cos_sim"}},
 *     "args_non_default": {"num_train_epochs": 1, "per_device_train_batch_size": 16, ...},
 *     "args_all": {...},                         // optional: all hyperparameters
 *     "log": [{"epoch": 0.5, "step": 10, "training_loss": 1.23,
 *              "validation_loss": 1.1, "sts-dev_spearman_cosine": 0.81}, ...],
 *     "final_metrics": {"sts-dev_pearson_cosine": 0.82, "sts-dev_spearman_cosine": 0.81},
 *     "evaluator": "EmbeddingSimilarityEvaluator",
 *     "evaluator_name": "sts-dev",              // optional: the metric prefix to strip
 *     "primary_metric": "spearman_cosine",      // optional: shown in bold
 *     "versions": {"vectorsmith": "0.1.0"}      // optional
 *   }
 *
 * Usage:
 *
 *   g_autofree char *text = vs_model_card_render (dir, record, NULL, &error);  // show / edit
 *   vs_model_card_write (dir, record, &error);   // writes dir/README.md atomically
 */
#pragma once

#include <glib.h>
#include <cjson/cJSON.h>

G_BEGIN_DECLS

/* The card's Markdown text for the model in model_dir. training_record may be
 * NULL, in which case model_dir/vectorsmith_training_record.json is used if
 * present. model_id (nullable) is the Hub id the card will be pushed as; it
 * is used in the usage snippet and as the model-index name. */
char *vs_model_card_render (const char  *model_dir,
                            const cJSON *training_record,
                            const char  *model_id,
                            GError     **error);

/* Renders the card and writes model_dir/README.md atomically (temp + rename). */
gboolean vs_model_card_write (const char  *model_dir,
                              const cJSON *training_record,
                              GError     **error);

G_END_DECLS
