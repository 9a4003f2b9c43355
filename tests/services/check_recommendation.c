/*
 * check_recommendation.c — recommendationservice against a stubbed catalog:
 * filtering, the cap of 5, randomness from the seed, catalog failures, and
 * deadline/cancellation carried to the catalog call.
 */
#include "check_util.h"
#include "recommendation/recommendation.h"

static rt_status_t st;
static const char *msg;
static const char *ids[9] = {"OLJCESPC7Z", "66VCHSJNUP", "1YMWWN1N4O",
                             "L9ECAV7KIM", "2ZYFJ3GM2N", "0PUK6V6EV0",
                             "LS4PSXUNUM", "9SIQT8TOJO", "6E92ZMYYFZ"};
static const char *env[] = {
    "PRODUCT_CATALOG_SERVICE_ADDR=productcatalogservice:3550", NULL};

static rt_status_t catalog(void *user, const ProtobufCMessage *req,
                           const ProtobufCMessage **resp, char *m, size_t n) {
  static Hipstershop__Product p[9], *pp[9];
  static Hipstershop__ListProductsResponse r =
      HIPSTERSHOP__LIST_PRODUCTS_RESPONSE__INIT;
  for (int i = 0; i < 9; i++) {
    hipstershop__product__init(&p[i]);
    p[i].id = (char *)ids[i];
    pp[i] = &p[i];
  }
  r.n_products = 9;
  r.products = pp;
  *resp = &r.base;
  return RT_OK;
}

static rt_status_t catalog_broken(void *user, const ProtobufCMessage *req,
                                  const ProtobufCMessage **resp, char *m,
                                  size_t n) {
  snprintf(m, n, "database on fire");
  return RT_UNKNOWN;
}

static Hipstershop__ListRecommendationsResponse *
recommend(rt_test_t *t, size_t n, const char **pids, rt_time_t timeout) {
  Hipstershop__ListRecommendationsRequest req =
      HIPSTERSHOP__LIST_RECOMMENDATIONS_REQUEST__INIT;
  req.user_id = (char *)"u1";
  req.n_product_ids = n;
  req.product_ids = (char **)pids;
  Hipstershop__ListRecommendationsResponse *r = NULL;
  CALL(t, "RecommendationService", "ListRecommendations", &req.base,
       &hipstershop__list_recommendations_response__descriptor, timeout, &st,
       &msg, &r);
  return r;
}

static int in(const char *id, size_t n, const char **set) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(set[i], id) == 0)
      return 1;
  return 0;
}

START_TEST(test_config) {
  ck_assert_ptr_null(rt_test_new(&recommendation_service, NULL, 1));
  ck_assert_ptr_nonnull(strstr(rt_test_last_init_error(),
                               "PRODUCT_CATALOG_SERVICE_ADDR=: required"));
  const char *bad[] = {"PRODUCT_CATALOG_SERVICE_ADDR=nocolon", NULL};
  ck_assert_ptr_null(rt_test_new(&recommendation_service, bad, 1));
}
END_TEST

START_TEST(test_recommend) {
  rt_test_t *t = rt_test_new(&recommendation_service, env, 1);
  ck_assert_ptr_nonnull(t);
  rt_test_stub_t *s =
      rt_test_stub(t, "productcatalogservice:3550",
                   "hipstershop.ProductCatalogService", "ListProducts",
                   &hipstershop__empty__descriptor, catalog, NULL);
  const char *req2[] = {"OLJCESPC7Z", "6E92ZMYYFZ"};
  int seen[9] = {0};
  for (int round = 0; round < 100; round++) {
    Hipstershop__ListRecommendationsResponse *r = recommend(t, 2, req2, 0);
    ck_assert_int_eq(st, RT_OK);
    ck_assert_uint_eq(r->n_product_ids, 5);
    for (size_t i = 0; i < 5; i++) {
      ck_assert(in(r->product_ids[i], 9, ids));
      ck_assert(!in(r->product_ids[i], 2, req2));
      for (size_t j = 0; j < i; j++)
        ck_assert_str_ne(r->product_ids[i], r->product_ids[j]);
      for (int k = 0; k < 9; k++)
        seen[k] += strcmp(ids[k], r->product_ids[i]) == 0;
    }
    rt_msg_free(&r->base);
  }
  ck_assert_int_eq(seen[0], 0);
  ck_assert_int_eq(seen[8], 0);
  for (int k = 1; k < 8; k++)
    ck_assert_int_gt(seen[k], 0);
  ck_assert_uint_eq(rt_test_stub_calls(s), 100);

  /* Fewer than 5 left: all of them. */
  const char *req6[] = {ids[0], ids[1], ids[2], ids[3], ids[4], ids[5]};
  Hipstershop__ListRecommendationsResponse *r = recommend(t, 6, req6, 0);
  ck_assert_uint_eq(r->n_product_ids, 3);
  rt_msg_free(&r->base);
  r = recommend(t, 9, ids, 0);
  ck_assert_int_eq(st, RT_OK);
  ck_assert_uint_eq(r->n_product_ids, 0);
  rt_msg_free(&r->base);
  rt_test_free(t);
}
END_TEST

START_TEST(test_deterministic) {
  rt_test_t *a = rt_test_new(&recommendation_service, env, 11),
            *b = rt_test_new(&recommendation_service, env, 11);
  rt_test_stub(a, "*", "ProductCatalogService", "ListProducts",
               &hipstershop__empty__descriptor, catalog, NULL);
  rt_test_stub(b, "*", "ProductCatalogService", "ListProducts",
               &hipstershop__empty__descriptor, catalog, NULL);
  for (int i = 0; i < 20; i++) {
    Hipstershop__ListRecommendationsResponse *x = recommend(a, 0, NULL, 0),
                                             *y = recommend(b, 0, NULL, 0);
    ck_assert_uint_eq(x->n_product_ids, 5);
    for (size_t k = 0; k < 5; k++)
      ck_assert_str_eq(x->product_ids[k], y->product_ids[k]);
    rt_msg_free(&x->base);
    rt_msg_free(&y->base);
  }
  rt_test_free(a);
  rt_test_free(b);
}
END_TEST

START_TEST(test_catalog_failures) {
  rt_test_t *t = rt_test_new(&recommendation_service, env, 1);
  /* Nothing at the address. */
  ck_assert_ptr_null(recommend(t, 0, NULL, 0));
  ck_assert_int_eq(st, RT_UNAVAILABLE);
  ck_assert_str_eq(msg, "failed to list products from productcatalogservice: "
                        "UNAVAILABLE: no route to productcatalogservice:3550");
  /* The catalog fails. */
  rt_test_stub_t *s =
      rt_test_stub(t, "productcatalogservice:3550", "ProductCatalogService",
                   "ListProducts", &hipstershop__empty__descriptor,
                   catalog_broken, NULL);
  ck_assert_ptr_null(recommend(t, 0, NULL, 0));
  ck_assert_int_eq(st, RT_INTERNAL);
  ck_assert_ptr_nonnull(strstr(msg, "productcatalogservice: UNKNOWN: "
                                    "database on fire"));
  /* A slow catalog: the caller's deadline is the catalog call's. */
  rt_test_stub(t, "productcatalogservice:3550", "ProductCatalogService",
               "ListProducts", &hipstershop__empty__descriptor, catalog, NULL);
  rt_test_stub_set_delay(s, 3 * RT_SEC);
  rt_time_t start = rt_test_now(t);
  ck_assert_ptr_null(recommend(t, 0, NULL, 500 * RT_MSEC));
  ck_assert_int_eq(st, RT_DEADLINE_EXCEEDED);
  ck_assert_int_eq(rt_test_stub_last_deadline(s), start + 500 * RT_MSEC);
  ck_assert_uint_eq(rt_test_stub_cancelled(s), 1);
  ck_assert_int_eq(rt_test_last_duration(t), 500 * RT_MSEC);
  /* The client cancels: so is the catalog call. */
  Hipstershop__ListRecommendationsRequest req =
      HIPSTERSHOP__LIST_RECOMMENDATIONS_REQUEST__INIT;
  ProtobufCMessage *r = NULL;
  ck_assert_int_eq(
      rt_test_call_ex(t, "RecommendationService", "ListRecommendations",
                      &req.base,
                      &hipstershop__list_recommendations_response__descriptor,
                      0, 100 * RT_MSEC, &st, &msg, &r),
      0);
  ck_assert_int_eq(st, RT_CANCELLED);
  ck_assert_uint_eq(rt_test_stub_cancelled(s), 2);
  /* Within the deadline it works. */
  Hipstershop__ListRecommendationsResponse *ok =
      recommend(t, 0, NULL, 5 * RT_SEC);
  ck_assert_int_eq(st, RT_OK);
  ck_assert_int_eq(rt_test_last_duration(t), 3 * RT_SEC);
  rt_msg_free(&ok->base);
  rt_test_free(t);
}
END_TEST

int main(void) {
  Suite *s = suite_create("recommendation");
  TCase *tc = tcase_create("recommendation");
  tcase_add_test(tc, test_config);
  tcase_add_test(tc, test_recommend);
  tcase_add_test(tc, test_deterministic);
  tcase_add_test(tc, test_catalog_failures);
  suite_add_tcase(s, tc);
  return check_run(s);
}
