/* vs-dataset-page.h: the Dataset page of the workbench.
 *
 * Loads the project's first train dataset on a worker, shows the case the
 * engine detects (with its evidence and label), the rows in a virtualised
 * table, and lets the user set each column's role ("train.roles"); the
 * detected inputs and label are written back as "train.columns" and
 * "train.label" so the recipe trains what the page shows.
 */
#pragma once

#include <adwaita.h>

#include "vs-histogram.h"
#include "vs-project.h"

G_BEGIN_DECLS

#define VS_TYPE_DATASET_PAGE (vs_dataset_page_get_type ())
G_DECLARE_FINAL_TYPE (VsDatasetPage, vs_dataset_page, VS, DATASET_PAGE, AdwBin)

VsProject *vs_dataset_page_get_project (VsDatasetPage *self);
void       vs_dataset_page_set_project (VsDatasetPage *self,
                                        VsProject     *project);

/* Opens a file, folder or Hub id as the train dataset (what the file
 * chooser and drag and drop do): writes "train.path" and "train.split"
 * (split may be NULL) and removes the stale "train.columns", "train.label"
 * and "train.roles". */
void       vs_dataset_page_open_path   (VsDatasetPage *self,
                                        const char    *path,
                                        const char    *split);
/* Sets the role of a column as its drop-down does (0 Automatic, 1 Anchor,
 * 2 Positive, 3 Negative, 4 Sentence, 5 Label, 6 Ignore). */
void       vs_dataset_page_set_column_role (VsDatasetPage *self,
                                            const char    *column,
                                            guint          role);
/* Mines hard negatives for the loaded positive pairs (case 2) with the
 * project's model on a worker, saves the triplets as JSON Lines at
 * out_path and opens them as the train dataset (what "Mine…" does after
 * its file chooser). Does nothing when the page cannot mine. */
void       vs_dataset_page_mine_to     (VsDatasetPage *self,
                                        const char    *out_path);

/* For tests. */
gboolean   vs_dataset_page_get_mining      (VsDatasetPage *self);
gboolean   vs_dataset_page_get_busy        (VsDatasetPage *self);
GtkLabel  *vs_dataset_page_get_case_label  (VsDatasetPage *self);
GtkLabel  *vs_dataset_page_get_evidence_label (VsDatasetPage *self);
GtkLabel  *vs_dataset_page_get_label_info_label (VsDatasetPage *self);
GtkLabel  *vs_dataset_page_get_banner_label (VsDatasetPage *self);
gboolean   vs_dataset_page_get_banner_shown (VsDatasetPage *self);
GtkColumnView *vs_dataset_page_get_column_view (VsDatasetPage *self);
gboolean   vs_dataset_page_get_counting    (VsDatasetPage *self);
GtkLabel  *vs_dataset_page_get_length_label (VsDatasetPage *self);
VsHistogram *vs_dataset_page_get_histogram (VsDatasetPage *self);
GtkButton *vs_dataset_page_get_cancel_button (VsDatasetPage *self);
/* TRUE when the window is narrow and the settings sit above the table. */
gboolean   vs_dataset_page_get_narrow      (VsDatasetPage *self);
/* What the page says while it works ("Reading the rows… 12 MB of 48 MB"). */
GtkLabel  *vs_dataset_page_get_loading_label (VsDatasetPage *self);
GtkButton *vs_dataset_page_get_swap_button (VsDatasetPage *self);
GtkLabel  *vs_dataset_page_get_swap_label (VsDatasetPage *self);
GtkDropDown *vs_dataset_page_get_split_dropdown (VsDatasetPage *self);
/* The "Hub dataset id or folder" entry (apply opens what it names). */
AdwEntryRow *vs_dataset_page_get_hub_entry (VsDatasetPage *self);
GtkSpinButton *vs_dataset_page_get_limit_spin (VsDatasetPage *self);
GtkSpinButton *vs_dataset_page_get_seed_spin (VsDatasetPage *self);
GtkSpinButton *vs_dataset_page_get_ratio_spin (VsDatasetPage *self);
GtkDropDown *vs_dataset_page_get_role_dropdown (VsDatasetPage *self,
                                                const char    *column);

G_END_DECLS
