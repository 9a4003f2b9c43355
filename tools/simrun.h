/*
 * simrun.h — the simulation behind `meshsim run`, for other commands.
 *
 * `meshsim capacity` runs many candidate configurations of the shop; each
 * is exactly what `meshsim run` would do with the same arguments, so a
 * result it prints can be checked by pasting its flags into `meshsim run`.
 * These entry points live in cmd_run.c; nothing here has state of its own.
 *
 * Threads: none (the run installs SIGINT/SIGTERM handlers and sets a
 * process-wide flag when one arrives).
 */
#ifndef MESHSIM_TOOLS_SIMRUN_H
#define MESHSIM_TOOLS_SIMRUN_H

#include <stddef.h>
#include <stdio.h>

/* Runs `meshsim run` with |argv| (argv[0] is "run"; the caller keeps the
 * strings) and writes the report (table, or JSON with --json) to |out|,
 * which stays the caller's and is flushed, not closed. Progress and
 * errors go to stderr as for `meshsim run` (none but warnings and errors
 * with --quiet). Returns the exit status `meshsim run` would: 0 done, 1
 * the run failed (out of memory, a write error, a chart the cluster
 * refused at run time, metrics that could not be written) or one of its
 * own --slo / scenario objectives failed, 2 bad usage, a bad scenario, a
 * bad --set or chart value. */
int msim_run_argv(int argc, char **argv, FILE *out);

/* 1 once SIGINT or SIGTERM arrived during a run (the run then stopped
 * early and reported the virtual time so far), else 0. */
int msim_run_interrupted(void);

/* The charts `meshsim run` installs for the shop, in install order,
 * NULL-terminated ("productcatalogservice", ..., "frontend", "business");
 * static strings. The loadgenerator chart is not among them. */
const char *const *msim_run_charts(void);

/* Finds |rel| ("k8s/charts"; a directory when |dir|, else a regular file)
 * next to the meshsim executable, in its parent, then in the source tree
 * it was built from, as `meshsim run` does, and writes the path to |out|
 * (|size| bytes). 0, or -1 when it is in none of them. */
int msim_find_data(const char *rel, int dir, char *out, size_t size);

#endif /* MESHSIM_TOOLS_SIMRUN_H */
