/*
 * checkout.h — checkoutservice: PlaceOrder of hipstershop.CheckoutService,
 * calling the other services in upstream's order with upstream's Money
 * arithmetic, error codes and messages, and recording every order's steps
 * in an order journal (journal.h).
 *
 * Environment (each *_ADDR is required, "host:port"):
 *   PRODUCT_CATALOG_SERVICE_ADDR, SHIPPING_SERVICE_ADDR, PAYMENT_SERVICE_ADDR,
 *   EMAIL_SERVICE_ADDR, CURRENCY_SERVICE_ADDR, CART_SERVICE_ADDR;
 *   ORDER_JOURNAL_PATH  the journal's SQLite file (default "orders.db" in
 *                       the working directory);
 *   ORDER_JOURNAL_SYNC  NORMAL (default: survives a process crash) or FULL
 *                       (also survives power loss).
 *
 * PlaceOrder(user_id, user_currency, address, email, credit_card):
 *   1. order id: a UUIDv4 from rt_rand(); journal row "pending";
 *   2. cart.GetCart(user_id);
 *   3. for each item: catalog.GetProduct, then currency.Convert(price_usd ->
 *      user_currency);
 *   4. shipping.GetQuote(address, items), currency.Convert(quote);
 *   5. total = shipping + sum(price * quantity), with carry (common/money.h);
 *   6. journal gate "charging", then payment.Charge(total, card);
 *   7. shipping.ShipOrder(address, items);
 *   8. cart.EmptyCart(user_id) (a failure is logged and ignored);
 *   9. email.SendOrderConfirmation(email, order) (a failure is only logged);
 *  10. journal "confirmed"; reply the OrderResult.
 * Every downstream call is made on behalf of the PlaceOrder call (deadline
 * and cancellation carry over).
 *
 * Errors, as upstream (Go's "rpc error: code = X desc = Y" spelling of a
 * downstream status included):
 *   INTERNAL "cart failure: failed to get user cart during checkout: ...",
 *            "failed to prepare order: failed to get product #\"ID\"",
 *            "failed to prepare order: failed to convert price of \"ID\" to CUR",
 *            "shipping quote failure: failed to get shipping quote: ...",
 *            "failed to convert shipping cost to currency: failed to convert
 *             currency: ...",
 *            "failed to charge card: could not charge the card: ...";
 *   UNAVAILABLE "shipping error: shipment failed: ...".
 * Beyond upstream:
 *   INTERNAL "failed to compute order total: ..." where upstream would panic
 *            (a converted price in another currency or not a valid amount,
 *            a negative cart quantity);
 *   INTERNAL "failed to record order: ..." when the journal cannot be
 *            written before charging (nothing is charged then);
 *   ALREADY_EXISTS when the journal already has this order id charged or
 *            being charged (a replayed order): Charge is not called again.
 */
#ifndef MESHSIM_CHECKOUT_H
#define MESHSIM_CHECKOUT_H

#include "rt.h"

extern const rt_service_t checkout_service;

#endif /* MESHSIM_CHECKOUT_H */
