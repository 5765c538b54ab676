"""Writes the schemathesis config for one run against a live demo.

Usage: prepare.py BASE_URL TOKEN STATIC_TOML OUT_TOML

Random path ids almost always answer 404, so the handlers behind them would never see a real object
and their 200 bodies would never be checked against the schema. This reads real ids from the demo
(areas, grids, incidents, cases and their parties, disputes with their parties, extensions and
follow-ups, places, briefs, orgs, users, units, alerts, types) and binds each path parameter to a
dictionary of them; with probability 0.2 schemathesis still generates its own value.
"""

import json
import sys
import urllib.request

base, token, static_toml, out_toml = sys.argv[1:5]
base = base.rstrip("/")


def get(path):
    req = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.load(r)
    except Exception as e:  # a role without the permission: no ids of that kind
        print(f"prepare: GET {path}: {e}", file=sys.stderr)
        return None


def items(path):
    v = get(path)
    return v if isinstance(v, list) else []


def take(values, n=8):
    out = []
    for v in values:
        if v is not None and v not in out:
            out.append(v)
        if len(out) == n:
            break
    return out


ids = {}
ids["area_codes"] = take(a.get("code") for a in items("/api/v1/areas"))
ids["grid_codes"] = take(g.get("code") for g in items("/api/v1/grids"))
ids["incident_ids"] = take(i.get("id") for i in items("/api/v1/incidents?limit=20"))
ids["tracking_codes"] = take(i.get("tracking_code") for i in items("/api/v1/incidents?limit=50"))
ids["incident_type_codes"] = take(t.get("code") for t in items("/api/v1/incident-types"))
ids["dispute_type_codes"] = take(t.get("code") for t in items("/api/v1/dispute-types"))
ids["unit_ids"] = take(u.get("id") for u in items("/api/v1/units"))
ids["org_ids"] = take(o.get("id") for o in items("/api/v1/orgs"))
ids["user_ids"] = take(u.get("id") for u in items("/api/v1/users"))
ids["place_ids"] = take(p.get("id") for p in items("/api/v1/places"))
ids["brief_ids"] = take(b.get("id") for b in items("/api/v1/briefs"))
ids["case_alert_ids"] = take(a.get("id") for a in items("/api/v1/case-alerts"))
ids["campaign_ids"] = take(c.get("id") for c in items("/api/v1/screening-campaigns"))
cases = take(c.get("id") for c in items("/api/v1/cases?limit=20"))
ids["case_ids"] = cases
case_parties = []
for c in cases:
    d = get(f"/api/v1/cases/{c}") or {}
    case_parties += [p.get("id") for p in d.get("parties", [])]
ids["case_party_ids"] = take(case_parties)
disputes = take(d.get("id") for d in items("/api/v1/disputes?limit=20"))
ids["dispute_ids"] = disputes
parties, extensions, followups = [], [], []
for d in disputes:
    v = get(f"/api/v1/disputes/{d}") or {}
    parties += [p.get("id") for p in v.get("parties", [])]
    extensions += [e.get("id") for e in v.get("extensions", [])]
    followups += [f.get("id") for f in v.get("followups", v.get("follow_ups", []))]
ids["dispute_party_ids"] = take(parties)
ids["extension_ids"] = take(extensions)
ids["followup_ids"] = take(followups)

# (path template, parameter, dictionary)
bindings = [
    ("/api/v1/areas/{code}", "code", "area_codes"),
    ("/api/v1/grids/{code}", "code", "grid_codes"),
    ("/api/v1/grids/{code}/card", "code", "grid_codes"),
    ("/api/v1/grids/{code}/workers", "code", "grid_codes"),
    ("/api/v1/incidents/{id}", "id", "incident_ids"),
    ("/api/v1/incidents/{id}/actions", "id", "incident_ids"),
    ("/api/v1/incidents/{id}/recommendations", "id", "incident_ids"),
    ("/api/v1/public/reports/{code}", "code", "tracking_codes"),
    ("/api/v1/incident-types/{code}", "code", "incident_type_codes"),
    ("/api/v1/dispute-types/{code}", "code", "dispute_type_codes"),
    ("/api/v1/units/{id}/status", "id", "unit_ids"),
    ("/api/v1/orgs/{id}", "id", "org_ids"),
    ("/api/v1/users/{id}", "id", "user_ids"),
    ("/api/v1/users/{id}/unlock", "id", "user_ids"),
    ("/api/v1/places/{id}", "id", "place_ids"),
    ("/api/v1/places/{id}/inspections", "id", "place_ids"),
    ("/api/v1/briefs/{id}", "id", "brief_ids"),
    ("/api/v1/case-alerts/{id}", "id", "case_alert_ids"),
    ("/api/v1/case-alerts/{id}/actions", "id", "case_alert_ids"),
    ("/api/v1/screening-campaigns/{id}", "id", "campaign_ids"),
    ("/api/v1/screening-campaigns/{id}/grids/{grid_code}", "id", "campaign_ids"),
    ("/api/v1/screening-campaigns/{id}/grids/{grid_code}", "grid_code", "grid_codes"),
    ("/api/v1/cases/{id}", "id", "case_ids"),
    ("/api/v1/cases/{id}/documents", "id", "case_ids"),
    ("/api/v1/cases/{id}/parties", "id", "case_ids"),
    ("/api/v1/cases/{id}/parties/{party_id}/reveal", "id", "case_ids"),
    ("/api/v1/cases/{id}/parties/{party_id}/reveal", "party_id", "case_party_ids"),
    ("/api/v1/cases/{id}/reviews", "id", "case_ids"),
    ("/api/v1/cases/{id}/steps", "id", "case_ids"),
    ("/api/v1/disputes/{id}", "id", "dispute_ids"),
    ("/api/v1/disputes/{id}/actions", "id", "dispute_ids"),
    ("/api/v1/disputes/{id}/agreement", "id", "dispute_ids"),
    ("/api/v1/disputes/{id}/extensions", "id", "dispute_ids"),
    ("/api/v1/disputes/{id}/extensions/{extension_id}", "id", "dispute_ids"),
    ("/api/v1/disputes/{id}/extensions/{extension_id}", "extension_id", "extension_ids"),
    ("/api/v1/disputes/{id}/followups/{followup_id}", "id", "dispute_ids"),
    ("/api/v1/disputes/{id}/followups/{followup_id}", "followup_id", "followup_ids"),
    ("/api/v1/disputes/{id}/orgs", "id", "dispute_ids"),
    ("/api/v1/disputes/{id}/parties/{party_id}/reveal", "id", "dispute_ids"),
    ("/api/v1/disputes/{id}/parties/{party_id}/reveal", "party_id", "dispute_party_ids"),
    ("/api/v1/disputes/{id}/sessions", "id", "dispute_ids"),
]


def toml_str(s):
    return json.dumps(s, ensure_ascii=False)


lines = [open(static_toml, encoding="utf-8").read(), "", "# Generated by prepare.py from the running demo."]
for name, values in sorted(ids.items()):
    if values:
        lines.append(f"[dictionaries.{name}]")
        lines.append("values = [" + ", ".join(toml_str(v) for v in values) + "]")
by_path = {}
for path, param, dictionary in bindings:
    if ids.get(dictionary):
        by_path.setdefault(path, []).append((param, dictionary))
for path, params in by_path.items():
    lines.append("")
    lines.append("[[operations]]")
    lines.append(f"include-path = {toml_str(path)}")
    inner = ", ".join(
        f'{toml_str("path." + p)} = {{ dictionary = {toml_str(d)}, probability = 0.8 }}' for p, d in params
    )
    lines.append(f"parameters = {{ {inner} }}")
open(out_toml, "w", encoding="utf-8").write("\n".join(lines) + "\n")
summary = ", ".join(f"{k} {len(v)}" for k, v in sorted(ids.items()))
print(f"prepare: ids from the demo: {summary}", file=sys.stderr)
