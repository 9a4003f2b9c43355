/* recommendationservice: the recommendation service on the live runtime. */
#include "live/live_main.h"

#include "recommendation/recommendation.h"

int main(int argc, char **argv) { return rt_live_main(&recommendation_service, argc, argv); }
