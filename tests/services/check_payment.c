/*
 * check_payment.c — paymentservice: accepted cards, rejected issuers, Luhn,
 * expiry against the runtime's clock, and upstream's messages.
 */
#include "check_util.h"
#include "payment/payment.h"

static rt_status_t st;
static const char *msg;

static Hipstershop__ChargeResponse *charge(rt_test_t *t, const char *number,
                                           int month, int year) {
  Hipstershop__CreditCardInfo cc = HIPSTERSHOP__CREDIT_CARD_INFO__INIT;
  cc.credit_card_number = (char *)number;
  cc.credit_card_cvv = 123;
  cc.credit_card_expiration_month = month;
  cc.credit_card_expiration_year = year;
  Hipstershop__Money amount = HIPSTERSHOP__MONEY__INIT;
  amount.currency_code = (char *)"USD";
  amount.units = 42;
  Hipstershop__ChargeRequest req = HIPSTERSHOP__CHARGE_REQUEST__INIT;
  req.amount = &amount;
  req.credit_card = &cc;
  Hipstershop__ChargeResponse *r = NULL;
  CALL(t, "PaymentService", "Charge", &req.base,
       &hipstershop__charge_response__descriptor, 0, &st, &msg, &r);
  return r;
}

START_TEST(test_card_types) {
  ck_assert_str_eq(payment_card_type("4111111111111111"), "visa");
  ck_assert_str_eq(payment_card_type("4111-1111-1111-1111"), "visa");
  ck_assert_str_eq(payment_card_type("4222222222222"), "visa");
  ck_assert_str_eq(payment_card_type("5555555555554444"), "mastercard");
  ck_assert_str_eq(payment_card_type("2223003122003222"), "mastercard");
  ck_assert_str_eq(payment_card_type("378282246310005"), "amex");
  ck_assert_str_eq(payment_card_type("6011111111111117"), "discover");
  ck_assert_str_eq(payment_card_type("30569309025904"), "dinersclub");
  ck_assert_str_eq(payment_card_type("3530111333300000"), "jcb");
  ck_assert_ptr_null(payment_card_type("4111111111111112"));  /* Luhn */
  ck_assert_ptr_null(payment_card_type("41111111111111111")); /* length */
  ck_assert_ptr_null(payment_card_type("1234567812345670"));  /* issuer */
  ck_assert_ptr_null(payment_card_type("4111x11111111111"));
  ck_assert_ptr_null(payment_card_type(""));
}
END_TEST

START_TEST(test_charge) {
  rt_test_t *t = rt_test_new(&payment_service, NULL, 1); /* now: 2026-01 */
  Hipstershop__ChargeResponse *r = charge(t, "4111111111111111", 1, 2026);
  ck_assert_int_eq(st, RT_OK);
  ck_assert_uint_eq(strlen(r->transaction_id), 36);
  ck_assert_int_eq(r->transaction_id[14], '4');
  rt_msg_free(&r->base);
  ck_assert_int_ge(rt_test_log_find(t, "card_type=visa ending=1111"), 0);
  r = charge(t, "5555555555554444", 12, 2030);
  ck_assert_int_eq(st, RT_OK);
  rt_msg_free(&r->base);

  ck_assert_ptr_null(charge(t, "378282246310005", 1, 2030));
  ck_assert_int_eq(st, RT_INVALID_ARGUMENT);
  ck_assert_str_eq(msg, "Sorry, we cannot process amex credit cards. Only "
                        "VISA or MasterCard is accepted.");
  ck_assert_ptr_null(charge(t, "6011111111111117", 1, 2030));
  ck_assert_str_eq(msg, "Sorry, we cannot process discover credit cards. "
                        "Only VISA or MasterCard is accepted.");
  ck_assert_ptr_null(charge(t, "4111111111111112", 1, 2030));
  ck_assert_int_eq(st, RT_INVALID_ARGUMENT);
  ck_assert_str_eq(msg, "Credit card info is invalid");

  ck_assert_ptr_null(charge(t, "4111111111111111", 12, 2025));
  ck_assert_int_eq(st, RT_INVALID_ARGUMENT);
  ck_assert_str_eq(msg, "Your credit card (ending 1111) expired on 12/2025");
  ck_assert_ptr_null(charge(t, "5555-5555-5555-4444", 3, 2019));
  ck_assert_str_eq(msg, "Your credit card (ending 4444) expired on 3/2019");

  /* The clock is the runtime's: a month later, 1/2026 has expired. */
  rt_test_set_now(t, RT_TEST_EPOCH + 31LL * 86400 * RT_SEC);
  ck_assert_ptr_null(charge(t, "4111111111111111", 1, 2026));
  ck_assert_str_eq(msg, "Your credit card (ending 1111) expired on 1/2026");

  Hipstershop__ChargeRequest req = HIPSTERSHOP__CHARGE_REQUEST__INIT;
  CALL(t, "PaymentService", "Charge", &req.base,
       &hipstershop__charge_response__descriptor, 0, &st, &msg, &r);
  ck_assert_int_eq(st, RT_INVALID_ARGUMENT);
  ck_assert_str_eq(msg, "Credit card info is invalid");
  rt_test_free(t);
}
END_TEST

START_TEST(test_deterministic_ids) {
  rt_test_t *a = rt_test_new(&payment_service, NULL, 3),
            *b = rt_test_new(&payment_service, NULL, 3);
  Hipstershop__ChargeResponse *x = charge(a, "4111111111111111", 1, 2030),
                              *y = charge(b, "4111111111111111", 1, 2030),
                              *z = charge(a, "4111111111111111", 1, 2030);
  ck_assert_str_eq(x->transaction_id, y->transaction_id);
  ck_assert_str_ne(x->transaction_id, z->transaction_id);
  rt_msg_free(&x->base);
  rt_msg_free(&y->base);
  rt_msg_free(&z->base);
  rt_test_free(a);
  rt_test_free(b);
}
END_TEST

int main(void) {
  Suite *s = suite_create("payment");
  TCase *tc = tcase_create("payment");
  tcase_add_test(tc, test_card_types);
  tcase_add_test(tc, test_charge);
  tcase_add_test(tc, test_deterministic_ids);
  suite_add_tcase(s, tc);
  return check_run(s);
}
