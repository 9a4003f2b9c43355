/* live_httpsvc: the HTTP test service as a process (python and shell tests,
 * benchmarks by hand). */
#include "httpsvc.h"
#include "live_main.h"

int main(int argc, char **argv) {
  return rt_live_main(&httpsvc_service, argc, argv);
}
