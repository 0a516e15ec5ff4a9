/* cmd-evaluate.c: placeholder until its area lands; see HACKING.md. */
#include "vs-cli.h"

int
vs_cli_evaluate (int argc, char **argv)
{
  g_printerr ("vectorsmith-cli %s: not built yet\n", argv[0]);
  return 2;
}
