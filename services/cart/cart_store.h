/*
 * cart_store.h — the carts of cartservice, in one SQLite database file.
 *
 * One row per (user_id, product_id) with its quantity. The database runs in
 * WAL mode; every change is one statement in its own transaction, so a
 * change is committed (its WAL frames written to the operating system)
 * before the function returns:
 *   - with synchronous=NORMAL (the default) a committed change survives the
 *     process being killed (kill -9, OOM kill, crash), because the frames
 *     are in the OS page cache, but the last transactions may be lost if the
 *     machine loses power;
 *   - with synchronous=FULL (cart_store_open(..., CART_STORE_SYNC_FULL))
 *     every commit is also fsync'ed: it survives power loss too, at the cost
 *     of one fsync per write.
 *
 * Adding is one UPSERT (quantity = quantity + added), so concurrent adds for
 * one user, from this process or from another process on the same file,
 * never lose an increment: SQLite serialises the writers (a writer waits up
 * to the busy timeout for another one's lock).
 *
 * All calls are synchronous. That is deliberate: the file is local, each
 * transaction touches a handful of rows, and a commit without fsync costs
 * microseconds; only a competing writer holding the lock (another process)
 * can make a call wait, up to the busy timeout.
 *
 * Statements are prepared once at open and reused. Not thread-safe: one
 * store per service instance, used from the runtime's single thread.
 */
#ifndef MESHSIM_CART_STORE_H
#define MESHSIM_CART_STORE_H

#include <stddef.h>
#include <stdint.h>

typedef struct cart_store cart_store_t;

/* Error codes (0 is success). */
#define CART_STORE_EDB (-1)    /* SQLite failed; the message says why */
#define CART_STORE_EBUSY (-2)  /* another writer held the lock too long */
#define CART_STORE_ERANGE (-3) /* the quantity would exceed INT32_MAX */
#define CART_STORE_ENOMEM (-4)

/* Flags for cart_store_open(). */
#define CART_STORE_SYNC_FULL 1u /* fsync every commit (power-loss safe) */

#define CART_STORE_DEFAULT_BUSY_MS 5000

/* Opens (creating when needed) the database at |path| and its schema.
 * |busy_ms| is how long a write waits for another writer's lock (0: the
 * default). Returns the store, or NULL with a message naming |path| written
 * to |err| (size |errsize|). */
cart_store_t *cart_store_open(const char *path, unsigned flags, int busy_ms,
                              char *err, size_t errsize);

/* Closes the statements and the database (checkpointing the WAL). NULL is a
 * no-op. */
void cart_store_close(cart_store_t *s);

/* Adds |quantity| (> 0) of |product_id| to |user_id|'s cart, atomically.
 * Returns 0, CART_STORE_ERANGE (nothing changed), CART_STORE_EBUSY or
 * CART_STORE_EDB with a message in |err|. */
int cart_store_add(cart_store_t *s, const char *user_id,
                   const char *product_id, int32_t quantity, char *err,
                   size_t errsize);

/* Calls |cb| for each item of |user_id|'s cart, in the order the products
 * were first added; the strings are valid during the callback only. A
 * non-zero return from |cb| stops the walk and is returned. Returns 0,
 * that value, CART_STORE_EBUSY or CART_STORE_EDB with a message in |err|. */
typedef int (*cart_store_item_cb)(void *user, const char *product_id,
                                  int32_t quantity);
int cart_store_get(cart_store_t *s, const char *user_id, cart_store_item_cb cb,
                   void *user, char *err, size_t errsize);

/* Removes |user_id|'s cart (no-op for an unknown user). Returns 0,
 * CART_STORE_EBUSY or CART_STORE_EDB with a message in |err|. */
int cart_store_empty(cart_store_t *s, const char *user_id, char *err,
                     size_t errsize);

#endif /* MESHSIM_CART_STORE_H */
