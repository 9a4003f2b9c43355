/*
 * cart_store.c — carts in SQLite; see cart_store.h for the durability and
 * concurrency rules.
 */
#include "cart/cart_store.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/svc_sqlite.h"

struct cart_store {
  sqlite3 *db;
  char *path;
  sqlite3_stmt *add, *get, *empty;
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS cart_items ("
    " user_id TEXT NOT NULL,"
    " product_id TEXT NOT NULL,"
    " quantity INTEGER NOT NULL CHECK (quantity > 0),"
    " PRIMARY KEY (user_id, product_id))";

/* One statement, one transaction: the increment is computed by SQLite under
 * the write lock, so two adders cannot both read the old quantity. The WHERE
 * keeps the quantity within int32 (the proto's type); a refused update
 * changes no row. */
static const char sql_add[] =
    "INSERT INTO cart_items (user_id, product_id, quantity) VALUES (?1, ?2, ?3)"
    " ON CONFLICT (user_id, product_id) DO UPDATE"
    " SET quantity = quantity + excluded.quantity"
    " WHERE quantity + excluded.quantity <= 2147483647";
/* rowid order is the order products were first added (an upsert keeps it). */
static const char sql_get[] =
    "SELECT product_id, quantity FROM cart_items WHERE user_id = ?1"
    " ORDER BY rowid";
static const char sql_empty[] = "DELETE FROM cart_items WHERE user_id = ?1";

static void seterr(char *err, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t n, const char *fmt, ...) {
  if (!err || n == 0)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, n, fmt, ap);
  va_end(ap);
}

/* Maps a failed SQLite call to our code, with "cart database PATH: why". */
static int db_error(cart_store_t *s, int rc, char *err, size_t n) {
  seterr(err, n, "cart database %s: %s", s->path, sqlite3_errmsg(s->db));
  int prim = rc & 0xff;
  return prim == SQLITE_BUSY || prim == SQLITE_LOCKED ? CART_STORE_EBUSY
                                                      : CART_STORE_EDB;
}

cart_store_t *cart_store_open(const char *path, unsigned flags, int busy_ms,
                              char *err, size_t errsize) {
  cart_store_t *s = calloc(1, sizeof *s);
  if (!s || !(s->path = strdup(path))) {
    free(s);
    seterr(err, errsize, "cart database %s: out of memory", path);
    return NULL;
  }
  /* WAL: readers do not block the writer, and a commit is one append. */
  s->db = svc_sqlite_open("cart database", path,
                          SVC_SQLITE_REQUIRE_WAL |
                              (flags & CART_STORE_SYNC_FULL ? SVC_SQLITE_SYNC_FULL : 0),
                          busy_ms > 0 ? busy_ms : CART_STORE_DEFAULT_BUSY_MS,
                          schema, err, errsize);
  if (!s->db)
    goto fail;
  int rc;
  if ((rc = sqlite3_prepare_v3(s->db, sql_add, -1, SQLITE_PREPARE_PERSISTENT,
                               &s->add, NULL)) != SQLITE_OK ||
      (rc = sqlite3_prepare_v3(s->db, sql_get, -1, SQLITE_PREPARE_PERSISTENT,
                               &s->get, NULL)) != SQLITE_OK ||
      (rc = sqlite3_prepare_v3(s->db, sql_empty, -1, SQLITE_PREPARE_PERSISTENT,
                               &s->empty, NULL)) != SQLITE_OK) {
    seterr(err, errsize, "cannot open cart database %s: %s", path,
           sqlite3_errmsg(s->db));
    goto fail;
  }
  return s;
fail:
  cart_store_close(s);
  return NULL;
}

void cart_store_close(cart_store_t *s) {
  if (!s)
    return;
  sqlite3_finalize(s->add);
  sqlite3_finalize(s->get);
  sqlite3_finalize(s->empty);
  /* With every statement finalized, close cannot be refused for "busy". */
  sqlite3_close(s->db);
  free(s->path);
  free(s);
}

int cart_store_add(cart_store_t *s, const char *user_id,
                   const char *product_id, int32_t quantity, char *err,
                   size_t errsize) {
  sqlite3_stmt *st = s->add;
  int rc;
  if ((rc = sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC)) != SQLITE_OK ||
      (rc = sqlite3_bind_text(st, 2, product_id, -1, SQLITE_STATIC)) != SQLITE_OK ||
      (rc = sqlite3_bind_int(st, 3, quantity)) != SQLITE_OK)
    goto out;
  rc = sqlite3_step(st);
out:;
  int ret = 0;
  if (rc != SQLITE_DONE) {
    ret = db_error(s, rc, err, errsize);
  } else if (sqlite3_changes(s->db) == 0) {
    seterr(err, errsize,
           "the quantity of %s in the cart would exceed 2147483647",
           product_id);
    ret = CART_STORE_ERANGE;
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return ret;
}

int cart_store_get(cart_store_t *s, const char *user_id, cart_store_item_cb cb,
                   void *user, char *err, size_t errsize) {
  sqlite3_stmt *st = s->get;
  int rc = sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC), ret = 0;
  if (rc == SQLITE_OK) {
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      const char *pid = (const char *)sqlite3_column_text(st, 0);
      sqlite3_int64 q = sqlite3_column_int64(st, 1);
      if (!pid) { /* out of memory converting the value */
        rc = SQLITE_NOMEM;
        break;
      }
      if ((ret = cb(user, pid, q > INT32_MAX ? INT32_MAX : (int32_t)q)) != 0)
        break;
    }
  }
  if (ret == 0 && rc != SQLITE_DONE)
    ret = db_error(s, rc, err, errsize);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return ret;
}

int cart_store_empty(cart_store_t *s, const char *user_id, char *err,
                     size_t errsize) {
  sqlite3_stmt *st = s->empty;
  int rc = sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC), ret = 0;
  if (rc == SQLITE_OK)
    rc = sqlite3_step(st);
  if (rc != SQLITE_DONE)
    ret = db_error(s, rc, err, errsize);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return ret;
}
