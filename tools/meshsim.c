/*
 * meshsim.c — the meshsim command: one table of commands, each a descriptor
 * {name, args, summary, exec} (as tmux's cmd-*.c), dispatched from main().
 */
#include "meshsim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const msim_cmd_t *const commands[] = {
    &msim_cmd_run,
    &msim_cmd_capacity,
    &msim_cmd_up,
    &msim_cmd_down,
    &msim_cmd_analyze,
    &msim_cmd_metrics,
    &msim_cmd_calibrate,
};
#define N_COMMANDS (sizeof commands / sizeof *commands)

static void usage(FILE *f) {
  fprintf(f,
          "meshsim %s: rehearse, break, size and teach the Online Boutique mesh on one machine\n"
          "\n"
          "usage: meshsim <command> [options]\n"
          "       meshsim help <command>\n"
          "\n"
          "commands:\n",
          PACKAGE_VERSION);
  for (size_t i = 0; i < N_COMMANDS; i++)
    fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
  fprintf(f,
          "  %-10s %s\n  %-10s %s\n"
          "\n"
          "Each service is also its own program (currencyservice, ...), as shipped\n"
          "to Kubernetes; run one with --help to see its settings.\n",
          "help", "show help for a command", "version", "print the version");
}

static const msim_cmd_t *find(const char *name) {
  for (size_t i = 0; i < N_COMMANDS; i++)
    if (strcmp(commands[i]->name, name) == 0)
      return commands[i];
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *name = argv[1];
  if (!strcmp(name, "-h") || !strcmp(name, "--help")) {
    usage(stdout);
    return 0;
  }
  if (!strcmp(name, "version") || !strcmp(name, "--version")) {
    printf("meshsim %s\n", PACKAGE_VERSION);
    return 0;
  }
  if (!strcmp(name, "help")) {
    if (argc < 3) {
      usage(stdout);
      return 0;
    }
    const msim_cmd_t *c = find(argv[2]);
    if (!c) {
      fprintf(stderr, "meshsim: no command '%s' (see meshsim --help)\n", argv[2]);
      return 2;
    }
    printf("usage: meshsim %s %s\n\n%s", c->name, c->args, c->help);
    return 0;
  }
  const msim_cmd_t *c = find(name);
  if (!c) {
    fprintf(stderr, "meshsim: no command '%s' (see meshsim --help)\n", name);
    return 2;
  }
  for (int i = 2; i < argc; i++)
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      printf("usage: meshsim %s %s\n\n%s", c->name, c->args, c->help);
      return 0;
    }
  return c->exec(argc - 1, argv + 1);
}
