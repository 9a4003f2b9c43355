/* cartservice: the cart service on the live runtime. */
#include "live/live_main.h"

#include "cart/cart.h"

int main(int argc, char **argv) { return rt_live_main(&cart_service, argc, argv); }
