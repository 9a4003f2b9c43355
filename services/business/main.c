/* business: the business service on the live runtime. */
#include "live/live_main.h"

#include "business/business.h"

int main(int argc, char **argv) { return rt_live_main(&business_service, argc, argv); }
