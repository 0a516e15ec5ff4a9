/* vs-cli.h: the subcommands of vectorsmith-cli.
 *
 * vectorsmith-cli is a thin layer over the engine: each subcommand parses its
 * flags, calls the engine and prints what it returns. It is the surface every
 * capability is tested through end to end. Each function gets argv with
 * argv[0] set to the subcommand's name, returns the process exit status (0 on
 * success, 1 when the work failed, 2 on a usage error) and prints errors to
 * stderr as "vectorsmith-cli NAME: message".
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* cmd-tokenize.c */
int vs_cli_tokenize (int argc, char **argv);

/* cmd-model.c */
int vs_cli_new_model (int argc, char **argv);
int vs_cli_encode (int argc, char **argv);

/* cmd-data.c */
int vs_cli_inspect (int argc, char **argv);
int vs_cli_mine_negatives (int argc, char **argv);

/* cmd-evaluate.c */
int vs_cli_evaluate (int argc, char **argv);

/* cmd-train.c */
int vs_cli_train (int argc, char **argv);

/* cmd-hub.c */
int vs_cli_pull (int argc, char **argv);
int vs_cli_push (int argc, char **argv);
int vs_cli_whoami (int argc, char **argv);
int vs_cli_login (int argc, char **argv);

/* cmd-search.c */
int vs_cli_similarity (int argc, char **argv);
int vs_cli_search (int argc, char **argv);

/* cmd-export-script.c */
int vs_cli_export_script (int argc, char **argv);

/* cmd-onnx.c */
int vs_cli_export_onnx (int argc, char **argv);

/* cmd-serve.c */
int vs_cli_serve (int argc, char **argv);

/* cmd-model.c: ranges[2, D] (vs_quantize_ranges) over the embeddings of the
 * texts of path, one a line, encoded with prompt and normalize; for encode's
 * and serve's --calibration. */
struct _VsModel;
gboolean vs_cli_calibration_ranges (struct _VsModel *model, const char *prompt, const char *path,
                                    gsize batch_size, gboolean normalize, float *ranges, GError **error);

/* main.c: prints "vectorsmith-cli NAME: MESSAGE" to stderr and returns 1. */
int vs_cli_fail (const char *command, const GError *error);

G_END_DECLS
