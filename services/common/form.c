/*
 * form.c — the urlencoded parser: one pass to count fields (for the limits
 * and the allocation), one to decode into a single block of storage.
 */
#include "common/form.h"

#include <stdlib.h>
#include <string.h>

const char *form_strerror(int err) {
  switch (err) {
  case 0:
    return "ok";
#define FORM_ERR_TEXT(n, name, text) \
  case n:                            \
    return text;
    FORM_ERRNO_MAP(FORM_ERR_TEXT)
#undef FORM_ERR_TEXT
  default:
    return "unknown form error";
  }
}

const char *form_err_name(int err) {
  switch (err) {
#define FORM_ERR_NAME(n, name, text) \
  case n:                            \
    return "FORM_" #name;
    FORM_ERRNO_MAP(FORM_ERR_NAME)
#undef FORM_ERR_NAME
  default:
    return "FORM_UNKNOWN";
  }
}

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

long form_decode(const char *s, size_t n, int plus, char *out) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '%') {
      if (n - i < 3)
        return FORM_EESCAPE;
      int a = hexval(s[i + 1]), b = hexval(s[i + 2]);
      if (a < 0 || b < 0)
        return FORM_EESCAPE;
      c = (char)(a * 16 + b);
      i += 2;
    } else if (c == '+' && plus)
      c = ' ';
    if (c == '\0')
      return FORM_ENUL;
    out[o++] = c;
  }
  out[o] = '\0';
  return (long)o;
}

void form_free(form_t *f) {
  free(f->fields);
  free(f->storage);
  f->fields = NULL;
  f->storage = NULL;
  f->n_fields = 0;
}

int form_parse(form_t *f, const char *s, size_t len, const form_limits_t *lim) {
  static const form_limits_t defaults = FORM_LIMITS_DEFAULT;
  if (!lim)
    lim = &defaults;
  f->fields = NULL;
  f->storage = NULL;
  f->n_fields = 0;
  if (len == 0 || !s)
    return 0;
  /* Count non-empty fields first: a body of a million '&' is rejected
   * before anything is allocated for it. */
  size_t count = 0;
  for (size_t i = 0; i < len;) {
    const char *amp = memchr(s + i, '&', len - i);
    size_t end = amp ? (size_t)(amp - s) : len;
    if (end > i && ++count > lim->max_fields)
      return FORM_ETOOMANY;
    i = end + 1;
  }
  if (count == 0)
    return 0;
  f->fields = calloc(count, sizeof *f->fields);
  /* Each field decodes to at most its own length, plus two NULs. */
  f->storage = malloc(len + 2 * count);
  if (!f->fields || !f->storage) {
    form_free(f);
    return FORM_ENOMEM;
  }
  char *out = f->storage;
  for (size_t i = 0; i < len;) {
    const char *amp = memchr(s + i, '&', len - i);
    size_t end = amp ? (size_t)(amp - s) : len;
    if (end > i) {
      const char *field = s + i;
      size_t flen = end - i;
      const char *eq = memchr(field, '=', flen);
      size_t nlen = eq ? (size_t)(eq - field) : flen;
      const char *val = eq ? eq + 1 : field + flen;
      size_t vlen = eq ? flen - nlen - 1 : 0;
      long dn = form_decode(field, nlen, 1, out);
      if (dn < 0) {
        form_free(f);
        return (int)dn;
      }
      if ((size_t)dn > lim->max_name) {
        form_free(f);
        return FORM_ETOOLONG;
      }
      form_field_t *fld = &f->fields[f->n_fields++];
      fld->name = out;
      out += dn + 1;
      long dv = form_decode(val, vlen, 1, out);
      if (dv < 0) {
        form_free(f);
        return (int)dv;
      }
      if ((size_t)dv > lim->max_value) {
        form_free(f);
        return FORM_ETOOLONG;
      }
      fld->value = out;
      out += dv + 1;
    }
    i = end + 1;
  }
  return 0;
}

const char *form_get(const form_t *f, const char *name) {
  for (size_t i = 0; i < f->n_fields; i++)
    if (strcmp(f->fields[i].name, name) == 0)
      return f->fields[i].value;
  return NULL;
}
