/*
 * check_productcatalog.c — productcatalogservice: the built-in catalog, every
 * method, NOT_FOUND, search, EXTRA_LATENCY (and cancellation while waiting),
 * PRODUCT_CATALOG_PATH, bad catalogs named by file, line, column and field;
 * seller products through hipstershop.ProductCatalogAdmin: served by List,
 * Get and Search, validated, idempotent per listing, durable across a
 * restart on the same SELLER_PRODUCTS_DB.
 */
#include "check_util.h"
#include "productcatalog/productcatalog.h"
#include "proto/catalog_admin.pb-c.h"

/* Tests that do not look at seller products keep none on disk. */
static const char *mem_env[] = {"SELLER_PRODUCTS_DB=:memory:", NULL};

static rt_status_t st;
static const char *msg;
static Hipstershop__Empty empty = HIPSTERSHOP__EMPTY__INIT;

static const char *ids[9] = {"OLJCESPC7Z", "66VCHSJNUP", "1YMWWN1N4O",
                             "L9ECAV7KIM", "2ZYFJ3GM2N", "0PUK6V6EV0",
                             "LS4PSXUNUM", "9SIQT8TOJO", "6E92ZMYYFZ"};

START_TEST(test_list) {
  rt_test_t *t = rt_test_new(&productcatalog_service, mem_env, 1);
  ck_assert_ptr_nonnull(t);
  Hipstershop__ListProductsResponse *r = NULL;
  CALL(t, "ProductCatalogService", "ListProducts", &empty.base,
       &hipstershop__list_products_response__descriptor, 0, &st, &msg, &r);
  ck_assert_int_eq(st, RT_OK);
  ck_assert_uint_eq(r->n_products, 9);
  for (size_t i = 0; i < 9; i++) {
    Hipstershop__Product *p = r->products[i];
    ck_assert_str_eq(p->id, ids[i]);
    ck_assert_ptr_nonnull(strstr(p->picture, "/static/img/products/"));
    ck_assert_str_eq(p->price_usd->currency_code, "USD");
    ck_assert_uint_ge(p->n_categories, 1);
    ck_assert_uint_gt(strlen(p->description), 10);
  }
  ck_assert_str_eq(r->products[6]->name, "Salt & Pepper Shakers");
  ck_assert_int_eq(r->products[6]->price_usd->units, 18);
  ck_assert_int_eq(r->products[6]->price_usd->nanos, 490000000);
  ck_assert_str_eq(r->products[1]->categories[1], "tops");
  ck_assert_str_eq(r->products[0]->picture,
                   "/static/img/products/sunglasses.jpg");
  rt_msg_free(&r->base);
  rt_test_free(t);
}
END_TEST

START_TEST(test_get) {
  rt_test_t *t = rt_test_new(&productcatalog_service, mem_env, 1);
  Hipstershop__GetProductRequest req = HIPSTERSHOP__GET_PRODUCT_REQUEST__INIT;
  req.id = (char *)"1YMWWN1N4O";
  Hipstershop__Product *p = NULL;
  CALL(t, "ProductCatalogService", "GetProduct", &req.base,
       &hipstershop__product__descriptor, 0, &st, &msg, &p);
  ck_assert_int_eq(st, RT_OK);
  ck_assert_str_eq(p->name, "Watch");
  ck_assert_int_eq(p->price_usd->units, 109);
  ck_assert_int_eq(p->price_usd->nanos, 990000000);
  rt_msg_free(&p->base);
  req.id = (char *)"NOPE";
  CALL(t, "ProductCatalogService", "GetProduct", &req.base,
       &hipstershop__product__descriptor, 0, &st, &msg, &p);
  ck_assert_int_eq(st, RT_NOT_FOUND);
  ck_assert_str_eq(msg, "no product with ID NOPE");
  ck_assert_ptr_null(p);
  rt_test_free(t);
}
END_TEST

static size_t search(rt_test_t *t, const char *q, const char *first) {
  Hipstershop__SearchProductsRequest req =
      HIPSTERSHOP__SEARCH_PRODUCTS_REQUEST__INIT;
  req.query = (char *)q;
  Hipstershop__SearchProductsResponse *r = NULL;
  CALL(t, "ProductCatalogService", "SearchProducts", &req.base,
       &hipstershop__search_products_response__descriptor, 0, &st, &msg, &r);
  ck_assert_int_eq(st, RT_OK);
  size_t n = r->n_results;
  if (first)
    ck_assert_str_eq(r->results[0]->id, first);
  rt_msg_free(&r->base);
  return n;
}

START_TEST(test_search) {
  rt_test_t *t = rt_test_new(&productcatalog_service, mem_env, 1);
  ck_assert_uint_eq(search(t, "SUNGLASSES", "OLJCESPC7Z"), 1);
  ck_assert_uint_eq(search(t, "glass", "OLJCESPC7Z"), 2); /* + jar */
  ck_assert_uint_eq(search(t, "sturdy stoneware", "6E92ZMYYFZ"), 1);
  ck_assert_uint_eq(search(t, "zzzz", NULL), 0);
  ck_assert_uint_eq(search(t, "", NULL), 9);
  rt_test_free(t);
}
END_TEST

START_TEST(test_extra_latency) {
  const char *env[] = {"EXTRA_LATENCY=200ms", "SELLER_PRODUCTS_DB=:memory:", NULL};
  rt_test_t *t = rt_test_new(&productcatalog_service, env, 1);
  ck_assert_ptr_nonnull(t);
  Hipstershop__ListProductsResponse *r = NULL;
  CALL(t, "ProductCatalogService", "ListProducts", &empty.base,
       &hipstershop__list_products_response__descriptor, 0, &st, &msg, &r);
  ck_assert_int_eq(st, RT_OK);
  ck_assert_int_eq(rt_test_last_duration(t), 200 * RT_MSEC);
  rt_msg_free(&r->base);
  ck_assert_uint_eq(search(t, "mug", "6E92ZMYYFZ"), 1);
  ck_assert_int_eq(rt_test_last_duration(t), 200 * RT_MSEC);
  /* A deadline shorter than the latency. */
  CALL(t, "ProductCatalogService", "ListProducts", &empty.base,
       &hipstershop__list_products_response__descriptor, 50 * RT_MSEC, &st,
       &msg, &r);
  ck_assert_int_eq(st, RT_DEADLINE_EXCEEDED);
  ck_assert_int_eq(rt_test_last_duration(t), 50 * RT_MSEC);
  /* The client cancels while the service waits. */
  ck_assert_int_eq(
      rt_test_call_ex(t, "ProductCatalogService", "ListProducts", &empty.base,
                      &hipstershop__list_products_response__descriptor, 0,
                      10 * RT_MSEC, &st, &msg, (ProtobufCMessage **)&r),
      0);
  ck_assert_int_eq(st, RT_CANCELLED);
  rt_test_free(t);

  const char *env2[] = {"EXTRA_LATENCY=5.5s", "SELLER_PRODUCTS_DB=:memory:", NULL};
  t = rt_test_new(&productcatalog_service, env2, 1);
  Hipstershop__GetProductRequest req = HIPSTERSHOP__GET_PRODUCT_REQUEST__INIT;
  req.id = (char *)"x";
  CALL(t, "ProductCatalogService", "GetProduct", &req.base,
       &hipstershop__product__descriptor, 0, &st, &msg, &r);
  ck_assert_int_eq(st, RT_NOT_FOUND);
  ck_assert_int_eq(rt_test_last_duration(t), 5500 * RT_MSEC);
  rt_test_free(t);

  const char *env3[] = {"EXTRA_LATENCY=fast", "SELLER_PRODUCTS_DB=:memory:", NULL};
  ck_assert_ptr_null(rt_test_new(&productcatalog_service, env3, 1));
  ck_assert_msg(strncmp(rt_test_last_init_error(), "EXTRA_LATENCY=fast: ",
                        20) == 0,
                "%s", rt_test_last_init_error());
  const char *env4[] = {"EXTRA_LATENCY=5", "SELLER_PRODUCTS_DB=:memory:", NULL};
  ck_assert_ptr_null(rt_test_new(&productcatalog_service, env4, 1));
  ck_assert_ptr_nonnull(strstr(rt_test_last_init_error(), "missing unit"));
}
END_TEST

static const char *one_product =
    "{\"products\": [\n"
    "  {\"id\": \"TEST1\", \"name\": \"Lamp\", \"description\": \"A lamp.\",\n"
    "   \"picture\": \"/static/img/products/lamp.jpg\",\n"
    "   \"priceUsd\": {\"currencyCode\": \"USD\", \"units\": \"12\", \"nanos\": 500000000},\n"
    "   \"categories\": [\"home\"]}\n"
    "]}\n";

static rt_test_t *with_catalog(const char *text, char *path, size_t size) {
  check_write_tmp("catalog", text, path, size);
  static char env0[400];
  snprintf(env0, sizeof env0, "PRODUCT_CATALOG_PATH=%s", path);
  const char *env[] = {env0, "SELLER_PRODUCTS_DB=:memory:", NULL};
  rt_test_t *t = rt_test_new(&productcatalog_service, env, 1);
  unlink(path);
  return t;
}

START_TEST(test_catalog_path) {
  char path[256], want[700];
  rt_test_t *t = with_catalog(one_product, path, sizeof path);
  ck_assert_ptr_nonnull(t);
  Hipstershop__ListProductsResponse *r = NULL;
  CALL(t, "ProductCatalogService", "ListProducts", &empty.base,
       &hipstershop__list_products_response__descriptor, 0, &st, &msg, &r);
  ck_assert_uint_eq(r->n_products, 1);
  ck_assert_str_eq(r->products[0]->name, "Lamp");
  ck_assert_int_eq(r->products[0]->price_usd->units, 12);
  rt_msg_free(&r->base);
  rt_test_free(t);

  /* Syntax error. */
  ck_assert_ptr_null(with_catalog("{\"products\": [\n  {\"id\": }\n]}", path,
                                  sizeof path));
  snprintf(want, sizeof want, "PRODUCT_CATALOG_PATH=%s: %s:2:", path, path);
  ck_assert_msg(strncmp(rt_test_last_init_error(), want, strlen(want)) == 0,
                "%s", rt_test_last_init_error());

  /* A bad field: named, with its line and column. */
  char bad[1024];
  snprintf(bad, sizeof bad, "%s", one_product);
  char *u = strstr(bad, "\"12\"");
  memcpy(u, "\"1x\"", 4);
  ck_assert_ptr_null(with_catalog(bad, path, sizeof path));
  snprintf(want, sizeof want,
           "%s:4:49: field products[0].priceUsd.units: expected an integer",
           path);
  ck_assert_msg(strstr(rt_test_last_init_error(), want) != NULL, "%s",
                rt_test_last_init_error());

  /* Missing id, duplicate id, wrong shape. */
  ck_assert_ptr_null(with_catalog("{\"products\": [{\"name\": \"x\"}]}", path,
                                  sizeof path));
  ck_assert_ptr_nonnull(strstr(rt_test_last_init_error(),
                               "field products[0].id: missing"));
  ck_assert_ptr_null(with_catalog(
      "{\"products\": [{\"id\": \"A\", \"name\": \"x\", \"priceUsd\": "
      "{\"currencyCode\": \"USD\"}},"
      " {\"id\": \"A\", \"name\": \"y\", \"priceUsd\": {}}]}",
      path, sizeof path));
  ck_assert_ptr_nonnull(strstr(rt_test_last_init_error(), "duplicate id"));
  ck_assert_ptr_null(with_catalog("[1, 2]", path, sizeof path));
  ck_assert_ptr_nonnull(strstr(rt_test_last_init_error(), "{\"products\""));
  ck_assert_ptr_null(with_catalog(
      "{\"products\": [{\"id\": \"A\", \"name\": \"x\", \"priceUsd\": "
      "{\"currencyCode\": \"USD\", \"units\": 1, \"nanos\": -5}}]}",
      path, sizeof path));
  ck_assert_ptr_nonnull(strstr(rt_test_last_init_error(), "same sign"));

  const char *env[] = {"PRODUCT_CATALOG_PATH=/nonexistent/p.json", "SELLER_PRODUCTS_DB=:memory:", NULL};
  ck_assert_ptr_null(rt_test_new(&productcatalog_service, env, 1));
  ck_assert_ptr_nonnull(
      strstr(rt_test_last_init_error(), "cannot open /nonexistent/p.json"));
}
END_TEST

/* ---- seller products ---- */

static const char *seller_env(char *path, size_t size, char *env0,
                              size_t envsize) {
  const char *dir = getenv("TMPDIR");
  snprintf(path, size, "%s/meshsim-sellers-XXXXXX", dir && *dir ? dir : "/tmp");
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  close(fd);
  unlink(path); /* SQLite creates it */
  snprintf(env0, envsize, "SELLER_PRODUCTS_DB=%s", path);
  return env0;
}

static void unlink_db(const char *path) {
  char p[300];
  unlink(path);
  snprintf(p, sizeof p, "%s-wal", path);
  unlink(p);
  snprintf(p, sizeof p, "%s-shm", path);
  unlink(p);
}

static char *lamp_cats[] = {(char *)"home", (char *)"decor"};

/* AddProduct for |listing| named |name| at |units|.50 USD; returns the
 * status and, on success, the assigned id in |id|. */
static rt_status_t add(rt_test_t *t, const char *listing, const char *name,
                       int64_t units, char id[16]) {
  Hipstershop__Money price = HIPSTERSHOP__MONEY__INIT;
  price.currency_code = (char *)"USD";
  price.units = units;
  price.nanos = 500000000;
  Hipstershop__Product p = HIPSTERSHOP__PRODUCT__INIT;
  p.name = (char *)name;
  p.description = (char *)"Hand-made by a seller.";
  p.picture = (char *)"/business/pictures/x";
  p.price_usd = &price;
  p.n_categories = 2;
  p.categories = lamp_cats;
  Hipstershop__AddProductRequest req = HIPSTERSHOP__ADD_PRODUCT_REQUEST__INIT;
  req.product = &p;
  req.seller_email = (char *)"seller@example.com";
  req.listing_id = (char *)listing;
  Hipstershop__Product *r = NULL;
  CALL(t, "ProductCatalogAdmin", "AddProduct", &req.base,
       &hipstershop__product__descriptor, 0, &st, &msg, &r);
  if (st == RT_OK) {
    snprintf(id, 16, "%s", r->id);
    ck_assert_str_eq(r->name, name);
    ck_assert_int_eq(r->price_usd->units, units);
    rt_msg_free(&r->base);
  }
  return st;
}

static Hipstershop__ListProductsResponse *list(rt_test_t *t) {
  Hipstershop__ListProductsResponse *r = NULL;
  CALL(t, "ProductCatalogService", "ListProducts", &empty.base,
       &hipstershop__list_products_response__descriptor, 0, &st, &msg, &r);
  ck_assert_int_eq(st, RT_OK);
  return r;
}

START_TEST(test_seller_add) {
  char path[256], env0[300], id[16], id2[16];
  const char *env[] = {seller_env(path, sizeof path, env0, sizeof env0),
                       NULL};
  rt_test_t *t = rt_test_new(&productcatalog_service, env, 1);
  ck_assert_ptr_nonnull(t);
  ck_assert_int_eq(add(t, "listing-1", "Paper Lamp", 12, id), RT_OK);
  ck_assert_uint_eq(strlen(id), 10);
  ck_assert_int_eq(id[0], 'S');
  for (int i = 1; i < 10; i++)
    ck_assert_msg(strchr("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", id[i]),
                  "%s", id);

  /* List: the nine built-in products untouched, then the seller's. */
  Hipstershop__ListProductsResponse *r = list(t);
  ck_assert_uint_eq(r->n_products, 10);
  for (size_t i = 0; i < 9; i++)
    ck_assert_str_eq(r->products[i]->id, ids[i]);
  ck_assert_str_eq(r->products[9]->id, id);
  ck_assert_str_eq(r->products[9]->categories[1], "decor");
  ck_assert_str_eq(r->products[9]->picture, "/business/pictures/x");
  rt_msg_free(&r->base);

  Hipstershop__GetProductRequest g = HIPSTERSHOP__GET_PRODUCT_REQUEST__INIT;
  g.id = id;
  Hipstershop__Product *p = NULL;
  CALL(t, "ProductCatalogService", "GetProduct", &g.base,
       &hipstershop__product__descriptor, 0, &st, &msg, &p);
  ck_assert_int_eq(st, RT_OK);
  ck_assert_str_eq(p->name, "Paper Lamp");
  ck_assert_int_eq(p->price_usd->nanos, 500000000);
  rt_msg_free(&p->base);
  ck_assert_uint_eq(search(t, "paper LAMP", id), 1);
  ck_assert_uint_eq(search(t, "hand-made", id), 1);
  ck_assert_uint_eq(search(t, "", NULL), 10);

  /* Idempotent per listing: same id, updated in place, not duplicated. */
  ck_assert_int_eq(add(t, "listing-1", "Paper Lamp XL", 14, id2), RT_OK);
  ck_assert_str_eq(id2, id);
  r = list(t);
  ck_assert_uint_eq(r->n_products, 10);
  ck_assert_str_eq(r->products[9]->name, "Paper Lamp XL");
  rt_msg_free(&r->base);
  ck_assert_int_eq(add(t, "listing-2", "Mat", 3, id2), RT_OK);
  ck_assert_str_ne(id2, id);

  /* Only seller products through ListSellerProducts. */
  CALL(t, "ProductCatalogAdmin", "ListSellerProducts", &empty.base,
       &hipstershop__list_products_response__descriptor, 0, &st, &msg, &r);
  ck_assert_int_eq(st, RT_OK);
  ck_assert_uint_eq(r->n_products, 2);
  ck_assert_str_eq(r->products[0]->id, id);
  ck_assert_str_eq(r->products[1]->id, id2);
  rt_msg_free(&r->base);
  rt_test_free(t);

  /* Durable: a new instance on the same file serves both, in order. */
  t = rt_test_new(&productcatalog_service, env, 1);
  ck_assert_ptr_nonnull(t);
  ck_assert_int_ge(rt_test_log_find(t, "seller_products=2"), 0);
  r = list(t);
  ck_assert_uint_eq(r->n_products, 11);
  ck_assert_str_eq(r->products[9]->id, id);
  ck_assert_str_eq(r->products[9]->name, "Paper Lamp XL");
  ck_assert_uint_eq(r->products[9]->n_categories, 2);
  ck_assert_str_eq(r->products[9]->categories[0], "home");
  ck_assert_str_eq(r->products[10]->id, id2);
  rt_msg_free(&r->base);

  /* Remove by listing, then by product id; a second remove is NOT_FOUND. */
  Hipstershop__RemoveProductRequest rm =
      HIPSTERSHOP__REMOVE_PRODUCT_REQUEST__INIT;
  rm.listing_id = (char *)"listing-1";
  Hipstershop__Empty *e = NULL;
  CALL(t, "ProductCatalogAdmin", "RemoveProduct", &rm.base,
       &hipstershop__empty__descriptor, 0, &st, &msg, &e);
  ck_assert_int_eq(st, RT_OK);
  rt_msg_free(&e->base);
  CALL(t, "ProductCatalogAdmin", "RemoveProduct", &rm.base,
       &hipstershop__empty__descriptor, 0, &st, &msg, &e);
  ck_assert_int_eq(st, RT_NOT_FOUND);
  ck_assert_str_eq(msg, "no seller product for listing listing-1");
  CALL(t, "ProductCatalogService", "GetProduct", &g.base,
       &hipstershop__product__descriptor, 0, &st, &msg, &p);
  ck_assert_int_eq(st, RT_NOT_FOUND);
  rm.listing_id = (char *)"";
  rm.product_id = id2;
  CALL(t, "ProductCatalogAdmin", "RemoveProduct", &rm.base,
       &hipstershop__empty__descriptor, 0, &st, &msg, &e);
  ck_assert_int_eq(st, RT_OK);
  rt_msg_free(&e->base);
  rt_test_free(t);
  t = rt_test_new(&productcatalog_service, env, 1);
  r = list(t);
  ck_assert_uint_eq(r->n_products, 9);
  rt_msg_free(&r->base);
  /* The same listing again gets the same id (derived from the listing). */
  ck_assert_int_eq(add(t, "listing-1", "Paper Lamp", 12, id2), RT_OK);
  ck_assert_str_eq(id2, id);
  rt_test_free(t);
  unlink_db(path);
}
END_TEST

START_TEST(test_seller_invalid) {
  rt_test_t *t = rt_test_new(&productcatalog_service, mem_env, 1);
  ck_assert_ptr_nonnull(t);
  char id[16];
  ck_assert_int_eq(add(t, "", "Lamp", 1, id), RT_INVALID_ARGUMENT);
  ck_assert_ptr_nonnull(strstr(msg, "listing_id"));
  ck_assert_int_eq(add(t, "bad id!", "Lamp", 1, id), RT_INVALID_ARGUMENT);
  ck_assert_int_eq(add(t, "l1", "", 1, id), RT_INVALID_ARGUMENT);
  ck_assert_ptr_nonnull(strstr(msg, "product.name"));
  ck_assert_int_eq(add(t, "l1", "Bad \xff name", 1, id), RT_INVALID_ARGUMENT);
  ck_assert_int_eq(add(t, "l1", "Over\xc0\xaflong", 1, id),
                   RT_INVALID_ARGUMENT);
  ck_assert_int_eq(add(t, "l1", "Line\nbreak", 1, id), RT_INVALID_ARGUMENT);
  ck_assert_int_eq(add(t, "l1", "Lamp", -1, id), RT_INVALID_ARGUMENT);
  ck_assert_ptr_nonnull(strstr(msg, "greater than zero"));

  /* Not USD; no price; no product; an id of the caller's choosing. */
  Hipstershop__Money eur = HIPSTERSHOP__MONEY__INIT;
  eur.currency_code = (char *)"EUR";
  eur.units = 5;
  Hipstershop__Product p = HIPSTERSHOP__PRODUCT__INIT;
  p.name = (char *)"Lamp";
  p.price_usd = &eur;
  Hipstershop__AddProductRequest req = HIPSTERSHOP__ADD_PRODUCT_REQUEST__INIT;
  req.product = &p;
  req.seller_email = (char *)"a@b.example";
  req.listing_id = (char *)"l1";
  Hipstershop__Product *r = NULL;
  CALL(t, "ProductCatalogAdmin", "AddProduct", &req.base,
       &hipstershop__product__descriptor, 0, &st, &msg, &r);
  ck_assert_int_eq(st, RT_INVALID_ARGUMENT);
  ck_assert_str_eq(msg, "product.price_usd: an amount in USD is required");
  p.price_usd = NULL;
  CALL(t, "ProductCatalogAdmin", "AddProduct", &req.base,
       &hipstershop__product__descriptor, 0, &st, &msg, &r);
  ck_assert_int_eq(st, RT_INVALID_ARGUMENT);
  eur.currency_code = (char *)"USD";
  p.price_usd = &eur;
  p.id = (char *)"OLJCESPC7Z";
  CALL(t, "ProductCatalogAdmin", "AddProduct", &req.base,
       &hipstershop__product__descriptor, 0, &st, &msg, &r);
  ck_assert_int_eq(st, RT_INVALID_ARGUMENT);
  ck_assert_ptr_nonnull(strstr(msg, "assigned by the catalog"));
  req.seller_email = (char *)"";
  p.id = (char *)"";
  CALL(t, "ProductCatalogAdmin", "AddProduct", &req.base,
       &hipstershop__product__descriptor, 0, &st, &msg, &r);
  ck_assert_int_eq(st, RT_INVALID_ARGUMENT);
  ck_assert_ptr_nonnull(strstr(msg, "seller_email"));
  req.seller_email = (char *)"a@b.example";
  req.product = NULL;
  CALL(t, "ProductCatalogAdmin", "AddProduct", &req.base,
       &hipstershop__product__descriptor, 0, &st, &msg, &r);
  ck_assert_int_eq(st, RT_INVALID_ARGUMENT);

  /* Nothing was added. */
  Hipstershop__ListProductsResponse *l = list(t);
  ck_assert_uint_eq(l->n_products, 9);
  rt_msg_free(&l->base);
  rt_test_free(t);

  /* A database that cannot be opened is a config error naming it. */
  const char *bad[] = {"SELLER_PRODUCTS_DB=/nonexistent/dir/s.db", NULL};
  ck_assert_ptr_null(rt_test_new(&productcatalog_service, bad, 1));
  ck_assert_msg(strncmp(rt_test_last_init_error(),
                        "SELLER_PRODUCTS_DB=/nonexistent/dir/s.db: cannot "
                        "open /nonexistent/dir/s.db",
                        60) == 0,
                "%s", rt_test_last_init_error());
}
END_TEST

int main(void) {
  Suite *s = suite_create("productcatalog");
  TCase *tc = tcase_create("productcatalog");
  tcase_add_test(tc, test_list);
  tcase_add_test(tc, test_get);
  tcase_add_test(tc, test_search);
  tcase_add_test(tc, test_extra_latency);
  tcase_add_test(tc, test_catalog_path);
  tcase_add_test(tc, test_seller_add);
  tcase_add_test(tc, test_seller_invalid);
  suite_add_tcase(s, tc);
  return check_run(s);
}
