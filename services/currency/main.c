/* currencyservice: the currency service on the live runtime. */
#include "live/live_main.h"

#include "currency/currency.h"

int main(int argc, char **argv) { return rt_live_main(&currency_service, argc, argv); }
