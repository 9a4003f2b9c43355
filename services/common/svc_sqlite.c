/*
 * svc_sqlite.c — see svc_sqlite.h.
 */
#include "svc_sqlite.h"

#include <stdio.h>
#include <string.h>

static void fail(char *err, size_t errsize, const char *what, const char *path,
                 const char *why) {
  snprintf(err, errsize, "cannot open %s%s%s: %s", what ? what : "",
           what ? " " : "", path, why);
}

/* The journal mode in effect after asking for WAL, or NULL on error. */
static int set_wal(sqlite3 *db, char *mode, size_t len) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
  if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *m = (const char *)sqlite3_column_text(st, 0);
    snprintf(mode, len, "%s", m ? m : "");
    rc = SQLITE_OK;
  }
  sqlite3_finalize(st);
  return rc;
}

/* WAL mode, the synchronous pragma and the schema: an SQLite result code. */
static int setup(sqlite3 *db, unsigned flags, const char *schema, char *mode,
                 size_t len) {
  int rc = set_wal(db, mode, len);
  if (rc != SQLITE_OK)
    return rc;
  rc = sqlite3_exec(db,
                    flags & SVC_SQLITE_SYNC_FULL ? "PRAGMA synchronous=FULL"
                                                 : "PRAGMA synchronous=NORMAL",
                    NULL, NULL, NULL);
  if (rc == SQLITE_OK && schema)
    rc = sqlite3_exec(db, schema, NULL, NULL, NULL);
  return rc;
}

sqlite3 *svc_sqlite_open(const char *what, const char *path, unsigned flags,
                         int busy_ms, const char *schema, char *err,
                         size_t errsize) {
  sqlite3 *db = NULL;
  int ro = (flags & SVC_SQLITE_READONLY) != 0;
  int rc = sqlite3_open_v2(path, &db,
                           (ro ? SQLITE_OPEN_READONLY
                               : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                               SQLITE_OPEN_NOMUTEX,
                           NULL);
  if (rc != SQLITE_OK) {
    fail(err, errsize, what, path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return NULL;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_ms);
  if (ro)
    return db;
  char mode[32] = "";
  /* Two processes opening one new file together (two replicas on one
   * volume): switching to WAL and creating the schema take a write lock
   * that SQLite's busy handler does not wait for when waiting could
   * deadlock; it answers SQLITE_BUSY at once. Retry, within busy_ms. */
  for (int waited = 0;; waited += 5) {
    rc = setup(db, flags, schema, mode, sizeof mode);
    int base = rc & 0xff;
    if ((base != SQLITE_BUSY && base != SQLITE_LOCKED) || waited >= busy_ms)
      break;
    sqlite3_sleep(5);
  }
  if (rc != SQLITE_OK) {
    fail(err, errsize, what, path, sqlite3_errmsg(db));
    sqlite3_close(db);
    return NULL;
  }
  if ((flags & SVC_SQLITE_REQUIRE_WAL) && strcmp(mode, "wal") != 0 &&
      strcmp(path, ":memory:") != 0) {
    char why[96];
    snprintf(why, sizeof why, "cannot use WAL mode (got %s)",
             *mode ? mode : "nothing");
    fail(err, errsize, what, path, why);
    sqlite3_close(db);
    return NULL;
  }
  return db;
}
