/*
 * journal.h — checkoutservice's order journal: one SQLite row per order
 * (table "orders") with its state, and one row per step taken (table
 * "order_steps"), so that after a failure scenario — or a crash of
 * checkoutservice itself — one can count what really happened, e.g. orders
 * charged but not shipped. Failure scenarios and tests read it through
 * journal_counts() / journal_count_path() / journal_get().
 *
 * States of an order, and the steps that move it (PlaceOrder's order):
 *
 *   pending ──FAILED──> failed            (before charging: nothing charged)
 *      │  (also failed, charge_failed) ──CHARGING──> charging
 *   charging ──CHARGED──> charged ──SHIPPED──> shipped ──CONFIRMED──> confirmed
 *      │                     └──SHIP_FAILED──> ship_failed   (charged, not shipped)
 *      ├──CHARGE_FAILED──> charge_failed  (payment refused: nothing charged)
 *      └──CHARGE_UNKNOWN─> charge_unknown (no answer: deadline, cancel,
 *                                           connection lost; it may have
 *                                           gone through)
 *   shipped: CART_EMPTIED / CART_EMPTY_FAILED / EMAIL_SENT / EMAIL_FAILED
 *            record the two best-effort steps without changing the state.
 *
 * "charging" is committed *before* the Charge call goes out, so a crash
 * during the call leaves the order in "charging": the record never claims
 * less than may have happened. The CHARGING step is the only way into
 * "charging" and is a check-and-set in one transaction: an order already
 * charging, charge_unknown, charged or beyond is never charged again
 * (journal_charge_begin() answers JOURNAL_EALREADY).
 *
 * Times are rt_now() values (ns since the epoch) stored as INTEGER.
 * The file is in WAL mode with synchronous=NORMAL (or FULL), like the cart
 * database: a recorded step survives a crash of the process. Calls are
 * synchronous (local file, one small transaction each). Not thread-safe.
 */
#ifndef MESHSIM_JOURNAL_H
#define MESHSIM_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

typedef struct journal journal_t;

/* Error codes (0 is success). */
#define JOURNAL_EDB (-1)      /* SQLite failed; the message says why */
#define JOURNAL_EEXIST (-2)   /* journal_order_begin: the order id is known */
#define JOURNAL_ENOENT (-3)   /* no such order */
#define JOURNAL_ESTATE (-4)   /* the step does not apply in the order's state */
#define JOURNAL_EALREADY (-5) /* journal_charge_begin: charged or charging */
#define JOURNAL_ENOMEM (-6)

/* "order already charged or being charged", ...; static storage. */
const char *journal_strerror(int err);

#define JOURNAL_STATE_MAP(X)                                                  \
  X(PENDING, "pending")                                                       \
  X(FAILED, "failed")                                                         \
  X(CHARGING, "charging")                                                     \
  X(CHARGE_FAILED, "charge_failed")                                           \
  X(CHARGE_UNKNOWN, "charge_unknown")                                         \
  X(CHARGED, "charged")                                                       \
  X(SHIP_FAILED, "ship_failed")                                               \
  X(SHIPPED, "shipped")                                                       \
  X(CONFIRMED, "confirmed")

typedef enum journal_state {
#define JOURNAL_STATE_ENUM(name, text) JOURNAL_##name,
  JOURNAL_STATE_MAP(JOURNAL_STATE_ENUM)
#undef JOURNAL_STATE_ENUM
  JOURNAL_N_STATES
} journal_state_t;

/* "charge_failed" for JOURNAL_CHARGE_FAILED; NULL when out of range. */
const char *journal_state_name(journal_state_t s);
/* The state named |name|, or -1. */
int journal_state_parse(const char *name);

/* Steps for journal_record(); |detail| is what each stores. */
typedef enum journal_step {
  JOURNAL_STEP_FAILED,            /* pending|failed -> failed; detail: error */
  JOURNAL_STEP_CHARGED,           /* charging -> charged; detail: transaction id */
  JOURNAL_STEP_CHARGE_FAILED,     /* charging -> charge_failed; detail: error */
  JOURNAL_STEP_CHARGE_UNKNOWN,    /* charging -> charge_unknown; detail: error */
  JOURNAL_STEP_SHIPPED,           /* charged -> shipped; detail: tracking id */
  JOURNAL_STEP_SHIP_FAILED,       /* charged -> ship_failed; detail: error */
  JOURNAL_STEP_CART_EMPTIED,      /* in shipped; detail: NULL */
  JOURNAL_STEP_CART_EMPTY_FAILED, /* in shipped; detail: error */
  JOURNAL_STEP_EMAIL_SENT,        /* in shipped; detail: NULL */
  JOURNAL_STEP_EMAIL_FAILED,      /* in shipped; detail: error */
  JOURNAL_STEP_CONFIRMED,         /* shipped -> confirmed; detail: NULL */
  JOURNAL_N_STEPS
} journal_step_t;

/* "charged", "cart_emptied", ...; NULL when out of range. */
const char *journal_step_name(journal_step_t step);

/* Flags for journal_open(). */
#define JOURNAL_SYNC_FULL 1u /* fsync every commit (power-loss safe) */
#define JOURNAL_READONLY 2u  /* open an existing journal to read it only */

/* Opens (creating it and its schema unless JOURNAL_READONLY) the journal at
 * |path|. Returns it, or NULL with a message naming |path| in |err|. */
journal_t *journal_open(const char *path, unsigned flags, char *err,
                        size_t errsize);

/* Closes the journal. NULL is a no-op. */
void journal_close(journal_t *j);

/* The message of the last failed call on |j| (owned by |j|). */
const char *journal_errmsg(const journal_t *j);

/* Creates order |order_id| in state "pending" for |user_id|, paying in
 * |currency|, at |now|. Returns 0, JOURNAL_EEXIST (the row is left as it
 * is; *|state| gets its state when |state| is not NULL) or JOURNAL_EDB. */
int journal_order_begin(journal_t *j, const char *order_id,
                        const char *user_id, const char *currency,
                        int64_t now, journal_state_t *state);

/* The charge gate: atomically moves order |order_id| from pending, failed
 * or charge_failed to "charging", storing the total (|units|, |nanos|) it
 * is about to be charged. Returns 0 (go ahead and call Charge once),
 * JOURNAL_EALREADY (the order is charging, charge_unknown, charged or
 * beyond: do not charge; *|state| gets its state when not NULL; a
 * "charge_refused" step is recorded), JOURNAL_ENOENT or JOURNAL_EDB. */
int journal_charge_begin(journal_t *j, const char *order_id, int64_t units,
                         int32_t nanos, int64_t now, journal_state_t *state);

/* Records |step| for |order_id| at |now| (see journal_step_t for |detail|,
 * which may be NULL). Returns 0, JOURNAL_ENOENT, JOURNAL_ESTATE (the order
 * is not in a state the step applies to; nothing changed) or JOURNAL_EDB. */
int journal_record(journal_t *j, const char *order_id, journal_step_t step,
                   const char *detail, int64_t now);

/* Orders by state, for failure scenarios and tests. */
typedef struct journal_counts {
  uint64_t by_state[JOURNAL_N_STATES];
  uint64_t total;
  /* Paid for certain and not shipped: charged_at set, shipped_at not
   * (states charged and ship_failed). */
  uint64_t charged_not_shipped;
  /* Possibly paid, outcome unknown (states charging and charge_unknown). */
  uint64_t charge_in_doubt;
} journal_counts_t;

/* Fills |out|. Returns 0 or JOURNAL_EDB. */
int journal_counts(journal_t *j, journal_counts_t *out);

/* journal_counts() of the journal file at |path|, opened read-only for the
 * duration of the call (the service may keep writing it). Returns 0, or
 * JOURNAL_EDB with a message in |err|. */
int journal_count_path(const char *path, journal_counts_t *out, char *err,
                       size_t errsize);

/* One order as recorded. Strings are owned by the struct (free with
 * journal_order_clear()); NULL when not recorded. Times are 0 when not
 * recorded. */
typedef struct journal_order {
  char *order_id, *user_id, *currency;
  journal_state_t state;
  int64_t total_units;
  int32_t total_nanos;
  int64_t created_at, charging_at, charged_at, shipped_at, cart_emptied_at,
      emailed_at, confirmed_at;
  char *transaction_id, *tracking_id, *error;
  unsigned n_steps; /* rows in order_steps for this order */
} journal_order_t;

/* Reads order |order_id| into |out|. Returns 0, JOURNAL_ENOENT, JOURNAL_EDB
 * or JOURNAL_ENOMEM; on error |out| holds nothing to free. */
int journal_get(journal_t *j, const char *order_id, journal_order_t *out);
void journal_order_clear(journal_order_t *o);

#endif /* MESHSIM_JOURNAL_H */
