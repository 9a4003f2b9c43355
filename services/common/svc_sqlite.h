/*
 * svc_sqlite.h — opening a service's SQLite store the one way meshsim's
 * services do (cart, the order journal, business listings, seller products):
 * extended result codes, a busy timeout, WAL, the chosen synchronous level,
 * then the schema.
 *
 * SQLite calls are synchronous. That is acceptable for these stores: local
 * files, small transactions, and in WAL mode a commit is one append (plus an
 * fsync with SVC_SQLITE_SYNC_FULL).
 */
#ifndef MESHSIM_SVC_SQLITE_H
#define MESHSIM_SVC_SQLITE_H

#include <stddef.h>
#include <sqlite3.h>

enum {
  /* Open an existing file read-only: no pragmas, no schema. */
  SVC_SQLITE_READONLY = 1u << 0,
  /* synchronous=FULL (survives power loss); otherwise NORMAL, which in WAL
   * mode survives the process being killed at any point. */
  SVC_SQLITE_SYNC_FULL = 1u << 1,
  /* Fail unless the file really is in WAL mode (a file system without shared
   * memory keeps "delete"). ":memory:" databases are exempt. */
  SVC_SQLITE_REQUIRE_WAL = 1u << 2,
};

/* Opens |path| and prepares it as above, running |schema| (may be NULL).
 * Another process preparing the same file at the same moment can make
 * SQLite refuse the WAL switch or the schema with SQLITE_BUSY without
 * waiting (a deadlock guard): those steps are retried every 5 ms for up
 * to |busy_ms| (sqlite3_sleep; only ever on contention between
 * processes, never in the simulator's one-process volumes).
 * |what| names the store in messages ("cart database"; NULL: just the path).
 * Returns the handle (close with sqlite3_close), or NULL with a one-line
 * reason in |err| of the form "cannot open <what> <path>: <why>". */
sqlite3 *svc_sqlite_open(const char *what, const char *path, unsigned flags,
                         int busy_ms, const char *schema, char *err,
                         size_t errsize);

#endif /* MESHSIM_SVC_SQLITE_H */
