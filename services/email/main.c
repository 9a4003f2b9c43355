/* emailservice: the email service on the live runtime. */
#include "live/live_main.h"

#include "email/email.h"

int main(int argc, char **argv) { return rt_live_main(&email_service, argc, argv); }
