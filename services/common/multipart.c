/*
 * multipart.c — multipart/form-data parsing (see multipart.h).
 */
#include "common/multipart.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *multipart_strerror(int err) {
  switch (err) {
#define MULTIPART_ERR_TEXT(code, name, text) \
  case code:                                 \
    return text;
    MULTIPART_ERR_MAP(MULTIPART_ERR_TEXT)
#undef MULTIPART_ERR_TEXT
  case 0:
    return "success";
  default:
    return "unknown error";
  }
}

const char *multipart_err_name(int err) {
  switch (err) {
#define MULTIPART_ERR_NAME(code, name, text) \
  case code:                                 \
    return #name;
    MULTIPART_ERR_MAP(MULTIPART_ERR_NAME)
#undef MULTIPART_ERR_NAME
  default:
    return "UNKNOWN";
  }
}

/* ---- header-value grammar (RFC 9110): tokens, quoted strings, params ---- */

static int is_tchar(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
         (c >= 'A' && c <= 'Z') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static const char *skip_ows(const char *s, const char *end) {
  while (s < end && (*s == ' ' || *s == '\t'))
    s++;
  return s;
}

/* Reads a token or a quoted string at |*ps| into |out| (|cap| bytes, always
 * NUL-terminated; |*outlen| gets the full length). Returns 0, or -1 when
 * there is neither or a quoted string is unterminated. */
static int read_value(const char **ps, const char *end, char *out, size_t cap,
                      size_t *outlen) {
  const char *s = *ps;
  size_t n = 0;
  if (s < end && *s == '"') {
    s++;
    for (;;) {
      if (s >= end)
        return -1;
      char c = *s++;
      if (c == '"')
        break;
      if (c == '\\') {
        if (s >= end)
          return -1;
        c = *s++;
      }
      if (n + 1 < cap)
        out[n] = c;
      n++;
    }
  } else {
    while (s < end && is_tchar((unsigned char)*s)) {
      if (n + 1 < cap)
        out[n] = *s;
      n++, s++;
    }
    if (n == 0)
      return -1;
  }
  out[n < cap ? n : cap - 1] = '\0';
  *outlen = n;
  *ps = s;
  return 0;
}

/* Reads "; key=value" at |*ps|. Returns 1 with the key span and value, 0 at
 * the end of the header, -1 when malformed. */
static int next_param(const char **ps, const char *end, const char **key,
                      size_t *keylen, char *val, size_t cap, size_t *vallen) {
  const char *s = skip_ows(*ps, end);
  if (s == end)
    return 0;
  if (*s != ';')
    return -1;
  s = skip_ows(s + 1, end);
  if (s == end) /* a trailing ';' is tolerated */
    return *ps = s, 0;
  *key = s;
  while (s < end && is_tchar((unsigned char)*s))
    s++;
  *keylen = (size_t)(s - *key);
  s = skip_ows(s, end);
  if (*keylen == 0 || s == end || *s != '=')
    return -1;
  s = skip_ows(s + 1, end);
  if (read_value(&s, end, val, cap, vallen) != 0)
    return -1;
  *ps = s;
  return 1;
}

static int key_is(const char *k, size_t n, const char *want) {
  return strlen(want) == n && strncasecmp(k, want, n) == 0;
}

static int is_bchar(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
         (c >= 'A' && c <= 'Z') || (c && strchr("'()+_,-./:=? ", c));
}

int multipart_boundary(const char *ct, char out[MULTIPART_MAX_BOUNDARY + 1]) {
  static const char type[] = "multipart/form-data";
  if (!ct)
    return MULTIPART_ENOT_MULTIPART;
  const char *end = ct + strlen(ct);
  const char *s = skip_ows(ct, end);
  if (strncasecmp(s, type, sizeof type - 1) != 0)
    return MULTIPART_ENOT_MULTIPART;
  s += sizeof type - 1;
  if (s < end && *s != ';' && *s != ' ' && *s != '\t')
    return MULTIPART_ENOT_MULTIPART;
  int found = 0;
  const char *key;
  size_t keylen, vlen;
  char val[MULTIPART_MAX_BOUNDARY + 2];
  int r;
  while ((r = next_param(&s, end, &key, &keylen, val, sizeof val, &vlen)) ==
         1) {
    if (!key_is(key, keylen, "boundary") || found)
      continue;
    found = 1;
    if (vlen == 0 || vlen > MULTIPART_MAX_BOUNDARY ||
        val[vlen - 1] == ' ')
      return MULTIPART_EBAD_BOUNDARY;
    for (size_t i = 0; i < vlen; i++)
      if (!is_bchar((unsigned char)val[i]))
        return MULTIPART_EBAD_BOUNDARY;
    memcpy(out, val, vlen + 1);
  }
  if (r < 0 && !found)
    return MULTIPART_ENO_BOUNDARY;
  return found ? 0 : MULTIPART_ENO_BOUNDARY;
}

/* ---- the body ---- */

#define NONE ((size_t)-1)

typedef struct part_off {
  size_t name, filename, content_type; /* offsets into the arena, or NONE */
  size_t data, len;                    /* offset into the body */
} part_off_t;

typedef struct parser {
  part_off_t *parts;
  size_t n, cap;
  char *arena;
  size_t used, arena_cap;
} parser_t;

/* Copies |n| bytes and a NUL into the arena; returns the offset or NONE. */
static size_t arena_add(parser_t *p, const char *s, size_t n) {
  if (p->used + n + 1 > p->arena_cap) {
    size_t cap = p->arena_cap ? p->arena_cap : 256;
    while (cap < p->used + n + 1)
      cap *= 2;
    char *a = realloc(p->arena, cap);
    if (!a)
      return NONE;
    p->arena = a;
    p->arena_cap = cap;
  }
  size_t off = p->used;
  memcpy(p->arena + off, s, n);
  p->arena[off + n] = '\0';
  p->used += n + 1;
  return off;
}

static int fail(multipart_error_t *err, int code, size_t part,
                const char *name, size_t limit) {
  if (err) {
    err->code = code;
    err->part = part;
    snprintf(err->name, sizeof err->name, "%s", name ? name : "");
    err->limit = limit;
  }
  return code;
}

/* Parses one header block [s, end) (lines separated by CRLF, no final
 * CRLF) into |po|. Returns 0 or a MULTIPART_E* code. */
static int parse_headers(parser_t *p, const char *s, const char *end,
                         part_off_t *po) {
  int have_disp = 0;
  while (s < end) {
    const char *eol = memmem(s, (size_t)(end - s), "\r\n", 2);
    if (!eol)
      eol = end;
    const char *colon = s;
    while (colon < eol && is_tchar((unsigned char)*colon))
      colon++;
    if (colon == s || colon == eol || *colon != ':')
      return MULTIPART_EBAD_HEADER; /* also folding: a line starting with SP */
    for (const char *c = colon + 1; c < eol; c++)
      if ((unsigned char)*c < 0x20 ? *c != '\t' : *c == 0x7f)
        return MULTIPART_EBAD_HEADER;
    size_t nlen = (size_t)(colon - s);
    const char *v = skip_ows(colon + 1, eol);
    const char *vend = eol;
    while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t'))
      vend--;
    if (key_is(s, nlen, "content-disposition")) {
      if (have_disp)
        return MULTIPART_EBAD_HEADER;
      have_disp = 1;
      static const char fd[] = "form-data";
      if ((size_t)(vend - v) < sizeof fd - 1 ||
          strncasecmp(v, fd, sizeof fd - 1) != 0)
        return MULTIPART_ENO_DISPOSITION;
      const char *q = v + sizeof fd - 1;
      if (q < vend && *q != ';' && *q != ' ' && *q != '\t')
        return MULTIPART_ENO_DISPOSITION;
      const char *key;
      size_t keylen, vlen;
      /* Values longer than the header block cannot be: size by it. */
      size_t cap = (size_t)(vend - v) + 1;
      char *val = malloc(cap);
      if (!val)
        return MULTIPART_ENOMEM;
      int r;
      while ((r = next_param(&q, vend, &key, &keylen, val, cap, &vlen)) ==
             1) {
        size_t *slot = key_is(key, keylen, "name")       ? &po->name
                       : key_is(key, keylen, "filename") ? &po->filename
                                                         : NULL;
        if (!slot)
          continue; /* filename* and extensions are ignored */
        if (*slot != NONE) {
          free(val);
          return MULTIPART_EBAD_HEADER;
        }
        if ((*slot = arena_add(p, val, vlen)) == NONE) {
          free(val);
          return MULTIPART_ENOMEM;
        }
        if (memchr(val, '\0', vlen)) { /* an escaped NUL */
          free(val);
          return MULTIPART_EBAD_HEADER;
        }
      }
      free(val);
      if (r < 0)
        return MULTIPART_EBAD_HEADER;
    } else if (key_is(s, nlen, "content-type")) {
      if (po->content_type != NONE)
        return MULTIPART_EBAD_HEADER;
      if ((po->content_type = arena_add(p, v, (size_t)(vend - v))) == NONE)
        return MULTIPART_ENOMEM;
    }
    s = eol == end ? end : eol + 2;
  }
  return have_disp && po->name != NONE ? 0 : MULTIPART_ENO_DISPOSITION;
}

int multipart_parse(const uint8_t *body, size_t len, const char *boundary,
                    const multipart_limits_t *lim, multipart_t *out,
                    multipart_error_t *err) {
  multipart_limits_t l = lim ? *lim : (multipart_limits_t){0};
  if (!l.max_parts)
    l.max_parts = MULTIPART_DEFAULT_MAX_PARTS;
  if (!l.max_header_bytes)
    l.max_header_bytes = MULTIPART_DEFAULT_MAX_HEADER_BYTES;
  if (!l.max_field_bytes)
    l.max_field_bytes = MULTIPART_DEFAULT_MAX_FIELD_BYTES;
  if (!l.max_file_bytes)
    l.max_file_bytes = MULTIPART_DEFAULT_MAX_FILE_BYTES;
  memset(out, 0, sizeof *out);
  if (err)
    memset(err, 0, sizeof *err);

  size_t blen = boundary ? strlen(boundary) : 0;
  if (blen == 0 || blen > MULTIPART_MAX_BOUNDARY)
    return fail(err, MULTIPART_EBAD_BOUNDARY, 0, NULL, 0);
  /* "\r\n--" boundary: the delimiter inside the body. */
  char delim[MULTIPART_MAX_BOUNDARY + 5];
  size_t dlen = (size_t)snprintf(delim, sizeof delim, "\r\n--%s", boundary);
  const char *b = (const char *)body, *end = b + len;

  const char *s;
  if (len >= dlen - 2 && memcmp(b, delim + 2, dlen - 2) == 0) {
    s = b + dlen - 2;
  } else {
    const char *d = len ? memmem(b, len, delim, dlen) : NULL;
    if (!d)
      return fail(err, MULTIPART_ENO_FIRST_DELIMITER, 0, NULL, 0);
    s = d + dlen;
  }

  parser_t p = {0};
  int rc = 0;
  for (;;) {
    /* After a delimiter: "--" closes; else padding and CRLF open a part. */
    if (end - s >= 2 && s[0] == '-' && s[1] == '-')
      break;
    s = skip_ows(s, end);
    if (end - s < 2) {
      rc = fail(err, MULTIPART_ETRUNCATED, p.n, NULL, 0);
      goto out;
    }
    if (s[0] != '\r' || s[1] != '\n') {
      rc = fail(err, MULTIPART_EBAD_DELIMITER, p.n, NULL, 0);
      goto out;
    }
    s += 2;
    if (p.n == l.max_parts) {
      rc = fail(err, MULTIPART_ETOO_MANY_PARTS, p.n, NULL, l.max_parts);
      goto out;
    }
    if (p.n == p.cap) {
      size_t cap = p.cap ? p.cap * 2 : 8;
      part_off_t *a = realloc(p.parts, cap * sizeof *a);
      if (!a) {
        rc = fail(err, MULTIPART_ENOMEM, p.n, NULL, 0);
        goto out;
      }
      p.parts = a;
      p.cap = cap;
    }
    part_off_t *po = &p.parts[p.n];
    *po = (part_off_t){NONE, NONE, NONE, 0, 0};

    /* The header block ends at the first empty line (CRLF CRLF; or at once
     * with CRLF when the part has no headers). */
    const char *hend, *content;
    if (end - s >= 2 && s[0] == '\r' && s[1] == '\n') {
      hend = s;
      content = s + 2;
    } else {
      size_t window = (size_t)(end - s);
      if (window > l.max_header_bytes)
        window = l.max_header_bytes;
      hend = memmem(s, window, "\r\n\r\n", 4);
      if (!hend) {
        rc = fail(err,
                  (size_t)(end - s) > l.max_header_bytes
                      ? MULTIPART_EHEADER_TOO_LARGE
                      : MULTIPART_ETRUNCATED,
                  p.n, NULL, l.max_header_bytes);
        goto out;
      }
      content = hend + 4;
    }
    if ((rc = parse_headers(&p, s, hend, po)) != 0) {
      rc = fail(err, rc, p.n, po->name != NONE ? p.arena + po->name : NULL,
                0);
      goto out;
    }
    const char *name = p.arena + po->name;
    const char *d = memmem(content, (size_t)(end - content), delim, dlen);
    if (!d) {
      rc = fail(err, MULTIPART_ETRUNCATED, p.n, name, 0);
      goto out;
    }
    size_t clen = (size_t)(d - content);
    int is_file = po->filename != NONE;
    size_t max = is_file ? l.max_file_bytes : l.max_field_bytes;
    if (clen > max) {
      rc = fail(err,
                is_file ? MULTIPART_EFILE_TOO_LARGE
                        : MULTIPART_EFIELD_TOO_LARGE,
                p.n, name, max);
      goto out;
    }
    po->data = (size_t)(content - b);
    po->len = clen;
    p.n++;
    s = d + dlen;
  }

  /* Hand out pointers now that the arena no longer moves. */
  out->parts = calloc(p.n ? p.n : 1, sizeof *out->parts);
  if (!out->parts) {
    rc = fail(err, MULTIPART_ENOMEM, p.n, NULL, 0);
    goto out;
  }
  for (size_t i = 0; i < p.n; i++) {
    part_off_t *po = &p.parts[i];
    out->parts[i] = (multipart_part_t){
        p.arena + po->name,
        po->filename != NONE ? p.arena + po->filename : NULL,
        po->content_type != NONE ? p.arena + po->content_type : NULL,
        body + po->data, po->len};
  }
  out->n_parts = p.n;
  out->strings = p.arena;
  p.arena = NULL;
out:
  free(p.parts);
  free(p.arena);
  if (rc != 0)
    memset(out, 0, sizeof *out);
  return rc;
}

const char *multipart_error_format(const multipart_error_t *err, char *buf,
                                   size_t size) {
  char where[128] = "";
  if (err->code != MULTIPART_ENOT_MULTIPART &&
      err->code != MULTIPART_ENO_BOUNDARY &&
      err->code != MULTIPART_EBAD_BOUNDARY &&
      err->code != MULTIPART_ENO_FIRST_DELIMITER &&
      err->code != MULTIPART_ENOMEM) {
    if (err->name[0])
      snprintf(where, sizeof where, "part %zu (\"%s\"): ", err->part + 1,
               err->name);
    else
      snprintf(where, sizeof where, "part %zu: ", err->part + 1);
  }
  if (err->limit)
    snprintf(buf, size, "%s%s (limit %zu%s)", where,
             multipart_strerror(err->code), err->limit,
             err->code == MULTIPART_ETOO_MANY_PARTS ? "" : " bytes");
  else
    snprintf(buf, size, "%s%s", where, multipart_strerror(err->code));
  return buf;
}

void multipart_free(multipart_t *mp) {
  if (!mp)
    return;
  free(mp->parts);
  free(mp->strings);
  memset(mp, 0, sizeof *mp);
}

const multipart_part_t *multipart_find(const multipart_t *mp, const char *name,
                                       size_t *from) {
  for (size_t i = from ? *from : 0; i < mp->n_parts; i++)
    if (strcmp(mp->parts[i].name, name) == 0) {
      if (from)
        *from = i;
      return &mp->parts[i];
    }
  return NULL;
}
