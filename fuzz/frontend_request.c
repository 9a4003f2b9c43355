/*
 * frontend_request.c — fuzz target: one HTTP request to the frontend's
 * handler on the test runtime, every backend stubbed
 * (tests/services/frontend_stubs.h).
 *
 * Input, as text: "METHOD TARGET\n", then "name: value\n" header lines up
 * to an empty line, then the body. What the live runtime's parser would
 * never hand a handler is normalised rather than skipped: a method that is
 * not 1..16 upper-case letters becomes GET, a target not starting with '/'
 * gets one, control bytes in header values are dropped. The input's last
 * byte picks a backend to fail (and how), so error paths are fuzzed too.
 * A crash, a sanitizer report, an abort from the runtime (a contract
 * violation: a call ended twice, a bad header) or a handler that never ends
 * the call is a finding.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/frontend.h"
#include "frontend_stubs.h"

#define MAX_HEADERS 32

static rt_test_t *t;
static fe_stubs_t stubs;

/* Copies the line at |*p| (up to '\n', without '\r') into a new string and
 * advances |*p|. Returns NULL at the end of input. */
static char *next_line(const uint8_t **p, const uint8_t *end) {
  if (*p >= end)
    return NULL;
  const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
  const uint8_t *e = nl ? nl : end;
  size_t n = (size_t)(e - *p);
  char *s = malloc(n + 1);
  if (!s)
    abort();
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if ((*p)[i] != '\r' && (*p)[i] != '\0')
      s[k++] = (char)(*p)[i];
  s[k] = '\0';
  *p = nl ? nl + 1 : end;
  return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!t) {
    t = rt_test_new(&frontend_service, fs_env, 1);
    if (!t)
      abort();
    fe_stubs_install(t, &stubs);
  }
  memset(stubs.fail, 0, sizeof stubs.fail);
  stubs.n_carts = 0;
  if (size) {
    unsigned k = data[size - 1] % 32;
    if (k < FS_N)
      stubs.fail[k] = (k & 1) ? RT_UNAVAILABLE : RT_NOT_FOUND;
  }

  const uint8_t *p = data, *end = data + size;
  char *first = next_line(&p, end);
  char method[17] = "GET";
  char *target = NULL;
  if (first) {
    char *sp = strchr(first, ' ');
    size_t mlen = sp ? (size_t)(sp - first) : 0;
    int ok = mlen >= 1 && mlen <= 16;
    for (size_t i = 0; ok && i < mlen; i++)
      ok = first[i] >= 'A' && first[i] <= 'Z';
    if (ok) {
      memcpy(method, first, mlen);
      method[mlen] = '\0';
    }
    const char *tg = sp ? sp + 1 : first;
    target = malloc(strlen(tg) + 2);
    if (!target)
      abort();
    size_t k = 0;
    if (tg[0] != '/')
      target[k++] = '/';
    for (; *tg; tg++)
      if ((unsigned char)*tg > 0x20 && (unsigned char)*tg < 0x7F)
        target[k++] = *tg;
    target[k] = '\0';
  }
  rt_http_header_t h[MAX_HEADERS];
  char *lines[MAX_HEADERS];
  size_t nh = 0;
  char *line;
  while (nh < MAX_HEADERS && (line = next_line(&p, end))) {
    if (!*line) {
      free(line);
      break;
    }
    char *colon = strchr(line, ':');
    if (!colon || colon == line) {
      free(line);
      continue;
    }
    *colon = '\0';
    for (char *c = line; *c; c++)
      *c = (char)tolower((unsigned char)*c);
    char *v = colon + 1;
    while (*v == ' ')
      v++;
    char *w = v;
    for (char *r = v; *r; r++)
      if ((unsigned char)*r >= 0x20 || *r == '\t')
        *w++ = *r;
    *w = '\0';
    lines[nh] = line;
    h[nh].name = line;
    h[nh].value = v;
    nh++;
  }
  rt_test_http_result_t res;
  int rc = rt_test_http(t, method, target ? target : "/", h, nh, p,
                        (size_t)(end - p), 0, &res);
  if (rc != 0 || res.status < 100 || res.status > 599)
    abort();
  rt_test_log_clear(t);
  for (size_t i = 0; i < nh; i++)
    free(lines[i]);
  free(target);
  free(first);
  return 0;
}
