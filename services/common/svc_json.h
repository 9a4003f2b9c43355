/*
 * svc_json.h — loading a service's JSON data (catalog, rates) with errors
 * people can act on: every failure names the source (file path or built-in
 * copy), the line and column, and for a bad value the field, e.g.
 *   products.json:12:21: field products[1].priceUsd.units: expected an integer
 *
 * A document comes from the file named by an environment variable when that
 * variable is set, else from a copy compiled into the binary (svc_data.h), so
 * a service starts from any directory with no files beside it.
 */
#ifndef MESHSIM_SVC_JSON_H
#define MESHSIM_SVC_JSON_H

#include <stddef.h>

#include <jansson.h>

#include "rt.h"

typedef struct svc_json_doc {
  json_t *root;        /* owned; NULL until loaded */
  char *text;          /* owned copy of the source text, for locating fields */
  size_t len;
  char source[512];    /* the file path, or "built-in <name>" */
  const char *env_name; /* the configuration that chose the file (or NULL) */
  const char *env_value; /* its value, NULL for the built-in copy */
} svc_json_doc_t;

/* Loads |doc| from the file named by configuration |env_name| when it is
 * set, else from |builtin| (|builtin_len| bytes, called |builtin_name|).
 * Returns 0, or -1 after reporting through rt_config_error() (file missing
 * or unreadable, or not JSON: "<source>:<line>:<col>: <jansson's text>").
 * On -1 |doc| holds nothing to free; on 0 free it with svc_json_doc_free(). */
int svc_json_doc_load(rt_t *rt, svc_json_doc_t *doc, const char *env_name,
                      const char *builtin_name, const unsigned char *builtin,
                      size_t builtin_len);

/* Loads |doc| from memory, as svc_json_doc_load() does for the built-in copy.
 * Returns 0, or -1 with |err| (of |errsize| bytes) set. For tests and tools. */
int svc_json_doc_parse(svc_json_doc_t *doc, const char *source,
                       const char *text, size_t len, char *err,
                       size_t errsize);

void svc_json_doc_free(svc_json_doc_t *doc);

/* Writes "<source>:<line>:<col>: field <path>: <why>" into |buf|, where line
 * and column are those of the value at |path| ("products[3].priceUsd.units";
 * keys are separated by '.', indexes written [n]) or of its nearest existing
 * parent. Returns |buf|. */
const char *svc_json_field_message(const svc_json_doc_t *doc, const char *path,
                                   const char *why, char *buf, size_t size);

/* Reports a bad field through rt_config_error() with the message above.
 * Services call it from init, then return -1. */
void svc_json_field_error(rt_t *rt, const svc_json_doc_t *doc,
                          const char *path, const char *why);

/* Finds the 1-based line and column of the value at |path| in |text| (valid
 * JSON). Returns the depth of |path| that was found (its number of
 * components when all were). Exposed for tests. */
int svc_json_locate(const char *text, size_t len, const char *path, int *line,
                    int *col);

#endif /* MESHSIM_SVC_JSON_H */
