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
  if (set_wal(db, mode, sizeof mode) != SQLITE_OK) {
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
  if (sqlite3_exec(db,
                   flags & SVC_SQLITE_SYNC_FULL ? "PRAGMA synchronous=FULL"
                                                : "PRAGMA synchronous=NORMAL",
                   NULL, NULL, NULL) != SQLITE_OK ||
      (schema && sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK)) {
    fail(err, errsize, what, path, sqlite3_errmsg(db));
    sqlite3_close(db);
    return NULL;
  }
  return db;
}
