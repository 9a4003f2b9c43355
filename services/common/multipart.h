/*
 * multipart.h — a parser for multipart/form-data request bodies (RFC 7578,
 * delimiters as in RFC 2046 section 5.1.1). Pure: bytes in, parts out, no
 * I/O and no allocation beyond the result.
 *
 * Strict where browsers and curl are consistent: lines end in CRLF, every
 * part has "Content-Disposition: form-data; name=...", the body ends with
 * the close delimiter. A preamble before the first delimiter and an
 * epilogue after the last are ignored, as RFC 2046 asks. Parameter values
 * may be tokens or quoted strings (backslash escapes honoured); browsers
 * percent-encode '"' in names as "%22", which is kept as it is. Obsolete
 * header folding and filename* (RFC 7578 section 4.2 says not to use it) are
 * rejected / ignored respectively.
 *
 * Limits (multipart_limits_t) bound the number of parts, the size of one
 * part's header block, and the size of a field (a part without filename) or
 * a file (a part with one); a zero limit takes the default.
 */
#ifndef MESHSIM_MULTIPART_H
#define MESHSIM_MULTIPART_H

#include <stddef.h>
#include <stdint.h>

/* Errors: code, name, message. 0 is success. */
#define MULTIPART_ERR_MAP(X)                                                   \
  X(-1, NOMEM, "out of memory")                                                \
  X(-2, NOT_MULTIPART, "the content type is not multipart/form-data")         \
  X(-3, NO_BOUNDARY, "the content type has no boundary parameter")            \
  X(-4, BAD_BOUNDARY, "the boundary is not 1 to 70 allowed characters")       \
  X(-5, NO_FIRST_DELIMITER, "the body does not contain the boundary")          \
  X(-6, BAD_DELIMITER, "a boundary delimiter is followed by unexpected bytes") \
  X(-7, TRUNCATED, "the body ends before the closing boundary")               \
  X(-8, BAD_HEADER, "a part has a malformed header line")                      \
  X(-9, HEADER_TOO_LARGE, "a part's headers are too large")                    \
  X(-10, NO_DISPOSITION,                                                       \
    "a part has no Content-Disposition: form-data with a name")                \
  X(-11, TOO_MANY_PARTS, "too many parts")                                     \
  X(-12, FIELD_TOO_LARGE, "a field is too large")                              \
  X(-13, FILE_TOO_LARGE, "a file is too large")

enum {
#define MULTIPART_ERR_ENUM(code, name, text) MULTIPART_E##name = code,
  MULTIPART_ERR_MAP(MULTIPART_ERR_ENUM)
#undef MULTIPART_ERR_ENUM
};

/* The message for |err| ("unknown error" for a code not in the map). */
const char *multipart_strerror(int err);
/* "FILE_TOO_LARGE" for MULTIPART_EFILE_TOO_LARGE; "UNKNOWN". */
const char *multipart_err_name(int err);

#define MULTIPART_DEFAULT_MAX_PARTS 64
#define MULTIPART_DEFAULT_MAX_HEADER_BYTES 8192
#define MULTIPART_DEFAULT_MAX_FIELD_BYTES (64u * 1024u)
#define MULTIPART_DEFAULT_MAX_FILE_BYTES (8u * 1024u * 1024u)
#define MULTIPART_MAX_BOUNDARY 70

typedef struct multipart_limits {
  size_t max_parts;
  size_t max_header_bytes; /* one part's header block, CRLFs included */
  size_t max_field_bytes;  /* content of a part without filename */
  size_t max_file_bytes;   /* content of a part with a filename */
} multipart_limits_t;

typedef struct multipart_part {
  const char *name;         /* the form field's name; never NULL */
  const char *filename;     /* NULL when the part has no filename */
  const char *content_type; /* the part's Content-Type, NULL when absent */
  const uint8_t *data;      /* the content: points into the parsed body */
  size_t len;
} multipart_part_t;

typedef struct multipart {
  multipart_part_t *parts; /* in body order */
  size_t n_parts;
  char *strings; /* owns the names, filenames and content types */
} multipart_t;

/* Where a parse failed, for a message people can act on. */
typedef struct multipart_error {
  int code;            /* a MULTIPART_E* code */
  size_t part;         /* 0-based index of the offending part */
  char name[64];       /* its field name when known, else "" (truncated) */
  size_t limit;        /* the limit exceeded, for the *_TOO_LARGE codes */
} multipart_error_t;

/* Extracts the boundary from a Content-Type header value such as
 * 'multipart/form-data; boundary="----x"' into |out| (at least
 * MULTIPART_MAX_BOUNDARY + 1 bytes). Returns 0, MULTIPART_ENOT_MULTIPART,
 * MULTIPART_ENO_BOUNDARY or MULTIPART_EBAD_BOUNDARY. */
int multipart_boundary(const char *content_type,
                       char out[MULTIPART_MAX_BOUNDARY + 1]);

/* Parses |body| (|len| bytes) delimited by |boundary| into |out|. |lim| may
 * be NULL for the defaults. The parts' |data| point into |body|, which must
 * outlive |out|; everything else is owned by |out|. Returns 0 (free |out|
 * with multipart_free()), or a negative MULTIPART_E* code with |err| (may be
 * NULL) filled in; |out| then holds nothing to free. */
int multipart_parse(const uint8_t *body, size_t len, const char *boundary,
                    const multipart_limits_t *lim, multipart_t *out,
                    multipart_error_t *err);

/* Writes a one-line description of |err| into |buf|, e.g.
 * "part 3 (\"picture\"): a file is too large (limit 2097152 bytes)".
 * Returns |buf|. */
const char *multipart_error_format(const multipart_error_t *err, char *buf,
                                   size_t size);

void multipart_free(multipart_t *mp);

/* The first part named |name|, or NULL; |from| starts the search at that
 * index (0 for the first), so repeated fields can be walked:
 *   for (size_t i = 0; (p = multipart_find(mp, "tag", &i)); i++) ... */
const multipart_part_t *multipart_find(const multipart_t *mp, const char *name,
                                       size_t *from);

#endif /* MESHSIM_MULTIPART_H */
