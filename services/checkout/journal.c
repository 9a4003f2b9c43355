/*
 * journal.c — the order journal in SQLite; see journal.h for the states and
 * the promises. Every change is one IMMEDIATE transaction (the write lock is
 * taken first, so the check and the set of a step see the same row) that
 * updates the order and appends its step.
 */
#include "checkout/journal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/svc_sqlite.h"

#define BUSY_MS 5000

static const char *const state_names[] = {
#define JOURNAL_STATE_TEXT(name, text) text,
    JOURNAL_STATE_MAP(JOURNAL_STATE_TEXT)
#undef JOURNAL_STATE_TEXT
};

/* The states as an SQL list: 'pending','failed',...,'pending' (the last
 * repeated to close the list without a NULL, which CHECK would accept). */
#define JOURNAL_STATE_SQL(name, text) "'" text "',"
#define STATE_LIST JOURNAL_STATE_MAP(JOURNAL_STATE_SQL) "'pending'"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS orders ("
    " order_id TEXT PRIMARY KEY NOT NULL,"
    " user_id TEXT NOT NULL,"
    " currency TEXT NOT NULL,"
    " total_units INTEGER,"
    " total_nanos INTEGER,"
    " state TEXT NOT NULL CHECK (state IN (" STATE_LIST ")),"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL,"
    " charging_at INTEGER,"
    " charged_at INTEGER,"
    " shipped_at INTEGER,"
    " cart_emptied_at INTEGER,"
    " emailed_at INTEGER,"
    " confirmed_at INTEGER,"
    " transaction_id TEXT,"
    " tracking_id TEXT,"
    " error TEXT);"
    "CREATE INDEX IF NOT EXISTS orders_state ON orders (state);"
    "CREATE TABLE IF NOT EXISTS order_steps ("
    " seq INTEGER PRIMARY KEY,"
    " order_id TEXT NOT NULL,"
    " step TEXT NOT NULL,"
    " detail TEXT,"
    " at INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS order_steps_order ON order_steps (order_id);";

/* Step updates: ?1 order id, ?2 detail, ?3 now. The WHERE on the state is
 * the step's precondition; a row it does not match is left alone. */
typedef struct step_def {
  const char *name;
  const char *sql;
} step_def_t;

#define UPD(set, from)                                                        \
  "UPDATE orders SET " set ", updated_at = ?3 WHERE order_id = ?1 AND "       \
  "state IN (" from ")"

static const step_def_t steps[JOURNAL_N_STEPS] = {
    [JOURNAL_STEP_FAILED] = {"failed", UPD("state = 'failed', error = ?2",
                                           "'pending', 'failed'")},
    [JOURNAL_STEP_CHARGED] = {"charged",
                              UPD("state = 'charged', transaction_id = ?2, "
                                  "charged_at = ?3",
                                  "'charging'")},
    [JOURNAL_STEP_CHARGE_FAILED] = {"charge_failed",
                                    UPD("state = 'charge_failed', error = ?2",
                                        "'charging'")},
    [JOURNAL_STEP_CHARGE_UNKNOWN] = {"charge_unknown",
                                     UPD("state = 'charge_unknown', error = ?2",
                                         "'charging'")},
    [JOURNAL_STEP_SHIPPED] = {"shipped",
                              UPD("state = 'shipped', tracking_id = ?2, "
                                  "shipped_at = ?3",
                                  "'charged'")},
    [JOURNAL_STEP_SHIP_FAILED] = {"ship_failed",
                                  UPD("state = 'ship_failed', error = ?2",
                                      "'charged'")},
    [JOURNAL_STEP_CART_EMPTIED] = {"cart_emptied",
                                   UPD("cart_emptied_at = ?3", "'shipped'")},
    [JOURNAL_STEP_CART_EMPTY_FAILED] = {"cart_empty_failed",
                                        UPD("error = ?2", "'shipped'")},
    [JOURNAL_STEP_EMAIL_SENT] = {"email_sent", UPD("emailed_at = ?3", "'shipped'")},
    [JOURNAL_STEP_EMAIL_FAILED] = {"email_failed", UPD("error = ?2", "'shipped'")},
    [JOURNAL_STEP_CONFIRMED] = {"confirmed",
                                UPD("state = 'confirmed', confirmed_at = ?3",
                                    "'shipped'")},
};

/* Statements, prepared once (all at open, so a read-only open of a file
 * that is not a journal fails there, with SQLite's reason). */
enum {
  S_BEGIN,
  S_COMMIT,
  S_ROLLBACK,
  S_INSERT,
  S_STATE,
  S_GATE,
  S_STEP,
  S_GET,
  S_NSTEPS,
  S_COUNT,
  S_CNS,
  S_BEGIN_READ,
  S_N
};

static const char *const sql[S_N] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_INSERT] = "INSERT INTO orders (order_id, user_id, currency, state,"
                 " created_at, updated_at) VALUES (?1, ?2, ?3, 'pending', ?4, ?4)"
                 " ON CONFLICT (order_id) DO NOTHING",
    [S_STATE] = "SELECT state FROM orders WHERE order_id = ?1",
    [S_GATE] = "UPDATE orders SET state = 'charging', total_units = ?2,"
               " total_nanos = ?3, charging_at = ?4, updated_at = ?4"
               " WHERE order_id = ?1"
               " AND state IN ('pending', 'failed', 'charge_failed')",
    [S_STEP] = "INSERT INTO order_steps (order_id, step, detail, at)"
               " VALUES (?1, ?2, ?3, ?4)",
    [S_GET] = "SELECT order_id, user_id, currency, state, total_units,"
              " total_nanos, created_at, charging_at, charged_at, shipped_at,"
              " cart_emptied_at, emailed_at, confirmed_at, transaction_id,"
              " tracking_id, error FROM orders WHERE order_id = ?1",
    [S_NSTEPS] = "SELECT count(*) FROM order_steps WHERE order_id = ?1",
    [S_COUNT] = "SELECT state, count(*) FROM orders GROUP BY state",
    [S_CNS] = "SELECT count(*) FROM orders"
              " WHERE charged_at IS NOT NULL AND shipped_at IS NULL",
    [S_BEGIN_READ] = "BEGIN",
};

struct journal {
  sqlite3 *db;
  char *path;
  unsigned flags;
  sqlite3_stmt *st[S_N];
  sqlite3_stmt *step[JOURNAL_N_STEPS];
  char err[512];
};

const char *journal_strerror(int err) {
  switch (err) {
  case 0:
    return "ok";
  case JOURNAL_EDB:
    return "order journal database error";
  case JOURNAL_EEXIST:
    return "order already in the journal";
  case JOURNAL_ENOENT:
    return "no such order in the journal";
  case JOURNAL_ESTATE:
    return "step does not apply in the order's state";
  case JOURNAL_EALREADY:
    return "order already charged or being charged";
  case JOURNAL_ENOMEM:
    return "out of memory";
  default:
    return "unknown journal error";
  }
}

const char *journal_state_name(journal_state_t s) {
  return (unsigned)s < JOURNAL_N_STATES ? state_names[s] : NULL;
}

int journal_state_parse(const char *name) {
  for (int i = 0; name && i < JOURNAL_N_STATES; i++)
    if (strcmp(state_names[i], name) == 0)
      return i;
  return -1;
}

const char *journal_step_name(journal_step_t step) {
  return (unsigned)step < JOURNAL_N_STEPS ? steps[step].name : NULL;
}

const char *journal_errmsg(const journal_t *j) { return j->err; }

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

static int db_error(journal_t *j) {
  seterr(j->err, sizeof j->err, "order journal %s: %s", j->path,
         sqlite3_errmsg(j->db));
  return JOURNAL_EDB;
}

/* Runs a statement that returns no rows; resets it. */
static int run(sqlite3_stmt *st) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static int tx(journal_t *j, int which) {
  return run(j->st[which]) == SQLITE_OK ? 0 : db_error(j);
}

/* Ends a transaction in error: the error message was set first. */
static int abort_tx(journal_t *j, int ret) {
  if (!sqlite3_get_autocommit(j->db))
    run(j->st[S_ROLLBACK]);
  return ret;
}

static int bind_text(sqlite3_stmt *st, int i, const char *s) {
  return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC)
           : sqlite3_bind_null(st, i);
}

static int add_step(journal_t *j, const char *order_id, const char *step,
                    const char *detail, int64_t now) {
  sqlite3_stmt *st = j->st[S_STEP];
  bind_text(st, 1, order_id);
  bind_text(st, 2, step);
  bind_text(st, 3, detail);
  sqlite3_bind_int64(st, 4, now);
  return run(st) == SQLITE_OK ? 0 : db_error(j);
}

/* The state of |order_id|: 0 and *|state|, JOURNAL_ENOENT or JOURNAL_EDB. */
static int get_state(journal_t *j, const char *order_id,
                     journal_state_t *state) {
  sqlite3_stmt *st = j->st[S_STATE];
  bind_text(st, 1, order_id);
  int rc = sqlite3_step(st), ret = 0;
  if (rc == SQLITE_ROW) {
    int s = journal_state_parse((const char *)sqlite3_column_text(st, 0));
    *state = s < 0 ? JOURNAL_PENDING : (journal_state_t)s;
  } else if (rc == SQLITE_DONE) {
    ret = JOURNAL_ENOENT;
  } else {
    ret = db_error(j);
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return ret;
}

journal_t *journal_open(const char *path, unsigned flags, char *err,
                        size_t errsize) {
  journal_t *j = calloc(1, sizeof *j);
  if (!j || !(j->path = strdup(path))) {
    free(j);
    seterr(err, errsize, "order journal %s: out of memory", path);
    return NULL;
  }
  j->flags = flags;
  int ro = (flags & JOURNAL_READONLY) != 0;
  j->db = svc_sqlite_open("order journal", path,
                          ro ? SVC_SQLITE_READONLY
                             : SVC_SQLITE_REQUIRE_WAL |
                                   (flags & JOURNAL_SYNC_FULL ? SVC_SQLITE_SYNC_FULL : 0),
                          BUSY_MS, ro ? NULL : schema, err, errsize);
  if (!j->db) {
    journal_close(j);
    return NULL;
  }
  int rc = SQLITE_OK;
  for (int i = 0; rc == SQLITE_OK && i < S_N; i++)
    rc = sqlite3_prepare_v3(j->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                            &j->st[i], NULL);
  for (int i = 0; rc == SQLITE_OK && i < JOURNAL_N_STEPS; i++)
    rc = sqlite3_prepare_v3(j->db, steps[i].sql, -1,
                            SQLITE_PREPARE_PERSISTENT, &j->step[i], NULL);
  if (rc != SQLITE_OK) {
    seterr(err, errsize, "cannot open order journal %s: %s", path,
           sqlite3_errmsg(j->db));
    journal_close(j);
    return NULL;
  }
  return j;
}

void journal_close(journal_t *j) {
  if (!j)
    return;
  for (int i = 0; i < S_N; i++)
    sqlite3_finalize(j->st[i]);
  for (int i = 0; i < JOURNAL_N_STEPS; i++)
    sqlite3_finalize(j->step[i]);
  sqlite3_close(j->db);
  free(j->path);
  free(j);
}

int journal_order_begin(journal_t *j, const char *order_id,
                        const char *user_id, const char *currency,
                        int64_t now, journal_state_t *state) {
  int ret = tx(j, S_BEGIN);
  if (ret != 0)
    return ret;
  sqlite3_stmt *st = j->st[S_INSERT];
  bind_text(st, 1, order_id);
  bind_text(st, 2, user_id ? user_id : "");
  bind_text(st, 3, currency ? currency : "");
  sqlite3_bind_int64(st, 4, now);
  if (run(st) != SQLITE_OK)
    return abort_tx(j, db_error(j));
  if (sqlite3_changes(j->db) == 0) {
    journal_state_t s = JOURNAL_PENDING;
    ret = get_state(j, order_id, &s);
    if (ret == 0 && state)
      *state = s;
    abort_tx(j, 0);
    return ret == 0 ? JOURNAL_EEXIST : ret;
  }
  if ((ret = add_step(j, order_id, "created", NULL, now)) != 0)
    return abort_tx(j, ret);
  return tx(j, S_COMMIT) == 0 ? 0 : abort_tx(j, JOURNAL_EDB);
}

int journal_charge_begin(journal_t *j, const char *order_id, int64_t units,
                         int32_t nanos, int64_t now, journal_state_t *state) {
  int ret = tx(j, S_BEGIN);
  if (ret != 0)
    return ret;
  sqlite3_stmt *st = j->st[S_GATE];
  bind_text(st, 1, order_id);
  sqlite3_bind_int64(st, 2, units);
  sqlite3_bind_int(st, 3, nanos);
  sqlite3_bind_int64(st, 4, now);
  if (run(st) != SQLITE_OK)
    return abort_tx(j, db_error(j));
  if (sqlite3_changes(j->db) == 0) {
    /* Not chargeable: say why, and leave a trace of the refusal. */
    journal_state_t s = JOURNAL_PENDING;
    if ((ret = get_state(j, order_id, &s)) != 0)
      return abort_tx(j, ret);
    if (state)
      *state = s;
    if ((ret = add_step(j, order_id, "charge_refused", journal_state_name(s),
                        now)) != 0)
      return abort_tx(j, ret);
    return tx(j, S_COMMIT) == 0 ? JOURNAL_EALREADY : abort_tx(j, JOURNAL_EDB);
  }
  if (state)
    *state = JOURNAL_CHARGING;
  if ((ret = add_step(j, order_id, "charging", NULL, now)) != 0)
    return abort_tx(j, ret);
  return tx(j, S_COMMIT) == 0 ? 0 : abort_tx(j, JOURNAL_EDB);
}

int journal_record(journal_t *j, const char *order_id, journal_step_t step,
                   const char *detail, int64_t now) {
  if ((unsigned)step >= JOURNAL_N_STEPS) {
    seterr(j->err, sizeof j->err, "order journal: no step %d", (int)step);
    return JOURNAL_ESTATE;
  }
  int ret = tx(j, S_BEGIN);
  if (ret != 0)
    return ret;
  sqlite3_stmt *st = j->step[step];
  bind_text(st, 1, order_id);
  bind_text(st, 2, detail);
  sqlite3_bind_int64(st, 3, now);
  if (run(st) != SQLITE_OK)
    return abort_tx(j, db_error(j));
  if (sqlite3_changes(j->db) == 0) {
    journal_state_t s = JOURNAL_PENDING;
    ret = get_state(j, order_id, &s);
    if (ret == 0) {
      seterr(j->err, sizeof j->err, "order %s: step %s does not apply in state %s",
             order_id, steps[step].name, journal_state_name(s));
      ret = JOURNAL_ESTATE;
    } else if (ret == JOURNAL_ENOENT) {
      seterr(j->err, sizeof j->err, "order %s: not in the journal", order_id);
    }
    return abort_tx(j, ret);
  }
  if ((ret = add_step(j, order_id, steps[step].name, detail, now)) != 0)
    return abort_tx(j, ret);
  return tx(j, S_COMMIT) == 0 ? 0 : abort_tx(j, JOURNAL_EDB);
}

int journal_counts(journal_t *j, journal_counts_t *out) {
  memset(out, 0, sizeof *out);
  /* One read transaction, so the two queries see one snapshot. */
  if (tx(j, S_BEGIN_READ) != 0)
    return JOURNAL_EDB;
  sqlite3_stmt *st = j->st[S_COUNT];
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int s = journal_state_parse((const char *)sqlite3_column_text(st, 0));
    uint64_t n = (uint64_t)sqlite3_column_int64(st, 1);
    if (s >= 0)
      out->by_state[s] = n;
    out->total += n;
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE)
    return abort_tx(j, db_error(j));
  st = j->st[S_CNS];
  if ((rc = sqlite3_step(st)) == SQLITE_ROW)
    out->charged_not_shipped = (uint64_t)sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  if (rc != SQLITE_ROW)
    return abort_tx(j, db_error(j));
  out->charge_in_doubt =
      out->by_state[JOURNAL_CHARGING] + out->by_state[JOURNAL_CHARGE_UNKNOWN];
  return tx(j, S_COMMIT) == 0 ? 0 : abort_tx(j, JOURNAL_EDB);
}

int journal_count_path(const char *path, journal_counts_t *out, char *err,
                       size_t errsize) {
  journal_t *j = journal_open(path, JOURNAL_READONLY, err, errsize);
  if (!j)
    return JOURNAL_EDB;
  int ret = journal_counts(j, out);
  if (ret != 0)
    seterr(err, errsize, "%s", j->err);
  journal_close(j);
  return ret;
}

static int dup_col(sqlite3_stmt *st, int i, char **out) {
  const unsigned char *s = sqlite3_column_text(st, i);
  *out = NULL;
  if (!s)
    return 0;
  return (*out = strdup((const char *)s)) ? 0 : JOURNAL_ENOMEM;
}

void journal_order_clear(journal_order_t *o) {
  free(o->order_id);
  free(o->user_id);
  free(o->currency);
  free(o->transaction_id);
  free(o->tracking_id);
  free(o->error);
  memset(o, 0, sizeof *o);
}

int journal_get(journal_t *j, const char *order_id, journal_order_t *out) {
  memset(out, 0, sizeof *out);
  sqlite3_stmt *st = j->st[S_GET];
  bind_text(st, 1, order_id);
  int rc = sqlite3_step(st), ret = 0;
  if (rc == SQLITE_ROW) {
    int s = journal_state_parse((const char *)sqlite3_column_text(st, 3));
    out->state = s < 0 ? JOURNAL_PENDING : (journal_state_t)s;
    out->total_units = sqlite3_column_int64(st, 4);
    out->total_nanos = sqlite3_column_int(st, 5);
    int64_t *times[] = {&out->created_at,      &out->charging_at,
                        &out->charged_at,      &out->shipped_at,
                        &out->cart_emptied_at, &out->emailed_at,
                        &out->confirmed_at};
    for (int i = 0; i < 7; i++)
      *times[i] = sqlite3_column_int64(st, 6 + i);
    if (dup_col(st, 0, &out->order_id) || dup_col(st, 1, &out->user_id) ||
        dup_col(st, 2, &out->currency) ||
        dup_col(st, 13, &out->transaction_id) ||
        dup_col(st, 14, &out->tracking_id) || dup_col(st, 15, &out->error))
      ret = JOURNAL_ENOMEM;
  } else if (rc == SQLITE_DONE) {
    ret = JOURNAL_ENOENT;
  } else {
    ret = db_error(j);
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (ret == 0) {
    st = j->st[S_NSTEPS];
    bind_text(st, 1, order_id);
    if (sqlite3_step(st) == SQLITE_ROW)
      out->n_steps = (unsigned)sqlite3_column_int(st, 0);
    else
      ret = db_error(j);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
  }
  if (ret != 0)
    journal_order_clear(out);
  return ret;
}
