/* vs-share-page.h: the Share page of the workbench.
 *
 * Pushes the project's trained model (its output folder) to the Hugging
 * Face Hub in one click. Sign in with an access token (checked with whoami,
 * kept in the keyring or the token file by vs-token-store.h; the entry is
 * cleared and the token never shown again); the owner (the user or one of
 * their orgs) and the repo name (checked as the Hub does), private, the
 * commit message, pull request; when the repo exists, the files the push
 * replaces. The engine's model card in an editor whose YAML front matter is
 * checked as you type, saved as README.md in the folder before the push.
 * The push creates the repo if needed and uploads with byte progress and
 * Cancel; a retry does not upload again what the Hub already has. Errors
 * of the Hub in plain words with what to do, in a banner; when done, a
 * toast with Open, and Open on the Hub / Copy Model Id.
 */
#pragma once

#include <adwaita.h>

#include "vs-project.h"
#include "vs-token-store.h"

G_BEGIN_DECLS

#define VS_TYPE_SHARE_PAGE (vs_share_page_get_type ())
G_DECLARE_FINAL_TYPE (VsSharePage, vs_share_page, VS, SHARE_PAGE, AdwBin)

VsProject *vs_share_page_get_project (VsSharePage *self);
void       vs_share_page_set_project (VsSharePage *self,
                                      VsProject   *project);

/* Looks at the output folder again (after a training run). */
void       vs_share_page_refresh     (VsSharePage *self);

/* For tests. */
AdwPasswordEntryRow *vs_share_page_get_token_row   (VsSharePage *self);
GtkButton  *vs_share_page_get_sign_in_button       (VsSharePage *self);
GtkButton  *vs_share_page_get_sign_out_button      (VsSharePage *self);
AdwComboRow *vs_share_page_get_owner_row           (VsSharePage *self);
AdwEntryRow *vs_share_page_get_name_row            (VsSharePage *self);
GtkSwitch  *vs_share_page_get_private_switch       (VsSharePage *self);
GtkSwitch  *vs_share_page_get_pr_switch            (VsSharePage *self);
GtkTextView *vs_share_page_get_card_view           (VsSharePage *self);
GtkButton  *vs_share_page_get_reset_card_button    (VsSharePage *self);
GtkButton  *vs_share_page_get_push_button          (VsSharePage *self);
GtkButton  *vs_share_page_get_cancel_button        (VsSharePage *self);
GtkButton  *vs_share_page_get_copy_button          (VsSharePage *self);
GtkProgressBar *vs_share_page_get_progress_bar     (VsSharePage *self);
/* The texts a user reads. */
const char *vs_share_page_get_user_text            (VsSharePage *self);  /* "testuser" */
const char *vs_share_page_get_full_name_text       (VsSharePage *self);
const char *vs_share_page_get_orgs_text            (VsSharePage *self);
const char *vs_share_page_get_account_status       (VsSharePage *self);
const char *vs_share_page_get_name_error           (VsSharePage *self);  /* NULL: valid */
const char *vs_share_page_get_replace_text         (VsSharePage *self);  /* NULL: nothing replaced */
const char *vs_share_page_get_card_status          (VsSharePage *self);
const char *vs_share_page_get_push_reason          (VsSharePage *self);  /* why Push is disabled */
const char *vs_share_page_get_push_status          (VsSharePage *self);
const char *vs_share_page_get_banner_title         (VsSharePage *self);  /* NULL: no banner */
const char *vs_share_page_get_banner_message       (VsSharePage *self);
/* State. */
gboolean    vs_share_page_get_signed_in            (VsSharePage *self);
gboolean    vs_share_page_get_busy                 (VsSharePage *self);  /* signing in/out, pushing, loading the card */
gboolean    vs_share_page_get_pushing              (VsSharePage *self);
gboolean    vs_share_page_get_checking_repo        (VsSharePage *self);
gboolean    vs_share_page_get_card_pending         (VsSharePage *self);  /* a check is due */
VsTokenStoreKind vs_share_page_get_token_store     (VsSharePage *self);
/* The largest fraction the progress bar showed during the last push. */
double      vs_share_page_get_max_progress         (VsSharePage *self);
const char *vs_share_page_get_pushed_url           (VsSharePage *self);  /* NULL until pushed */
const char *vs_share_page_get_pushed_id            (VsSharePage *self);
/* The card text as edited. g_free. */
char       *vs_share_page_dup_card_text            (VsSharePage *self);
void        vs_share_page_scroll_to                (VsSharePage *self,
                                                    const char  *section);  /* NULL, "repo", "card", "push" */

G_END_DECLS
