/*
 * cart.c — cartservice's handlers over cart_store. Each handler answers
 * before it returns: the store is synchronous (see cart_store.h).
 */
#include "cart/cart.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cart/cart_store.h"
#include "proto/demo.pb-c.h"

#define ERRLEN 512

typedef struct cart_state {
  cart_store_t *store;
} cart_state_t;

/* Fails |call| for a store error |rc| with the store's message. */
static void fail_store(rt_call_t *call, int rc, const char *what,
                       const char *user_id, const char *err) {
  rt_log(rt_call_rt(call), RT_ERROR, "cart database error", "op", what,
         "user_id", user_id, "error", err, NULL);
  rt_fail(call, rc == CART_STORE_EBUSY ? RT_UNAVAILABLE : RT_INTERNAL,
          "%s failed: %s", what, err);
}

static void on_add(rt_call_t *call, const ProtobufCMessage *msg, void *user) {
  cart_state_t *st = user;
  const Hipstershop__AddItemRequest *req =
      (const Hipstershop__AddItemRequest *)msg;
  const Hipstershop__CartItem *item = req->item;
  if (!*req->user_id) {
    rt_fail(call, RT_INVALID_ARGUMENT, "user_id is required");
    return;
  }
  if (!item || !*item->product_id) {
    rt_fail(call, RT_INVALID_ARGUMENT, "item.product_id is required");
    return;
  }
  if (item->quantity <= 0) {
    rt_fail(call, RT_INVALID_ARGUMENT,
            "item.quantity must be positive, got %d", (int)item->quantity);
    return;
  }
  char err[ERRLEN];
  int rc = cart_store_add(st->store, req->user_id, item->product_id,
                          item->quantity, err, sizeof err);
  if (rc == CART_STORE_ERANGE) {
    rt_fail(call, RT_OUT_OF_RANGE, "%s", err);
    return;
  }
  if (rc != 0) {
    fail_store(call, rc, "AddItem", req->user_id, err);
    return;
  }
  char q[16];
  snprintf(q, sizeof q, "%d", (int)item->quantity);
  rt_log(rt_call_rt(call), RT_INFO, "item added to cart", "user_id",
         req->user_id, "product_id", item->product_id, "quantity", q, NULL);
  Hipstershop__Empty empty = HIPSTERSHOP__EMPTY__INIT;
  rt_reply(call, &empty.base);
}

/* The items of one GetCart, collected from the store. */
typedef struct cart_items {
  Hipstershop__CartItem *items;
  Hipstershop__CartItem **ptrs;
  size_t n, cap;
} cart_items_t;

static void items_free(cart_items_t *ci) {
  for (size_t i = 0; i < ci->n; i++)
    free(ci->items[i].product_id);
  free(ci->items);
  free(ci->ptrs);
}

static int collect(void *user, const char *product_id, int32_t quantity) {
  cart_items_t *ci = user;
  if (ci->n == ci->cap) {
    size_t cap = ci->cap ? ci->cap * 2 : 8;
    Hipstershop__CartItem *items = realloc(ci->items, cap * sizeof *items);
    if (!items)
      return CART_STORE_ENOMEM;
    ci->items = items;
    ci->cap = cap;
  }
  Hipstershop__CartItem *it = &ci->items[ci->n];
  hipstershop__cart_item__init(it);
  if (!(it->product_id = strdup(product_id)))
    return CART_STORE_ENOMEM;
  it->quantity = quantity;
  ci->n++;
  return 0;
}

static void on_get(rt_call_t *call, const ProtobufCMessage *msg, void *user) {
  cart_state_t *st = user;
  const Hipstershop__GetCartRequest *req =
      (const Hipstershop__GetCartRequest *)msg;
  cart_items_t ci = {0};
  char err[ERRLEN];
  int rc = cart_store_get(st->store, req->user_id, collect, &ci, err,
                          sizeof err);
  if (rc == 0 && ci.n && !(ci.ptrs = malloc(ci.n * sizeof *ci.ptrs)))
    rc = CART_STORE_ENOMEM;
  if (rc == CART_STORE_ENOMEM) {
    items_free(&ci);
    rt_fail(call, RT_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  if (rc != 0) {
    items_free(&ci);
    fail_store(call, rc, "GetCart", req->user_id, err);
    return;
  }
  for (size_t i = 0; i < ci.n; i++)
    ci.ptrs[i] = &ci.items[i];
  Hipstershop__Cart cart = HIPSTERSHOP__CART__INIT;
  cart.user_id = req->user_id;
  cart.n_items = ci.n;
  cart.items = ci.ptrs;
  rt_log(rt_call_rt(call), RT_DEBUG, "cart read", "user_id", req->user_id,
         NULL);
  rt_reply(call, &cart.base);
  items_free(&ci);
}

static void on_empty(rt_call_t *call, const ProtobufCMessage *msg,
                     void *user) {
  cart_state_t *st = user;
  const Hipstershop__EmptyCartRequest *req =
      (const Hipstershop__EmptyCartRequest *)msg;
  char err[ERRLEN];
  int rc = cart_store_empty(st->store, req->user_id, err, sizeof err);
  if (rc != 0) {
    fail_store(call, rc, "EmptyCart", req->user_id, err);
    return;
  }
  rt_log(rt_call_rt(call), RT_INFO, "cart emptied", "user_id", req->user_id,
         NULL);
  Hipstershop__Empty empty = HIPSTERSHOP__EMPTY__INIT;
  rt_reply(call, &empty.base);
}

static const rt_method_t cart_methods[] = {
    {"AddItem", &hipstershop__add_item_request__descriptor,
     &hipstershop__empty__descriptor, on_add},
    {"GetCart", &hipstershop__get_cart_request__descriptor,
     &hipstershop__cart__descriptor, on_get},
    {"EmptyCart", &hipstershop__empty_cart_request__descriptor,
     &hipstershop__empty__descriptor, on_empty},
};

static const rt_service_def_t cart_def = {
    "hipstershop.CartService", cart_methods,
    sizeof cart_methods / sizeof *cart_methods};

static int cart_init(rt_t *rt) {
  const char *path = rt_env(rt, "CART_DB_PATH");
  if (!path || !*path)
    path = "carts.db";
  const char *sync = rt_env(rt, "CART_DB_SYNC");
  unsigned flags = 0;
  if (sync && *sync) {
    if (strcasecmp(sync, "FULL") == 0) {
      flags |= CART_STORE_SYNC_FULL;
    } else if (strcasecmp(sync, "NORMAL") != 0) {
      rt_config_error(rt, "CART_DB_SYNC", sync,
                      "must be NORMAL (survives a process crash) or FULL "
                      "(also survives power loss)");
      return -1;
    }
  }
  const char *busy = rt_env(rt, "CART_DB_BUSY_TIMEOUT_MS");
  long busy_ms = 0;
  if (busy && *busy) {
    char *end;
    busy_ms = strtol(busy, &end, 10);
    if (*end || busy_ms <= 0 || busy_ms > 600000) {
      rt_config_error(rt, "CART_DB_BUSY_TIMEOUT_MS", busy,
                      "must be a number of milliseconds in 1..600000");
      return -1;
    }
  }
  const char *redis = rt_env(rt, "REDIS_ADDR");
  if (redis && *redis)
    rt_log(rt, RT_DEBUG, "REDIS_ADDR is ignored: carts are kept in SQLite",
           "redis_addr", redis, "path", path, NULL);

  char err[ERRLEN];
  cart_store_t *store = cart_store_open(path, flags, (int)busy_ms, err,
                                        sizeof err);
  if (!store) {
    rt_config_error(rt, "CART_DB_PATH", path, err);
    return -1;
  }
  cart_state_t *st = calloc(1, sizeof *st);
  if (!st) {
    cart_store_close(store);
    return -1;
  }
  st->store = store;
  if (rt_serve(rt, &cart_def, st) != 0) {
    cart_store_close(store);
    free(st);
    return -1;
  }
  rt_set_user(rt, st);
  rt_log(rt, RT_INFO, "cart database open", "path", path, "synchronous",
         flags & CART_STORE_SYNC_FULL ? "FULL" : "NORMAL", NULL);
  return 0;
}

static void cart_fini(rt_t *rt) {
  cart_state_t *st = rt_get_user(rt);
  if (st) {
    cart_store_close(st->store);
    free(st);
  }
  rt_set_user(rt, NULL);
}

static const char cart_env_help[] =
    "  CART_DB_PATH            SQLite file of the carts (default carts.db in the\n"
    "                          working directory)\n"
    "  CART_DB_SYNC            NORMAL (survives kill -9; default) or FULL (survives\n"
    "                          power loss)\n"
    "  CART_DB_BUSY_TIMEOUT_MS wait for another writer's lock (default 5000)\n"
    "  REDIS_ADDR              accepted for upstream compatibility and ignored\n";

const rt_service_t cart_service = {"cartservice", 7070, cart_init, cart_fini, cart_env_help};
