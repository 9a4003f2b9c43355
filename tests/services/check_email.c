/*
 * check_email.c — emailservice: order confirmations (rendered, logged, never
 * sent), verification e-mails and their exact message, empty addresses.
 */
#include "check_util.h"
#include "email/email.h"

static rt_status_t st;
static const char *msg;

static Hipstershop__SendVerificationResponse *verify(rt_test_t *t,
                                                     const char *email,
                                                     const char *product,
                                                     float price) {
  Hipstershop__SendVerificationRequest req =
      HIPSTERSHOP__SEND_VERIFICATION_REQUEST__INIT;
  req.email = (char *)email;
  req.product_name = (char *)product;
  req.price = price;
  Hipstershop__SendVerificationResponse *r = NULL;
  CALL(t, "EmailService", "SendVerificationEmail", &req.base,
       &hipstershop__send_verification_response__descriptor, 0, &st, &msg,
       &r);
  return r;
}

START_TEST(test_verification) {
  rt_test_t *t = rt_test_new(&email_service, NULL, 1);
  Hipstershop__SendVerificationResponse *r =
      verify(t, "seller@example.com", "Lamp", 19.99f);
  ck_assert_int_eq(st, RT_OK);
  ck_assert(r->success);
  ck_assert_str_eq(r->message, "Verification email sent to seller@example.com "
                               "for Lamp of price 19.99.");
  rt_msg_free(&r->base);
  r = verify(t, "a@b.c", "Mug", 20.0f);
  ck_assert_str_eq(r->message,
                   "Verification email sent to a@b.c for Mug of price 20.0.");
  rt_msg_free(&r->base);
  ck_assert_ptr_null(verify(t, "", "Mug", 1.0f));
  ck_assert_int_eq(st, RT_INVALID_ARGUMENT);
  rt_test_free(t);
}
END_TEST

START_TEST(test_price_format) {
  char b[48];
  ck_assert_str_eq(email_format_price(19.99f, b, sizeof b), "19.99");
  ck_assert_str_eq(email_format_price(0.0f, b, sizeof b), "0.0");
  ck_assert_str_eq(email_format_price(0.1f, b, sizeof b), "0.1");
  ck_assert_str_eq(email_format_price(5.49f, b, sizeof b), "5.49");
  ck_assert_str_eq(email_format_price(1000000.0f, b, sizeof b), "1000000.0");
  ck_assert_str_eq(email_format_price(123456.7f, b, sizeof b), "123456.7");
  ck_assert_str_eq(email_format_price(0.0001f, b, sizeof b), "0.0001");
  ck_assert_str_eq(email_format_price(0.00001f, b, sizeof b), "1e-05");
  ck_assert_str_eq(email_format_price(1e16f, b, sizeof b), "1e+16");
  ck_assert_str_eq(email_format_price(-2.5f, b, sizeof b), "-2.5");
  ck_assert_str_eq(email_format_price(1.0f / 0.0f, b, sizeof b), "inf");
}
END_TEST

START_TEST(test_confirmation) {
  rt_test_t *t = rt_test_new(&email_service, NULL, 1);
  Hipstershop__Money ship = HIPSTERSHOP__MONEY__INIT, cost = ship;
  ship.currency_code = cost.currency_code = (char *)"EUR";
  ship.units = 8;
  ship.nanos = 990000000;
  cost.units = 5;
  cost.nanos = 490000000;
  Hipstershop__CartItem ci = HIPSTERSHOP__CART_ITEM__INIT;
  ci.product_id = (char *)"9SIQT8TOJO";
  ci.quantity = 2;
  Hipstershop__OrderItem oi = HIPSTERSHOP__ORDER_ITEM__INIT, *items[] = {&oi};
  oi.item = &ci;
  oi.cost = &cost;
  Hipstershop__OrderResult o = HIPSTERSHOP__ORDER_RESULT__INIT;
  o.order_id = (char *)"order-1";
  o.shipping_tracking_id = (char *)"AB-441234-221234567";
  o.shipping_cost = &ship;
  o.n_items = 1;
  o.items = items;
  char *text = email_render_confirmation(&o);
  ck_assert_ptr_nonnull(strstr(text, "Order ID: order-1"));
  ck_assert_ptr_nonnull(strstr(text, "AB-441234-221234567"));
  ck_assert_ptr_nonnull(strstr(text, "9SIQT8TOJO  x2  at 5.49 EUR"));
  ck_assert_ptr_nonnull(strstr(text, "Total: 19.97 EUR"));
  free(text);

  Hipstershop__SendOrderConfirmationRequest req =
      HIPSTERSHOP__SEND_ORDER_CONFIRMATION_REQUEST__INIT;
  req.email = (char *)"buyer@example.com";
  req.order = &o;
  Hipstershop__Empty *r = NULL;
  CALL(t, "EmailService", "SendOrderConfirmation", &req.base,
       &hipstershop__empty__descriptor, 0, &st, &msg, &r);
  ck_assert_int_eq(st, RT_OK);
  rt_msg_free(&r->base);
  ck_assert_int_ge(rt_test_log_find(t, "INFO would send order confirmation "
                                       "to=buyer@example.com order_id=order-1"),
                   0);
  req.email = (char *)"";
  CALL(t, "EmailService", "SendOrderConfirmation", &req.base,
       &hipstershop__empty__descriptor, 0, &st, &msg, &r);
  ck_assert_int_eq(st, RT_INVALID_ARGUMENT);
  /* No order at all still renders. */
  req.email = (char *)"x@y.z";
  req.order = NULL;
  CALL(t, "EmailService", "SendOrderConfirmation", &req.base,
       &hipstershop__empty__descriptor, 0, &st, &msg, &r);
  ck_assert_int_eq(st, RT_OK);
  rt_msg_free(&r->base);
  /* Mixed currencies: the total is unavailable, the mail still goes. */
  cost.currency_code = (char *)"USD";
  text = email_render_confirmation(&o);
  ck_assert_ptr_nonnull(strstr(text, "Total: unavailable"));
  free(text);
  rt_test_free(t);
}
END_TEST

int main(void) {
  Suite *s = suite_create("email");
  TCase *tc = tcase_create("email");
  tcase_add_test(tc, test_verification);
  tcase_add_test(tc, test_price_format);
  tcase_add_test(tc, test_confirmation);
  suite_add_tcase(s, tc);
  return check_run(s);
}
