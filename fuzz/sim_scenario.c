/*
 * sim_scenario.c — fuzz target: scenario files (sim/scenario/scenario.c).
 *
 * Input: the scenario's YAML text, parsed with sc_parse() from an
 * exactly-sized copy. The file name has a directory so a relative charts:
 * path gets resolved. Invariants: 0 with a scenario whose fields the header
 * promises (a name, actions in time order with a known kind and a target,
 * set[] NULL-terminated with n_set entries), or -1 with no scenario and a
 * NUL-terminated message starting with the file name. A crash, a sanitizer
 * report or a broken invariant is a finding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FILE_NAME "scenarios/fuzz.yaml"

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
    sc_free(s);
  } else {
    if (rc != -1 || s != NULL || !memchr(err, '\0', sizeof err) ||
        strncmp(err, FILE_NAME, strlen(FILE_NAME)) != 0)
      abort();
  }
  return 0;
}
