/*
 * statedir.h — where `meshsim up` keeps a running shop's state: logs, the
 * live status table, the supervisor's pid file and the services' databases.
 */
#ifndef MESHSIM_TOOLS_STATEDIR_H
#define MESHSIM_TOOLS_STATEDIR_H

#include <stddef.h>

/* Help text describing the default, for --help of every command using it. */
#define MSIM_STATE_DIR_HELP                                               \
  "default $MESHSIM_STATE_DIR, else $XDG_STATE_HOME/meshsim, else\n"      \
  "                       ~/.local/state/meshsim, else ./.meshsim\n"

/* The default state directory, written into |buf|; returns |buf|. */
const char *msim_state_dir_default(char *buf, size_t len);

/* mkdir -p |path| (mode 0755). Returns 0, or -1 with errno set. */
int msim_mkdirs(const char *path);

/* Reads <dir>/meshsim.pid. Returns the pid, or -1 when absent or invalid. */
int msim_read_pid(const char *dir);

#endif /* MESHSIM_TOOLS_STATEDIR_H */
