/* vs-model-page.h: the Model page of the workbench. */
#pragma once

#include <adwaita.h>

#include "vs-project.h"

G_BEGIN_DECLS

#define VS_TYPE_MODEL_PAGE (vs_model_page_get_type ())
G_DECLARE_FINAL_TYPE (VsModelPage, vs_model_page, VS, MODEL_PAGE, AdwBin)

VsProject *vs_model_page_get_project (VsModelPage *self);
void       vs_model_page_set_project (VsModelPage *self,
                                      VsProject  *project);

G_END_DECLS
