/*
 * seller_store.h — the seller products of productcatalogservice, in one
 * SQLite database file (SELLER_PRODUCTS_DB), so that a product the business
 * service added survives a restart of the catalog.
 *
 * One row per listing (the business service's listing id is the key), with
 * the catalog product id assigned to it and the product's fields. WAL mode,
 * synchronous=FULL: a put or delete has been fsync'ed when it returns, so an
 * acknowledged AddProduct survives a crash or power loss. Writes are rare
 * (one per verified listing); reads happen once, at start.
 *
 * Calls are synchronous (a local file, a single-row transaction). Not
 * thread-safe: one store per service instance, on the runtime's thread.
 * The path ":memory:" gives a store that lasts as long as the instance.
 */
#ifndef MESHSIM_SELLER_STORE_H
#define MESHSIM_SELLER_STORE_H

#include <stddef.h>
#include <stdint.h>

typedef struct seller_store seller_store_t;

/* One stored seller product. In seller_store_load()'s callback every string
 * is valid during the call only. |categories| is the categories joined with
 * '\n' ("" for none). */
typedef struct seller_row {
  const char *listing_id;
  const char *product_id;
  const char *seller_email;
  const char *name;
  const char *description;
  const char *picture;
  const char *categories;
  int64_t units; /* price in USD */
  int32_t nanos;
} seller_row_t;

/* Opens (creating when needed) the database at |path| and its schema.
 * Returns the store, or NULL with a message naming |path| in |err|. */
seller_store_t *seller_store_open(const char *path, char *err, size_t errsize);

/* Closes the database. NULL is a no-op. */
void seller_store_close(seller_store_t *s);

/* Calls |cb| for every stored row, oldest first; a non-zero return from |cb|
 * stops the walk and is returned. Returns 0, a callback's value, or -1 with
 * |err| set when SQLite fails. */
int seller_store_load(seller_store_t *s,
                      int (*cb)(void *user, const seller_row_t *row),
                      void *user, char *err, size_t errsize);

/* Inserts |row|, or replaces the row with the same listing_id (keeping its
 * place in the order). Durable when it returns 0; -1 with |err| set
 * otherwise (nothing changed). */
int seller_store_put(seller_store_t *s, const seller_row_t *row, char *err,
                     size_t errsize);

/* Deletes the row of |listing_id|. Returns 1 when a row was deleted, 0 when
 * there was none, -1 with |err| set when SQLite fails. */
int seller_store_delete(seller_store_t *s, const char *listing_id, char *err,
                        size_t errsize);

#endif /* MESHSIM_SELLER_STORE_H */
