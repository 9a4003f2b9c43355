# k8s/: shipping the service binaries to EKS with Istio (see k8s/README.md).
# The tests render the Helm charts without Helm, check every manifest against
# the Kubernetes/Istio/prometheus-operator schemas and each other, lint, check
# the alert rules and dashboards, parse the Jenkins pipelines, check the
# Dockerfiles (and run one's build steps), and dry-run the deploy script.

# The generated sources (protobuf-c) that any program needs before it can be
# built on its own; the Dockerfiles run `make built-sources <service>`, since
# make builds BUILT_SOURCES first only for all and check.
built-sources: $(BUILT_SOURCES)
.PHONY: built-sources

K8S_TESTS = \
	k8s/test/charts.sh \
	k8s/test/validate.sh \
	k8s/test/monitoring.sh \
	k8s/test/jenkins.sh \
	k8s/test/docker.sh \
	k8s/test/docker-build.sh \
	k8s/test/deploy.sh
TESTS += $(K8S_TESTS)
EXTRA_DIST += $(K8S_TESTS) k8s/test/lib.sh k8s/test/validate.mjs \
	k8s/test/package.json k8s/test/package-lock.json k8s/test/render/main.go \
	k8s/test/yamllint.yaml k8s/test/jenkins-parse.groovy k8s/test/fixtures \
	k8s/README.md k8s/deploy k8s/charts k8s/istio k8s/monitoring k8s/docker \
	k8s/jenkins k8s/eks

clean-local: clean-k8s-test
clean-k8s-test:
	-rm -rf k8s/.test-cache
.PHONY: clean-k8s-test
