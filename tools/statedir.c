/*
 * statedir.c — see statedir.h.
 */
#include "statedir.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *msim_state_dir_default(char *buf, size_t len) {
  const char *e = getenv("MESHSIM_STATE_DIR");
  const char *xdg = getenv("XDG_STATE_HOME");
  const char *home = getenv("HOME");
  if (e && *e)
    snprintf(buf, len, "%s", e);
  else if (xdg && *xdg)
    snprintf(buf, len, "%s/meshsim", xdg);
  else if (home && *home)
    snprintf(buf, len, "%s/.local/state/meshsim", home);
  else
    snprintf(buf, len, "./.meshsim");
  return buf;
}

int msim_mkdirs(const char *path) {
  char tmp[PATH_MAX];
  if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) {
    errno = ENAMETOOLONG;
    return -1;
  }
  for (char *p = tmp + 1; *p; p++)
    if (*p == '/') {
      *p = '\0';
      if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        return -1;
      *p = '/';
    }
  if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
    return -1;
  return 0;
}

int msim_read_pid(const char *dir) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/meshsim.pid", dir);
  FILE *f = fopen(path, "r");
  if (!f)
    return -1;
  long pid = -1;
  if (fscanf(f, "%ld", &pid) != 1 || pid <= 1 || pid > INT_MAX)
    pid = -1;
  fclose(f);
  return (int)pid;
}
