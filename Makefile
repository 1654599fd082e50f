# bloody-sweet platform. `make` alone lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
GO ?= go
# `go run` stamps no VCS data: pass the commit so `platform version` names it.
COMMIT := $(shell git rev-parse HEAD 2>/dev/null)
PLATFORM := $(GO) run -ldflags "-X github.com/bloody-sweet/platform/internal/buildinfo.commit=$(COMMIT)" ./cmd/platform

.PHONY: vulncheck version help demo dev render verify lint-ci check test test-unit test-integration test-observability test-faults test-terraform test-cluster test-gitops test-autoscaling bench lint load deps tools gen-cue

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

version: ## print the platform CLI's version and commit
	$(PLATFORM) version

# cmd/demo is `platform demo` linking only the services, so a first run on an
# empty Go build cache compiles a fraction of the CLI (README: cold and warm).
demo: ## run the platform's services in one process on embedded defaults and place 500 orders (progress on stderr, result on stdout)
	$(GO) run ./cmd/demo

dev: ## run the local stack and keep it running, printing URLs
	$(PLATFORM) dev

render: ## render Helm values, Rollouts, Argo CD apps and manifests from the CUE model
	$(PLATFORM) render

gen-cue: ## regenerate cue/cue.mod/gen (k8s.io/api via cue get go, Argo CD/Rollouts CRDs) with tools/cuegen
	cd tools/cuegen && $(GO) run . -out ../../cue/cue.mod/gen

verify: ## fail if generated files are stale, code is unformatted or vet/cue/rego checks fail
	$(PLATFORM) render --check
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags faults ./tests/faults/
	$(GO) vet -tags observability ./tests/alerts/ ./tests/observability/
	$(GO) tool cue fmt --check --files ./cue
	$(PLATFORM) check --verify-policies
	@$(MAKE) -s lint-ci

lint-ci: ## lint the GitHub workflows (actionlint, with shellcheck on their run steps; pins, permissions, timeouts, concurrency; renovate.json) and the shell scripts
	@command -v shellcheck >/dev/null || { echo "shellcheck is not installed: run make deps"; exit 1; }
	$(GO) tool -modfile=tools/actionlint/go.mod actionlint
	$(GO) test -count=1 ./internal/ciaudit/
	shellcheck -S warning .ci/run scripts/*.sh

check: ## run the OPA policy gate over the rendered environments
	$(PLATFORM) check

deps: ## install the Debian packages the tests need (postgres, redis, prometheus, alertmanager)
	scripts/install-deps.sh

test: deps verify test-unit test-integration test-observability test-faults test-terraform test-cluster test-gitops ## install what tests need, then run everything CI runs

test-unit: ## go tests (unit, golden, Rego, fuzz seeds)
	$(GO) test -count=1 ./...

test-integration: ## tests against real Postgres, Redis and Prometheus from Debian packages
	$(GO) test -count=1 -timeout 30m -tags integration ./services/... ./tests/...
	scripts/fuzz-short.sh

test-observability: ## alerts and logs: promtool on the rendered rules, amtool routing of every alert, a real Alertmanager; the rendered log collector on a collector built from the Go module proxy (tools/otelcol, cached), fed the services' real logs
	$(GO) test -count=1 -tags observability ./tests/alerts/...
	scripts/test-logs.sh

test-faults: ## fault suite under load: six service processes, customers cancelling and revising, on real Postgres/Redis and a restartable broker; Postgres, Redis, broker and consumer faults (about 5 min)
	$(GO) test -count=1 -tags faults -v -timeout 30m ./tests/faults/

test-terraform: ## fmt, validate, terraform test and Terratest plans, offline
	scripts/test-terraform.sh

test-cluster: ## rendered manifests on a real kube-apiserver; rendered canaries run by a real Argo Rollouts controller (kwok node)
	scripts/test-cluster.sh

test-gitops: ## a real Argo CD syncs the rendered apps/ from a loopback clone onto the cluster of test-cluster
	scripts/test-gitops.sh

test-autoscaling: ## the rendered prod payment ScaledObject run by a real KEDA v2.21.0 (operator + metrics apiserver, built once from its module) and the HPA controller on the cluster of test-cluster, lag from a real Prometheus: scale to the partition bound, down after the window, a canary undisturbed
	scripts/test-autoscaling.sh

bench: ## benchmarks (render, policy, kafka) side by side with their baselines
	$(GO) test -run '^$$' -bench . -benchmem ./internal/...

# Every Go module of the repository; the separate modules are vetted against
# their own go.mod. Needs the Go vulnerability database (network): CI runs it.
VULN_MODULES := . terraform/test tests/cluster tools/cuegen tools/kube tools/rollouts
vulncheck: ## govulncheck over every Go module (needs the vulnerability database)
	@set -e; for m in $(VULN_MODULES); do echo "govulncheck $$m"; $(GO) tool govulncheck -C $$m ./...; done

load: ## the smoke load scenario on the embedded stack (about a minute)
	$(PLATFORM) load --scenario tests/load/scenarios/smoke.json --embedded

lint: ## go vet, gofmt, the Rego strict check, workflows and scripts
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))"
	$(PLATFORM) check --verify-policies
	@$(MAKE) -s lint-ci
