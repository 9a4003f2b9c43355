/* checkoutservice: the checkout service on the live runtime. */
#include "live/live_main.h"

#include "checkout/checkout.h"

int main(int argc, char **argv) { return rt_live_main(&checkout_service, argc, argv); }
