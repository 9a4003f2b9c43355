/*
 * seller_store.c — seller products in SQLite (see seller_store.h).
 */
#include "productcatalog/seller_store.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/svc_sqlite.h"

#define BUSY_MS 5000

struct seller_store {
  sqlite3 *db;
  char *path;
};

static void seterr(char *err, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t n, const char *fmt, ...) {
  if (!err || !n)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, n, fmt, ap);
  va_end(ap);
}

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS seller_products ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " listing_id TEXT NOT NULL UNIQUE,"
    " product_id TEXT NOT NULL UNIQUE,"
    " seller_email TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " description TEXT NOT NULL,"
    " picture TEXT NOT NULL,"
    " categories TEXT NOT NULL,"
    " units INTEGER NOT NULL,"
    " nanos INTEGER NOT NULL)";

seller_store_t *seller_store_open(const char *path, char *err,
                                  size_t errsize) {
  seller_store_t *s = calloc(1, sizeof *s);
  if (!s || !(s->path = strdup(path))) {
    free(s);
    seterr(err, errsize, "out of memory");
    return NULL;
  }
  /* FULL so a put is on disk when AddProduct answers. */
  s->db = svc_sqlite_open(NULL, path, SVC_SQLITE_SYNC_FULL, BUSY_MS, schema,
                          err, errsize);
  if (!s->db) {
    seller_store_close(s);
    return NULL;
  }
  return s;
}

void seller_store_close(seller_store_t *s) {
  if (!s)
    return;
  sqlite3_close(s->db);
  free(s->path);
  free(s);
}

static const char *col(sqlite3_stmt *st, int i) {
  const unsigned char *t = sqlite3_column_text(st, i);
  return t ? (const char *)t : "";
}

int seller_store_load(seller_store_t *s,
                      int (*cb)(void *user, const seller_row_t *row),
                      void *user, char *err, size_t errsize) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(
      s->db,
      "SELECT listing_id, product_id, seller_email, name, description,"
      " picture, categories, units, nanos FROM seller_products ORDER BY seq",
      -1, &st, NULL);
  if (rc != SQLITE_OK) {
    seterr(err, errsize, "%s: %s", s->path, sqlite3_errmsg(s->db));
    return -1;
  }
  int ret = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    seller_row_t r = {col(st, 0), col(st, 1), col(st, 2), col(st, 3),
                      col(st, 4), col(st, 5), col(st, 6),
                      sqlite3_column_int64(st, 7),
                      (int32_t)sqlite3_column_int64(st, 8)};
    if ((ret = cb(user, &r)) != 0)
      break;
  }
  if (ret == 0 && rc != SQLITE_DONE) {
    seterr(err, errsize, "%s: %s", s->path, sqlite3_errmsg(s->db));
    ret = -1;
  }
  sqlite3_finalize(st);
  return ret;
}

int seller_store_put(seller_store_t *s, const seller_row_t *r, char *err,
                     size_t errsize) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(
      s->db,
      "INSERT INTO seller_products (listing_id, product_id, seller_email,"
      " name, description, picture, categories, units, nanos)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
      " ON CONFLICT(listing_id) DO UPDATE SET product_id = ?2,"
      " seller_email = ?3, name = ?4, description = ?5, picture = ?6,"
      " categories = ?7, units = ?8, nanos = ?9",
      -1, &st, NULL);
  if (rc == SQLITE_OK) {
    const char *text[7] = {r->listing_id, r->product_id, r->seller_email,
                           r->name,       r->description, r->picture,
                           r->categories};
    for (int i = 0; i < 7; i++)
      sqlite3_bind_text(st, i + 1, text[i], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, r->units);
    sqlite3_bind_int64(st, 9, r->nanos);
    rc = sqlite3_step(st);
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    seterr(err, errsize, "%s: %s", s->path, sqlite3_errmsg(s->db));
    return -1;
  }
  return 0;
}

int seller_store_delete(seller_store_t *s, const char *listing_id, char *err,
                        size_t errsize) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(
      s->db, "DELETE FROM seller_products WHERE listing_id = ?1", -1, &st,
      NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, listing_id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    seterr(err, errsize, "%s: %s", s->path, sqlite3_errmsg(s->db));
    return -1;
  }
  return sqlite3_changes(s->db) > 0;
}
