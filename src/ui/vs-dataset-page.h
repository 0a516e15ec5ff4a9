/* vs-dataset-page.h: the Dataset page of the workbench. */
#pragma once

#include <adwaita.h>

#include "vs-project.h"

G_BEGIN_DECLS

#define VS_TYPE_DATASET_PAGE (vs_dataset_page_get_type ())
G_DECLARE_FINAL_TYPE (VsDatasetPage, vs_dataset_page, VS, DATASET_PAGE, AdwBin)

VsProject *vs_dataset_page_get_project (VsDatasetPage *self);
void       vs_dataset_page_set_project (VsDatasetPage *self,
                                      VsProject  *project);

G_END_DECLS
