/*
 * check_cart.c — cartservice on the test runtime, with its SQLite database
 * in a fresh temporary directory per test: add/get/empty, increments,
 * validation, persistence across instances, concurrent adds from two
 * instances (interleaved, and from two processes at once) on one file,
 * configuration errors, and database errors turned into statuses.
 */
#include <errno.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cart/cart.h"
#include "cart/cart_store.h"
#include "check_util.h"

static rt_status_t st;
static const char *msg;
static char dir[256], dbpath[300], envpath[320];

/* A fresh directory with the database path in it, and the env naming it. */
static void setup(void) {
  const char *tmp = getenv("TMPDIR");
  snprintf(dir, sizeof dir, "%s/meshsim-cart-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(dbpath, sizeof dbpath, "%s/carts.db", dir);
  snprintf(envpath, sizeof envpath, "CART_DB_PATH=%s", dbpath);
}

static void teardown(void) {
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    fprintf(stderr, "could not remove %s\n", dir);
}

static rt_test_t *start(const char *extra) {
  const char *env[] = {envpath, extra, NULL};
  rt_test_t *t = rt_test_new(&cart_service, env, 1);
  ck_assert_msg(t != NULL, "init failed: %s", rt_test_last_init_error());
  return t;
}

static void add(rt_test_t *t, const char *user, const char *pid, int32_t q) {
  Hipstershop__CartItem item = HIPSTERSHOP__CART_ITEM__INIT;
  item.product_id = (char *)pid;
  item.quantity = q;
  Hipstershop__AddItemRequest req = HIPSTERSHOP__ADD_ITEM_REQUEST__INIT;
  req.user_id = (char *)user;
  req.item = &item;
  ProtobufCMessage *r = NULL;
  CALL(t, "CartService", "AddItem", &req.base, &hipstershop__empty__descriptor,
       0, &st, &msg, &r);
  rt_msg_free(r);
}

static Hipstershop__Cart *get(rt_test_t *t, const char *user) {
  Hipstershop__GetCartRequest req = HIPSTERSHOP__GET_CART_REQUEST__INIT;
  req.user_id = (char *)user;
  Hipstershop__Cart *c = NULL;
  CALL(t, "CartService", "GetCart", &req.base, &hipstershop__cart__descriptor,
       0, &st, &msg, &c);
  return c;
}

static void empty(rt_test_t *t, const char *user) {
  Hipstershop__EmptyCartRequest req = HIPSTERSHOP__EMPTY_CART_REQUEST__INIT;
  req.user_id = (char *)user;
  ProtobufCMessage *r = NULL;
  CALL(t, "CartService", "EmptyCart", &req.base,
       &hipstershop__empty__descriptor, 0, &st, &msg, &r);
  rt_msg_free(r);
}

/* The quantity of |pid| in |user|'s cart (0: absent). */
static int32_t qty(rt_test_t *t, const char *user, const char *pid) {
  Hipstershop__Cart *c = get(t, user);
  ck_assert_int_eq(st, RT_OK);
  int32_t q = 0;
  for (size_t i = 0; i < c->n_items; i++)
    if (strcmp(c->items[i]->product_id, pid) == 0)
      q = c->items[i]->quantity;
  rt_msg_free(&c->base);
  return q;
}

START_TEST(test_add_get_empty) {
  rt_test_t *t = start(NULL);
  ck_assert_int_ge(rt_test_log_find(t, dbpath), 0); /* the path is logged */
  Hipstershop__Cart *c = get(t, "nobody");
  ck_assert_int_eq(st, RT_OK);
  ck_assert_str_eq(c->user_id, "nobody");
  ck_assert_uint_eq(c->n_items, 0);
  rt_msg_free(&c->base);

  add(t, "u1", "OLJCESPC7Z", 2);
  ck_assert_int_eq(st, RT_OK);
  add(t, "u1", "66VCHSJNUP", 1);
  add(t, "u1", "OLJCESPC7Z", 3); /* adds to the quantity */
  add(t, "u2", "OLJCESPC7Z", 7);
  c = get(t, "u1");
  ck_assert_int_eq(st, RT_OK);
  ck_assert_str_eq(c->user_id, "u1");
  ck_assert_uint_eq(c->n_items, 2);
  /* In the order first added. */
  ck_assert_str_eq(c->items[0]->product_id, "OLJCESPC7Z");
  ck_assert_int_eq(c->items[0]->quantity, 5);
  ck_assert_str_eq(c->items[1]->product_id, "66VCHSJNUP");
  ck_assert_int_eq(c->items[1]->quantity, 1);
  rt_msg_free(&c->base);

  empty(t, "u1");
  ck_assert_int_eq(st, RT_OK);
  c = get(t, "u1");
  ck_assert_uint_eq(c->n_items, 0);
  ck_assert_str_eq(c->user_id, "u1");
  rt_msg_free(&c->base);
  ck_assert_int_eq(qty(t, "u2", "OLJCESPC7Z"), 7); /* others untouched */
  empty(t, "never-had-one");
  ck_assert_int_eq(st, RT_OK);
  rt_test_free(t);
}
END_TEST

START_TEST(test_validation) {
  rt_test_t *t = start(NULL);
  add(t, "", "OLJCESPC7Z", 1);
  ck_assert_int_eq(st, RT_INVALID_ARGUMENT);
  ck_assert_ptr_nonnull(strstr(msg, "user_id"));
  add(t, "u1", "", 1);
  ck_assert_int_eq(st, RT_INVALID_ARGUMENT);
  ck_assert_ptr_nonnull(strstr(msg, "product_id"));
  add(t, "u1", "OLJCESPC7Z", 0);
  ck_assert_int_eq(st, RT_INVALID_ARGUMENT);
  ck_assert_ptr_nonnull(strstr(msg, "quantity"));
  add(t, "u1", "OLJCESPC7Z", -3);
  ck_assert_int_eq(st, RT_INVALID_ARGUMENT);
  ck_assert_ptr_nonnull(strstr(msg, "-3"));
  /* No item at all. */
  Hipstershop__AddItemRequest req = HIPSTERSHOP__ADD_ITEM_REQUEST__INIT;
  req.user_id = (char *)"u1";
  ProtobufCMessage *r = NULL;
  CALL(t, "CartService", "AddItem", &req.base, &hipstershop__empty__descriptor,
       0, &st, &msg, &r);
  ck_assert_int_eq(st, RT_INVALID_ARGUMENT);
  ck_assert_int_eq(qty(t, "u1", "OLJCESPC7Z"), 0);

  /* The quantity stays an int32: an add past it changes nothing. */
  add(t, "u1", "OLJCESPC7Z", INT32_MAX - 1);
  ck_assert_int_eq(st, RT_OK);
  add(t, "u1", "OLJCESPC7Z", 1);
  ck_assert_int_eq(st, RT_OK);
  add(t, "u1", "OLJCESPC7Z", 1);
  ck_assert_int_eq(st, RT_OUT_OF_RANGE);
  ck_assert_int_eq(qty(t, "u1", "OLJCESPC7Z"), INT32_MAX);
  /* Odd but valid ids are just strings. */
  add(t, "u'; DROP TABLE cart_items; --", "é\"x", 1);
  ck_assert_int_eq(st, RT_OK);
  ck_assert_int_eq(qty(t, "u'; DROP TABLE cart_items; --", "é\"x"), 1);
  rt_test_free(t);
}
END_TEST

START_TEST(test_persistence) {
  rt_test_t *t = start(NULL);
  for (int i = 0; i < 10; i++)
    add(t, "u1", "L9ECAV7KIM", 1);
  add(t, "u1", "9SIQT8TOJO", 4);
  rt_test_free(t);
  /* A new instance on the same file sees every write. */
  t = start("CART_DB_SYNC=full");
  ck_assert_int_ge(rt_test_log_find(t, "synchronous=FULL"), 0);
  ck_assert_int_eq(qty(t, "u1", "L9ECAV7KIM"), 10);
  ck_assert_int_eq(qty(t, "u1", "9SIQT8TOJO"), 4);
  add(t, "u1", "L9ECAV7KIM", 5);
  rt_test_free(t);
  t = start(NULL);
  ck_assert_int_eq(qty(t, "u1", "L9ECAV7KIM"), 15);
  rt_test_free(t);
}
END_TEST

START_TEST(test_two_instances_interleaved) {
  /* Two instances, one file: each keeps its prepared statements; adds
   * interleave and none is lost. */
  rt_test_t *a = start(NULL), *b = start(NULL);
  for (int i = 0; i < 200; i++) {
    add(i % 3 ? a : b, "shared", "6E92ZMYYFZ", 1 + i % 4);
    ck_assert_int_eq(st, RT_OK);
    if (i % 50 == 0) /* reads in between, from the other instance */
      ck_assert_int_gt(qty(i % 3 ? b : a, "shared", "6E92ZMYYFZ"), 0);
  }
  int32_t want = 0;
  for (int i = 0; i < 200; i++)
    want += 1 + i % 4;
  ck_assert_int_eq(qty(a, "shared", "6E92ZMYYFZ"), want);
  ck_assert_int_eq(qty(b, "shared", "6E92ZMYYFZ"), want);
  rt_test_free(a);
  rt_test_free(b);
}
END_TEST

START_TEST(test_two_processes_concurrent) {
  /* Two processes adding to one cart at the same time, as two cartservice
   * replicas on one file would: the sum is exact. */
  enum { N = 300 };
  pid_t pids[2];
  for (int p = 0; p < 2; p++) {
    pids[p] = fork();
    ck_assert_int_ge(pids[p], 0);
    if (pids[p] == 0) {
      rt_test_t *t = rt_test_new(&cart_service,
                                 (const char *[]){envpath, NULL}, 1);
      if (!t) {
        fprintf(stderr, "child %d: the service did not start: %s\n", p,
                rt_test_last_init_error());
        _exit(3);
      }
      for (int i = 0; i < N; i++) {
        add(t, "race", "0PUK6V6EV0", p + 1);
        if (st != RT_OK)
          _exit(4);
      }
      rt_test_free(t);
      _exit(0);
    }
  }
  for (int p = 0; p < 2; p++) {
    int ws;
    ck_assert_int_eq(waitpid(pids[p], &ws, 0), pids[p]);
    ck_assert_msg(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "child %d: %d", p, ws);
  }
  rt_test_t *t = start(NULL);
  ck_assert_int_eq(qty(t, "race", "0PUK6V6EV0"), N * 1 + N * 2);
  rt_test_free(t);
}
END_TEST

START_TEST(test_config_errors) {
  /* A path whose directory does not exist (a file stands in the way, so
   * this holds even for root): init fails naming the path. */
  char blocker[320], bad[400];
  snprintf(blocker, sizeof blocker, "%s/not-a-dir", dir);
  FILE *f = fopen(blocker, "w");
  ck_assert_ptr_nonnull(f);
  fclose(f);
  snprintf(bad, sizeof bad, "CART_DB_PATH=%s/carts.db", blocker);
  const char *env[] = {bad, NULL};
  ck_assert_ptr_null(rt_test_new(&cart_service, env, 1));
  const char *e = rt_test_last_init_error();
  ck_assert_msg(strstr(e, "CART_DB_PATH=") && strstr(e, "not-a-dir/carts.db") &&
                    strstr(e, "cannot open cart database"),
                "%s", e);

  /* A file that is not a database. */
  snprintf(bad, sizeof bad, "CART_DB_PATH=%s", blocker);
  f = fopen(blocker, "w");
  fputs("this is not an SQLite database, not even close to one......\n", f);
  fclose(f);
  ck_assert_ptr_null(rt_test_new(&cart_service, env, 1));
  ck_assert_ptr_nonnull(strstr(rt_test_last_init_error(), blocker));

  const char *env2[] = {envpath, "CART_DB_SYNC=sometimes", NULL};
  ck_assert_ptr_null(rt_test_new(&cart_service, env2, 1));
  ck_assert_ptr_nonnull(strstr(rt_test_last_init_error(), "CART_DB_SYNC=sometimes"));
  const char *env3[] = {envpath, "CART_DB_BUSY_TIMEOUT_MS=-5", NULL};
  ck_assert_ptr_null(rt_test_new(&cart_service, env3, 1));
  ck_assert_ptr_nonnull(strstr(rt_test_last_init_error(), "CART_DB_BUSY_TIMEOUT_MS"));

  /* REDIS_ADDR is accepted (and ignored). */
  rt_test_t *t = start("REDIS_ADDR=redis-cart:6379");
  ck_assert_int_ge(rt_test_log_find(t, "REDIS_ADDR is ignored"), 0);
  add(t, "u1", "OLJCESPC7Z", 1);
  ck_assert_int_eq(st, RT_OK);
  rt_test_free(t);
}
END_TEST

START_TEST(test_default_path) {
  /* Without CART_DB_PATH: carts.db in the working directory. */
  char cwd[512];
  ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
  ck_assert_int_eq(chdir(dir), 0);
  rt_test_t *t = rt_test_new(&cart_service, NULL, 1);
  ck_assert_ptr_nonnull(t);
  add(t, "u1", "OLJCESPC7Z", 1);
  rt_test_free(t);
  struct stat sb;
  ck_assert_int_eq(stat("carts.db", &sb), 0);
  ck_assert_int_eq(chdir(cwd), 0);
}
END_TEST

START_TEST(test_db_errors) {
  rt_test_t *t = start("CART_DB_BUSY_TIMEOUT_MS=50");
  add(t, "u1", "OLJCESPC7Z", 1);
  /* Another process (here: connection) holds the write lock: the add waits
   * the busy timeout, then fails UNAVAILABLE, and changes nothing. */
  sqlite3 *db;
  ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
  ck_assert_int_eq(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
                   SQLITE_OK);
  add(t, "u1", "OLJCESPC7Z", 1);
  ck_assert_int_eq(st, RT_UNAVAILABLE);
  ck_assert_msg(strstr(msg, "AddItem failed") && strstr(msg, "locked") &&
                    strstr(msg, dbpath),
                "%s", msg);
  ck_assert_int_ge(rt_test_log_find(t, "cart database error"), 0);
  empty(t, "u1");
  ck_assert_int_eq(st, RT_UNAVAILABLE);
  ck_assert_int_eq(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
  ck_assert_int_eq(qty(t, "u1", "OLJCESPC7Z"), 1);

  /* The table disappears under the service: INTERNAL, no crash. */
  ck_assert_int_eq(sqlite3_exec(db, "DROP TABLE cart_items", NULL, NULL, NULL),
                   SQLITE_OK);
  add(t, "u1", "OLJCESPC7Z", 1);
  ck_assert_int_eq(st, RT_INTERNAL);
  ck_assert_ptr_nonnull(strstr(msg, "no such table"));
  Hipstershop__Cart *c = get(t, "u1");
  ck_assert_ptr_null(c);
  ck_assert_int_eq(st, RT_INTERNAL);
  empty(t, "u1");
  ck_assert_int_eq(st, RT_INTERNAL);
  sqlite3_close(db);
  rt_test_free(t);
}
END_TEST

START_TEST(test_store_api) {
  /* The store on its own, and its WAL/synchronous settings on the file. */
  char err[256];
  cart_store_t *s = cart_store_open(dbpath, 0, 0, err, sizeof err);
  ck_assert_msg(s != NULL, "%s", err);
  ck_assert_int_eq(cart_store_add(s, "u", "p", 5, err, sizeof err), 0);
  cart_store_close(s);
  sqlite3 *db;
  ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
  sqlite3_stmt *q;
  ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL),
                   SQLITE_OK);
  ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
  ck_assert_str_eq((const char *)sqlite3_column_text(q, 0), "wal");
  sqlite3_finalize(q);
  ck_assert_int_eq(sqlite3_prepare_v2(db,
                                      "SELECT quantity FROM cart_items WHERE "
                                      "user_id = 'u' AND product_id = 'p'",
                                      -1, &q, NULL),
                   SQLITE_OK);
  ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
  ck_assert_int_eq(sqlite3_column_int(q, 0), 5);
  sqlite3_finalize(q);
  sqlite3_close(db);
}
END_TEST

int main(void) {
  Suite *s = suite_create("cart");
  TCase *tc = tcase_create("cart");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_add_get_empty);
  tcase_add_test(tc, test_validation);
  tcase_add_test(tc, test_persistence);
  tcase_add_test(tc, test_two_instances_interleaved);
  tcase_add_test(tc, test_two_processes_concurrent);
  tcase_add_test(tc, test_config_errors);
  tcase_add_test(tc, test_default_path);
  tcase_add_test(tc, test_db_errors);
  tcase_add_test(tc, test_store_api);
  suite_add_tcase(s, tc);
  return check_run(s);
}
