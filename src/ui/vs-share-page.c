/* vs-share-page.c: sign in, name the repo, edit the card, push. */
#include "config.h"

#include "vs-share-page.h"
#include "vs-layout.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

#include "vs-error.h"
#include "hub/vs-hub.h"
#include "hub/vs-hub-share.h"
#include "hub/vs-model-card.h"

#include "vs-task.h"

#define CARD_CHECK_DELAY_MS 300
#define REPO_CHECK_DELAY_MS 500

struct _VsSharePage
{
  AdwBin parent_instance;

  VsProject *project;

  GtkScrolledWindow *scroller;
  GtkRevealer *banner_revealer;
  GtkLabel *banner_title;
  GtkLabel *banner_hint;
  GtkLabel *banner_label;
  AdwActionRow *model_row;
  GtkImage *model_icon;
  AdwPreferencesGroup *account_group;
  AdwPasswordEntryRow *token_row;
  GtkButton *sign_in_button;
  GtkButton *sign_out_button;
  AdwActionRow *user_row;
  AdwActionRow *orgs_row;
  AdwActionRow *store_row;
  GtkSpinner *account_spinner;
  GtkLabel *account_status_label;
  AdwPreferencesGroup *repo_group;
  AdwComboRow *owner_row;
  GtkStringList *owners;
  AdwEntryRow *name_row;
  GtkSwitch *private_switch;
  AdwEntryRow *message_row;
  GtkSwitch *pr_switch;
  AdwActionRow *replace_row;
  GtkLabel *name_error_label;
  AdwPreferencesGroup *card_group;
  GtkButton *reset_card_button;
  GtkTextView *card_view;
  GtkLabel *card_status_label;
  GtkButton *push_button;
  GtkButton *cancel_button;
  GtkLabel *push_reason_label;
  GtkProgressBar *push_progress;
  GtkLabel *push_status_label;
  GtkBox *pushed_box;
  GtkButton *open_button;
  GtkButton *copy_button;

  /* the trained model */
  char *output_dir;
  gboolean has_model;
  gint64 model_mtime;        /* of the weights: a new training run changes it */

  /* the account: the token is kept only in memory (and the store) */
  gboolean signed_in;
  char *token;               /* the keyring's or the one entered; NULL: the token file */
  char *user;
  char *full_name;
  char *orgs_text;
  VsTokenStoreKind store;
  guint account_busy;
  GCancellable *account_cancel;

  /* the repo */
  gboolean name_valid;
  gboolean name_touched;
  guint repo_check_id;
  GCancellable *repo_cancel;
  gboolean checking_repo;
  char *replace_text;

  /* the card */
  char *generated_card;
  char *card_for_id;         /* the model id the card was generated for */
  gboolean card_edited;
  gboolean card_valid;
  gboolean card_loading;
  gboolean setting_card;
  guint card_check_id;
  GCancellable *card_cancel;
  GtkTextTag *error_tag;

  /* the push */
  GCancellable *push_cancel;
  gboolean pushing;
  double max_progress;
  char *pushed_url;
  char *pushed_id;
  char *pushing_id;
  char *banner_message;
};

G_DEFINE_FINAL_TYPE (VsSharePage, vs_share_page, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_PROJECT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_AUTOPTR_CLEANUP_FUNC (cJSON, cJSON_Delete)

static void update_push_state (VsSharePage *self);
static void schedule_repo_check (VsSharePage *self);
static void start_card (VsSharePage *self);

/* ---- helpers ------------------------------------------------------------- */

static VsHub *
new_hub (const char *token)
{
  VsHub *hub = vs_hub_new ();
  if (token != NULL)
    vs_hub_set_token (hub, token);
  return hub;
}

static char *
dup_owner (VsSharePage *self)
{
  GObject *item = adw_combo_row_get_selected_item (self->owner_row);
  if (item == NULL || !GTK_IS_STRING_OBJECT (item))
    return NULL;
  return g_strdup (gtk_string_object_get_string (GTK_STRING_OBJECT (item)));
}

/* "owner/name", or NULL while either is missing or the name is invalid. */
static char *
dup_repo_id (VsSharePage *self)
{
  g_autofree char *owner = dup_owner (self);
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));

  if (owner == NULL || !self->name_valid)
    return NULL;
  return g_strdup_printf ("%s/%s", owner, name);
}

static char *
dup_card_text (VsSharePage *self)
{
  GtkTextBuffer *buf = gtk_text_view_get_buffer (self->card_view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buf, &start, &end);
  return gtk_text_buffer_get_text (buf, &start, &end, FALSE);
}

static GtkWidget *
toast_overlay (VsSharePage *self)
{
  return gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);
}

/* ---- the banner ---------------------------------------------------------- */

static void
hide_banner (VsSharePage *self)
{
  gtk_revealer_set_reveal_child (self->banner_revealer, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->banner_revealer), FALSE);
  g_clear_pointer (&self->banner_message, g_free);
}

static void
on_banner_close_clicked (VsSharePage *self)
{
  hide_banner (self);
}

/* An error of the Hub in plain words, with what to do, and the engine's
 * own message below. */
static void
show_error (VsSharePage  *self,
            const GError *error)
{
  const char *title;
  const char *hint;

  if (error->domain != VS_ERROR)
    {
      title = _("Something went wrong");
      hint = _("Try again. If it keeps failing, the message below says what the system reported.");
    }
  else
    switch ((VsError) error->code)
      {
      case VS_ERROR_AUTH:
        title = _("The Hub did not accept the token");
        hint = _("Sign out, create a new access token with write access on huggingface.co/settings/tokens, and sign in with it.");
        break;
      case VS_ERROR_PERMISSION:
        title = _("This account may not write there");
        hint = _("Choose an owner you can write to, or sign in with a token that has write access to it.");
        break;
      case VS_ERROR_NOT_FOUND:
        title = _("The Hub does not know this repository or owner");
        hint = _("Check the owner and the name; the repository may have been renamed or deleted.");
        break;
      case VS_ERROR_CONFLICT:
        title = _("The repository changed while pushing, or the name is taken");
        hint = _("Push again. If the name belongs to someone else, choose another one.");
        break;
      case VS_ERROR_RATE_LIMITED:
        title = _("The Hub asks to slow down");
        hint = _("Wait a few minutes, then try again. Files already uploaded are not sent again.");
        break;
      case VS_ERROR_NETWORK:
        title = _("The Hub cannot be reached");
        hint = _("Check the internet connection, then try again. Files already uploaded are not sent again.");
        break;
      case VS_ERROR_INVALID:
        title = _("The Hub refused the upload");
        hint = _("A file may be too large, or the model card's metadata may be refused: see the message below.");
        break;
      case VS_ERROR_IO:
        title = _("A file could not be read or written");
        hint = _("Check that the output folder is there and that you may write to it.");
        break;
      case VS_ERROR_PARSE:
        title = _("The Hub gave an answer that cannot be read");
        hint = _("Try again later.");
        break;
      case VS_ERROR_FAILED:
      case VS_ERROR_UNSUPPORTED:
      case VS_ERROR_CANCELLED:
      case VS_ERROR_NUMERIC:
      default:
        title = _("The Hub refused the request");
        hint = _("Try again later. The message below says what the Hub answered.");
        break;
      }
  gtk_label_set_text (self->banner_title, title);
  gtk_label_set_text (self->banner_hint, hint);
  gtk_label_set_text (self->banner_label, error->message);
  g_free (self->banner_message);
  self->banner_message = g_strdup (error->message);
  gtk_widget_set_visible (GTK_WIDGET (self->banner_revealer), TRUE);
  gtk_revealer_set_reveal_child (self->banner_revealer, TRUE);
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (self->scroller), 0);
}

static gboolean
is_cancelled (const GError *error)
{
  return g_error_matches (error, VS_ERROR, VS_ERROR_CANCELLED) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* ---- the trained model ---------------------------------------------------- */

static void
sync_model (VsSharePage *self)
{
  g_autofree char *dir = self->project != NULL ? vs_project_dup_resolved_path (self->project, "output_dir") : NULL;
  g_autofree char *modules = dir != NULL ? g_build_filename (dir, "modules.json", NULL) : NULL;
  g_autofree char *weights = dir != NULL ? g_build_filename (dir, "model.safetensors", NULL) : NULL;
  gboolean has = modules != NULL && g_file_test (modules, G_FILE_TEST_IS_REGULAR);
  GStatBuf st;
  gint64 mtime = weights != NULL && g_stat (weights, &st) == 0 ? (gint64) st.st_mtime : 0;
  gboolean changed = g_strcmp0 (dir, self->output_dir) != 0 || has != self->has_model ||
                     mtime != self->model_mtime;

  g_free (self->output_dir);
  self->output_dir = g_steal_pointer (&dir);
  self->has_model = has;
  self->model_mtime = mtime;

  if (self->output_dir == NULL)
    adw_action_row_set_subtitle (self->model_row, _("The project has no output folder"));
  else if (!has)
    {
      /* Translators: %s is a folder. */
      g_autofree char *text = g_strdup_printf (_("No trained model in %s yet: train it on the Train page"),
                                               self->output_dir);
      adw_action_row_set_subtitle (self->model_row, text);
    }
  else
    adw_action_row_set_subtitle (self->model_row, self->output_dir);
  gtk_image_set_from_icon_name (self->model_icon, has ? "folder-symbolic" : "dialog-information-symbolic");

  /* A name to start from: the folder's (when it is a valid repo name). */
  if (has && !self->name_touched &&
      g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (self->name_row)), "") == 0)
    {
      g_autofree char *base = g_path_get_basename (self->output_dir);
      if (vs_hub_check_repo_name (base, NULL))
        {
          gtk_editable_set_text (GTK_EDITABLE (self->name_row), base);
          self->name_touched = FALSE;
        }
    }
  if (changed)
    {
      if (has)
        start_card (self);
      else
        {
          self->setting_card = TRUE;
          gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->card_view), "", -1);
          self->setting_card = FALSE;
          g_clear_pointer (&self->generated_card, g_free);
          self->card_edited = FALSE;
          self->card_valid = FALSE;
          gtk_widget_set_sensitive (GTK_WIDGET (self->card_view), FALSE);
          gtk_widget_set_sensitive (GTK_WIDGET (self->reset_card_button), FALSE);
          gtk_label_set_text (self->card_status_label,
                              _("The model card is generated from the trained model."));
        }
      schedule_repo_check (self);
    }
  update_push_state (self);
}

void
vs_share_page_refresh (VsSharePage *self)
{
  g_return_if_fail (VS_IS_SHARE_PAGE (self));
  sync_model (self);
}

static void
on_project_changed (VsProject   *project,
                    const char  *key,
                    VsSharePage *self)
{
  (void) project;
  if (key == NULL || g_strcmp0 (key, "output_dir") == 0)
    sync_model (self);
}

static void
on_map (VsSharePage *self)
{
  /* The Train page may have written the model since we last looked. */
  sync_model (self);
}

/* ---- the account ----------------------------------------------------------- */

typedef struct
{
  cJSON *whoami;        /* NULL: signed out */
  char *token;          /* the keyring's or the entered token (NULL: the file's) */
  VsTokenStoreKind store;
} Account;

static void
account_free (gpointer data)
{
  Account *a = data;
  cJSON_Delete (a->whoami);
  vs_token_store_free_token (a->token);
  g_free (a);
}

/* data: the token entered (sign in), or NULL (look for a saved one). */
static gpointer
account_worker (VsTask        *task,
                gpointer       data,
                GCancellable  *cancellable,
                GError       **error)
{
  const char *entered = data;
  Account *a = g_new0 (Account, 1);
  g_autoptr(VsHub) hub = NULL;

  (void) task;
  if (entered != NULL)
    {
      g_autofree char *clean = g_strstrip (g_strdup (entered));
      hub = new_hub (clean);
      vs_hub_set_cancellable (hub, cancellable);
      a->whoami = vs_hub_whoami (hub, error);
      if (a->whoami == NULL ||
          !vs_token_store_save (vs_hub_get_endpoint (hub), clean, &a->store, error))
        {
          memset (clean, 0, strlen (clean));
          account_free (a);
          return NULL;
        }
      /* Kept in memory for this session's pushes (vs_hub_set_token), so
       * they use the account shown even when HF_TOKEN says otherwise. */
      a->token = g_strdup (clean);
      memset (clean, 0, strlen (clean));
      return a;
    }

  hub = vs_hub_new ();
  a->token = vs_token_store_lookup (vs_hub_get_endpoint (hub));
  if (a->token != NULL)
    {
      vs_hub_set_token (hub, a->token);
      a->store = VS_TOKEN_STORE_KEYRING;
    }
  else if ((g_getenv ("HF_TOKEN") != NULL && g_getenv ("HF_TOKEN")[0] != '\0') ||
           (g_getenv ("HUGGING_FACE_HUB_TOKEN") != NULL && g_getenv ("HUGGING_FACE_HUB_TOKEN")[0] != '\0'))
    a->store = VS_TOKEN_STORE_ENVIRONMENT;   /* the engine's clients read it first */
  else
    a->store = VS_TOKEN_STORE_FILE;
  if (!vs_hub_has_token (hub))
    return a;   /* signed out */
  vs_hub_set_cancellable (hub, cancellable);
  a->whoami = vs_hub_whoami (hub, error);
  if (a->whoami == NULL)
    {
      account_free (a);
      return NULL;
    }
  return a;
}

static void
set_account_busy (VsSharePage *self,
                  gboolean     busy,
                  const char  *text)
{
  if (busy)
    self->account_busy++;
  else if (self->account_busy > 0)
    self->account_busy--;
  gtk_spinner_set_spinning (self->account_spinner, self->account_busy > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->account_spinner), self->account_busy > 0);
  if (text != NULL)
    gtk_label_set_text (self->account_status_label, text);
  gtk_widget_set_sensitive (GTK_WIDGET (self->sign_in_button),
                            self->account_busy == 0 &&
                            gtk_editable_get_text (GTK_EDITABLE (self->token_row))[0] != '\0');
  gtk_widget_set_sensitive (GTK_WIDGET (self->sign_out_button), self->account_busy == 0 && !self->pushing);
}

/* Shows the account of a whoami answer (NULL: signed out). */
static void
apply_account (VsSharePage *self,
               const cJSON *whoami,
               char        *token,
               VsTokenStoreKind store)
{
  const cJSON *name = cJSON_GetObjectItemCaseSensitive (whoami, "name");
  const cJSON *full = cJSON_GetObjectItemCaseSensitive (whoami, "fullname");
  const cJSON *org;
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autofree char *previous_owner = dup_owner (self);
  guint select = 0;

  vs_token_store_free_token (self->token);
  self->token = token;
  g_clear_pointer (&self->user, g_free);
  g_clear_pointer (&self->full_name, g_free);
  g_clear_pointer (&self->orgs_text, g_free);
  self->signed_in = whoami != NULL && cJSON_IsString (name);
  self->store = self->signed_in ? store : VS_TOKEN_STORE_NONE;

  gtk_string_list_splice (self->owners, 0, g_list_model_get_n_items (G_LIST_MODEL (self->owners)), NULL);
  if (self->signed_in)
    {
      self->user = g_strdup (name->valuestring);
      self->full_name = g_strdup (cJSON_IsString (full) ? full->valuestring : "");
      gtk_string_list_append (self->owners, self->user);
      cJSON_ArrayForEach (org, cJSON_GetObjectItemCaseSensitive (whoami, "orgs"))
        {
          const cJSON *oname = cJSON_GetObjectItemCaseSensitive (org, "name");
          if (cJSON_IsString (oname))
            {
              g_ptr_array_add (names, oname->valuestring);
              gtk_string_list_append (self->owners, oname->valuestring);
              if (g_strcmp0 (previous_owner, oname->valuestring) == 0)
                select = names->len;
            }
        }
      g_ptr_array_add (names, NULL);
      self->orgs_text = names->len > 1 ? g_strjoinv (", ", (char **) names->pdata)
                                       : g_strdup (_("None"));
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->user_row), self->user);
      adw_action_row_set_subtitle (self->user_row, self->full_name);
      adw_action_row_set_subtitle (self->orgs_row, self->orgs_text);
      adw_action_row_set_subtitle (self->store_row,
                                   store == VS_TOKEN_STORE_KEYRING
                                   ? _("The desktop keyring")
                                   : store == VS_TOKEN_STORE_ENVIRONMENT
                                   ? _("The HF_TOKEN environment variable (Sign Out cannot remove it)")
                                   : _("The Hugging Face token file, readable only by you"));
      adw_combo_row_set_selected (self->owner_row, select);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->token_row), !self->signed_in);
  gtk_widget_set_visible (GTK_WIDGET (self->user_row), self->signed_in);
  gtk_widget_set_visible (GTK_WIDGET (self->orgs_row), self->signed_in);
  gtk_widget_set_visible (GTK_WIDGET (self->store_row), self->signed_in);
  gtk_widget_set_sensitive (GTK_WIDGET (self->owner_row), self->signed_in);
  adw_preferences_group_set_description (self->account_group,
                                         self->signed_in ? NULL
                                         : _("Paste an access token with write access, from huggingface.co/settings/tokens."));
  schedule_repo_check (self);
  update_push_state (self);
}

static void
on_account_checked (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  VsSharePage *self = VS_SHARE_PAGE (source);
  g_autoptr(GError) error = NULL;
  Account *a = vs_task_finish (result, &error);

  (void) user_data;
  if (a == NULL && is_cancelled (error))
    {
      set_account_busy (self, FALSE, "");
      return;
    }
  if (a == NULL)
    {
      /* Translators: %s is the engine's message. */
      g_autofree char *text = g_strdup_printf (_("The saved sign-in could not be checked: %s"), error->message);
      set_account_busy (self, FALSE, text);
      apply_account (self, NULL, NULL, VS_TOKEN_STORE_NONE);
      return;
    }
  set_account_busy (self, FALSE, a->whoami != NULL ? "" : _("Not signed in."));
  apply_account (self, a->whoami, g_steal_pointer (&a->token), a->store);
  account_free (a);
}

static void
check_saved_account (VsSharePage *self)
{
  g_cancellable_cancel (self->account_cancel);
  g_clear_object (&self->account_cancel);
  self->account_cancel = g_cancellable_new ();
  set_account_busy (self, TRUE, _("Looking for a saved sign-in…"));
  vs_task_run (self, account_worker, NULL, NULL, account_free, self->account_cancel,
               NULL, on_account_checked, NULL);
}

static void
on_signed_in (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  VsSharePage *self = VS_SHARE_PAGE (source);
  g_autoptr(GError) error = NULL;
  Account *a = vs_task_finish (result, &error);

  (void) user_data;
  if (a == NULL)
    {
      set_account_busy (self, FALSE, is_cancelled (error) ? "" : _("Sign-in failed."));
      if (!is_cancelled (error))
        show_error (self, error);
      return;
    }
  hide_banner (self);
  /* Translators: %s is the Hub user name. */
  {
    g_autofree char *text = g_strdup_printf (_("Signed in as %s."),
                                             cJSON_GetStringValue (cJSON_GetObjectItem (a->whoami, "name")));
    set_account_busy (self, FALSE, text);
  }
  apply_account (self, a->whoami, g_steal_pointer (&a->token), a->store);
  account_free (a);
}

static void
erase_string (gpointer data)
{
  vs_token_store_free_token (data);
}

static void
on_sign_in_clicked (VsSharePage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->token_row));
  char *token;

  if (self->account_busy > 0 || text[0] == '\0')
    return;
  token = g_strdup (text);
  /* The token is not shown again, not even as dots. */
  gtk_editable_set_text (GTK_EDITABLE (self->token_row), "");
  g_cancellable_cancel (self->account_cancel);
  g_clear_object (&self->account_cancel);
  self->account_cancel = g_cancellable_new ();
  set_account_busy (self, TRUE, _("Checking the token with the Hub…"));
  vs_task_run (self, account_worker, token, erase_string, account_free, self->account_cancel,
               NULL, on_signed_in, NULL);
}

static void
on_token_changed (VsSharePage *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->sign_in_button),
                            self->account_busy == 0 &&
                            gtk_editable_get_text (GTK_EDITABLE (self->token_row))[0] != '\0');
}

static gpointer
sign_out_worker (VsTask        *task,
                 gpointer       data,
                 GCancellable  *cancellable,
                 GError       **error)
{
  g_autoptr(VsHub) hub = vs_hub_new ();

  (void) task;
  (void) data;
  (void) cancellable;
  if (!vs_token_store_clear (vs_hub_get_endpoint (hub), error))
    return NULL;
  return GINT_TO_POINTER (1);
}

static void
on_signed_out (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  VsSharePage *self = VS_SHARE_PAGE (source);
  g_autoptr(GError) error = NULL;

  (void) user_data;
  if (vs_task_finish (result, &error) == NULL)
    {
      set_account_busy (self, FALSE, _("Sign-out failed."));
      show_error (self, error);
      return;
    }
  set_account_busy (self, FALSE, _("Signed out. The token was removed from this computer."));
  apply_account (self, NULL, NULL, VS_TOKEN_STORE_NONE);
}

static void
on_sign_out_clicked (VsSharePage *self)
{
  if (self->account_busy > 0 || self->pushing)
    return;
  set_account_busy (self, TRUE, _("Signing out…"));
  vs_task_run (self, sign_out_worker, NULL, NULL, NULL, NULL, NULL, on_signed_out, NULL);
}

/* ---- the repo --------------------------------------------------------------- */

typedef struct
{
  char *repo_id;
  char *token;
  char *folder;
} RepoJob;

static void
repo_job_free (gpointer data)
{
  RepoJob *j = data;
  g_free (j->repo_id);
  vs_token_store_free_token (j->token);
  g_free (j->folder);
  g_free (j);
}

/* The files the push would replace (possibly none), or NULL + error. A repo
 * that does not exist yet replaces nothing. */
static gpointer
repo_worker (VsTask        *task,
             gpointer       data,
             GCancellable  *cancellable,
             GError       **error)
{
  RepoJob *j = data;
  g_autoptr(VsHub) hub = new_hub (j->token);
  g_autoptr(cJSON) info = NULL;
  g_autoptr(GError) local = NULL;

  (void) task;
  vs_hub_set_cancellable (hub, cancellable);
  info = vs_hub_repo_info (hub, VS_HUB_REPO_MODEL, j->repo_id, NULL, &local);
  if (info == NULL)
    {
      if (g_error_matches (local, VS_ERROR, VS_ERROR_NOT_FOUND))
        return g_new0 (char *, 1);
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  if (j->folder == NULL)
    return g_new0 (char *, 1);
  return vs_hub_folder_replaced_files (j->folder, info, error);
}

static void
set_replace_text (VsSharePage *self,
                  const char  *title,
                  const char  *text)
{
  g_free (self->replace_text);
  self->replace_text = g_strdup (text);
  gtk_widget_set_visible (GTK_WIDGET (self->replace_row), text != NULL);
  if (text != NULL)
    {
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->replace_row), title);
      adw_action_row_set_subtitle (self->replace_row, text);
    }
}

static void
on_repo_checked (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  VsSharePage *self = VS_SHARE_PAGE (source);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) replaced = vs_task_finish (result, &error);

  (void) user_data;
  if (replaced == NULL && is_cancelled (error))
    return;
  self->checking_repo = FALSE;
  if (replaced == NULL)
    {
      /* Translators: %s is the engine's message. */
      g_autofree char *text = g_strdup_printf (_("The repository could not be checked: %s"), error->message);
      set_replace_text (self, _("Could not check the repository"), text);
    }
  else if (replaced[0] == NULL)
    set_replace_text (self, NULL, NULL);
  else
    {
      g_autofree char *list = g_strjoinv (", ", replaced);
      guint n = g_strv_length (replaced);
      /* Translators: the title of a warning; %u is a number of files. */
      g_autofree char *title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                             "The repository exists: %u file will be replaced",
                                                             "The repository exists: %u files will be replaced", n),
                                                n);
      set_replace_text (self, title, list);
    }
  update_push_state (self);
}

static gboolean
repo_check_due (gpointer data)
{
  VsSharePage *self = data;
  g_autofree char *repo_id = dup_repo_id (self);
  RepoJob *j;

  self->repo_check_id = 0;
  g_cancellable_cancel (self->repo_cancel);
  g_clear_object (&self->repo_cancel);
  if (repo_id == NULL || !self->signed_in)
    {
      self->checking_repo = FALSE;
      set_replace_text (self, NULL, NULL);
      return G_SOURCE_REMOVE;
    }
  self->repo_cancel = g_cancellable_new ();
  self->checking_repo = TRUE;
  j = g_new0 (RepoJob, 1);
  j->repo_id = g_steal_pointer (&repo_id);
  j->token = g_strdup (self->token);
  j->folder = self->has_model ? g_strdup (self->output_dir) : NULL;
  vs_task_run (self, repo_worker, j, repo_job_free, (GDestroyNotify) g_strfreev, self->repo_cancel,
               NULL, on_repo_checked, NULL);
  return G_SOURCE_REMOVE;
}

static void
schedule_repo_check (VsSharePage *self)
{
  g_autofree char *repo_id = dup_repo_id (self);

  g_clear_handle_id (&self->repo_check_id, g_source_remove);
  if (repo_id == NULL || !self->signed_in)
    {
      /* Nothing to ask the Hub: a warning about another repo must go now. */
      g_cancellable_cancel (self->repo_cancel);
      g_clear_object (&self->repo_cancel);
      self->checking_repo = FALSE;
      set_replace_text (self, NULL, NULL);
      return;
    }
  self->checking_repo = TRUE;
  self->repo_check_id = g_timeout_add (REPO_CHECK_DELAY_MS, repo_check_due, self);
}

static void
on_name_changed (VsSharePage *self)
{
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  g_autoptr(GError) error = NULL;

  self->name_touched = TRUE;
  self->name_valid = vs_hub_check_repo_name (name, &error);
  if (self->name_valid)
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->name_row), "error");
      gtk_widget_set_visible (GTK_WIDGET (self->name_error_label), FALSE);
      gtk_label_set_text (self->name_error_label, "");
    }
  else if (name[0] == '\0')
    {
      /* Nothing typed yet: no reproach, Push says what is missing. */
      gtk_widget_remove_css_class (GTK_WIDGET (self->name_row), "error");
      gtk_widget_set_visible (GTK_WIDGET (self->name_error_label), FALSE);
      gtk_label_set_text (self->name_error_label, "");
    }
  else
    {
      /* Translators: %s says why the name is refused. */
      g_autofree char *text = g_strdup_printf (_("This name cannot be used: %s."), error->message);
      gtk_widget_add_css_class (GTK_WIDGET (self->name_row), "error");
      gtk_label_set_text (self->name_error_label, text);
      gtk_widget_set_visible (GTK_WIDGET (self->name_error_label), TRUE);
    }
  schedule_repo_check (self);
  update_push_state (self);
}

static void
on_owner_selected (VsSharePage *self)
{
  schedule_repo_check (self);
  update_push_state (self);
}

/* ---- the card --------------------------------------------------------------- */

typedef struct
{
  char *folder;
  char *model_id;
} CardJob;

static void
card_job_free (gpointer data)
{
  CardJob *j = data;
  g_free (j->folder);
  g_free (j->model_id);
  g_free (j);
}

static gpointer
card_worker (VsTask        *task,
             gpointer       data,
             GCancellable  *cancellable,
             GError       **error)
{
  CardJob *j = data;

  (void) task;
  (void) cancellable;
  return vs_model_card_render (j->folder, NULL, j->model_id, error);
}

static void
check_card (VsSharePage *self)
{
  g_autofree char *text = dup_card_text (self);
  GtkTextBuffer *buf = gtk_text_view_get_buffer (self->card_view);
  GtkTextIter start, end;
  g_autoptr(GError) error = NULL;
  guint line = 0;

  g_clear_handle_id (&self->card_check_id, g_source_remove);
  gtk_text_buffer_get_bounds (buf, &start, &end);
  gtk_text_buffer_remove_tag (buf, self->error_tag, &start, &end);
  if (self->generated_card == NULL)
    return;
  self->card_valid = vs_model_card_check_front_matter (text, &line, &error);
  if (self->card_valid)
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->card_status_label), "error");
      gtk_widget_add_css_class (GTK_WIDGET (self->card_status_label), "dim-label");
      gtk_label_set_text (self->card_status_label,
                          self->card_edited ? _("Edited. The metadata is valid.")
                                            : _("Generated from the trained model. The metadata is valid."));
    }
  else
    {
      /* Translators: %s is the engine's "line N: reason". */
      g_autofree char *msg = g_strdup_printf (_("The metadata has an error: %s"), error->message);
      gtk_widget_remove_css_class (GTK_WIDGET (self->card_status_label), "dim-label");
      gtk_widget_add_css_class (GTK_WIDGET (self->card_status_label), "error");
      gtk_label_set_text (self->card_status_label, msg);
      if (line > 0)
        {
          GtkTextIter ls, le;
          gtk_text_buffer_get_iter_at_line (buf, &ls, (int) line - 1);
          le = ls;
          if (!gtk_text_iter_ends_line (&le))
            gtk_text_iter_forward_to_line_end (&le);
          gtk_text_buffer_apply_tag (buf, self->error_tag, &ls, &le);
        }
    }
  update_push_state (self);
}

static gboolean
card_check_due (gpointer data)
{
  VsSharePage *self = data;

  self->card_check_id = 0;
  check_card (self);
  return G_SOURCE_REMOVE;
}

static void
on_card_changed (VsSharePage *self)
{
  if (self->setting_card)
    return;
  self->card_edited = TRUE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->reset_card_button), TRUE);
  g_clear_handle_id (&self->card_check_id, g_source_remove);
  self->card_check_id = g_timeout_add (CARD_CHECK_DELAY_MS, card_check_due, self);
  update_push_state (self);
}

static void
on_card_rendered (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  VsSharePage *self = VS_SHARE_PAGE (source);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = vs_task_finish (result, &error);

  (void) user_data;
  if (text == NULL && is_cancelled (error))
    return;
  self->card_loading = FALSE;
  if (text == NULL)
    {
      /* The previous card (if any) stays. */
      if (self->generated_card == NULL)
        {
          /* Translators: %s is the engine's message. */
          g_autofree char *msg = g_strdup_printf (_("The model card could not be generated: %s"), error->message);
          gtk_label_set_text (self->card_status_label, msg);
        }
      show_error (self, error);
      update_push_state (self);
      return;
    }
  g_free (self->generated_card);
  self->generated_card = g_steal_pointer (&text);
  if (!self->card_edited)
    {
      self->setting_card = TRUE;
      gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->card_view), self->generated_card, -1);
      self->setting_card = FALSE;
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self->card_view), TRUE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->reset_card_button), self->card_edited);
  check_card (self);
}

/* (Re)generates the engine's card for the current model id. */
static void
start_card (VsSharePage *self)
{
  CardJob *j;

  if (!self->has_model)
    return;
  g_cancellable_cancel (self->card_cancel);
  g_clear_object (&self->card_cancel);
  self->card_cancel = g_cancellable_new ();
  self->card_loading = TRUE;
  j = g_new0 (CardJob, 1);
  j->folder = g_strdup (self->output_dir);
  j->model_id = dup_repo_id (self);
  g_free (self->card_for_id);
  self->card_for_id = g_strdup (j->model_id);
  gtk_label_set_text (self->card_status_label, _("Generating the model card…"));
  vs_task_run (self, card_worker, j, card_job_free, g_free, self->card_cancel,
               NULL, on_card_rendered, NULL);
  update_push_state (self);
}

static void
on_reset_card_clicked (VsSharePage *self)
{
  self->card_edited = FALSE;
  start_card (self);
}

/* ---- the push --------------------------------------------------------------- */

typedef struct
{
  char *repo_id;
  char *token;
  char *folder;
  char *card;
  char *message;
  gboolean private_repo;
  gboolean create_pr;
} PushJob;

typedef struct
{
  char *repo_url;
  char *commit_url;
  char *pr_url;
  gboolean no_changes;
} PushResult;

static void
push_job_free (gpointer data)
{
  PushJob *j = data;
  g_free (j->repo_id);
  vs_token_store_free_token (j->token);
  g_free (j->folder);
  g_free (j->card);
  g_free (j->message);
  g_free (j);
}

static void
push_result_free (gpointer data)
{
  PushResult *r = data;
  g_free (r->repo_url);
  g_free (r->commit_url);
  g_free (r->pr_url);
  g_free (r);
}

static gpointer
push_worker (VsTask        *task,
             gpointer       data,
             GCancellable  *cancellable,
             GError       **error)
{
  PushJob *j = data;
  g_autoptr(VsHub) hub = new_hub (j->token);
  g_autofree char *readme = g_build_filename (j->folder, "README.md", NULL);
  g_autofree char *url = NULL;
  g_autoptr(GError) local = NULL;
  g_autoptr(cJSON) reply = NULL;
  PushResult *r;

  /* The card as edited goes with the model (written atomically). */
  if (!g_file_set_contents (readme, j->card, -1, &local))
    {
      g_set_error (error, VS_ERROR, VS_ERROR_IO, "%s: cannot save the model card: %s", readme, local->message);
      return NULL;
    }
  vs_hub_set_cancellable (hub, cancellable);
  vs_hub_set_progress (hub, vs_task_progress_bytes, task);
  if (!vs_hub_create_repo (hub, VS_HUB_REPO_MODEL, j->repo_id, j->private_repo, &url, error))
    return NULL;
  reply = vs_hub_upload_folder (hub, VS_HUB_REPO_MODEL, j->repo_id, j->folder, NULL, j->message,
                                j->create_pr, error);
  if (reply == NULL)
    return NULL;
  r = g_new0 (PushResult, 1);
  r->repo_url = url != NULL ? g_steal_pointer (&url)
                            : g_strdup_printf ("%s/%s", vs_hub_get_endpoint (hub), j->repo_id);
  r->commit_url = g_strdup (cJSON_GetStringValue (cJSON_GetObjectItem (reply, "commitUrl")));
  r->pr_url = g_strdup (cJSON_GetStringValue (cJSON_GetObjectItem (reply, "pullRequestUrl")));
  r->no_changes = cJSON_IsTrue (cJSON_GetObjectItem (reply, "noChanges"));
  return r;
}

static void
set_pushing (VsSharePage *self,
             gboolean     pushing)
{
  self->pushing = pushing;
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), pushing);
  gtk_widget_set_visible (GTK_WIDGET (self->push_progress), pushing);
  gtk_widget_set_sensitive (GTK_WIDGET (self->repo_group), !pushing);
  gtk_widget_set_sensitive (GTK_WIDGET (self->card_group), !pushing);
  gtk_widget_set_sensitive (GTK_WIDGET (self->sign_out_button), !pushing && self->account_busy == 0);
  update_push_state (self);
}

static void
on_push_progress (double      fraction,
                  const char *text,
                  gpointer    user_data)
{
  VsSharePage *self = user_data;

  if (fraction >= 0)
    {
      gtk_progress_bar_set_fraction (self->push_progress, fraction);
      self->max_progress = MAX (self->max_progress, fraction);
    }
  else
    gtk_progress_bar_pulse (self->push_progress);
  if (text != NULL)
    gtk_progress_bar_set_text (self->push_progress, text);
}

static void
on_toast_open (AdwToast    *toast,
               VsSharePage *self)
{
  (void) toast;
  if (self->pushed_url != NULL)
    gtk_show_uri (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))), self->pushed_url, GDK_CURRENT_TIME);
}

static void
on_pushed (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  VsSharePage *self = VS_SHARE_PAGE (source);
  g_autoptr(GError) error = NULL;
  PushResult *r = vs_task_finish (result, &error);
  g_autofree char *repo_id = g_steal_pointer (&self->pushing_id);

  (void) user_data;
  g_clear_object (&self->push_cancel);
  set_pushing (self, FALSE);
  if (r == NULL)
    {
      if (is_cancelled (error))
        gtk_label_set_text (self->push_status_label,
                            _("Push cancelled. Nothing was committed; push again to finish: files the Hub already has are not sent again."));
      else
        {
          gtk_label_set_text (self->push_status_label,
                              _("The push failed. Nothing was committed; push again when the problem is solved."));
          show_error (self, error);
        }
      return;
    }
  hide_banner (self);
  g_free (self->pushed_url);
  self->pushed_url = g_strdup (r->pr_url != NULL ? r->pr_url : r->repo_url);
  g_free (self->pushed_id);
  self->pushed_id = g_strdup (repo_id);
  {
    /* Translators: %s is the repo id (owner/name). */
    g_autofree char *text = r->pr_url != NULL ? g_strdup_printf (_("Opened a pull request on %s."), repo_id)
                            : r->no_changes ? g_strdup_printf (_("%s already has these files: nothing to push."), repo_id)
                            : g_strdup_printf (_("Pushed to %s."), repo_id);
    gtk_label_set_text (self->push_status_label, text);
  }
  gtk_widget_set_visible (GTK_WIDGET (self->pushed_box), TRUE);
  {
    /* Translators: a toast; %s is the repo id (owner/name). */
    g_autofree char *text = g_strdup_printf (_("Pushed to %s"), repo_id);
    AdwToast *toast = adw_toast_new (text);
    GtkWidget *overlay = toast_overlay (self);

    adw_toast_set_button_label (toast, _("Open"));
    g_signal_connect_object (toast, "button-clicked", G_CALLBACK (on_toast_open), self, 0);
    if (overlay != NULL)
      adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), toast);
    else
      g_object_unref (toast);
  }
  schedule_repo_check (self);
  push_result_free (r);
}

static void
on_push_clicked (VsSharePage *self)
{
  PushJob *j;
  g_autofree char *repo_id = dup_repo_id (self);

  if (self->pushing || !gtk_widget_get_sensitive (GTK_WIDGET (self->push_button)) || repo_id == NULL)
    return;
  if (self->card_check_id != 0)
    {
      check_card (self);
      if (!self->card_valid)
        return;
    }
  hide_banner (self);
  gtk_widget_set_visible (GTK_WIDGET (self->pushed_box), FALSE);
  j = g_new0 (PushJob, 1);
  j->repo_id = g_strdup (repo_id);
  j->token = g_strdup (self->token);
  j->folder = g_strdup (self->output_dir);
  j->card = dup_card_text (self);
  j->message = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->message_row)));
  if (j->message[0] == '\0')
    {
      g_free (j->message);
      j->message = g_strdup (_("Upload model trained with Vectorsmith"));
    }
  j->private_repo = gtk_switch_get_active (self->private_switch);
  j->create_pr = gtk_switch_get_active (self->pr_switch);
  self->max_progress = 0;
  gtk_progress_bar_set_fraction (self->push_progress, 0);
  gtk_progress_bar_set_text (self->push_progress, _("Preparing the upload…"));
  /* Translators: %s is the repo id (owner/name). */
  {
    g_autofree char *text = g_strdup_printf (_("Pushing to %s…"), repo_id);
    gtk_label_set_text (self->push_status_label, text);
  }
  self->push_cancel = g_cancellable_new ();
  set_pushing (self, TRUE);
  g_free (self->pushing_id);
  self->pushing_id = g_steal_pointer (&repo_id);
  vs_task_run (self, push_worker, j, push_job_free, push_result_free, self->push_cancel,
               on_push_progress, on_pushed, self);
}

static void
on_cancel_clicked (VsSharePage *self)
{
  if (self->push_cancel != NULL)
    g_cancellable_cancel (self->push_cancel);
}

static void
on_open_clicked (VsSharePage *self)
{
  if (self->pushed_url != NULL)
    gtk_show_uri (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))), self->pushed_url, GDK_CURRENT_TIME);
}

static void
on_copy_clicked (VsSharePage *self)
{
  GtkWidget *overlay = toast_overlay (self);

  if (self->pushed_id == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), self->pushed_id);
  if (overlay != NULL)
    {
      /* Translators: a toast; %s is the model id. */
      g_autofree char *text = g_strdup_printf (_("Copied “%s”"), self->pushed_id);
      adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (text));
    }
}

/* Push is enabled when everything it needs is there; else the reason. */
static void
update_push_state (VsSharePage *self)
{
  const char *reason = NULL;
  g_autofree char *repo_id = dup_repo_id (self);

  if (self->pushing)
    reason = "";
  else if (!self->has_model)
    reason = _("Train the model first: the output folder has no trained model yet.");
  else if (!self->signed_in)
    reason = _("Sign in to push.");
  else if (!self->name_valid)
    reason = _("Choose a valid repository name.");
  else if (self->card_loading)
    reason = _("Generating the model card…");
  else if (self->card_check_id != 0)
    reason = _("Checking the model card…");
  else if (!self->card_valid)
    reason = _("Fix the model card's metadata first.");
  gtk_widget_set_sensitive (GTK_WIDGET (self->push_button), reason == NULL);
  gtk_label_set_text (self->push_reason_label, reason != NULL ? reason : "");
  gtk_widget_set_visible (GTK_WIDGET (self->push_reason_label), reason != NULL && reason[0] != '\0');

  /* The card names the repo in its usage snippet: regenerate it for a new
   * id unless the user edited it. */
  if (self->has_model && !self->card_edited && self->generated_card != NULL && !self->card_loading &&
      g_strcmp0 (repo_id, self->card_for_id) != 0 && repo_id != NULL)
    start_card (self);
}

/* ---- the project ------------------------------------------------------------- */

VsProject *
vs_share_page_get_project (VsSharePage *self)
{
  g_return_val_if_fail (VS_IS_SHARE_PAGE (self), NULL);
  return self->project;
}

void
vs_share_page_set_project (VsSharePage *self,
                           VsProject   *project)
{
  g_return_if_fail (VS_IS_SHARE_PAGE (self));

  if (self->project == project)
    return;
  if (self->project != NULL)
    g_signal_handlers_disconnect_by_data (self->project, self);
  g_set_object (&self->project, project);
  if (project != NULL)
    {
      g_signal_connect (project, "changed", G_CALLBACK (on_project_changed), self);
      sync_model (self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROJECT]);
}

/* ---- for tests -------------------------------------------------------------- */

#define GETTER(type, name, field) \
  type vs_share_page_get_##name (VsSharePage *self) \
  { \
    g_return_val_if_fail (VS_IS_SHARE_PAGE (self), 0); \
    return self->field; \
  }

GETTER (AdwPasswordEntryRow *, token_row, token_row)
GETTER (GtkButton *, sign_in_button, sign_in_button)
GETTER (GtkButton *, sign_out_button, sign_out_button)
GETTER (AdwComboRow *, owner_row, owner_row)
GETTER (AdwEntryRow *, name_row, name_row)
GETTER (GtkSwitch *, private_switch, private_switch)
GETTER (GtkSwitch *, pr_switch, pr_switch)
GETTER (GtkTextView *, card_view, card_view)
GETTER (GtkButton *, reset_card_button, reset_card_button)
GETTER (GtkButton *, push_button, push_button)
GETTER (GtkButton *, cancel_button, cancel_button)
GETTER (GtkButton *, copy_button, copy_button)
GETTER (GtkProgressBar *, progress_bar, push_progress)
GETTER (gboolean, signed_in, signed_in)
GETTER (gboolean, pushing, pushing)
GETTER (gboolean, checking_repo, checking_repo)
GETTER (VsTokenStoreKind, token_store, store)
GETTER (double, max_progress, max_progress)
GETTER (const char *, pushed_url, pushed_url)
GETTER (const char *, pushed_id, pushed_id)
GETTER (const char *, replace_text, replace_text)
GETTER (const char *, banner_message, banner_message)

const char *
vs_share_page_get_user_text (VsSharePage *self)
{
  g_return_val_if_fail (VS_IS_SHARE_PAGE (self), NULL);
  return self->signed_in ? adw_preferences_row_get_title (ADW_PREFERENCES_ROW (self->user_row)) : NULL;
}

const char *
vs_share_page_get_full_name_text (VsSharePage *self)
{
  g_return_val_if_fail (VS_IS_SHARE_PAGE (self), NULL);
  return self->signed_in ? adw_action_row_get_subtitle (self->user_row) : NULL;
}

const char *
vs_share_page_get_orgs_text (VsSharePage *self)
{
  g_return_val_if_fail (VS_IS_SHARE_PAGE (self), NULL);
  return self->signed_in ? adw_action_row_get_subtitle (self->orgs_row) : NULL;
}

const char *
vs_share_page_get_account_status (VsSharePage *self)
{
  g_return_val_if_fail (VS_IS_SHARE_PAGE (self), NULL);
  return gtk_label_get_text (self->account_status_label);
}

const char *
vs_share_page_get_name_error (VsSharePage *self)
{
  g_return_val_if_fail (VS_IS_SHARE_PAGE (self), NULL);
  return self->name_valid ? NULL : gtk_label_get_text (self->name_error_label);
}

const char *
vs_share_page_get_card_status (VsSharePage *self)
{
  g_return_val_if_fail (VS_IS_SHARE_PAGE (self), NULL);
  return gtk_label_get_text (self->card_status_label);
}

const char *
vs_share_page_get_push_reason (VsSharePage *self)
{
  g_return_val_if_fail (VS_IS_SHARE_PAGE (self), NULL);
  return gtk_widget_get_sensitive (GTK_WIDGET (self->push_button)) ? NULL
         : gtk_label_get_text (self->push_reason_label);
}

const char *
vs_share_page_get_push_status (VsSharePage *self)
{
  g_return_val_if_fail (VS_IS_SHARE_PAGE (self), NULL);
  return gtk_label_get_text (self->push_status_label);
}

const char *
vs_share_page_get_banner_title (VsSharePage *self)
{
  g_return_val_if_fail (VS_IS_SHARE_PAGE (self), NULL);
  return self->banner_message != NULL ? gtk_label_get_text (self->banner_title) : NULL;
}

gboolean
vs_share_page_get_busy (VsSharePage *self)
{
  g_return_val_if_fail (VS_IS_SHARE_PAGE (self), FALSE);
  return self->account_busy > 0 || self->pushing || self->card_loading;
}

gboolean
vs_share_page_get_card_pending (VsSharePage *self)
{
  g_return_val_if_fail (VS_IS_SHARE_PAGE (self), FALSE);
  return self->card_check_id != 0 || self->card_loading;
}

char *
vs_share_page_dup_card_text (VsSharePage *self)
{
  g_return_val_if_fail (VS_IS_SHARE_PAGE (self), NULL);
  return dup_card_text (self);
}

void
vs_share_page_scroll_to (VsSharePage *self,
                         const char  *section)
{
  GtkWidget *target = NULL;

  g_return_if_fail (VS_IS_SHARE_PAGE (self));

  if (g_strcmp0 (section, "repo") == 0)
    target = GTK_WIDGET (self->repo_group);
  else if (g_strcmp0 (section, "card") == 0)
    target = GTK_WIDGET (self->card_group);
  else if (g_strcmp0 (section, "push") == 0)
    target = GTK_WIDGET (self->push_button);
  vs_scroll_to_widget (self->scroller, target);
}

/* ---- GObject ------------------------------------------------------------------ */

static void
vs_share_page_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  VsSharePage *self = VS_SHARE_PAGE (object);

  switch (prop_id)
    {
    case PROP_PROJECT:
      vs_share_page_set_project (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vs_share_page_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  VsSharePage *self = VS_SHARE_PAGE (object);

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
vs_share_page_dispose (GObject *object)
{
  VsSharePage *self = VS_SHARE_PAGE (object);
  GCancellable **all[] = { &self->account_cancel, &self->repo_cancel, &self->card_cancel, &self->push_cancel };

  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    {
      if (*all[i] != NULL)
        g_cancellable_cancel (*all[i]);
      g_clear_object (all[i]);
    }
  g_clear_handle_id (&self->repo_check_id, g_source_remove);
  g_clear_handle_id (&self->card_check_id, g_source_remove);
  if (self->project != NULL)
    g_signal_handlers_disconnect_by_data (self->project, self);
  g_clear_object (&self->project);
  G_OBJECT_CLASS (vs_share_page_parent_class)->dispose (object);
}

static void
vs_share_page_finalize (GObject *object)
{
  VsSharePage *self = VS_SHARE_PAGE (object);

  vs_token_store_free_token (self->token);
  g_free (self->output_dir);
  g_free (self->user);
  g_free (self->full_name);
  g_free (self->orgs_text);
  g_free (self->replace_text);
  g_free (self->generated_card);
  g_free (self->card_for_id);
  g_free (self->pushed_url);
  g_free (self->pushed_id);
  g_free (self->pushing_id);
  g_free (self->banner_message);
  G_OBJECT_CLASS (vs_share_page_parent_class)->finalize (object);
}

static void
vs_share_page_class_init (VsSharePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vs_share_page_dispose;
  object_class->finalize = vs_share_page_finalize;
  object_class->get_property = vs_share_page_get_property;
  object_class->set_property = vs_share_page_set_property;

  properties[PROP_PROJECT] =
    g_param_spec_object ("project", NULL, NULL, VS_TYPE_PROJECT,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/vectorsmith/Vectorsmith/ui/vs-share-page.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, VsSharePage, name)
  BIND (scroller);
  BIND (banner_revealer);
  BIND (banner_title);
  BIND (banner_hint);
  BIND (banner_label);
  BIND (model_row);
  BIND (model_icon);
  BIND (account_group);
  BIND (token_row);
  BIND (sign_in_button);
  BIND (sign_out_button);
  BIND (user_row);
  BIND (orgs_row);
  BIND (store_row);
  BIND (account_spinner);
  BIND (account_status_label);
  BIND (repo_group);
  BIND (owner_row);
  BIND (owners);
  BIND (name_row);
  BIND (private_switch);
  BIND (message_row);
  BIND (pr_switch);
  BIND (replace_row);
  BIND (name_error_label);
  BIND (card_group);
  BIND (reset_card_button);
  BIND (card_view);
  BIND (card_status_label);
  BIND (push_button);
  BIND (cancel_button);
  BIND (push_reason_label);
  BIND (push_progress);
  BIND (push_status_label);
  BIND (pushed_box);
  BIND (open_button);
  BIND (copy_button);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, on_banner_close_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_sign_in_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_token_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_sign_out_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_name_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_reset_card_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_push_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_open_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_copy_clicked);
}

/* libadwaita 1.2's password row shows its text with an icon that acts as a
 * button but has no accessible name (GTK 4.8 says "GtkImage"): it gets one. */
static void
name_peek_icon (GtkWidget *widget)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_IMAGE (child) &&
          gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (child)) == GTK_ACCESSIBLE_ROLE_BUTTON)
        gtk_accessible_update_property (GTK_ACCESSIBLE (child), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                        _("Show or Hide the Token"), -1);
      name_peek_icon (child);
    }
}

static void
vs_share_page_init (VsSharePage *self)
{
  GtkTextBuffer *buf;

  gtk_widget_init_template (GTK_WIDGET (self));

  buf = gtk_text_view_get_buffer (self->card_view);
  self->error_tag = gtk_text_buffer_create_tag (buf, "error", "underline", PANGO_UNDERLINE_ERROR, NULL);
  g_signal_connect_swapped (buf, "changed", G_CALLBACK (on_card_changed), self);
  g_signal_connect_swapped (self->owner_row, "notify::selected", G_CALLBACK (on_owner_selected), self);
  g_signal_connect (self, "map", G_CALLBACK (on_map), NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->account_spinner), FALSE);
  gtk_label_set_text (self->card_status_label, _("The model card is generated from the trained model."));
  /* The token entry is named by its title; the whole card by its label. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->push_progress),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Upload progress"), -1);
  name_peek_icon (GTK_WIDGET (self->token_row));
  on_name_changed (self);
  self->name_touched = FALSE;
  check_saved_account (self);
}
