/*
 * cost_profile.c — fuzz target: the virtual runtime's cost profile
 * (sim/vrt/profile.c, data/cost-profile.json).
 *
 * Input: the profile's JSON text, parsed with vrt_profile_parse() from an
 * exactly-sized copy (no NUL after it: the parser must stay within |len|,
 * also when it looks for a field's position). Invariants: 0 with a profile
 * that still takes a new method (and whose link passes vrt_link_check, each
 * band's draws from 0 to its largest), or VRT_EPROFILE / VRT_ENOMEM with no
 * profile and a NUL-terminated message starting with the file name. A
 * crash, a sanitizer report or a broken invariant is a finding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vrt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FILE_NAME "data/fuzz-profile.json"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *copy = malloc(size ? size : 1);
  if (!copy)
    return 0;
  memcpy(copy, data, size);
  char err[512];
  memset(err, 'x', sizeof err); /* no NUL: the parser must write one */
  vrt_profile_t *p = (vrt_profile_t *)1;
  int rc = vrt_profile_parse(FILE_NAME, copy, size, &p, err, sizeof err);
  free(copy);
  if (rc == 0) {
    if (!p)
      abort();
    /* A link's jitter keeps its rules: draws within [0, its largest]. */
    vrt_link_t l;
    if (vrt_profile_link(p, &l) == 0) {
      if (vrt_link_check(&l) != 0)
        abort();
      for (unsigned b = 0; b < l.nbands; b++) {
        const vrt_jitter_t *j = &l.jitter[b];
        for (double u = 0; u < 1; u += 0.0625) {
          des_time_t d = vrt_link_wake(&l, b ? l.slept[b - 1] : 0, u);
          if (d < 0 || d > j->at[j->n - 1])
            abort();
        }
      }
    }
    if (vrt_profile_set(p, "hipstershop.FuzzService/Call", VRT_DIST_CONSTANT,
                        10, 0) != 0 ||
        vrt_profile_set(p, NULL, VRT_DIST_EXPONENTIAL, 10, 1) != 0)
      abort();
    vrt_profile_free(p);
  } else {
    if ((rc != VRT_EPROFILE && rc != VRT_ENOMEM) || p != NULL ||
        !memchr(err, '\0', sizeof err))
      abort();
    if (rc == VRT_EPROFILE && strncmp(err, FILE_NAME ":", strlen(FILE_NAME) + 1))
      abort();
  }
  return 0;
}
