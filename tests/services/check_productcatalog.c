/*
 * check_productcatalog.c — productcatalogservice: the built-in catalog, every
 * method, NOT_FOUND, search, EXTRA_LATENCY (and cancellation while waiting),
 * PRODUCT_CATALOG_PATH, bad catalogs named by file, line, column and field.
 */
#include "check_util.h"
#include "productcatalog/productcatalog.h"

static rt_status_t st;
static const char *msg;
static Hipstershop__Empty empty = HIPSTERSHOP__EMPTY__INIT;

static const char *ids[9] = {"OLJCESPC7Z", "66VCHSJNUP", "1YMWWN1N4O",
                             "L9ECAV7KIM", "2ZYFJ3GM2N", "0PUK6V6EV0",
                             "LS4PSXUNUM", "9SIQT8TOJO", "6E92ZMYYFZ"};

START_TEST(test_list) {
  rt_test_t *t = rt_test_new(&productcatalog_service, NULL, 1);
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
  rt_test_t *t = rt_test_new(&productcatalog_service, NULL, 1);
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
  rt_test_t *t = rt_test_new(&productcatalog_service, NULL, 1);
  ck_assert_uint_eq(search(t, "SUNGLASSES", "OLJCESPC7Z"), 1);
  ck_assert_uint_eq(search(t, "glass", "OLJCESPC7Z"), 2); /* + jar */
  ck_assert_uint_eq(search(t, "sturdy stoneware", "6E92ZMYYFZ"), 1);
  ck_assert_uint_eq(search(t, "zzzz", NULL), 0);
  ck_assert_uint_eq(search(t, "", NULL), 9);
  rt_test_free(t);
}
END_TEST

START_TEST(test_extra_latency) {
  const char *env[] = {"EXTRA_LATENCY=200ms", NULL};
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

  const char *env2[] = {"EXTRA_LATENCY=5.5s", NULL};
  t = rt_test_new(&productcatalog_service, env2, 1);
  Hipstershop__GetProductRequest req = HIPSTERSHOP__GET_PRODUCT_REQUEST__INIT;
  req.id = (char *)"x";
  CALL(t, "ProductCatalogService", "GetProduct", &req.base,
       &hipstershop__product__descriptor, 0, &st, &msg, &r);
  ck_assert_int_eq(st, RT_NOT_FOUND);
  ck_assert_int_eq(rt_test_last_duration(t), 5500 * RT_MSEC);
  rt_test_free(t);

  const char *env3[] = {"EXTRA_LATENCY=fast", NULL};
  ck_assert_ptr_null(rt_test_new(&productcatalog_service, env3, 1));
  ck_assert_msg(strncmp(rt_test_last_init_error(), "EXTRA_LATENCY=fast: ",
                        20) == 0,
                "%s", rt_test_last_init_error());
  const char *env4[] = {"EXTRA_LATENCY=5", NULL};
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
  const char *env[] = {env0, NULL};
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

  const char *env[] = {"PRODUCT_CATALOG_PATH=/nonexistent/p.json", NULL};
  ck_assert_ptr_null(rt_test_new(&productcatalog_service, env, 1));
  ck_assert_ptr_nonnull(
      strstr(rt_test_last_init_error(), "cannot open /nonexistent/p.json"));
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
  suite_add_tcase(s, tc);
  return check_run(s);
}
