/* vs-model-page.h: the Model page of the workbench. */
#pragma once

#include <adwaita.h>

#include "vs-module-stack.h"
#include "vs-project.h"

G_BEGIN_DECLS

#define VS_TYPE_MODEL_PAGE (vs_model_page_get_type ())
G_DECLARE_FINAL_TYPE (VsModelPage, vs_model_page, VS, MODEL_PAGE, AdwBin)

VsProject *vs_model_page_get_project (VsModelPage *self);
void       vs_model_page_set_project (VsModelPage *self,
                                      VsProject  *project);
/* Sets the project's "model" to a folder, as the folder chooser and a drop do. */
void       vs_model_page_open_folder (VsModelPage *self,
                                      const char  *path);
/* Fills the New Model rows and creates it, as the Create button does. */
void       vs_model_page_new_model   (VsModelPage *self,
                                      const char  *architecture,
                                      const char  *preset,
                                      const char  *tokenizer);
/* TRUE while a model loads (notify::loading). */
gboolean   vs_model_page_get_loading (VsModelPage *self);

/* Test-facing: the banner's message (NULL when hidden); a fact row's text
 * ("layers", "hidden-size", "heads", "parameters", "vocabulary",
 * "max-seq-length", "dimension", "architecture", "source", "prompts",
 * "license", "base-model"); the module stack; tokenizing a sentence and
 * the "N tokens" label. */
const char    *vs_model_page_get_banner_message     (VsModelPage *self);
const char    *vs_model_page_get_fact               (VsModelPage *self,
                                                     const char  *name);
VsModuleStack *vs_model_page_get_module_stack       (VsModelPage *self);
void           vs_model_page_tokenize               (VsModelPage *self,
                                                     const char  *text);
const char    *vs_model_page_get_token_count_label  (VsModelPage *self);
/* Searches the Hub as the search row does; the results' count and the
 * status line ("3 models found" or the Hub's error). */
void           vs_model_page_search_hub             (VsModelPage *self,
                                                     const char  *query);
guint          vs_model_page_get_n_hub_results      (VsModelPage *self);
/* Pulls a Hub model into the cache (byte progress, Cancel), then sets the
 * project's "model" to id, as a result's Use button does. */
void           vs_model_page_use_hub_model          (VsModelPage *self,
                                                     const char  *id);
/* Stops the load or pull in flight, as the Cancel button does. */
void           vs_model_page_cancel                 (VsModelPage *self);
/* Whether byte progress came during the last pull. */
gboolean       vs_model_page_get_saw_pull_progress  (VsModelPage *self);
const char    *vs_model_page_get_hub_status         (VsModelPage *self);
/* Scrolls to a section: "modules", "tokenize", or NULL for the top. */
void           vs_model_page_scroll_to              (VsModelPage *self,
                                                     const char  *section);

G_END_DECLS
