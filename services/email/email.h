/*
 * email.h — emailservice (demo mode: it sends nothing). SendOrderConfirmation
 * renders a text confirmation and logs that it would send it;
 * SendVerificationEmail (the seed's addition) answers success with
 * "Verification email sent to <email> for <product> of price <price>.".
 * An empty e-mail address is INVALID_ARGUMENT for both.
 */
#ifndef MESHSIM_EMAIL_H
#define MESHSIM_EMAIL_H

#include <stddef.h>

#include "proto/demo.pb-c.h"
#include "rt.h"

extern const rt_service_t email_service;

/* The confirmation text for |order| (may be NULL): order id, tracking id,
 * address, one line per item (price x quantity), shipping and total (the
 * total is "unavailable" if the amounts cannot be added, e.g. mixed
 * currencies). Returns a malloc'd string, or NULL when out of memory. */
char *email_render_confirmation(const Hipstershop__OrderResult *order);

/* Formats a float the way Python's str() prints the shortest decimal that
 * reads back as the same 32-bit float: "19.99", "20.0", "1e-05", "1e+16",
 * "inf", "nan". (The seed's Python service may print the float's double
 * expansion, e.g. 19.989999771118164, depending on its protobuf backend; we
 * choose the shortest form.) Returns |buf|. */
const char *email_format_price(float f, char *buf, size_t size);

#endif /* MESHSIM_EMAIL_H */
