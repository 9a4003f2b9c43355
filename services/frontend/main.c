/* frontend: the shop's web frontend on the live runtime. */
#include "live/live_main.h"

#include "frontend/frontend.h"

int main(int argc, char **argv) { return rt_live_main(&frontend_service, argc, argv); }
