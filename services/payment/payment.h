/*
 * payment.h — paymentservice: Charge validates the card (Luhn and issuer
 * prefix/length), accepts only VISA and MasterCard, rejects expired cards
 * (against rt_now(), UTC) and answers a random UUIDv4 transaction id.
 */
#ifndef MESHSIM_PAYMENT_H
#define MESHSIM_PAYMENT_H

#include "rt.h"

extern const rt_service_t payment_service;

/* The issuer of |number| ("visa", "mastercard", "amex", "discover",
 * "dinersclub", "jcb"), or NULL when the number is not a valid card number
 * of a known issuer: non-digits other than spaces and dashes, a failed Luhn
 * check, or a length the issuer does not use. Static storage. */
const char *payment_card_type(const char *number);

#endif /* MESHSIM_PAYMENT_H */
