/* paymentservice: the payment service on the live runtime. */
#include "live/live_main.h"

#include "payment/payment.h"

int main(int argc, char **argv) { return rt_live_main(&payment_service, argc, argv); }
