/*
 * form.h — application/x-www-form-urlencoded parsing (HTML form bodies and
 * query strings), as browsers and Go's url.ParseQuery write and read it:
 * fields separated by '&', name and value by the first '=', '+' is a space,
 * %XX a byte. Empty fields ("a=1&&b=2") are skipped; a field without '=' has
 * the value "". Pure: no I/O.
 *
 * Limits bound the work and memory an untrusted body can cause; a body over
 * any of them is rejected as a whole rather than silently truncated, so a
 * handler never acts on half a form.
 */
#ifndef MESHSIM_FORM_H
#define MESHSIM_FORM_H

#include <stddef.h>

/* Error codes: 0 is success. */
#define FORM_ERRNO_MAP(X)                                          \
  X(-1, ETOOMANY, "too many form fields")                          \
  X(-2, ETOOLONG, "form field name or value too long")             \
  X(-3, EESCAPE, "malformed percent-escape in form")               \
  X(-4, ENUL, "NUL byte in form field")                            \
  X(-5, ENOMEM, "out of memory")

typedef enum form_err {
#define FORM_ERR_ENUM(n, name, text) FORM_##name = n,
  FORM_ERRNO_MAP(FORM_ERR_ENUM)
#undef FORM_ERR_ENUM
} form_err_t;

/* "too many form fields" for FORM_ETOOMANY, "ok" for 0; static storage. */
const char *form_strerror(int err);
/* "FORM_ETOOMANY"; "FORM_UNKNOWN" when out of range; static storage. */
const char *form_err_name(int err);

typedef struct form_limits {
  size_t max_fields; /* fields kept, after skipping empty ones */
  size_t max_name;   /* bytes of a decoded name */
  size_t max_value;  /* bytes of a decoded value */
} form_limits_t;

/* 64 fields, names up to 64 bytes, values up to 4096 bytes. */
#define FORM_LIMITS_DEFAULT {64, 64, 4096}

typedef struct form_field {
  const char *name;  /* decoded, NUL-terminated */
  const char *value; /* decoded, NUL-terminated */
} form_field_t;

typedef struct form {
  form_field_t *fields; /* in the order received; repeated names kept */
  size_t n_fields;
  char *storage; /* every name and value, one allocation */
} form_t;

/* Parses |len| bytes at |s| (need not be NUL-terminated; NULL when len is
 * 0) into |f| under |lim| (NULL: FORM_LIMITS_DEFAULT). Returns 0 and fills
 * |f|, which the caller releases with form_free(); or a FORM_E* code with
 * |f| empty (form_free() on it is harmless). */
int form_parse(form_t *f, const char *s, size_t len, const form_limits_t *lim);

/* The value of the first field called |name|, or NULL. Borrowed from |f|. */
const char *form_get(const form_t *f, const char *name);

/* Frees what |f| owns and empties it. */
void form_free(form_t *f);

/* Decodes one component (percent-escapes; '+' to space when |plus| is
 * non-zero) of |n| bytes from |s| into |out|, which has room for n + 1
 * bytes. Returns the decoded length, or FORM_EESCAPE / FORM_ENUL. */
long form_decode(const char *s, size_t n, int plus, char *out);

#endif /* MESHSIM_FORM_H */
