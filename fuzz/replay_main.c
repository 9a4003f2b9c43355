/*
 * replay_main.c — runs a libFuzzer target over its committed corpus without
 * libFuzzer, so `make check` replays every corpus with any compiler (and under
 * ASan/UBSan in a --enable-sanitizers build).
 *
 * Usage: <name>_replay [FILE|DIR ...]. With no argument it replays
 * $srcdir/fuzz/corpus/<name>/ (srcdir is set by automake's test harness),
 * where <name> is the program's name without the "_replay" suffix.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
    return -1;
  }
  size_t cap = 4096, n = 0;
  uint8_t *buf = malloc(cap);
  size_t r;
  while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
    n += r;
    if (n == cap) {
      uint8_t *nb = realloc(buf, cap *= 2);
      if (!nb) {
        free(buf);
        buf = NULL;
      } else {
        buf = nb;
      }
    }
  }
  fclose(f);
  if (!buf) {
    fprintf(stderr, "replay: %s: out of memory\n", path);
    return -1;
  }
  /* Hand the target an exactly-sized copy so ASan sees overreads. */
  uint8_t *exact = malloc(n ? n : 1);
  if (!exact) {
    free(buf);
    return -1;
  }
  memcpy(exact, buf, n);
  free(buf);
  LLVMFuzzerTestOneInput(exact, n);
  free(exact);
  return 0;
}

static int replay_path(const char *path, int *count) {
  struct stat st;
  if (stat(path, &st) != 0) {
    fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
    return -1;
  }
  if (!S_ISDIR(st.st_mode)) {
    ++*count;
    return replay_file(path);
  }
  DIR *d = opendir(path);
  if (!d) {
    fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
    return -1;
  }
  struct dirent *e;
  int rc = 0;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    size_t len = strlen(path) + strlen(e->d_name) + 2;
    char *p = malloc(len);
    if (!p) {
      rc = -1;
      break;
    }
    snprintf(p, len, "%s/%s", path, e->d_name);
    if (replay_path(p, count) != 0)
      rc = -1;
    free(p);
  }
  closedir(d);
  return rc;
}

int main(int argc, char **argv) {
  if (LLVMFuzzerInitialize)
    LLVMFuzzerInitialize(&argc, &argv);
  int count = 0, rc = 0;
  if (argc > 1) {
    for (int i = 1; i < argc; i++)
      if (replay_path(argv[i], &count) != 0)
        rc = 1;
  } else {
    const char *srcdir = getenv("srcdir");
    const char *base = strrchr(argv[0], '/');
    base = base ? base + 1 : argv[0];
    char name[256];
    snprintf(name, sizeof name, "%s", base);
    char *suffix = strstr(name, "_replay");
    if (suffix)
      *suffix = '\0';
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/fuzz/corpus/%s", srcdir ? srcdir : ".", name);
    if (replay_path(dir, &count) != 0)
      rc = 1;
  }
  if (count == 0) {
    fprintf(stderr, "replay: no inputs found\n");
    return 1;
  }
  printf("replayed %d inputs\n", count);
  return rc;
}
