/*
 * check_ad.c — adservice: ads by category, random ads without (matching)
 * keys, determinism from the seed.
 */
#include "ad/ad.h"
#include "check_util.h"

static rt_status_t st;
static const char *msg;

static Hipstershop__AdResponse *ads(rt_test_t *t, size_t n,
                                    const char **keys) {
  Hipstershop__AdRequest req = HIPSTERSHOP__AD_REQUEST__INIT;
  req.n_context_keys = n;
  req.context_keys = (char **)keys;
  Hipstershop__AdResponse *r = NULL;
  CALL(t, "AdService", "GetAds", &req.base, &hipstershop__ad_response__descriptor,
       0, &st, &msg, &r);
  ck_assert_int_eq(st, RT_OK);
  return r;
}

START_TEST(test_categories) {
  rt_test_t *t = rt_test_new(&ad_service, NULL, 1);
  const char *k1[] = {"kitchen"};
  Hipstershop__AdResponse *r = ads(t, 1, k1);
  ck_assert_uint_eq(r->n_ads, 2);
  ck_assert_str_eq(r->ads[0]->redirect_url, "/product/9SIQT8TOJO");
  ck_assert_str_eq(r->ads[1]->redirect_url, "/product/6E92ZMYYFZ");
  rt_msg_free(&r->base);
  const char *k2[] = {"hair", "clothing", "nothing"};
  r = ads(t, 3, k2);
  ck_assert_uint_eq(r->n_ads, 2);
  ck_assert_str_eq(r->ads[0]->text, "Hairdryer for sale. 50% off.");
  ck_assert_str_eq(r->ads[0]->redirect_url, "/product/2ZYFJ3GM2N");
  ck_assert_str_eq(r->ads[1]->redirect_url, "/product/66VCHSJNUP");
  rt_msg_free(&r->base);
  const char *k3[] = {"accessories", "footwear", "decor"};
  r = ads(t, 3, k3);
  ck_assert_uint_eq(r->n_ads, 3);
  ck_assert_str_eq(r->ads[0]->redirect_url, "/product/1YMWWN1N4O");
  ck_assert_str_eq(r->ads[1]->redirect_url, "/product/L9ECAV7KIM");
  ck_assert_str_eq(r->ads[2]->redirect_url, "/product/0PUK6V6EV0");
  rt_msg_free(&r->base);
  rt_test_free(t);
}
END_TEST

START_TEST(test_random) {
  rt_test_t *t = rt_test_new(&ad_service, NULL, 1);
  int seen[7] = {0};
  const char *none[] = {"Kitchen"}; /* exact match only */
  for (int i = 0; i < 200; i++) {
    Hipstershop__AdResponse *r = ads(t, i % 2, none);
    ck_assert_uint_eq(r->n_ads, 2);
    ck_assert_str_ne(r->ads[0]->redirect_url, r->ads[1]->redirect_url);
    const char *ids = "2ZYFJ3GM2N66VCHSJNUP0PUK6V6EV09SIQT8TOJO1YMWWN1N4O"
                      "6E92ZMYYFZL9ECAV7KIM";
    for (size_t k = 0; k < 2; k++) {
      const char *p = strstr(ids, r->ads[k]->redirect_url + 9);
      ck_assert_ptr_nonnull(p);
      seen[(p - ids) / 10]++;
    }
    rt_msg_free(&r->base);
  }
  for (int i = 0; i < 7; i++)
    ck_assert_int_gt(seen[i], 0);
  rt_test_t *a = rt_test_new(&ad_service, NULL, 77),
            *b = rt_test_new(&ad_service, NULL, 77);
  for (int i = 0; i < 10; i++) {
    Hipstershop__AdResponse *x = ads(a, 0, NULL), *y = ads(b, 0, NULL);
    ck_assert_str_eq(x->ads[0]->text, y->ads[0]->text);
    ck_assert_str_eq(x->ads[1]->text, y->ads[1]->text);
    rt_msg_free(&x->base);
    rt_msg_free(&y->base);
  }
  rt_test_free(a);
  rt_test_free(b);
  rt_test_free(t);
}
END_TEST

int main(void) {
  Suite *s = suite_create("ad");
  TCase *tc = tcase_create("ad");
  tcase_add_test(tc, test_categories);
  tcase_add_test(tc, test_random);
  suite_add_tcase(s, tc);
  return check_run(s);
}
