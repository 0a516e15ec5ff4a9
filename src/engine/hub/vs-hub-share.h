/* vs-hub-share.h: the checks a push to the Hub needs before it starts.
 *
 * What a "share this model" screen asks the engine, without network access:
 * whether a repo name is one the Hub accepts, whether a model card's YAML
 * front matter is the YAML the Hub accepts (the subset sentence-transformers
 * and vs-model-card.h write: "key: value", block lists, nested maps, lists
 * of maps, quoted and flow scalars), and which files of an output folder
 * would replace files a repo already has (from its info object, see
 * vs_hub_repo_info).
 *
 *   g_autoptr(GError) error = NULL;
 *   guint line = 0;
 *   if (!vs_hub_check_repo_name ("my-model", &error))
 *     show (error->message);                 // "a repo name cannot start with '-'"
 *   if (!vs_model_card_check_front_matter (text, &line, &error))
 *     show (error->message);                 // "line 4: a tab in the indentation"
 *   g_auto(GStrv) replaced = vs_hub_folder_replaced_files (dir, info, &error);
 */
#pragma once

#include <glib.h>
#include <cjson/cJSON.h>

G_BEGIN_DECLS

/* The longest repo name (the part after "owner/") the Hub accepts. */
#define VS_HUB_REPO_NAME_MAX 96

/* A repo name as the Hub accepts it: 1 to 96 letters, digits, '-', '_' and
 * '.', not starting or ending with '-' or '.', no "--" or "..". FALSE with a
 * VS_ERROR_INVALID that says why. */
gboolean vs_hub_check_repo_name (const char *name,
                                 GError    **error);

/* Checks the YAML front matter of a model card (Markdown text that must
 * start with a line "---" and close the metadata with another "---"). The
 * top level must be a mapping; keys are unique within their mapping;
 * indentation is spaces; quoted scalars and flow lists/maps ("[a, b]") are
 * closed on their line. FALSE with VS_ERROR_PARSE "line N: reason" (N
 * counts from 1, the opening "---" being line 1); *out_line (nullable)
 * gets N. */
gboolean vs_model_card_check_front_matter (const char *text,
                                           guint      *out_line,
                                           GError    **error);

/* The files of folder (as vs_hub_commit_add_folder lists them) whose path
 * the repo already has, according to repo_info's "siblings"
 * ([{"rfilename": ...}]), sorted. NULL-terminated, possibly empty;
 * NULL with an error when the folder cannot be read. g_strfreev. */
char **vs_hub_folder_replaced_files (const char  *folder,
                                     const cJSON *repo_info,
                                     GError     **error);

G_END_DECLS
