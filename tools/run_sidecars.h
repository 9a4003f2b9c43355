/*
 * run_sidecars.h — the sidecars' own CPU in `meshsim run`'s report.
 *
 * The data plane charges each sidecar (and the ingress gateway) a nominal
 * CPU per request and per handshake (dp_sidecars_cpu_us) but takes none of
 * it from the apps' cores: the sidecar is its own container. This reports
 * it per pod for the measurement window, next to the pods' own CPU: CPU
 * seconds and the mean vCPU (seconds / the window's virtual seconds), for
 * every pod with a sidecar and the gateway. Only with a mesh: without one
 * nothing is written, so --no-mesh reports are unchanged.
 *
 * Threads: none. Nothing here reads a wall clock.
 */
#ifndef MESHSIM_TOOLS_RUN_SIDECARS_H
#define MESHSIM_TOOLS_RUN_SIDECARS_H

#include <stdio.h>

#include "sidecar.h"
#include "vrt.h"

typedef struct run_sidecars run_sidecars_t;

/* Opens the window now (as rp_begin): the baseline of every pod's sidecar
 * and of the gateway. |dp| NULL (no mesh): returns NULL without error.
 * |w| and |dp| must outlive the result. NULL also when out of memory
 * (then *|oom| is set to 1). */
run_sidecars_t *rs_begin(vrt_world_t *w, dp_sidecars_t *dp, int *oom);

/* Closes the window now (as rp_end). NULL: no-op. */
void rs_end(run_sidecars_t *s);

/* The table (after rs_end): a blank line, then
 *   SIDECAR <pod> CPU s, vCPU
 * one row per pod with a sidecar (world order) and one for the gateway,
 * and a total row. NULL: writes nothing. 0, or -1 on a write error. */
int rs_write_text(const run_sidecars_t *s, FILE *f);

/* The same as a JSON member line,
 *   "sidecars": {"window_seconds": W, "cpu_seconds": T, "pods": [
 *     {"pod": "...", "cpu_seconds": S, "vcpu": V}, ...]},
 * with the gateway as the pod "istio-ingressgateway" (its workload). NULL:
 * writes nothing. 0, or -1 on a write error. */
int rs_write_json(const run_sidecars_t *s, FILE *f);

void rs_free(run_sidecars_t *s); /* NULL: no-op */

#endif /* MESHSIM_TOOLS_RUN_SIDECARS_H */
