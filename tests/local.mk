# tests/: the interop suite (real gRPC peers from python3-grpcio) and the
# end-to-end tests of the meshsim tool. Unit tests live beside their area's
# fragment (tests/services.mk, tests/live/local.mk).

# Python stubs generated from our own proto/ with protoc + grpc_python_plugin.
INTEROP_STAMP = tests/interop/gen/.stamp
check_SCRIPTS += $(INTEROP_STAMP)
CLEANFILES += $(INTEROP_STAMP) tests/interop/gen/*.py
$(INTEROP_STAMP): $(PROTO_FILES:%=$(srcdir)/%)
	$(AM_V_GEN)$(MKDIR_P) tests/interop/gen && \
	$(PROTOC) -I$(srcdir)/proto --python_out=tests/interop/gen \
	  --plugin=protoc-gen-grpc_python=$(GRPC_PYTHON_PLUGIN) \
	  --grpc_python_out=tests/interop/gen $(PROTO_FILES:proto/%=$(srcdir)/proto/%) && \
	touch $@

clean-local: clean-interop
clean-interop:
	-rm -rf tests/interop/gen tests/interop/__pycache__
.PHONY: clean-interop

INTEROP_TESTS = \
	tests/interop/test_leaves.py \
	tests/interop/test_health_drain.py \
	tests/interop/test_client.py
TESTS += $(INTEROP_TESTS)
EXTRA_DIST += $(INTEROP_TESTS) tests/interop/harness.py

# The whole shop end to end (issue 4): meshsim up, a browser's walk through
# the site, selling, 20 load-generator users for 60 s, kill -9 of the cart,
# and a Locust run.
TESTS += tests/e2e/test_shop.py
EXTRA_DIST += tests/e2e/test_shop.py
