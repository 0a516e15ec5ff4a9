/* cmd-hub.c: placeholder until its area lands; see HACKING.md. */
#include "vs-cli.h"

int
vs_cli_pull (int argc, char **argv)
{
  g_printerr ("vectorsmith-cli %s: not built yet\n", argv[0]);
  return 2;
}

int
vs_cli_push (int argc, char **argv)
{
  g_printerr ("vectorsmith-cli %s: not built yet\n", argv[0]);
  return 2;
}

int
vs_cli_whoami (int argc, char **argv)
{
  g_printerr ("vectorsmith-cli %s: not built yet\n", argv[0]);
  return 2;
}

int
vs_cli_login (int argc, char **argv)
{
  g_printerr ("vectorsmith-cli %s: not built yet\n", argv[0]);
  return 2;
}
