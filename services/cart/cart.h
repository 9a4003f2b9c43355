/*
 * cart.h — cartservice: AddItem, GetCart and EmptyCart of
 * hipstershop.CartService, with the carts in SQLite (cart_store.h) instead
 * of upstream's Redis.
 *
 * Environment:
 *   CART_DB_PATH   the database file (default "carts.db" in the working
 *                  directory); created with its schema when missing. A path
 *                  that cannot be opened is a configuration error (the live
 *                  binary exits 2 naming it).
 *   CART_DB_SYNC   NORMAL (default) or FULL. NORMAL: an acknowledged write
 *                  survives the process being killed (kill -9). FULL: it
 *                  also survives power loss (one fsync per write).
 *   CART_DB_BUSY_TIMEOUT_MS  how long a write waits for another process's
 *                  write lock on the same file (default 5000).
 *   REDIS_ADDR     upstream's setting; accepted and ignored.
 *
 * Behaviour: AddItem adds to the quantity already in the cart (atomically;
 * concurrent adds never lose one); INVALID_ARGUMENT for an empty user_id or
 * product_id or a quantity <= 0, OUT_OF_RANGE when the quantity would pass
 * 2147483647. GetCart of an unknown user is an empty cart carrying the
 * user_id. EmptyCart removes the cart. GetCart and EmptyCart accept an
 * empty user_id as upstream does (it names no cart: empty, no-op). A
 * database error is INTERNAL (or
 * UNAVAILABLE when another writer held the lock past the busy timeout),
 * with SQLite's message.
 *
 * The SQLite calls are synchronous inside the handlers; see cart_store.h
 * for why that is acceptable.
 */
#ifndef MESHSIM_CART_H
#define MESHSIM_CART_H

#include "rt.h"

extern const rt_service_t cart_service;

#endif /* MESHSIM_CART_H */
