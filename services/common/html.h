/*
 * html.h — a small, fast HTML builder: a growable buffer with appends that
 * escape text for HTML element content and quoted attribute values, and
 * percent-encode URL components. Pure: no I/O, no runtime calls.
 *
 * Usage:
 *   html_buf_t b;
 *   html_init(&b);
 *   html_raw(&b, "<h1>");  html_text(&b, name);  html_raw(&b, "</h1>");
 *   if (html_failed(&b)) ... out of memory or over HTML_MAX_BYTES
 *   size_t n; char *page = html_take(&b, &n);   (caller frees |page|)
 *
 * Errors are sticky: after an allocation fails (or the buffer would pass
 * HTML_MAX_BYTES) every append is a no-op and html_failed() is non-zero, so
 * a template checks once at the end instead of after every append.
 *
 * Ownership: the buffer owns its bytes until html_take() hands them to the
 * caller; html_free() releases them otherwise. Strings passed in are only
 * read during the call.
 */
#ifndef MESHSIM_HTML_H
#define MESHSIM_HTML_H

#include <stddef.h>
#include <stdint.h>

/* A page larger than this is a bug (or an attack through a backend). */
#define HTML_MAX_BYTES ((size_t)16 * 1024 * 1024)

typedef struct html_buf {
  char *data; /* NUL-terminated when non-NULL */
  size_t len;
  size_t cap;
  int failed;
} html_buf_t;

void html_init(html_buf_t *b);
/* Frees the bytes (if not taken) and re-initialises |b|. */
void html_free(html_buf_t *b);
/* Non-zero once an append has failed (out of memory or too large). */
int html_failed(const html_buf_t *b);

/* Appends trusted markup as is. NULL appends nothing. */
void html_raw(html_buf_t *b, const char *s);
void html_rawn(html_buf_t *b, const char *s, size_t n);

/* Appends untrusted text, safe both as element content and inside a
 * double- or single-quoted attribute value: & < > " ' become entities;
 * NUL, C0 controls other than tab, LF and CR, DEL, and bytes that are not
 * well-formed UTF-8 become U+FFFD, so a page is always valid UTF-8.
 * NULL appends nothing. */
void html_text(html_buf_t *b, const char *s);
void html_textn(html_buf_t *b, const char *s, size_t n);

/* Appends |s| percent-encoded for use as one URL path segment or query
 * value: everything but ALPHA DIGIT - . _ ~ becomes %XX (so the result needs
 * no further HTML escaping). NULL appends nothing. */
void html_url_component(html_buf_t *b, const char *s);

/* Appends printf-formatted trusted text (numbers, fixed strings). */
void html_printf(html_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Hands the bytes (NUL-terminated) to the caller, who frees them, and sets
 * |*len| (if not NULL). Returns NULL when the buffer failed (the bytes are
 * freed) ; either way |b| is re-initialised. An untouched buffer yields "". */
char *html_take(html_buf_t *b, size_t *len);

#endif /* MESHSIM_HTML_H */
