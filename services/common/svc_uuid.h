/*
 * svc_uuid.h — random (version 4) UUIDs from the runtime's randomness, so a
 * virtual run with the same seed produces the same ids.
 */
#ifndef MESHSIM_SVC_UUID_H
#define MESHSIM_SVC_UUID_H

#include "rt.h"

#define SVC_UUID_LEN 36 /* "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" */

/* Writes a lowercase UUIDv4 and a NUL into |out| (SVC_UUID_LEN + 1 bytes),
 * drawing two rt_rand() values. Returns |out|. */
char *svc_uuid4(rt_t *rt, char out[SVC_UUID_LEN + 1]);

#endif /* MESHSIM_SVC_UUID_H */
