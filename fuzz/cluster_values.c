/*
 * cluster_values.c — fuzz target: chart values (sim/cluster/values.c).
 *
 * Input: a values.yaml text. Its leading lines of the form "#set ARG" (YAML
 * comments, so real values files are valid inputs as they are) become Helm
 * --set overrides, in order. The whole input is parsed by cl_values_parse()
 * from an exactly-sized copy; on success the result is copied
 * (cl_values_dup) and looked up. Then every line of the input (at most 64,
 * each under 300 bytes) goes through cl_quantity_cpu, cl_quantity_memory
 * and cl_addr_split.
 *
 * Invariants: 0 with a values object (file set, non-negative quantities,
 * env names present and found, a probe path only for httpGet) or a
 * negative CL_* code with no object and a NUL-terminated message that names
 * the file (or the --set argument) and the reason. Quantities are non-negative; an address split gives a
 * non-empty service and a port 1..65535. A crash, a sanitizer report or a
 * broken invariant is a finding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "values.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FILE_NAME "k8s/charts/fuzz/values.yaml"
#define MAX_SETS 8
#define MAX_LINES 64
#define MAX_LINE 300

static void check_values(const cl_values_t *v) {
  if (!v->file || strcmp(v->file, FILE_NAME) != 0)
    abort();
  if (v->cpu_request_m < 0 || v->cpu_limit_m < 0 || v->mem_request < 0 ||
      v->mem_limit < 0)
    abort();
  for (size_t i = 0; i < v->n_env; i++) {
    if (!v->env[i].name || !v->env[i].value)
      abort();
    if (cl_values_env(v, v->env[i].name) == NULL)
      abort();
  }
  /* A path only for httpGet (optional there: the kubelet asks for "/"). */
  if (v->readiness.kind != CL_PROBE_HTTP && v->readiness.path)
    abort();
  if (v->liveness.kind != CL_PROBE_HTTP && v->liveness.path)
    abort();
}

static void check_line(const char *s) {
  int64_t n = -1;
  if (cl_quantity_cpu(s, &n) == 0 && n < 0)
    abort();
  n = -1;
  if (cl_quantity_memory(s, &n) == 0 && n < 0)
    abort();
  char svc[64], ns[64];
  int port = 0;
  if (cl_addr_split(s, svc, ns, sizeof svc, &port) == 0) {
    if (!svc[0] || strlen(svc) >= sizeof svc || strlen(ns) >= sizeof ns ||
        port < 1 || port > 65535)
      abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *copy = malloc(size ? size : 1);
  if (!copy)
    return 0;
  memcpy(copy, data, size);

  /* Overrides: "#set ARG" lines at the top, NUL-terminated copies. */
  char *sets[MAX_SETS + 1];
  size_t nsets = 0, off = 0;
  while (nsets < MAX_SETS && size - off > 5 &&
         memcmp(copy + off, "#set ", 5) == 0) {
    const char *b = copy + off + 5;
    const char *nl = memchr(b, '\n', size - off - 5);
    size_t n = nl ? (size_t)(nl - b) : size - off - 5;
    if (!(sets[nsets] = strndup(b, n)))
      break;
    nsets++;
    off = nl ? (size_t)(nl - copy) + 1 : size;
  }
  sets[nsets] = NULL;

  char err[512];
  memset(err, 'x', sizeof err); /* no NUL: the parser must write one */
  cl_values_t *v = (cl_values_t *)1;
  int rc = cl_values_parse(FILE_NAME, copy, size,
                           nsets ? (const char *const *)sets : NULL, &v, err,
                           sizeof err);
  if (rc == 0) {
    if (!v)
      abort();
    check_values(v);
    cl_values_t *d = cl_values_dup(v);
    if (d) {
      check_values(d);
      cl_values_free(d);
    }
    cl_values_free(v);
  } else {
    if (rc > 0 || v != NULL || !cl_strerror(rc) || !memchr(err, '\0', sizeof err))
      abort();
    if (rc == CL_EVALUES && strncmp(err, FILE_NAME, strlen(FILE_NAME)) != 0 &&
        strncmp(err, "--set ", 6) != 0)
      abort();
  }
  for (size_t i = 0; i < nsets; i++)
    free(sets[i]);

  /* The quantity and address helpers on each line. */
  size_t pos = 0;
  for (int k = 0; k < MAX_LINES && pos < size; k++) {
    const char *nl = memchr(copy + pos, '\n', size - pos);
    size_t n = nl ? (size_t)(nl - (copy + pos)) : size - pos;
    if (n < MAX_LINE) {
      char line[MAX_LINE];
      memcpy(line, copy + pos, n);
      line[n] = '\0';
      /* "key: value" lines: the value alone too. */
      check_line(line);
      char *colon = strstr(line, ": ");
      if (colon)
        check_line(colon + 2);
    }
    pos += n + 1;
  }
  free(copy);
  return 0;
}
