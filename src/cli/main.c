/* main.c: vectorsmith-cli, one subcommand per engine capability. */
#include "config.h"

#include <locale.h>
#include <string.h>

#include <curl/curl.h>

#include "vs-engine.h"
#include "vs-cli.h"
#include "tensor/vs-gemm.h"

typedef struct
{
  const char *name;
  int (*run) (int argc, char **argv);
  const char *synopsis;
} VsCliCommand;

static const VsCliCommand commands[] = {
  { "tokenize", vs_cli_tokenize,
    "TOKENIZER [--max-length N] [--pair] [--no-special-tokens]  (texts on stdin)" },
  { "new-model", vs_cli_new_model,
    "--architecture A --preset P --tokenizer DIR [--pooling MODE] [--dense OUT[:ACT][:nobias]]... [--normalize] [--seed S] OUT_DIR" },
  { "encode", vs_cli_encode,
    "MODEL [--batch-size N] [--max-length N] [--normalize] [--threads N] [--precision P] [--calibration FILE]  (texts on stdin)" },
  { "inspect", vs_cli_inspect, "DATASET [--split S] [--rows N]" },
  { "mine-negatives", vs_cli_mine_negatives, "MODEL DATASET -o OUT.jsonl" },
  { "evaluate", vs_cli_evaluate,
    "MODEL --evaluator similarity|triplet|binary|retrieval --data DATASET [--columns a,b[,c]] [--label COL] [--dims D,...]" },
  { "similarity", vs_cli_similarity,
    "MODEL [--normalize] [--batch-size N]  (texts on stdin)" },
  { "search", vs_cli_search,
    "MODEL --corpus FILE [--column C] [--split S] [--top-k K]  (queries on stdin)" },
  { "train", vs_cli_train, "RECIPE [--log EVENTS.jsonl] [--resume CHECKPOINT_DIR]" },
  { "pull", vs_cli_pull, "REPO_ID [--repo-type model|dataset] [--revision R]" },
  { "push", vs_cli_push, "MODEL_DIR REPO_ID [--private] [--message M] [--create-pr]" },
  { "whoami", vs_cli_whoami, "" },
  { "login", vs_cli_login, "(token on stdin)" },
  { "export-script", vs_cli_export_script, "RECIPE [-o train.py] [--output-dir DIR]" },
  { "export-onnx", vs_cli_export_onnx, "MODEL_DIR OUT.onnx [--opset N] [--max-length N]" },
  { "serve", vs_cli_serve,
    "MODEL [--host IP] [--port P] [--threads N] [--api-key-file F] [--max-batch N] [--max-inputs N] [--max-input-chars N] [--precision P] [--calibration FILE]" },
};

int
vs_cli_fail (const char *command,
             const GError *error)
{
  g_printerr ("vectorsmith-cli %s: %s\n", command,
              error != NULL ? error->message : "failed");
  return 1;
}

static void
print_usage (FILE *stream)
{
  fprintf (stream, "Usage: vectorsmith-cli COMMAND [OPTIONS…]\n\nCommands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (stream, "  %-15s %s\n", commands[i].name, commands[i].synopsis);
  fprintf (stream, "\n  --version       print the version\n  --help          print this help\n");
}

int
main (int argc,
      char **argv)
{
  int status;

  setlocale (LC_ALL, "");
  /* JSON output must use '.' as the decimal separator whatever the locale. */
  setlocale (LC_NUMERIC, "C");

  if (argc < 2)
    {
      print_usage (stderr);
      return 2;
    }
  if (strcmp (argv[1], "--version") == 0 || strcmp (argv[1], "version") == 0)
    {
      printf ("vectorsmith-cli %s\n", vs_engine_get_version ());
      printf ("sgemm: %s\n", vs_gemm_describe ());
      return 0;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "help") == 0)
    {
      print_usage (stdout);
      return 0;
    }

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      if (strcmp (argv[1], commands[i].name) != 0)
        continue;
      /* libcurl must be initialised once before any thread starts. */
      curl_global_init (CURL_GLOBAL_DEFAULT);
      status = commands[i].run (argc - 1, argv + 1);
      curl_global_cleanup ();
      return status;
    }

  g_printerr ("vectorsmith-cli: unknown command “%s”\n\n", argv[1]);
  print_usage (stderr);
  return 2;
}
