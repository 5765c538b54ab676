//! The AsyncAPI 3.0 document of the events partners receive: one channel and one `send` operation per
//! event type, each message a CloudEvents 1.0 envelope (structured JSON) whose `data` is the event's
//! payload schema, generated from `pingan_domain::sharing` — the field lists the outbox checks every
//! payload against, so the document cannot drift from what is sent.

use pingan_domain::sharing::{EventType, Field};
use serde_json::{Map, Value, json};

/// A field's JSON Schema (`string|null` → `["string", "null"]`).
fn field_schema(f: &Field) -> Value {
    let types: Vec<&str> = f.json_type.split('|').collect();
    let mut s = Map::new();
    s.insert(
        "type".into(),
        if types.len() == 1 {
            json!(types[0])
        } else {
            json!(types)
        },
    );
    if f.name.ends_with("_at") || f.name == "at" || f.name == "tier_due" {
        s.insert("format".into(), json!("date-time"));
    }
    let mut d = f.description.to_string();
    if f.personal {
        d.push_str(" Personal: sent only under an agreement whose legal basis allows it.");
    }
    s.insert("description".into(), json!(d));
    Value::Object(s)
}

/// The payload (`data`) schema of an event type. Fields an agreement does not allow are absent, so
/// none is required; consumers ignore fields they do not know.
pub fn data_schema(t: EventType) -> Value {
    let props: Map<String, Value> = t
        .fields()
        .iter()
        .map(|f| (f.name.to_string(), field_schema(f)))
        .collect();
    json!({
        "type": "object",
        "properties": props,
        "additionalProperties": false,
    })
}

/// The message name of an event type (`incident.received` → `incidentReceived`).
fn message_name(t: EventType) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in t.code().chars() {
        if c == '.' || c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The CloudEvents envelope every message shares, with `data` and `type` per event type.
fn envelope(t: EventType) -> Value {
    json!({
        "type": "object",
        "required": ["specversion", "id", "source", "type", "time", "subject", "sequence", "area", "dataschema", "data"],
        "properties": {
            "specversion": {"const": "1.0"},
            "id": {"type": "string", "description": "Unique per event: the idempotency key to dedupe on (delivery is at least once)."},
            "source": {"type": "string", "description": "The sending deployment, e.g. /pingan/330681."},
            "type": {"const": t.code()},
            "time": {"type": "string", "format": "date-time", "description": "When the change happened."},
            "datacontenttype": {"const": "application/json"},
            "dataschema": {"const": format!("urn:pingan:event:{}:{}", t.code(), t.version())},
            "subject": {"type": "string", "description": format!("The {}'s id: events of one {} arrive in order.", t.aggregate(), t.aggregate())},
            "sequence": {"type": "string", "pattern": "^[0-9]+$", "description": "The event's position in the sender's outbox (increasing, in commit order)."},
            "area": {"type": "string", "description": "Area path of where it happened, e.g. /330681/330681109/."},
            "agreement": {"type": "string", "description": "The sharing agreement that allowed this delivery."},
            "data": {"$ref": format!("#/components/schemas/{}Data", message_name(t))},
        },
    })
}

/// The whole document.
pub fn document() -> Value {
    let mut channels = Map::new();
    let mut operations = Map::new();
    let mut messages = Map::new();
    let mut schemas = Map::new();
    for &t in EventType::ALL {
        let name = message_name(t);
        channels.insert(
            t.code().into(),
            json!({
                "address": format!("pingan.{{partner}}.{}.{{area}}", t.code()),
                "description": format!("{} events. On JetStream, the subject (the first token is the deployment's \
                    `sharing.subject_prefix`, `pingan` by default); a webhook receives the same envelopes by POST, \
                    batched in a JSON array (`application/cloudevents-batch+json`), signed with \
                    `X-Pingan-Signature: hmac-sm3=<hex>` (or `hmac-sha256=`) over `<X-Pingan-Timestamp>.<body>`.", t.code()),
                "parameters": {
                    "partner": {"description": "The partner's token (its organisation id)."},
                    "area": {"description": "The area code path of where it happened, dots for slashes (330681.330681109)."},
                },
                "messages": {name.clone(): {"$ref": format!("#/components/messages/{name}")}},
            }),
        );
        operations.insert(
            format!("send{}{}", name[..1].to_uppercase(), &name[1..]),
            json!({
                "action": "send",
                "channel": {"$ref": format!("#/channels/{}", t.code())},
                "messages": [{"$ref": format!("#/channels/{}/messages/{name}", t.code())}],
            }),
        );
        messages.insert(
            name.clone(),
            json!({
                "name": t.code(),
                "title": t.code(),
                "contentType": "application/cloudevents+json",
                "payload": {"$ref": format!("#/components/schemas/{name}")},
            }),
        );
        schemas.insert(name.clone(), envelope(t));
        schemas.insert(format!("{name}Data"), data_schema(t));
    }
    json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": "Pingan partner events (警网融合)",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Events a Pingan deployment sends to partner systems under sharing agreements: \
                CloudEvents 1.0 in structured JSON, at least once, in order per record (`subject`); \
                dedupe on `id`. A payload carries only the fields its agreement allows.",
        },
        "defaultContentType": "application/cloudevents+json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_type_has_a_channel_an_operation_and_a_data_schema() {
        let d = document();
        for &t in EventType::ALL {
            let name = message_name(t);
            assert!(d["channels"][t.code()].is_object(), "{}", t.code());
            assert_eq!(
                d["components"]["schemas"][format!("{name}Data")]["properties"]
                    .as_object()
                    .unwrap()
                    .len(),
                t.fields().len()
            );
        }
        assert_eq!(
            message_name(EventType::IncidentStatusChanged),
            "incidentStatusChanged"
        );
        assert_eq!(
            d["operations"].as_object().unwrap().len(),
            EventType::ALL.len()
        );
    }
}
