/*
 * store.c — listings in SQLite (see store.h).
 */
#include "business/store.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/svc_sqlite.h"

#define BUSY_MS 5000

struct biz_store {
  sqlite3 *db;
  char *path;
};

static int seterr(biz_store_t *s, char *err, size_t n) {
  if (err && n)
    snprintf(err, n, "%s: %s", s->path, sqlite3_errmsg(s->db));
  return -1;
}

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS listings ("
    " id TEXT PRIMARY KEY,"
    " seller_email TEXT NOT NULL,"
    " product_name TEXT NOT NULL,"
    " description TEXT NOT NULL,"
    " categories TEXT NOT NULL,"
    " currency TEXT NOT NULL,"
    " units INTEGER NOT NULL,"
    " nanos INTEGER NOT NULL,"
    " usd_units INTEGER,"
    " usd_nanos INTEGER,"
    " picture_type TEXT NOT NULL,"
    " picture_len INTEGER NOT NULL,"
    " fingerprint TEXT NOT NULL,"
    " state TEXT NOT NULL,"
    " error TEXT NOT NULL,"
    " failed_service TEXT NOT NULL,"
    " catalog_id TEXT NOT NULL,"
    " created_ns INTEGER NOT NULL,"
    " updated_ns INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS listings_seller ON listings (seller_email);"
    "CREATE TABLE IF NOT EXISTS pictures ("
    " listing_id TEXT PRIMARY KEY,"
    " data BLOB NOT NULL);";

biz_store_t *biz_store_open(const char *path, char *err, size_t errsize) {
  biz_store_t *s = calloc(1, sizeof *s);
  if (!s || !(s->path = strdup(path))) {
    free(s);
    snprintf(err, errsize, "out of memory");
    return NULL;
  }
  /* FULL: a listing is on disk before the seller is told it is stored. */
  s->db = svc_sqlite_open(NULL, path, SVC_SQLITE_SYNC_FULL, BUSY_MS, schema,
                          err, errsize);
  if (!s->db) {
    biz_store_close(s);
    return NULL;
  }
  return s;
}

void biz_store_close(biz_store_t *s) {
  if (!s)
    return;
  sqlite3_close(s->db);
  free(s->path);
  free(s);
}

static void bind_text(sqlite3_stmt *st, int i, const char *v) {
  sqlite3_bind_text(st, i, v ? v : "", -1, SQLITE_TRANSIENT);
}

int biz_store_insert(biz_store_t *s, const listing_t *l, const uint8_t *pic,
                     size_t piclen, char *err, size_t errsize) {
  if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
    return seterr(s, err, errsize);
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(
      s->db,
      "INSERT INTO listings (id, seller_email, product_name, description,"
      " categories, currency, units, nanos, usd_units, usd_nanos,"
      " picture_type, picture_len, fingerprint, state, error, failed_service,"
      " catalog_id, created_ns, updated_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
      " ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)"
      " ON CONFLICT(id) DO NOTHING",
      -1, &st, NULL);
  int ret = -1;
  if (rc != SQLITE_OK)
    goto fail;
  char cats[160];
  listing_categories_join(l->categories, ",", cats, sizeof cats);
  bind_text(st, 1, l->id);
  bind_text(st, 2, l->seller_email);
  bind_text(st, 3, l->product_name);
  bind_text(st, 4, l->description);
  bind_text(st, 5, cats);
  bind_text(st, 6, l->currency);
  sqlite3_bind_int64(st, 7, l->units);
  sqlite3_bind_int64(st, 8, l->nanos);
  if (l->has_usd) {
    sqlite3_bind_int64(st, 9, l->usd_units);
    sqlite3_bind_int64(st, 10, l->usd_nanos);
  }
  bind_text(st, 11, l->picture_type);
  sqlite3_bind_int64(st, 12, (sqlite3_int64)l->picture_len);
  bind_text(st, 13, l->fingerprint);
  bind_text(st, 14, listing_state_name(l->state));
  bind_text(st, 15, l->error);
  bind_text(st, 16, l->failed_service);
  bind_text(st, 17, l->catalog_id);
  sqlite3_bind_int64(st, 18, l->created);
  sqlite3_bind_int64(st, 19, l->updated);
  if (sqlite3_step(st) != SQLITE_DONE)
    goto fail;
  if (sqlite3_changes(s->db) == 0) {
    ret = 1;
    goto rollback;
  }
  sqlite3_finalize(st);
  st = NULL;
  if (piclen) {
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO pictures (listing_id, data)"
                           " VALUES (?1, ?2)",
                           -1, &st, NULL) != SQLITE_OK)
      goto fail;
    bind_text(st, 1, l->id);
    sqlite3_bind_blob64(st, 2, pic, piclen, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
      goto fail;
    sqlite3_finalize(st);
    st = NULL;
  }
  if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    goto fail;
  return 0;
fail:
  seterr(s, err, errsize);
rollback:
  sqlite3_finalize(st);
  sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  return ret;
}

int biz_store_update(biz_store_t *s, const listing_t *l, char *err,
                     size_t errsize) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(
      s->db,
      "UPDATE listings SET state = ?2, error = ?3, failed_service = ?4,"
      " catalog_id = ?5, usd_units = ?6, usd_nanos = ?7, updated_ns = ?8"
      " WHERE id = ?1",
      -1, &st, NULL);
  if (rc == SQLITE_OK) {
    bind_text(st, 1, l->id);
    bind_text(st, 2, listing_state_name(l->state));
    bind_text(st, 3, l->error);
    bind_text(st, 4, l->failed_service);
    bind_text(st, 5, l->catalog_id);
    if (l->has_usd) {
      sqlite3_bind_int64(st, 6, l->usd_units);
      sqlite3_bind_int64(st, 7, l->usd_nanos);
    }
    sqlite3_bind_int64(st, 8, l->updated);
    rc = sqlite3_step(st);
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? 0 : seterr(s, err, errsize);
}

#define COLUMNS                                                              \
  "id, seller_email, product_name, description, categories, currency,"      \
  " units, nanos, usd_units, usd_nanos, picture_type, picture_len,"         \
  " fingerprint, state, error, failed_service, catalog_id, created_ns,"     \
  " updated_ns"

static const char *col(sqlite3_stmt *st, int i) {
  const unsigned char *t = sqlite3_column_text(st, i);
  return t ? (const char *)t : "";
}

/* Reads the current row into |l|. Returns 0 or -1 (out of memory). */
static int read_row(sqlite3_stmt *st, listing_t *l) {
  memset(l, 0, sizeof *l);
  snprintf(l->id, sizeof l->id, "%s", col(st, 0));
  l->seller_email = strdup(col(st, 1));
  l->product_name = strdup(col(st, 2));
  l->description = strdup(col(st, 3));
  char bad[48];
  listing_categories_parse(col(st, 4), &l->categories, bad, sizeof bad);
  snprintf(l->currency, sizeof l->currency, "%s", col(st, 5));
  l->units = sqlite3_column_int64(st, 6);
  l->nanos = (int32_t)sqlite3_column_int64(st, 7);
  if (sqlite3_column_type(st, 8) != SQLITE_NULL) {
    l->has_usd = 1;
    l->usd_units = sqlite3_column_int64(st, 8);
    l->usd_nanos = (int32_t)sqlite3_column_int64(st, 9);
  }
  snprintf(l->picture_type, sizeof l->picture_type, "%s", col(st, 10));
  l->picture_len = (size_t)sqlite3_column_int64(st, 11);
  snprintf(l->fingerprint, sizeof l->fingerprint, "%s", col(st, 12));
  if (listing_state_parse(col(st, 13), &l->state) != 0)
    l->state = LISTING_PENDING;
  l->error = strdup(col(st, 14));
  snprintf(l->failed_service, sizeof l->failed_service, "%s", col(st, 15));
  snprintf(l->catalog_id, sizeof l->catalog_id, "%s", col(st, 16));
  l->created = sqlite3_column_int64(st, 17);
  l->updated = sqlite3_column_int64(st, 18);
  if (!l->seller_email || !l->product_name || !l->description || !l->error) {
    listing_clear(l);
    return -1;
  }
  return 0;
}

int biz_store_get(biz_store_t *s, const char *id, listing_t *out, char *err,
                  size_t errsize) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(s->db,
                         "SELECT " COLUMNS " FROM listings WHERE id = ?1", -1,
                         &st, NULL) != SQLITE_OK)
    return seterr(s, err, errsize);
  bind_text(st, 1, id);
  int rc = sqlite3_step(st), ret;
  if (rc == SQLITE_ROW) {
    ret = read_row(st, out) == 0 ? 1 : -1;
    if (ret < 0)
      snprintf(err, errsize, "out of memory");
  } else if (rc == SQLITE_DONE) {
    ret = 0;
  } else {
    ret = seterr(s, err, errsize);
  }
  sqlite3_finalize(st);
  return ret;
}

long biz_store_list(biz_store_t *s, const char *seller, size_t limit,
                    listing_t **out, char *err, size_t errsize) {
  sqlite3_stmt *st = NULL;
  *out = NULL;
  if (sqlite3_prepare_v2(s->db,
                         seller ? "SELECT " COLUMNS " FROM listings WHERE"
                                  " seller_email = ?1 ORDER BY created_ns"
                                  " DESC, rowid DESC LIMIT ?2"
                                : "SELECT " COLUMNS " FROM listings ORDER BY"
                                  " created_ns DESC, rowid DESC LIMIT ?2",
                         -1, &st, NULL) != SQLITE_OK)
    return seterr(s, err, errsize);
  if (seller)
    bind_text(st, 1, seller);
  sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
  listing_t *a = NULL;
  size_t n = 0, cap = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      listing_t *b = realloc(a, cap * sizeof *a);
      if (!b)
        goto nomem;
      a = b;
    }
    if (read_row(st, &a[n]) != 0)
      goto nomem;
    n++;
  }
  if (rc != SQLITE_DONE) {
    seterr(s, err, errsize);
    goto fail;
  }
  sqlite3_finalize(st);
  *out = a;
  return (long)n;
nomem:
  snprintf(err, errsize, "out of memory");
fail:
  sqlite3_finalize(st);
  for (size_t i = 0; i < n; i++)
    listing_clear(&a[i]);
  free(a);
  return -1;
}

int biz_store_picture(biz_store_t *s, const char *id, uint8_t **data,
                      size_t *len, char *err, size_t errsize) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(s->db,
                         "SELECT data FROM pictures WHERE listing_id = ?1", -1,
                         &st, NULL) != SQLITE_OK)
    return seterr(s, err, errsize);
  bind_text(st, 1, id);
  int rc = sqlite3_step(st), ret = 0;
  if (rc == SQLITE_ROW) {
    size_t n = (size_t)sqlite3_column_bytes(st, 0);
    const void *p = sqlite3_column_blob(st, 0);
    *data = malloc(n ? n : 1);
    if (!*data) {
      snprintf(err, errsize, "out of memory");
      ret = -1;
    } else {
      if (n)
        memcpy(*data, p, n);
      *len = n;
      ret = 1;
    }
  } else if (rc != SQLITE_DONE) {
    ret = seterr(s, err, errsize);
  }
  sqlite3_finalize(st);
  return ret;
}

int biz_store_delete(biz_store_t *s, const char *id, char *err,
                     size_t errsize) {
  if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
    return seterr(s, err, errsize);
  int changed = 0;
  static const char *const sql[] = {
      "DELETE FROM pictures WHERE listing_id = ?1",
      "DELETE FROM listings WHERE id = ?1"};
  for (int i = 0; i < 2; i++) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql[i], -1, &st, NULL) != SQLITE_OK) {
      seterr(s, err, errsize);
      sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
      return -1;
    }
    bind_text(st, 1, id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
      seterr(s, err, errsize);
      sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
      return -1;
    }
    changed = sqlite3_changes(s->db);
  }
  if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
    seterr(s, err, errsize);
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
  }
  return changed > 0;
}
