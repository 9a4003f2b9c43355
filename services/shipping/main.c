/* shippingservice: the shipping service on the live runtime. */
#include "live/live_main.h"

#include "shipping/shipping.h"

int main(int argc, char **argv) { return rt_live_main(&shipping_service, argc, argv); }
