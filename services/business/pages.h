/*
 * pages.h — the business service's HTML pages: the "Sell your product" form
 * (with the seller's values and the error when a submission is refused), a
 * listing's page (after a submission, or when a step failed), and error
 * pages. Pure: strings in, a page out. Every value from a seller is
 * escaped; the pages load nothing from elsewhere (inline CSS, no script).
 *
 * A small local HTML buffer with escaping lives here (page_buf_t) because
 * no shared HTML helper had landed in services/common/ when this was
 * written.
 */
#ifndef MESHSIM_BUSINESS_PAGES_H
#define MESHSIM_BUSINESS_PAGES_H

#include <stddef.h>

#include "business/listing.h"

/* A growable NUL-terminated buffer; errors are sticky (|failed|). */
typedef struct page_buf {
  char *data;
  size_t len, cap;
  int failed;
} page_buf_t;

void page_raw(page_buf_t *b, const char *s);
/* Appends |s| escaped for element content and quoted attributes. */
void page_text(page_buf_t *b, const char *s);
void page_printf(page_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Hands the bytes to the caller (free them), or NULL when an append
 * failed; |b| is emptied either way. */
char *page_take(page_buf_t *b, size_t *len);

/* The form. |in| (may be NULL) holds values to show again; |err| (may be
 * NULL) the refusal to show; |listing_id| the idempotency key to embed;
 * |picture_max| the size limit to state. Returns a malloc'ed page or NULL. */
char *page_form(const listing_input_t *in, const listing_error_t *err,
                const char *listing_id, size_t picture_max, size_t *len);

/* A listing's page: its fields and state, the picture, a link to the
 * product in the shop once listed, a retry button when a step failed.
 * |picture_url| is where its picture is served. */
char *page_listing(const listing_t *l, const char *picture_url, size_t *len);

/* An error page with |title| and |message|; |l| (may be NULL) is the
 * listing the error concerns, shown with a retry button. */
char *page_error(const char *title, const char *message, const listing_t *l,
                 size_t *len);

#endif /* MESHSIM_BUSINESS_PAGES_H */
