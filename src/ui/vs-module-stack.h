/* vs-module-stack.h: the module stack of a model drawn as blocks.
 *
 * Transformer -> Pooling -> [Dense]... -> [Normalize], with the embedding
 * width the engine computes (vs_module_spec_dimensions) written as a label
 * on every arrow. Editable for a new model: pooling modes, any number of
 * Dense modules (out features, activation, bias) and one Normalize can be
 * added, changed, removed and moved up or down (buttons, or a drag of the
 * block onto another block); a move the engine refuses
 * (vs_module_spec_move) leaves the stack as it was and shows the reason in
 * a label (and a toast). Every edit emits ::changed with the new modules
 * array (the page writes it to the project). An invalid stack shows the
 * engine's reason. A loaded model's stack is shown with its own modules
 * fixed and Dense / Normalize layers editable on top of them (the recipe's
 * {"path", "modules"}); ::changed then carries only the layers on top.
 */
#pragma once

#include <adwaita.h>
#include <cjson/cJSON.h>

G_BEGIN_DECLS

#define VS_TYPE_MODULE_STACK (vs_module_stack_get_type ())
G_DECLARE_FINAL_TYPE (VsModuleStack, vs_module_stack, VS, MODULE_STACK, GtkBox)

GtkWidget   *vs_module_stack_new            (void);
/* Shows hidden (the Transformer's width) and modules (copied; NULL: none).
 * transformer: a title for the Transformer block ("BERT"). */
void         vs_module_stack_set_modules    (VsModuleStack *self,
                                             const char    *transformer,
                                             gsize          hidden,
                                             const cJSON   *modules,
                                             gboolean       editable);
 /* The Transformer's token limit shown in its block (0: none); editable
  * with the stack, emitting ::max-seq-length-changed. */
void         vs_module_stack_set_max_seq_length (VsModuleStack *self,
                                                 gsize          max_seq_length);
void         vs_module_stack_clear          (VsModuleStack *self);
/* The modules shown (borrowed). */
const cJSON *vs_module_stack_get_modules    (VsModuleStack *self);

/* For tests and accessibility: the text on the arrow after block i
 * (0 = Transformer), or NULL; the reason the stack is invalid, or NULL. */
const char  *vs_module_stack_get_arrow_text (VsModuleStack *self,
                                             guint          i);
const char  *vs_module_stack_get_error      (VsModuleStack *self);
/* A loaded model's stack: base (its own modules, shown fixed; copied) with
 * top (the recipe's layers on top, editable; copied; NULL: none). */
void         vs_module_stack_set_modules_on_top (VsModuleStack *self,
                                                 const char    *transformer,
                                                 gsize          hidden,
                                                 const cJSON   *base,
                                                 const cJSON   *top);
/* Test-facing edits, the same the controls make. */
void         vs_module_stack_set_pooling_mode (VsModuleStack *self,
                                               const char    *mode,
                                               gboolean       on);
void         vs_module_stack_add_dense      (VsModuleStack *self,
                                             gsize          out_features);
void         vs_module_stack_add_normalize  (VsModuleStack *self);
/* modules[index] one place up (delta -1) or down (+1): TRUE when moved;
 * FALSE when the engine refuses, the reason then in get_refusal. */
gboolean     vs_module_stack_move           (VsModuleStack *self,
                                             guint          index,
                                             int            delta);
/* modules[from] taken out and put at index to (-1: the Transformer's
 * place, always refused), as a drag and drop of a block onto another does:
 * TRUE when moved; FALSE when the engine refuses (reason in get_refusal). */
gboolean     vs_module_stack_reorder        (VsModuleStack *self,
                                             int            from,
                                             int            to);
/* The block (card) of modules[index], -1 for the Transformer; it carries
 * the GtkDropTarget (and, for Dense and Normalize, the GtkDragSource). */
GtkWidget   *vs_module_stack_get_block      (VsModuleStack *self,
                                             int            index);
void         vs_module_stack_remove         (VsModuleStack *self,
                                             guint          index);
void         vs_module_stack_set_dense_bias (VsModuleStack *self,
                                             guint          index,
                                             gboolean       bias);
/* Why the last move was refused (the engine's message), or NULL. */
const char  *vs_module_stack_get_refusal    (VsModuleStack *self);
/* The note under a loaded model's stack (its own modules stay, layers go
 * on top), or NULL for a new model's. */
const char  *vs_module_stack_get_read_only_note (VsModuleStack *self);

G_END_DECLS
