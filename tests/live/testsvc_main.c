/* live_testsvc: the test service as a process (for shell and interop tests). */
#include "live_main.h"
#include "testsvc.h"

int main(int argc, char **argv) {
  return rt_live_main(&testsvc_service, argc, argv);
}
