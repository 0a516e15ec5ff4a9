/* vs-loss-page.h: the Loss page of the workbench. */
#pragma once

#include <adwaita.h>

#include "vs-project.h"

G_BEGIN_DECLS

#define VS_TYPE_LOSS_PAGE (vs_loss_page_get_type ())
G_DECLARE_FINAL_TYPE (VsLossPage, vs_loss_page, VS, LOSS_PAGE, AdwBin)

VsProject *vs_loss_page_get_project (VsLossPage *self);
void       vs_loss_page_set_project (VsLossPage *self,
                                      VsProject  *project);

G_END_DECLS
