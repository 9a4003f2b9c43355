/*
 * multipart.c — fuzz target: services/common/multipart.c.
 *
 * Input: a Content-Type header value, a newline, then the body. The
 * boundary comes from the header (multipart_boundary); when the header has
 * none, "XyZ" is used so bodies still get parsed. Byte 0 of the body also
 * picks one of four limit sets, so the limit paths are reached. Every part
 * returned must lie inside the body and have a name; a crash, a sanitizer
 * report or a broken invariant is a finding.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const uint8_t *nl = memchr(data, '\n', size);
  if (!nl)
    return 0;
  size_t hlen = (size_t)(nl - data);
  char *ct = malloc(hlen + 1);
  if (!ct)
    return 0;
  memcpy(ct, data, hlen);
  ct[hlen] = '\0';
  char boundary[MULTIPART_MAX_BOUNDARY + 1];
  if (multipart_boundary(ct, boundary) != 0)
    strcpy(boundary, "XyZ");
  free(ct);

  const uint8_t *body = nl + 1;
  size_t len = size - hlen - 1;
  static const multipart_limits_t limits[4] = {
      {0, 0, 0, 0}, {2, 64, 16, 32}, {5, 200, 1000, 10}, {1, 0, 1, 1}};
  const multipart_limits_t *lim = &limits[len ? body[0] % 4 : 0];
  /* An exactly-sized copy, so reading past the end is caught. */
  uint8_t *copy = malloc(len ? len : 1);
  if (!copy)
    return 0;
  memcpy(copy, body, len);
  multipart_t mp;
  multipart_error_t err;
  int rc = multipart_parse(copy, len, boundary, lim, &mp, &err);
  if (rc == 0) {
    for (size_t i = 0; i < mp.n_parts; i++) {
      const multipart_part_t *p = &mp.parts[i];
      if (!p->name || p->data < copy || p->data + p->len > copy + len)
        abort();
      if (multipart_find(&mp, p->name, NULL) == NULL)
        abort();
    }
    multipart_free(&mp);
  } else {
    char msg[256];
    multipart_error_format(&err, msg, sizeof msg);
    if (err.code != rc || !multipart_strerror(rc))
      abort();
  }
  free(copy);
  return 0;
}
