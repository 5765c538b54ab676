"""Open311 GeoReport v2 against a running `pingan demo`, through a real client used unmodified.

    check.py BASE_URL        (e.g. http://127.0.0.1:PORT/ — the endpoint is BASE_URL + open311/v2)

Every read goes through the PyPI package `georeport` (0.3.1), in both its output formats (json, xml).
georeport has no method to create a request, so the POSTs are made exactly as the GeoReport v2 spec
describes them — form-encoded (application/x-www-form-urlencoded) to {root}/requests.json and
{root}/requests.xml — with `requests`, the HTTP library georeport itself uses. The created requests are
then read back with georeport. Prints one line per check and "open311: N passed, M failed".
"""

import re
import sys
import traceback
from datetime import datetime, timedelta, timezone

import requests
import xmltodict
from georeport import GeoReport

ROOT = sys.argv[1].rstrip("/") + "/open311/v2"
FORMATS = ("json", "xml")
clients = {f: GeoReport(ROOT, output_format=f) for f in FORMATS}
results = {"passed": 0, "failed": 0}
W3C = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
# Inside a grid of the demo district (枫桥镇), and a point outside every grid.
INSIDE = {"lat": "29.606", "long": "120.372"}
OUTSIDE = {"lat": "30.5", "long": "121.5"}


def check(name, fn):
    try:
        detail = fn()
    except Exception as e:  # noqa: BLE001 — every failure is reported, and the run goes on
        results["failed"] += 1
        print(f"FAIL {name}: {type(e).__name__}: {e}")
        if not isinstance(e, AssertionError):
            traceback.print_exc(limit=2)
        return None
    results["passed"] += 1
    print(f"ok   {name}" + (f" — {detail}" if isinstance(detail, str) else ""))
    return detail if detail is not None else True


def as_list(v):
    """xmltodict gives a dict for one child element, a list for several, None for none."""
    return [] if v is None else v if isinstance(v, list) else [v]


def post(fmt, fields):
    """POST a request as the spec says: form-encoded fields to {root}/requests.{fmt}."""
    return requests.post(f"{ROOT}/requests.{fmt}", data=fields, timeout=10)


def error_list(fmt, r):
    """The spec's error answer: [{"code": 400, "description": "…"}] or <errors><error>…</error></errors>."""
    if fmt == "json":
        errs = r.json()
    else:
        errs = as_list((xmltodict.parse(r.content).get("errors") or {}).get("error"))
    assert isinstance(errs, list) and errs, f"no error list in {r.text[:300]!r}"
    for e in errs:
        assert int(e["code"]) == r.status_code and str(e["description"]).strip(), f"bad error {e!r}"
    return errs


def expect_error(fmt, r, status):
    assert r.status_code == status, f"HTTP {r.status_code}, expected {status}: {r.text[:300]!r}"
    return f"{status} {error_list(fmt, r)[0]['description']!r}"


# --- services ---------------------------------------------------------------------------------------
services = {}


def list_services(fmt):
    def run():
        svcs = as_list(clients[fmt].get_service_list())
        assert svcs, "empty service list"
        for s in svcs:
            assert re.fullmatch(r"\d{6}", str(s["service_code"])), f"service_code {s['service_code']!r}"
            assert s["service_name"], s
            assert str(s["metadata"]).lower() in ("true", "false"), f"metadata {s['metadata']!r}"
            assert s["type"] in ("realtime", "batch", "blackbox"), f"type {s['type']!r}"
        services[fmt] = {str(s["service_code"]): s for s in svcs}
        return f"{len(svcs)} services"

    return run


for fmt in FORMATS:
    check(f"georeport {fmt}: get_service_list", list_services(fmt))


def lists_agree():
    assert services["json"].keys() == services["xml"].keys(), f"{sorted(services['json'])} != {sorted(services['xml'])}"


check("service lists agree (json vs xml)", lists_agree)

if "json" not in services:
    print(f"open311: {results['passed']} passed, {results['failed'] + 1} failed (no service list, stopping)")
    sys.exit(1)

# Prefer a service that has metadata (attributes), so attribute[...] is exercised too.
codes = sorted(services["json"])
code = next((c for c in codes if services["json"][c]["metadata"] in (True, "true")), codes[0])
definitions = {}


def definition(fmt):
    def run():
        d = clients[fmt].get_service_definition(code)
        assert str(d["service_code"]) == code, d
        attrs = d.get("attributes")
        attrs = as_list(attrs.get("attribute")) if fmt == "xml" and isinstance(attrs, dict) else as_list(attrs)
        for a in attrs:
            assert a["code"] and a["datatype"] in (
                "string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"), a
        definitions[fmt] = attrs
        return f"{code}: {len(attrs)} attributes"

    return run


for fmt in FORMATS:
    check(f"georeport {fmt}: get_service_definition({code})", definition(fmt))


def attribute_fields():
    """attribute[CODE]=value for every required attribute of the chosen service."""
    fields = {}
    for a in definitions.get("json", []):
        if str(a.get("required")).lower() != "true":
            continue
        values = [v["key"] for v in as_list(a.get("values"))]
        value = {"number": "1", "datetime": datetime.now(timezone.utc).isoformat(timespec="seconds")}.get(
            a["datatype"], values[0] if values else "测试")
        fields[f"attribute[{a['code']}]" + ("[]" if a["datatype"] == "multivaluelist" else "")] = value
    return fields


# --- POST a request in each format, read it back with georeport in both ------------------------------
created = {}


def create(fmt):
    fields = {
        "service_code": code, **INSIDE,
        "address_string": f"诸暨市枫桥镇枫源村 {fmt} 测试路 8 号",
        "description": f"Open311 测试（{fmt}）：路灯不亮，夜里行人看不清 & <escaped>",
        "first_name": "小明", "last_name": "王", "phone": "13900000000", "email": "wang@example.cn",
        **attribute_fields(),
    }

    def run():
        r = post(fmt, fields)
        assert r.status_code in (200, 201), f"HTTP {r.status_code}: {r.text[:300]!r}"
        if fmt == "json":
            body = r.json()
            assert isinstance(body, list) and len(body) == 1, body
            req = body[0]
        else:
            assert r.content.lstrip().startswith(b"<?xml") and b"UTF-8" in r.content[:60].upper(), \
                f"no <?xml … encoding=\"UTF-8\"?> declaration: {r.content[:80]!r}"
            req = as_list(xmltodict.parse(r.content)["service_requests"]["request"])[0]
        rid = str(req["service_request_id"] or "")
        assert rid, f"no service_request_id in {r.text[:300]!r}"
        created[fmt] = (rid, fields)
        return f"service_request_id {rid} (HTTP {r.status_code})"

    return run


def same_request(got, rid, fields):
    assert str(got["service_request_id"]) == rid, got
    assert str(got["service_code"]) == code, f"service_code {got['service_code']!r} != {code}"
    assert got["status"] == "open", f"status {got['status']!r}"
    assert abs(float(got["lat"]) - float(fields["lat"])) < 1e-6, f"lat {got['lat']!r}"
    assert abs(float(got["long"]) - float(fields["long"])) < 1e-6, f"long {got['long']!r}"
    assert got["address"] == fields["address_string"], f"address {got['address']!r}"
    assert got["description"] == fields["description"], f"description {got['description']!r}"
    when = str(got["requested_datetime"])
    assert W3C.match(when), f"requested_datetime {when!r} is not W3C date-time with offset"
    t = datetime.fromisoformat(when.replace("Z", "+00:00"))
    assert t.tzinfo and abs(datetime.now(timezone.utc) - t) < timedelta(minutes=10), f"requested_datetime {when}"


def read_back(made_in, fmt, how):
    def run():
        rid, fields = created[made_in]
        c = clients[fmt]
        if how == "get_service_request":
            got = c.get_service_request(rid)
        else:
            got = as_list(c.get_service_requests(service_request_id=rid))
            assert len(got) == 1, f"{len(got)} requests for id {rid}"
            got = got[0]
        same_request(got, rid, fields)

    return run


for fmt in FORMATS:
    check(f"POST requests.{fmt} (form-encoded, service {code})", create(fmt))
for made_in in FORMATS:
    for fmt in FORMATS:
        for how in ("get_service_request", "get_service_requests(service_request_id=…)"):
            check(f"georeport {fmt}: {how} reads back the {made_in}-posted request", read_back(made_in, fmt, how))


def by_status(fmt):
    def run():
        got = as_list(clients[fmt].get_service_requests(status="open"))
        assert all(g["status"] == "open" for g in got), {g["status"] for g in got}
        ids = {str(g["service_request_id"]) for g in got}
        missing = [created[f][0] for f in created if created[f][0] not in ids]
        assert not missing, f"{missing} not among {len(ids)} open requests"
        return f"{len(got)} open requests"

    return run


for fmt in FORMATS:
    check(f"georeport {fmt}: get_service_requests(status='open') lists both", by_status(fmt))


def closed_excludes():
    ids = {str(g["service_request_id"]) for g in clients["json"].get_service_requests(status="closed")}
    assert not ids & {v[0] for v in created.values()}, "an open request is listed as closed"


# georeport's xml parsing cannot read an empty list (<service_requests/> → None), so json only here.
check("georeport json: get_service_requests(status='closed') leaves them out", closed_excludes)

# --- errors -------------------------------------------------------------------------------------------
unknown = next(c for c in (f"{n:06d}" for n in range(999999, 0, -1)) if c not in services["json"])
for fmt in FORMATS:
    base = {"description": "error case", "address_string": "枫桥镇"}
    check(f"POST requests.{fmt} with unknown service_code {unknown} → 400 error list",
          lambda: expect_error(fmt, post(fmt, {**base, "service_code": unknown, **INSIDE}), 400))
    check(f"POST requests.{fmt} without service_code → 400 error list",
          lambda: expect_error(fmt, post(fmt, {**base, **INSIDE}), 400))
    check(f"POST requests.{fmt} outside every grid (30.5, 121.5) → 400 error list",
          lambda: expect_error(fmt, post(fmt, {**base, "service_code": code, **OUTSIDE, **attribute_fields()}), 400))


def missing_request(fmt):
    def run():
        try:
            clients[fmt].get_service_request("NOSUCH0000")
        except requests.HTTPError as e:
            return expect_error(fmt, e.response, 404)
        raise AssertionError("no HTTP error for an unknown service_request_id")

    return run


for fmt in FORMATS:
    check(f"georeport {fmt}: get_service_request(unknown id) → 404 error list", missing_request(fmt))

print(f"open311: {results['passed']} passed, {results['failed']} failed")
sys.exit(1 if results["failed"] else 0)
