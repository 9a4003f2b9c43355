/*
 * check_shipping.c — shippingservice: quotes and tracking ids (shape, lengths
 * from the address, determinism from the seed).
 */
#include <ctype.h>

#include "check_util.h"
#include "shipping/shipping.h"

static rt_status_t st;
static const char *msg;

START_TEST(test_quote) {
  rt_test_t *t = rt_test_new(&shipping_service, NULL, 1);
  Hipstershop__GetQuoteRequest req = HIPSTERSHOP__GET_QUOTE_REQUEST__INIT;
  Hipstershop__GetQuoteResponse *r = NULL;
  CALL(t, "ShippingService", "GetQuote", &req.base,
       &hipstershop__get_quote_response__descriptor, 0, &st, &msg, &r);
  ck_assert_int_eq(st, RT_OK);
  ck_assert_str_eq(r->cost_usd->currency_code, "USD");
  ck_assert(r->cost_usd->units == 0 && r->cost_usd->nanos == 0);
  rt_msg_free(&r->base);
  Hipstershop__CartItem it = HIPSTERSHOP__CART_ITEM__INIT, *items[] = {&it, &it};
  it.product_id = (char *)"OLJCESPC7Z";
  it.quantity = 3;
  req.n_items = 2;
  req.items = items;
  CALL(t, "ShippingService", "GetQuote", &req.base,
       &hipstershop__get_quote_response__descriptor, 0, &st, &msg, &r);
  ck_assert(r->cost_usd->units == 8 && r->cost_usd->nanos == 990000000);
  rt_msg_free(&r->base);
  rt_test_free(t);
}
END_TEST

static char *ship(rt_test_t *t, const char *street, const char *city,
                  const char *state) {
  Hipstershop__Address a = HIPSTERSHOP__ADDRESS__INIT;
  a.street_address = (char *)street;
  a.city = (char *)city;
  a.state = (char *)state;
  Hipstershop__ShipOrderRequest req = HIPSTERSHOP__SHIP_ORDER_REQUEST__INIT;
  req.address = &a;
  Hipstershop__ShipOrderResponse *r = NULL;
  CALL(t, "ShippingService", "ShipOrder", &req.base,
       &hipstershop__ship_order_response__descriptor, 0, &st, &msg, &r);
  ck_assert_int_eq(st, RT_OK);
  char *id = strdup(r->tracking_id);
  rt_msg_free(&r->base);
  return id;
}

START_TEST(test_tracking_id) {
  rt_test_t *t = rt_test_new(&shipping_service, NULL, 5);
  /* salt "1600 Amphitheatre Parkway, Mountain View, CA": 44 bytes. */
  const char *street = "1600 Amphitheatre Parkway";
  for (int i = 0; i < 200; i++) {
    char *id = ship(t, street, "Mountain View", "CA");
    ck_assert_uint_eq(strlen(id), 2 + 1 + 2 + 3 + 1 + 2 + 7);
    ck_assert(isupper((unsigned char)id[0]) && isupper((unsigned char)id[1]));
    ck_assert_int_eq(id[2], '-');
    ck_assert(strncmp(id + 3, "44", 2) == 0);
    ck_assert_int_eq(id[8], '-');
    ck_assert(strncmp(id + 9, "22", 2) == 0);
    for (int k = 5; k < 8; k++)
      ck_assert(isdigit((unsigned char)id[k]));
    for (int k = 11; k < 18; k++)
      ck_assert(isdigit((unsigned char)id[k]));
    free(id);
  }
  char *id = ship(t, "", "", "");
  ck_assert(strncmp(id + 2, "-4", 2) == 0 && id[8] == '2');
  free(id);
  /* The same seed gives the same ids; another seed others. */
  rt_test_t *a = rt_test_new(&shipping_service, NULL, 9),
            *b = rt_test_new(&shipping_service, NULL, 9),
            *c = rt_test_new(&shipping_service, NULL, 10);
  char *x = ship(a, "s", "c", "st"), *y = ship(b, "s", "c", "st"),
       *z = ship(c, "s", "c", "st");
  ck_assert_str_eq(x, y);
  ck_assert_str_ne(x, z);
  free(x);
  free(y);
  free(z);
  rt_test_free(a);
  rt_test_free(b);
  rt_test_free(c);
  rt_test_free(t);
}
END_TEST

int main(void) {
  Suite *s = suite_create("shipping");
  TCase *tc = tcase_create("shipping");
  tcase_add_test(tc, test_quote);
  tcase_add_test(tc, test_tracking_id);
  suite_add_tcase(s, tc);
  return check_run(s);
}
