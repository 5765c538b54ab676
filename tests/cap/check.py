"""CAP 1.2 as a published consumer reads it (issue 22).

Against a running `pingan demo` (URL and two logins on the command line): the officer composes an
alert with known values, the station chief publishes it, then an update and a cancel of it. Then:

- every document the feed lists validates against the OASIS CAP 1.2 XML schema (lxml, the schema
  vendored beside this file);
- capparselib (PyPI), unmodified, parses the Atom feed and each document, and the fields it reads are
  the ones entered; the update and the cancel reference the original as `sender,identifier,sent`;
- the import endpoint agrees with the schema: documents mutated from a published one (an element
  dropped, repeated, or given a value no enumeration allows) that the schema refuses are refused by
  the import with the element named, and nothing is stored for them.
"""

import datetime
import http.cookiejar
import json
import os
import sys
import urllib.error
import urllib.request

from capparselib.parsers import CAPParser
from lxml import etree

HERE = os.path.dirname(os.path.abspath(__file__))
CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"


def main():
    base, officer, officer_pw, chief, chief_pw = sys.argv[1:6]
    base = base.rstrip("/")
    schema = etree.XMLSchema(etree.parse(os.path.join(HERE, "CAP-v1.2.xsd")))

    def token(user, password):
        jar = http.cookiejar.CookieJar()
        op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        body = json.dumps({"username": user, "password": password, "totp": ""}).encode()
        op.open(urllib.request.Request(base + "/api/v1/session", body, {"content-type": "application/json"}))
        req = urllib.request.Request(base + "/api/v1/tokens", json.dumps({"name": "cap-check", "days": 1}).encode(),
                                     {"content-type": "application/json"})
        return json.load(op.open(req))["token"]

    tokens = {"officer": token(officer, officer_pw), "chief": token(chief, chief_pw)}

    def call(who, method, path, body=None):
        req = urllib.request.Request(base + path, None if body is None else json.dumps(body).encode(),
                                     {"content-type": "application/json", "authorization": "Bearer " + tokens[who]},
                                     method=method)
        try:
            with urllib.request.urlopen(req) as r:
                return r.status, json.load(r)
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def fetch(path):
        with urllib.request.urlopen(base + path) as r:
            return r.read().decode("utf-8")

    status, published = call("officer", "GET", "/api/v1/public-alerts?state=published")
    assert status == 200, published
    grids = next(a["grid_codes"] for a in published if a["grid_codes"])
    expires = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=10)).replace(microsecond=0)
    entered = {
        "categories": ["Security", "Fire"], "event": "CAP 检查 · 燃气泄漏", "urgency": "Immediate",
        "severity": "Severe", "certainty": "Likely", "response_types": ["Evacuate", "Monitor"],
        "audience": "居民 & 商户 <一楼>", "headline": "燃气泄漏：请撤离", "description": "管道破损，正在抢修。",
        "instruction": "远离现场，不要开关电器。", "expires": expires.isoformat(), "grid_codes": grids,
    }

    def publish(body):
        s, a = call("officer", "POST", "/api/v1/public-alerts", body)
        assert s == 201, (s, a)
        s, a = call("chief", "POST", f"/api/v1/public-alerts/{a['id']}/decision", {"approve": True})
        assert s == 200 and a["state"] == "published", (s, a)
        return a

    alert = publish(entered)
    update = publish({"msg_type": "Update", "references_id": alert["id"], "headline": "燃气泄漏：继续撤离"})
    cancel = publish({"msg_type": "Cancel", "references_id": update["id"], "instruction": "抢修完毕，可以返回。"})

    feed = fetch("/cap/alerts.atom")
    from_feed = CAPParser(feed).as_dict()
    entries = etree.fromstring(feed.encode()).findall("{http://www.w3.org/2005/Atom}entry")
    assert len(from_feed) == len(entries) >= 5, (len(from_feed), len(entries))
    documents = {}
    for e in entries:
        href = next(l.get("href") for l in e.findall("{http://www.w3.org/2005/Atom}link") if l.get("rel") == "alternate")
        doc = fetch(href)
        tree = etree.fromstring(doc.encode())
        if not schema.validate(tree):
            raise AssertionError(f"{href} does not validate against CAP 1.2: {schema.error_log}")
        documents[tree.findtext(CAP + "identifier")] = doc
    print(f"cap: {len(documents)} published documents validate against the CAP 1.2 schema")
    by_feed = {str(a["cap_id"]): a for a in from_feed}

    def read(a):
        parsed = CAPParser(documents[a["identifier"]]).as_dict()
        assert len(parsed) == 1
        got = parsed[0]
        same = by_feed[a["identifier"]]
        for key in ("cap_id", "cap_sender", "cap_sent", "cap_message_type", "cap_status", "cap_scope"):
            assert str(got[key]) == str(same[key]), (key, got[key], same[key])
        return got

    got = read(alert)
    assert str(got["cap_id"]) == alert["identifier"]
    assert str(got["cap_sent"]) == alert["sent"]
    assert str(got["cap_message_type"]) == "Alert" and str(got["cap_status"]) == "Actual"
    info = got["cap_info"][0]
    want = {"cap_event": entered["event"], "cap_urgency": "Immediate", "cap_severity": "Severe",
            "cap_certainty": "Likely", "cap_audience": entered["audience"], "cap_headline": entered["headline"],
            "cap_description": entered["description"], "cap_instruction": entered["instruction"],
            "cap_language": "zh-CN"}
    for key, value in want.items():
        assert str(info[key]) == value, (key, str(info[key]), value)
    tree = etree.fromstring(documents[alert["identifier"]].encode())
    assert [c.text for c in tree.iter(CAP + "category")] == entered["categories"]
    assert [c.text for c in tree.iter(CAP + "responseType")] == entered["response_types"]
    sent_expires = datetime.datetime.fromisoformat(str(info["cap_expires"]))
    assert sent_expires == expires, (sent_expires, expires)
    area = info["cap_area"][0]
    assert len(area["polygons"]) == len(grids), area
    for poly in area["polygons"]:
        points = str(poly).split()
        assert len(points) >= 4 and points[0] == points[-1], points
    print("cap: capparselib reads the fields as entered")

    def reference(a):
        return f"{a['sender']},{a['identifier']},{a['sent']}"

    got = read(update)
    assert str(got["cap_message_type"]) == "Update"
    assert str(got["cap_references"]) == reference(alert), (str(got["cap_references"]), reference(alert))
    assert str(got["cap_info"][0]["cap_headline"]) == "燃气泄漏：继续撤离"
    assert str(got["cap_info"][0]["cap_event"]) == entered["event"], "an update keeps what it does not change"
    got = read(cancel)
    assert str(got["cap_message_type"]) == "Cancel"
    assert str(got["cap_references"]) == reference(update)
    print("cap: the update and the cancel reference the original as sender,identifier,sent")

    # The import agrees with the schema on documents mutated from a published one.
    original = etree.fromstring(documents[alert["identifier"]].encode())
    leaves = [el for el in original.iter() if isinstance(el.tag, str) and len(el) == 0]
    status, before = call("officer", "GET", "/api/v1/public-alerts?state=received")
    refused_by_both = 0
    for i, leaf in enumerate(leaves):
        path = original.getroottree().getpath(leaf)
        for how in ("drop", "repeat", "bogus"):
            tree = etree.fromstring(etree.tostring(original))
            tree.find(CAP + "identifier").text = f"MUTANT-{i}-{how}"
            target = tree.getroottree().xpath(path)[0]
            if how == "drop":
                target.getparent().remove(target)
            elif how == "repeat":
                target.addnext(etree.fromstring(etree.tostring(target)))
            else:
                target.text = "Bogus value"
            doc = etree.tostring(tree, xml_declaration=True, encoding="UTF-8").decode()
            valid = schema.validate(tree)
            s, answer = call("officer", "POST", "/api/v1/public-alerts/imports", {"document": doc, "source": "mutant"})
            if not valid:
                assert s == 422, (path, how, s, answer, schema.error_log)
                problem = answer["error"]["problems"][0]
                assert problem["params"]["element"].startswith("alert"), problem
                refused_by_both += 1
            else:
                # The schema allows it; the specification may still refuse it (a polygon that is not one).
                assert s == 201 or (s == 422 and answer["error"]["problems"][0]["code"] == "cap_bad_value"), (path, how, s, answer)
    status, after = call("officer", "GET", "/api/v1/public-alerts?state=received")
    accepted = len(after) - len(before)
    print(f"cap: {refused_by_both} mutants refused by the schema were refused by the import; {accepted} the schema allows were received")
    assert refused_by_both > 20


if __name__ == "__main__":
    main()
