#!/usr/bin/env bash
# Starts `pingan demo` on a free port, fetches /api/openapi.json, /api/asyncapi.json and /metrics, and
# checks them with the reference tools: openapi-spec-validator (OpenAPI 3.1), the AsyncAPI Initiative's
# own JSON Schema of AsyncAPI 3.0.0 (npm @asyncapi/specs 6.11) with jsonschema, and prometheus_client's
# text parser.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/demo.sh"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="${PINGAN_BIN:-$root/target/debug/pingan}"
venv="$root/target/py-venv"
if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import openapi_spec_validator, prometheus_client" 2>/dev/null; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check "openapi-spec-validator>=0.7" "prometheus-client>=0.20"
fi

specs="$root/target/asyncapi-specs"
if [[ ! -f "$specs/node_modules/@asyncapi/specs/schemas/3.0.0.json" ]]; then
  mkdir -p "$specs"
  npm install --prefix "$specs" --no-save --no-audit --no-fund --silent "@asyncapi/specs@~6.11" >/dev/null
fi

work="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
start_demo "$bin" "$work" "$work/err"
pid="$DEMO_PID"
url="$DEMO_URL"

user="$(grep 'login: officer ' "$work/out" | awk '{print $2}')"
pass="$(grep 'login: officer ' "$work/out" | awk '{print $4}')"
curl -fsS "${url}healthz" > /dev/null
curl -fsS -c "$work/jar" -H 'content-type: application/json' -d "{\"username\":\"$user\",\"password\":\"$pass\"}" "${url}api/v1/session" > /dev/null
curl -fsS -b "$work/jar" "${url}api/v1/areas/330681109" > /dev/null
curl -fsS "${url}api/openapi.json" > "$work/openapi.json"
curl -fsS "${url}api/asyncapi.json" > "$work/asyncapi.json"
# The demo serves /metrics only to its scrape token, which it prints.
scrape="$(grep -o 'Authorization: Bearer [0-9a-f]*' "$work/out" | head -1)"
curl -fsS -H "$scrape" "${url}metrics" > "$work/metrics.txt"

"$venv/bin/python" - "$work/openapi.json" "$work/metrics.txt" "$work/asyncapi.json" "$specs/node_modules/@asyncapi/specs/schemas/3.0.0.json" <<'PY'
import json, sys
import jsonschema
from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV31SpecValidator
from prometheus_client.parser import text_string_to_metric_families

spec = json.load(open(sys.argv[1]))
assert spec["openapi"].startswith("3.1"), spec["openapi"]
validate(spec, cls=OpenAPIV31SpecValidator)
print(f"contract: OpenAPI {spec['openapi']} valid ({len(spec['paths'])} paths)")

asyncapi = json.load(open(sys.argv[3]))
schema = json.load(open(sys.argv[4]))
validator = jsonschema.validators.validator_for(schema)(schema)
errors = list(validator.iter_errors(asyncapi))
assert not errors, "AsyncAPI document invalid: " + "; ".join(f"{list(e.absolute_path)}: {e.message[:200]}" for e in errors[:5])
assert list(validator.iter_errors({**asyncapi, "channels": {"x": {"address": 5}}})), "the AsyncAPI schema accepts a broken document"
print(f"contract: AsyncAPI {asyncapi['asyncapi']} valid against @asyncapi/specs ({len(asyncapi['channels'])} channels)")

families = {f.name: f for f in text_string_to_metric_families(open(sys.argv[2]).read())}
for name in ["http_requests", "http_request_duration_seconds", "db_pool_connections"]:
    assert name in families, f"missing metric family {name}: {sorted(families)}"
routes = {s.labels.get("route") for s in families["http_requests"].samples}
assert "/api/v1/areas/{code}" in routes, routes
assert families["http_request_duration_seconds"].type == "histogram"
print(f"contract: /metrics parses as Prometheus text ({len(families)} families, routes {sorted(r for r in routes if r)})")
PY
echo "contract checks: 3 passed, 0 failed"
