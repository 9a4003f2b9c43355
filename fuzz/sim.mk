# fuzz/sim.mk: targets for the simulator's configuration parsers and the
# services' JSON data files (see fuzz/local.mk for the pattern):
#   sim_scenario   scenario files (sim/scenario, libyaml; slo: and canary:
#                  blocks) and --slo expressions (sim/report/slo.c)
#   cluster_values chart values.yaml with --set overrides, Kubernetes
#                  quantities and Service addresses (sim/cluster/values.c)
#   mesh_istio     Istio/Kubernetes manifests, resolved, and the policy
#                  decisions on them (sim/mesh)
#   cost_profile   the virtual runtime's cost profile (sim/vrt/profile.c)
#   svc_json       JSON data documents and the catalog and currency loaders
#                  (services/common/svc_json.c)
# Seed corpora: the project's own files (scenarios/, k8s/charts/*/values.yaml,
# k8s/istio/, tests' fixtures, data/*.json) plus small broken variants and
# the regression inputs of bugs found; runs and findings in fuzz/README.md.
FUZZ_TARGETS += sim_scenario cluster_values mesh_istio cost_profile svc_json
# Dictionaries (fuzz/run.sh passes fuzz/NAME.dict to libFuzzer): the keys
# and values each parser knows, from its sources, plus extremes.
EXTRA_DIST += fuzz/sim_scenario.dict fuzz/cluster_values.dict \
	fuzz/mesh_istio.dict fuzz/cost_profile.dict fuzz/svc_json.dict
FUZZ_SIM_REPLAYS = fuzz/sim_scenario_replay fuzz/cluster_values_replay \
	fuzz/mesh_istio_replay fuzz/cost_profile_replay fuzz/svc_json_replay
check_PROGRAMS += $(FUZZ_SIM_REPLAYS)
TESTS += $(FUZZ_SIM_REPLAYS)

FUZZ_SCENARIO_CFLAGS = $(AM_CFLAGS) $(SCENARIO_CFLAGS)
FUZZ_SCENARIO_LIBS = libscenario.a $(SLO_LIBS) libload.a $(VRT_LIBS) \
	$(LOADGEN_LIBS) \
	$(LEAVES_LIBS) $(YAML_LIBS)
FUZZ_VALUES_CFLAGS = $(AM_CFLAGS) $(CLUSTER_CFLAGS)
FUZZ_VALUES_LIBS = libcluster.a $(YAML_LIBS)
FUZZ_MESH_CFLAGS = $(AM_CFLAGS) $(MESHPOLICY_CFLAGS)
FUZZ_MESH_LIBS = $(MESHPOLICY_LIBS)
FUZZ_PROFILE_CFLAGS = $(AM_CFLAGS) $(VRT_CFLAGS)
FUZZ_PROFILE_LIBS = $(VRT_LIBS) $(JANSSON_LIBS)
FUZZ_SVCJSON_CFLAGS = $(AM_CFLAGS) $(PROTOBUFC_CFLAGS) $(JANSSON_CFLAGS) \
	-I$(top_srcdir)/tests
FUZZ_SVCJSON_LIBS = $(SVC_TEST_LIBS)

fuzz_sim_scenario_replay_SOURCES = fuzz/sim_scenario.c fuzz/replay_main.c
fuzz_sim_scenario_replay_CFLAGS = $(FUZZ_SCENARIO_CFLAGS)
fuzz_sim_scenario_replay_LDADD = $(FUZZ_SCENARIO_LIBS)
fuzz_cluster_values_replay_SOURCES = fuzz/cluster_values.c fuzz/replay_main.c
fuzz_cluster_values_replay_CFLAGS = $(FUZZ_VALUES_CFLAGS)
fuzz_cluster_values_replay_LDADD = $(FUZZ_VALUES_LIBS)
fuzz_mesh_istio_replay_SOURCES = fuzz/mesh_istio.c fuzz/replay_main.c
fuzz_mesh_istio_replay_CFLAGS = $(FUZZ_MESH_CFLAGS)
fuzz_mesh_istio_replay_LDADD = $(FUZZ_MESH_LIBS)
fuzz_cost_profile_replay_SOURCES = fuzz/cost_profile.c fuzz/replay_main.c
fuzz_cost_profile_replay_CFLAGS = $(FUZZ_PROFILE_CFLAGS)
fuzz_cost_profile_replay_LDADD = $(FUZZ_PROFILE_LIBS)
fuzz_svc_json_replay_SOURCES = fuzz/svc_json.c fuzz/replay_main.c
fuzz_svc_json_replay_CFLAGS = $(FUZZ_SVCJSON_CFLAGS)
fuzz_svc_json_replay_LDADD = $(FUZZ_SVCJSON_LIBS)

if FUZZING
noinst_PROGRAMS += fuzz/sim_scenario_fuzzer fuzz/cluster_values_fuzzer \
	fuzz/mesh_istio_fuzzer fuzz/cost_profile_fuzzer fuzz/svc_json_fuzzer
fuzz_sim_scenario_fuzzer_SOURCES = fuzz/sim_scenario.c
fuzz_sim_scenario_fuzzer_CFLAGS = $(FUZZ_SCENARIO_CFLAGS)
fuzz_sim_scenario_fuzzer_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LIBFUZZER)
fuzz_sim_scenario_fuzzer_LDADD = $(FUZZ_SCENARIO_LIBS)
fuzz_cluster_values_fuzzer_SOURCES = fuzz/cluster_values.c
fuzz_cluster_values_fuzzer_CFLAGS = $(FUZZ_VALUES_CFLAGS)
fuzz_cluster_values_fuzzer_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LIBFUZZER)
fuzz_cluster_values_fuzzer_LDADD = $(FUZZ_VALUES_LIBS)
fuzz_mesh_istio_fuzzer_SOURCES = fuzz/mesh_istio.c
fuzz_mesh_istio_fuzzer_CFLAGS = $(FUZZ_MESH_CFLAGS)
fuzz_mesh_istio_fuzzer_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LIBFUZZER)
fuzz_mesh_istio_fuzzer_LDADD = $(FUZZ_MESH_LIBS)
fuzz_cost_profile_fuzzer_SOURCES = fuzz/cost_profile.c
fuzz_cost_profile_fuzzer_CFLAGS = $(FUZZ_PROFILE_CFLAGS)
fuzz_cost_profile_fuzzer_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LIBFUZZER)
fuzz_cost_profile_fuzzer_LDADD = $(FUZZ_PROFILE_LIBS)
fuzz_svc_json_fuzzer_SOURCES = fuzz/svc_json.c
fuzz_svc_json_fuzzer_CFLAGS = $(FUZZ_SVCJSON_CFLAGS)
fuzz_svc_json_fuzzer_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LIBFUZZER)
fuzz_svc_json_fuzzer_LDADD = $(FUZZ_SVCJSON_LIBS)
endif
