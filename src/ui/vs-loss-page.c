/* vs-loss-page.c: the Loss page of the workbench. */
#include "config.h"

#include <glib/gi18n.h>

#include "vs-loss-page.h"

struct _VsLossPage
{
  AdwBin     parent_instance;

  VsProject *project;
};

G_DEFINE_FINAL_TYPE (VsLossPage, vs_loss_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_PROJECT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

VsProject *
vs_loss_page_get_project (VsLossPage *self)
{
  g_return_val_if_fail (VS_IS_LOSS_PAGE (self), NULL);
  return self->project;
}

void
vs_loss_page_set_project (VsLossPage *self,
                          VsProject  *project)
{
  g_return_if_fail (VS_IS_LOSS_PAGE (self));

  if (g_set_object (&self->project, project))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROJECT]);
}

static void
vs_loss_page_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  VsLossPage *self = VS_LOSS_PAGE (object);

  switch (prop_id)
    {
    case PROP_PROJECT:
      vs_loss_page_set_project (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vs_loss_page_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  VsLossPage *self = VS_LOSS_PAGE (object);

  switch (prop_id)
    {
    case PROP_PROJECT:
      g_value_set_object (value, self->project);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vs_loss_page_dispose (GObject *object)
{
  VsLossPage *self = VS_LOSS_PAGE (object);

  g_clear_object (&self->project);
  G_OBJECT_CLASS (vs_loss_page_parent_class)->dispose (object);
}

static void
vs_loss_page_class_init (VsLossPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vs_loss_page_dispose;
  object_class->get_property = vs_loss_page_get_property;
  object_class->set_property = vs_loss_page_set_property;

  properties[PROP_PROJECT] =
    g_param_spec_object ("project", NULL, NULL,
                         VS_TYPE_PROJECT,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/vectorsmith/Vectorsmith/ui/vs-loss-page.ui");
}

static void
vs_loss_page_init (VsLossPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
