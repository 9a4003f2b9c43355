/*
 * meshsim.h — the meshsim command's command table.
 *
 * Each command is one file (tools/cmd_<name>.c) exporting a descriptor. main()
 * handles --help for every command from the descriptor, so exec() never sees
 * -h/--help.
 */
#ifndef MESHSIM_TOOLS_MESHSIM_H
#define MESHSIM_TOOLS_MESHSIM_H

#include "supervisor.h"

typedef struct msim_cmd {
  const char *name;    /* "up" */
  const char *args;    /* "[--once] [--state-dir DIR]" */
  const char *summary; /* one line for `meshsim --help` */
  const char *help;    /* full help text, ending in a newline */
  /* argv[0] is the command's name. Returns the process exit status:
   * 0 success, 1 failure of the job, 2 bad usage. */
  int (*exec)(int argc, char **argv);
} msim_cmd_t;

extern const msim_cmd_t msim_cmd_run;
extern const msim_cmd_t msim_cmd_capacity;
extern const msim_cmd_t msim_cmd_up;
extern const msim_cmd_t msim_cmd_down;
extern const msim_cmd_t msim_cmd_analyze;
extern const msim_cmd_t msim_cmd_metrics;
extern const msim_cmd_t msim_cmd_calibrate;

/* The shop `meshsim up` runs (tools/cmd_up.c), in start order: the twelve
 * services, the frontend at MSIM_SHOP_FRONTEND (on 127.0.0.1), the load
 * generator last. `meshsim calibrate` runs the same specs. */
enum { MSIM_SHOP_FRONTEND = 9, MSIM_SHOP_LOADGEN = 11, MSIM_SHOP_LEN = 12 };
extern const sup_spec_t msim_shop[MSIM_SHOP_LEN];

#endif /* MESHSIM_TOOLS_MESHSIM_H */
