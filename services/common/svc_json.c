/*
 * svc_json.c — JSON data loading with file:line:column errors. jansson gives
 * positions for syntax errors only, so a bad value's position is found by a
 * small scanner that walks the (already validated) text along the field path.
 */
#include "common/svc_json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_file(const char *path, size_t *len, char *err,
                       size_t errsize) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errsize, "cannot open %s: %s", path, strerror(errno));
    return NULL;
  }
  size_t cap = 8192, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    size_t r = fread(buf + n, 1, cap - n, f);
    n += r;
    if (r == 0)
      break;
    if (n == cap) {
      char *nb = cap > (64u << 20) ? NULL : realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        buf = NULL;
        snprintf(err, errsize, "%s: too large or out of memory", path);
        break;
      }
      buf = nb;
      cap *= 2;
    }
  }
  if (buf && ferror(f)) {
    snprintf(err, errsize, "cannot read %s: %s", path, strerror(errno));
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *len = n;
  return buf;
}

int svc_json_doc_parse(svc_json_doc_t *doc, const char *source,
                       const char *text, size_t len, char *err,
                       size_t errsize) {
  memset(doc, 0, sizeof *doc);
  snprintf(doc->source, sizeof doc->source, "%s", source);
  doc->text = malloc(len + 1);
  if (!doc->text) {
    snprintf(err, errsize, "%s: out of memory", source);
    return -1;
  }
  memcpy(doc->text, text, len);
  doc->text[len] = '\0';
  doc->len = len;
  json_error_t je;
  doc->root = json_loadb(doc->text, len, JSON_REJECT_DUPLICATES, &je);
  if (!doc->root) {
    snprintf(err, errsize, "%s:%d:%d: invalid JSON: %s", source, je.line,
             je.column, je.text);
    free(doc->text);
    doc->text = NULL;
    return -1;
  }
  return 0;
}

int svc_json_doc_load(rt_t *rt, svc_json_doc_t *doc, const char *env_name,
                      const char *builtin_name, const unsigned char *builtin,
                      size_t builtin_len) {
  char err[1024];
  const char *path = env_name ? rt_env(rt, env_name) : NULL;
  int rc;
  if (path && *path) {
    size_t len = 0;
    char *text = read_file(path, &len, err, sizeof err);
    if (!text) {
      rt_config_error(rt, env_name, path, err);
      return -1;
    }
    rc = svc_json_doc_parse(doc, path, text, len, err, sizeof err);
    free(text);
  } else {
    char source[256];
    snprintf(source, sizeof source, "built-in %s", builtin_name);
    rc = svc_json_doc_parse(doc, source, (const char *)builtin, builtin_len,
                            err, sizeof err);
    path = NULL;
  }
  if (rc != 0) {
    rt_config_error(rt, env_name ? env_name : builtin_name, path, err);
    return -1;
  }
  doc->env_name = env_name;
  doc->env_value = path;
  return 0;
}

void svc_json_doc_free(svc_json_doc_t *doc) {
  if (!doc)
    return;
  json_decref(doc->root);
  free(doc->text);
  doc->root = NULL;
  doc->text = NULL;
}

/* ---- locating a field in the text ---- */

typedef struct scan {
  const char *s;
  size_t n, i;
} scan_t;

static void skip_ws(scan_t *sc) {
  while (sc->i < sc->n && (sc->s[sc->i] == ' ' || sc->s[sc->i] == '\t' ||
                           sc->s[sc->i] == '\n' || sc->s[sc->i] == '\r'))
    sc->i++;
}

/* At '"': moves past the closing quote. */
static void skip_string(scan_t *sc) {
  sc->i++;
  while (sc->i < sc->n && sc->s[sc->i] != '"') {
    if (sc->s[sc->i] == '\\')
      sc->i++;
    sc->i++;
  }
  if (sc->i < sc->n)
    sc->i++;
}

static void skip_value(scan_t *sc) {
  int depth = 0;
  while (sc->i < sc->n) {
    char c = sc->s[sc->i];
    if (c == '"') {
      skip_string(sc);
      if (depth == 0)
        return;
      continue;
    }
    if (c == '{' || c == '[') {
      depth++;
    } else if (c == '}' || c == ']') {
      if (depth == 0)
        return;
      if (--depth == 0) {
        sc->i++;
        return;
      }
    } else if (depth == 0 && (c == ',' || c == ' ' || c == '\n' ||
                              c == '\t' || c == '\r')) {
      return;
    }
    sc->i++;
  }
}

/* Moves to the member |key| of the object at the cursor. */
static int enter_key(scan_t *sc, const char *key, size_t klen) {
  if (sc->i >= sc->n || sc->s[sc->i] != '{')
    return -1;
  sc->i++;
  for (;;) {
    skip_ws(sc);
    if (sc->i >= sc->n || sc->s[sc->i] != '"')
      return -1;
    size_t start = sc->i + 1;
    skip_string(sc);
    size_t end = sc->i - 1;
    skip_ws(sc);
    if (sc->i >= sc->n || sc->s[sc->i] != ':')
      return -1;
    sc->i++;
    skip_ws(sc);
    if (end - start == klen && memcmp(sc->s + start, key, klen) == 0)
      return 0;
    skip_value(sc);
    skip_ws(sc);
    if (sc->i >= sc->n || sc->s[sc->i] != ',')
      return -1;
    sc->i++;
  }
}

static int enter_index(scan_t *sc, unsigned long idx) {
  if (sc->i >= sc->n || sc->s[sc->i] != '[')
    return -1;
  sc->i++;
  for (unsigned long k = 0;; k++) {
    skip_ws(sc);
    if (sc->i >= sc->n || sc->s[sc->i] == ']')
      return -1;
    if (k == idx)
      return 0;
    skip_value(sc);
    skip_ws(sc);
    if (sc->i >= sc->n || sc->s[sc->i] != ',')
      return -1;
    sc->i++;
  }
}

int svc_json_locate(const char *text, size_t len, const char *path, int *line,
                    int *col) {
  scan_t sc = {text, len, 0};
  skip_ws(&sc);
  size_t found = sc.i;
  int depth = 0;
  const char *p = path ? path : "";
  while (*p) {
    scan_t save = sc;
    int rc;
    if (*p == '[') {
      char *e;
      unsigned long idx = strtoul(p + 1, &e, 10);
      p = *e == ']' ? e + 1 : e;
      rc = enter_index(&sc, idx);
    } else {
      if (*p == '.')
        p++;
      size_t k = strcspn(p, ".[");
      rc = enter_key(&sc, p, k);
      p += k;
    }
    if (rc != 0) {
      sc = save;
      break;
    }
    found = sc.i;
    depth++;
  }
  int ln = 1, cl = 1;
  for (size_t i = 0; i < found && i < len; i++) {
    if (text[i] == '\n') {
      ln++;
      cl = 1;
    } else {
      cl++;
    }
  }
  *line = ln;
  *col = cl;
  return depth;
}

const char *svc_json_field_message(const svc_json_doc_t *doc, const char *path,
                                   const char *why, char *buf, size_t size) {
  int line = 1, col = 1;
  if (doc->text)
    svc_json_locate(doc->text, doc->len, path, &line, &col);
  snprintf(buf, size, "%s:%d:%d: field %s: %s", doc->source, line, col,
           path && *path ? path : "(top level)", why);
  return buf;
}

void svc_json_field_error(rt_t *rt, const svc_json_doc_t *doc,
                          const char *path, const char *why) {
  char buf[1024];
  svc_json_field_message(doc, path, why, buf, sizeof buf);
  rt_config_error(rt, doc->env_name ? doc->env_name : doc->source,
                  doc->env_value, buf);
}
