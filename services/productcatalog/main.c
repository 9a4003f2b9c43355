/* productcatalogservice: the productcatalog service on the live runtime. */
#include "live/live_main.h"

#include "productcatalog/productcatalog.h"

int main(int argc, char **argv) { return rt_live_main(&productcatalog_service, argc, argv); }
