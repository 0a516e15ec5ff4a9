/* cmd-train.c: vectorsmith-cli train RECIPE [--log EVENTS.jsonl] [--resume CHECKPOINT_DIR]
 *              [--output-dir DIR] [--max-steps N] [--quiet] [--export-python SCRIPT.py]
 *
 * Trains a recipe on the engine's worker thread. Every event goes as one
 * JSON object per line to --log; on a terminal a progress bar shows the
 * step, loss, throughput and time left; evaluations and the final summary
 * (baseline and final metrics) go to stdout. Ctrl-C stops after the current
 * step with a checkpoint to resume from; a second Ctrl-C cancels at once.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>
#include <cjson/cJSON.h>

#include "vs-error.h"
#include "vs-cli.h"
#include "train/vs-recipe.h"
#include "train/vs-trainer.h"

typedef struct
{
  FILE       *log;
  gboolean    tty;
  gboolean    quiet;
  gint64      total_steps;
  gint64      t_start;
  gint64      first_step;     /* step the timing started at (resume) */
  gint64      report_every;   /* non-terminal progress lines */
  gboolean    bar_drawn;
  cJSON      *baseline;       /* metrics at step 0 */
  cJSON      *final;          /* metrics of the done event */
  char       *primary;        /* the main metric's key */
  GMainLoop  *loop;
  VsTrainer  *trainer;
  gint        interrupts;
} TrainCli;

static void
clear_bar (TrainCli *cli)
{
  if (cli->bar_drawn)
    {
      fprintf (stderr, "\r\033[K");
      cli->bar_drawn = FALSE;
    }
}

static void
format_duration (double seconds,
                 char  *buf,
                 gsize  size)
{
  long s = (long) (seconds + 0.5);

  if (!isfinite (seconds) || seconds < 0)
    g_snprintf (buf, size, "--:--");
  else if (s >= 3600)
    g_snprintf (buf, size, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  else
    g_snprintf (buf, size, "%ld:%02ld", s / 60, s % 60);
}

static void
show_step (TrainCli    *cli,
           const cJSON *ev)
{
  gint64 step = (gint64) cJSON_GetNumberValue (cJSON_GetObjectItem (ev, "step"));
  double loss = cJSON_GetNumberValue (cJSON_GetObjectItem (ev, "loss"));
  double eps = cJSON_GetNumberValue (cJSON_GetObjectItem (ev, "examples_per_s"));
  double elapsed = (double) (g_get_monotonic_time () - cli->t_start) / G_USEC_PER_SEC;
  gint64 done = step - cli->first_step;
  double left = done > 0 ? elapsed / (double) done * (double) (cli->total_steps - step) : NAN;
  char eta[32];

  format_duration (left, eta, sizeof eta);
  if (cli->tty)
    {
      int width = 24;
      int filled = cli->total_steps > 0 ? (int) (width * step / cli->total_steps) : 0;
      char bar[32];

      for (int i = 0; i < width; i++)
        bar[i] = i < filled ? '#' : '.';
      bar[width] = '\0';
      fprintf (stderr, "\r\033[K[%s] step %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT
               "  loss %.4f  %.1f ex/s  %s left", bar, step, cli->total_steps, loss, eps, eta);
      cli->bar_drawn = TRUE;
    }
  else if (step % cli->report_every == 0 || step == cli->total_steps)
    fprintf (stderr, "step %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT "  loss %.4f  %.1f ex/s  %s left\n",
             step, cli->total_steps, loss, eps, eta);
}

static void
print_metrics (const char  *title,
               const cJSON *metrics)
{
  const cJSON *m;

  printf ("%s:", title);
  cJSON_ArrayForEach (m, metrics)
    if (cJSON_IsNumber (m))
      printf ("  %s=%.4f", m->string, m->valuedouble);
  printf ("\n");
  fflush (stdout);
}

static gboolean
quit_idle (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
on_event (const VsTrainEvent *event,
          gpointer            user_data)
{
  TrainCli *cli = user_data;
  const cJSON *ev = event->data;

  if (cli->log != NULL)
    {
      char *line = cJSON_PrintUnformatted (ev);

      fprintf (cli->log, "%s\n", line);
      fflush (cli->log);
      cJSON_free (line);
    }
  switch (event->kind)
    {
    case VS_TRAIN_EVENT_START:
      cli->total_steps = (gint64) cJSON_GetNumberValue (cJSON_GetObjectItem (ev, "total_steps"));
      cli->report_every = MAX (1, cli->total_steps / 20);
      cli->first_step = 0;
      cli->t_start = g_get_monotonic_time ();
      if (!cli->quiet)
        printf ("training: %" G_GINT64_FORMAT " steps, %.0f examples per epoch, %.0f parameters\n",
                cli->total_steps, cJSON_GetNumberValue (cJSON_GetObjectItem (ev, "examples")),
                cJSON_GetNumberValue (cJSON_GetObjectItem (ev, "parameters")));
      break;
    case VS_TRAIN_EVENT_STEP:
      {
        gint64 step = (gint64) cJSON_GetNumberValue (cJSON_GetObjectItem (ev, "step"));

        if (cli->first_step < 0)
          {
            cli->first_step = step - 1;
            cli->t_start = g_get_monotonic_time ();
          }
        if (!cli->quiet)
          show_step (cli, ev);
      }
      break;
    case VS_TRAIN_EVENT_EVAL:
      {
        gint64 step = (gint64) cJSON_GetNumberValue (cJSON_GetObjectItem (ev, "step"));
        const cJSON *metrics = cJSON_GetObjectItem (ev, "metrics");
        g_autofree char *title = g_strdup_printf ("eval at step %" G_GINT64_FORMAT, step);

        if (step == 0 && cli->baseline == NULL)
          cli->baseline = cJSON_Duplicate (metrics, TRUE);
        clear_bar (cli);
        if (!cli->quiet)
          print_metrics (title, metrics);
      }
      break;
    case VS_TRAIN_EVENT_CHECKPOINT:
      clear_bar (cli);
      if (!cli->quiet)
        printf ("checkpoint: %s\n", cJSON_GetStringValue (cJSON_GetObjectItem (ev, "path")));
      break;
    case VS_TRAIN_EVENT_DONE:
      clear_bar (cli);
      cli->final = cJSON_Duplicate (cJSON_GetObjectItem (ev, "metrics"), TRUE);
      g_free (cli->primary);
      cli->primary = g_strdup (cJSON_GetStringValue (cJSON_GetObjectItem (ev, "primary_metric")));
      printf ("saved: %s\n", cJSON_GetStringValue (cJSON_GetObjectItem (ev, "output_dir")));
      g_idle_add (quit_idle, cli->loop);
      break;
    case VS_TRAIN_EVENT_ERROR:
    default:
      clear_bar (cli);
      g_idle_add (quit_idle, cli->loop);
      break;
    }
  fflush (stdout);
}

static gboolean
on_sigint (gpointer data)
{
  TrainCli *cli = data;

  if (cli->interrupts++ == 0)
    {
      clear_bar (cli);
      g_printerr ("vectorsmith-cli train: stopping after this step (Ctrl-C again to cancel)\n");
      vs_trainer_stop (cli->trainer);
    }
  else
    vs_trainer_cancel (cli->trainer);
  return G_SOURCE_CONTINUE;
}

int
vs_cli_train (int    argc,
              char **argv)
{
  g_autofree char *log_path = NULL;
  g_autofree char *resume = NULL;
  g_autofree char *output_dir = NULL;
  g_autofree char *export_python = NULL;
  gint64 max_steps = 0;
  gboolean quiet = FALSE;
  GOptionEntry entries[] = {
    { "log", 0, 0, G_OPTION_ARG_FILENAME, &log_path, "Write every event as a JSON line to FILE", "EVENTS.jsonl" },
    { "resume", 0, 0, G_OPTION_ARG_FILENAME, &resume,
      "Continue from a checkpoint folder (or an output folder's newest checkpoint)", "CHECKPOINT_DIR" },
    { "output-dir", 0, 0, G_OPTION_ARG_FILENAME, &output_dir, "Write the model here instead of the recipe's output_dir", "DIR" },
    { "max-steps", 0, 0, G_OPTION_ARG_INT64, &max_steps, "Override args.max_steps", "N" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print only the summary", NULL },
    { "export-python", 0, 0, G_OPTION_ARG_FILENAME, &export_python,
      "Write a sentence-transformers script that trains the same recipe, and stop", "SCRIPT.py" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("RECIPE — train a model from a recipe");
  g_autoptr(GError) error = NULL;
  g_autoptr(VsRecipe) recipe = NULL;
  g_autoptr(VsTrainer) trainer = NULL;
  TrainCli cli = { 0 };
  guint sig_id;
  gboolean ok;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("vectorsmith-cli %s: %s\n", argv[0], error->message);
      return 2;
    }
  if (argc != 2)
    {
      g_printerr ("vectorsmith-cli %s: expected one RECIPE file\n", argv[0]);
      return 2;
    }
  if (max_steps < 0)
    {
      g_printerr ("vectorsmith-cli %s: --max-steps must be positive\n", argv[0]);
      return 2;
    }

  recipe = vs_recipe_load (argv[1], &error);
  if (recipe == NULL)
    return vs_cli_fail (argv[0], error);
  if (output_dir != NULL)
    {
      g_free (recipe->output_dir);
      recipe->output_dir = g_canonicalize_filename (output_dir, NULL);
    }
  if (max_steps > 0)
    recipe->args.max_steps = max_steps;
  if (export_python != NULL)
    {
      /* The same as `vectorsmith-cli export-script RECIPE -o SCRIPT.py`. */
      if (!vs_recipe_export_script (recipe, export_python, &error))
        return vs_cli_fail (argv[0], error);
      printf ("wrote %s\n", export_python);
      return 0;
    }
  if (resume != NULL)
    {
      /* A checkpoint, or an output folder: its newest checkpoint. */
      char *found = vs_trainer_find_checkpoint (resume);

      if (found == NULL)
        {
          g_set_error (&error, VS_ERROR, VS_ERROR_NOT_FOUND,
                       "--resume: %s is neither a checkpoint nor a folder holding one", resume);
          return vs_cli_fail (argv[0], error);
        }
      g_free (resume);
      resume = found;
    }

  trainer = vs_trainer_new_from_recipe (recipe, &error);
  if (trainer == NULL)
    return vs_cli_fail (argv[0], error);

  if (log_path != NULL)
    {
      cli.log = fopen (log_path, "w");
      if (cli.log == NULL)
        {
          g_set_error (&error, VS_ERROR, VS_ERROR_IO, "--log: cannot write %s", log_path);
          return vs_cli_fail (argv[0], error);
        }
    }
  cli.tty = isatty (STDERR_FILENO);
  cli.quiet = quiet;
  cli.first_step = -1;
  cli.report_every = 1;
  cli.t_start = g_get_monotonic_time ();
  cli.loop = g_main_loop_new (NULL, FALSE);
  cli.trainer = trainer;
  if (resume != NULL)
    vs_trainer_set_resume_from (trainer, resume);
  vs_trainer_set_event_func (trainer, on_event, &cli, NULL);

  sig_id = g_unix_signal_add (SIGINT, on_sigint, &cli);
  ok = vs_trainer_start (trainer, &error);
  if (ok)
    {
      g_main_loop_run (cli.loop);
      ok = vs_trainer_join (trainer, &error);
    }
  g_source_remove (sig_id);
  g_main_loop_unref (cli.loop);
  if (cli.log != NULL)
    fclose (cli.log);

  if (ok)
    {
      if (cli.baseline != NULL)
        print_metrics ("baseline", cli.baseline);
      if (cli.final != NULL && cJSON_GetArraySize (cli.final) > 0)
        print_metrics ("final", cli.final);
      if (cli.primary != NULL && cli.baseline != NULL && cli.final != NULL)
        {
          const cJSON *b = cJSON_GetObjectItem (cli.baseline, cli.primary);
          const cJSON *f = cJSON_GetObjectItem (cli.final, cli.primary);

          if (cJSON_IsNumber (b) && cJSON_IsNumber (f))
            printf ("%s: baseline %.4f -> final %.4f (%+.4f)\n", cli.primary,
                    b->valuedouble, f->valuedouble, f->valuedouble - b->valuedouble);
        }
    }
  g_free (cli.primary);
  cJSON_Delete (cli.baseline);
  cJSON_Delete (cli.final);
  if (!ok)
    return vs_cli_fail (argv[0], error);
  return 0;
}
