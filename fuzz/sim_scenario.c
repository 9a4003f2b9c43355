/*
 * sim_scenario.c — fuzz target: scenario files (sim/scenario/scenario.c,
 * slo: and canary: blocks included) and the --slo expression syntax
 * (sim/report/slo.c).
 *
 * Input: the scenario's YAML text, parsed with sc_parse() from an
 * exactly-sized copy. The file name has a directory so a relative charts:
 * path gets resolved. Invariants: 0 with a scenario whose fields the header
 * promises (a name, actions in time order with a known kind and a target,
 * set[] NULL-terminated with n_set entries, each objective with a known
 * figure, a limit within its unit's range and a name exactly when it has a
 * scope, a canary: block within the ranges canary_init() accepts), or -1
 * with no scenario and a NUL-terminated message starting with the file
 * name. The same bytes, cut at the first NUL or newline, are then parsed
 * as an --slo expression. A crash, a sanitizer report or a broken
 * invariant is a finding.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "canary.h"
#include "scenario.h"
#include "slo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FILE_NAME "scenarios/fuzz.yaml"

static void check_bound(const slo_bound_t *b) {
  if (!slo_metric_name(b->metric) || !(b->limit >= 0) || !isfinite(b->limit) ||
      (slo_metric_unit(b->metric) == SLO_PERCENT && b->limit > 100))
    abort();
  char buf[64];
  slo_bound_format(b, buf, sizeof buf);
  if (strncmp(buf, slo_metric_name(b->metric),
              strlen(slo_metric_name(b->metric))) != 0)
    abort();
}

static void check_canary(const sc_scenario_t *s) {
  if (!s->canary.set)
    return;
  canary_cfg_t cc = {s->canary.interval,    s->canary.step_weight,
                     s->canary.max_weight,  s->canary.threshold,
                     s->canary.success_min, s->canary.p99_max_ms};
  canary_t c;
  if (!s->canary.service || !*s->canary.service ||
      s->canary.interval < DES_S(1) || canary_init(&c, &cc) != 0 ||
      !(cc.success_min >= 0 && cc.success_min <= 100) ||
      !(cc.p99_max_ms >= 0) || !isfinite(cc.p99_max_ms))
    abort();
  canary_free(&c);
}

/* The bytes up to the first NUL or newline, as `meshsim run --slo`. */
static void check_slo_expr(const uint8_t *data, size_t size) {
  size_t n = strnlen((const char *)data, size);
  const uint8_t *nl = memchr(data, '\n', n);
  if (nl)
    n = (size_t)(nl - data);
  char *expr = malloc(n + 1);
  if (!expr)
    return;
  memcpy(expr, data, n);
  expr[n] = '\0';
  slo_bound_t b[8];
  size_t nb = 99;
  char err[512] = "";
  if (slo_parse_expr(expr, b, 8, &nb, err, sizeof err) == 0) {
    if (nb == 0 || nb > 8)
      abort();
    for (size_t i = 0; i < nb; i++)
      check_bound(&b[i]);
  } else if (!err[0]) {
    abort();
  }
  free(expr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *copy = malloc(size ? size : 1);
  if (!copy)
    return 0;
  memcpy(copy, data, size);
  char err[512];
  memset(err, 'x', sizeof err); /* no NUL: the parser must write one */
  sc_scenario_t *s = (sc_scenario_t *)1;
  int rc = sc_parse(FILE_NAME, copy, size, &s, err, sizeof err);
  free(copy);
  if (rc == 0) {
    if (!s || !s->name || !s->file || strcmp(s->file, FILE_NAME) != 0)
      abort();
    for (size_t i = 0; i < s->n_set; i++)
      if (!s->set || !s->set[i])
        abort();
    if (s->set && s->set[s->n_set])
      abort();
    for (size_t i = 0; i < s->n_actions; i++) {
      const sc_action_t *a = &s->actions[i];
      if (!sc_action_name(a->kind) || !a->target)
        abort();
      if (i > 0 && a->at < s->actions[i - 1].at)
        abort();
    }
    if (s->load.kind == SC_LOAD_RATE && (!s->load.points || !s->load.n_points))
      abort();
    for (size_t i = 0; i < s->n_slo; i++) {
      check_bound(&s->slo[i].bound);
      if ((s->slo[i].scope == SLO_SCOPE_ALL) != (s->slo[i].name == NULL))
        abort();
    }
    check_canary(s);
    sc_free(s);
  } else {
    if (rc != -1 || s != NULL || !memchr(err, '\0', sizeof err) ||
        strncmp(err, FILE_NAME, strlen(FILE_NAME)) != 0)
      abort();
  }
  check_slo_expr(data, size);
  return 0;
}
