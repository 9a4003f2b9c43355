/*
 * store.h — the business service's listings and their pictures, in one
 * SQLite database file (BUSINESS_DB_PATH).
 *
 * WAL mode with synchronous=FULL: a listing is on disk before the seller is
 * told anything about it, so an answered submission is never lost, even to
 * a power cut. Pictures live in their own table (as BLOBs) so that listing
 * queries never read them. All calls are synchronous (a local file, small
 * transactions) and run on the runtime's thread; not thread-safe.
 */
#ifndef MESHSIM_BUSINESS_STORE_H
#define MESHSIM_BUSINESS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "business/listing.h"

typedef struct biz_store biz_store_t;

/* Opens (creating when needed) |path| (":memory:" for a throw-away store).
 * Returns the store, or NULL with a message naming |path| in |err|. */
biz_store_t *biz_store_open(const char *path, char *err, size_t errsize);
void biz_store_close(biz_store_t *s);

/* Inserts |l| and its picture (|pic|, |piclen|; none when piclen is 0) in
 * one transaction. Returns 0, 1 when a listing with that id exists (nothing
 * changed), -1 with |err| set. */
int biz_store_insert(biz_store_t *s, const listing_t *l, const uint8_t *pic,
                     size_t piclen, char *err, size_t errsize);

/* Writes the mutable fields of |l| (state, error, failed_service,
 * catalog_id, the USD price, updated). Returns 0, or -1 with |err| set. */
int biz_store_update(biz_store_t *s, const listing_t *l, char *err,
                     size_t errsize);

/* Reads listing |id| into |out| (free with listing_clear()). Returns 1, 0
 * when there is none, -1 with |err| set. */
int biz_store_get(biz_store_t *s, const char *id, listing_t *out, char *err,
                  size_t errsize);

/* Reads the listings, newest first, of |seller| (NULL: everyone's), at most
 * |limit|. Returns the count with |*out| an array the caller frees (each
 * with listing_clear(), then free()), or -1 with |err| set. */
long biz_store_list(biz_store_t *s, const char *seller, size_t limit,
                    listing_t **out, char *err, size_t errsize);

/* Reads the picture of |id|: |*data| (malloc'ed, caller frees) and |*len|.
 * Returns 1, 0 when the listing has none, -1 with |err| set. */
int biz_store_picture(biz_store_t *s, const char *id, uint8_t **data,
                      size_t *len, char *err, size_t errsize);

/* Deletes listing |id| and its picture. Returns 1, 0 when there was none,
 * -1 with |err| set. */
int biz_store_delete(biz_store_t *s, const char *id, char *err,
                     size_t errsize);

#endif /* MESHSIM_BUSINESS_STORE_H */
