/*
 * cmd_down.c — `meshsim down`: stops the shop a `meshsim up` runs from a
 * state directory, the way Ctrl-C would (the supervisor then gives every
 * service SIGTERM, the grace period, and SIGKILL).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "meshsim.h"
#include "statedir.h"

static int alive(int pid) { return kill(pid, 0) == 0 || errno == EPERM; }

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Last resort when the supervisor itself does not exit: SIGKILL the
 * services listed in the status table, then the supervisor. */
static void kill_listed(const char *dir) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/status", dir);
  FILE *f = fopen(path, "r");
  if (!f)
    return;
  char line[512];
  while (fgets(line, sizeof line, f)) {
    char name[128], addr[128], pid[32];
    if (sscanf(line, "%127s %127s %31s", name, addr, pid) == 3) {
      char *end;
      long p = strtol(pid, &end, 10);
      if (*end == '\0' && p > 1 && p <= INT_MAX) {
        kill((pid_t)p, SIGKILL);
        fprintf(stderr, "meshsim down: killed %s (pid %ld)\n", name, p);
      }
    }
  }
  fclose(f);
}

static int down_exec(int argc, char **argv) {
  char sbuf[PATH_MAX];
  const char *dir = NULL;
  double timeout = 20;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--state-dir") && i + 1 < argc) {
      dir = argv[++i];
    } else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
      char *end;
      timeout = strtod(argv[++i], &end);
      if (*end || timeout <= 0) {
        fprintf(stderr, "meshsim down: --timeout: '%s' is not a positive number of seconds\n", argv[i]);
        return 2;
      }
    } else {
      fprintf(stderr, "meshsim down: unknown or incomplete option '%s' (see meshsim down --help)\n", argv[i]);
      return 2;
    }
  }
  if (!dir)
    dir = msim_state_dir_default(sbuf, sizeof sbuf);
  int pid = msim_read_pid(dir);
  if (pid <= 0 || !alive(pid)) {
    printf("meshsim down: no shop is running from %s\n", dir);
    return 0;
  }
  printf("meshsim down: stopping the shop run by pid %d (%s)\n", pid, dir);
  fflush(stdout);
  if (kill(pid, SIGTERM) != 0) {
    fprintf(stderr, "meshsim down: cannot signal pid %d: %s\n", pid, strerror(errno));
    return 1;
  }
  for (long waited = 0; waited < (long)(timeout * 1000); waited += 100) {
    if (!alive(pid)) {
      printf("meshsim down: stopped\n");
      return 0;
    }
    sleep_ms(100);
  }
  fprintf(stderr, "meshsim down: pid %d still running after %.0f s; killing it and its services\n",
          pid, timeout);
  kill_listed(dir);
  kill(pid, SIGKILL);
  return 1;
}

const msim_cmd_t msim_cmd_down = {
    .name = "down",
    .args = "[--state-dir DIR] [--timeout S]",
    .summary = "stop the shop that `meshsim up` runs from a state directory",
    .help =
        "Sends SIGTERM to the `meshsim up` running from the state directory; it\n"
        "stops every service (SIGTERM, the grace period, then SIGKILL) and exits.\n"
        "If it has not exited within the timeout, its services and it are killed.\n"
        "\n"
        "options:\n"
        "  --state-dir DIR      the state directory given to `meshsim up`;\n"
        "                       " MSIM_STATE_DIR_HELP
        "  --timeout S          how long to wait for a clean stop (default 20)\n",
    .exec = down_exec,
};
