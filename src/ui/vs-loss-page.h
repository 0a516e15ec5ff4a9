/* vs-loss-page.h: the Loss page of the workbench.
 *
 * Lists every loss of the engine's registry as a row: those that fit the
 * loaded dataset's case first (the engine's ranking, with its reason), the
 * others dimmed with the reason they do not fit. Choosing one writes the
 * project's "loss" (params reset); a loss that does not fit is refused with
 * its reason. Below: what the chosen loss does with the dataset's columns
 * (the engine's words), its parameters as a form generated from the
 * registry, a Matryoshka switch, the evaluator that fits the case and the
 * problems of the loss and evaluator.
 */
#pragma once

#include <adwaita.h>

#include "vs-project.h"

G_BEGIN_DECLS

#define VS_TYPE_LOSS_PAGE (vs_loss_page_get_type ())
G_DECLARE_FINAL_TYPE (VsLossPage, vs_loss_page, VS, LOSS_PAGE, AdwBin)

VsProject *vs_loss_page_get_project (VsLossPage *self);
void       vs_loss_page_set_project (VsLossPage *self,
                                      VsProject  *project);

/* For tests. */
/* The loss names in the order the rows show them. g_strfreev. */
char     **vs_loss_page_dup_loss_order      (VsLossPage *self);
/* The row of a loss (activate it to choose the loss), or NULL. */
GtkWidget *vs_loss_page_get_loss_row        (VsLossPage *self,
                                             const char *name);
/* TRUE when the row of that loss is shown as not fitting the data. */
gboolean   vs_loss_page_loss_is_dimmed      (VsLossPage *self,
                                             const char *name);
GtkLabel  *vs_loss_page_get_note_label      (VsLossPage *self);
GtkLabel  *vs_loss_page_get_explain_label   (VsLossPage *self);
GtkLabel  *vs_loss_page_get_refusal_label   (VsLossPage *self);
GtkLabel  *vs_loss_page_get_hint_label      (VsLossPage *self);
GtkLabel  *vs_loss_page_get_problems_label  (VsLossPage *self);
/* What "Reset to Defaults" does. */
void       vs_loss_page_reset_params        (VsLossPage *self);
GtkLabel  *vs_loss_page_get_param_error_label (VsLossPage *self);
/* The editor of a parameter of the chosen loss (GtkSpinButton, GtkSwitch,
 * GtkEntry, or the AdwComboRow), or NULL. */
GtkWidget *vs_loss_page_get_param_editor    (VsLossPage *self,
                                             const char *param);
/* The row whose subtitle is the suggested evaluator. */
AdwActionRow *vs_loss_page_get_suggest_row  (VsLossPage *self);
GtkButton *vs_loss_page_get_suggest_button  (VsLossPage *self);
GtkWidget *vs_loss_page_get_matryoshka_switch (VsLossPage *self);
AdwEntryRow *vs_loss_page_get_dims_row      (VsLossPage *self);

G_END_DECLS
