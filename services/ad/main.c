/* adservice: the ad service on the live runtime. */
#include "live/live_main.h"

#include "ad/ad.h"

int main(int argc, char **argv) { return rt_live_main(&ad_service, argc, argv); }
