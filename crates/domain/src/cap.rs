//! Public safety alerts as OASIS CAP 1.2 (Common Alerting Protocol): the message model, the document
//! writer, and a reader that checks a document against the CAP 1.2 schema (element order and counts,
//! the enumerations, the `sent`-style date pattern, no stray text or attributes) and the rules the
//! specification adds in prose (polygons closed with at least four points, circles as
//! `lat,lon radius`, WGS 84 ranges, identifiers without spaces or commas). Every refusal names the
//! element path and its line, so an analyst can find it in the file.
//!
//! A DOCTYPE is refused: CAP needs none, and refusing it closes entity-expansion attacks.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;
use std::fmt::Write as _;

pub const NAMESPACE: &str = "urn:oasis:names:tc:emergency:cap:1.2";
const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
const XMLDSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
/// Deeper than any CAP document (alert/info/area/geocode/value is five).
const MAX_DEPTH: usize = 32;

macro_rules! cap_enum {
    ($(#[$m:meta])* $name:ident { $($v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($v),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            /// The value as CAP spells it.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),+ }
            }
            pub fn parse(s: &str) -> Option<$name> {
                match s { $($s => Some($name::$v),)+ _ => None }
            }
        }
    };
}

cap_enum!(Status { Actual = "Actual", Exercise = "Exercise", System = "System", Test = "Test", Draft = "Draft" });
cap_enum!(MsgType { Alert = "Alert", Update = "Update", Cancel = "Cancel", Ack = "Ack", Error = "Error" });
cap_enum!(Scope { Public = "Public", Restricted = "Restricted", Private = "Private" });
cap_enum!(Category {
    Geo = "Geo", Met = "Met", Safety = "Safety", Security = "Security", Rescue = "Rescue", Fire = "Fire",
    Health = "Health", Env = "Env", Transport = "Transport", Infra = "Infra", Cbrne = "CBRNE", Other = "Other",
});
cap_enum!(ResponseType {
    Shelter = "Shelter", Evacuate = "Evacuate", Prepare = "Prepare", Execute = "Execute", Avoid = "Avoid",
    Monitor = "Monitor", Assess = "Assess", AllClear = "AllClear", None = "None",
});
cap_enum!(Urgency { Immediate = "Immediate", Expected = "Expected", Future = "Future", Past = "Past", Unknown = "Unknown" });
cap_enum!(Severity { Extreme = "Extreme", Severe = "Severe", Moderate = "Moderate", Minor = "Minor", Unknown = "Unknown" });
cap_enum!(Certainty { Observed = "Observed", Likely = "Likely", Possible = "Possible", Unlikely = "Unlikely", Unknown = "Unknown" });

/// One CAP message (`<alert>`).
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub identifier: String,
    pub sender: String,
    /// `YYYY-MM-DDThh:mm:ss±hh:mm` as CAP writes it.
    pub sent: String,
    pub status: Status,
    pub msg_type: MsgType,
    pub source: Option<String>,
    pub scope: Scope,
    pub restriction: Option<String>,
    pub addresses: Option<String>,
    pub codes: Vec<String>,
    pub note: Option<String>,
    /// Earlier messages this one updates or cancels.
    pub references: Vec<Reference>,
    pub incidents: Option<String>,
    pub infos: Vec<Info>,
}

/// `sender,identifier,sent` of an earlier message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub sender: String,
    pub identifier: String,
    pub sent: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Info {
    pub language: Option<String>,
    pub categories: Vec<Category>,
    pub event: String,
    pub response_types: Vec<ResponseType>,
    pub urgency: Option<Urgency>,
    pub severity: Option<Severity>,
    pub certainty: Option<Certainty>,
    pub audience: Option<String>,
    pub event_codes: Vec<(String, String)>,
    pub effective: Option<String>,
    pub onset: Option<String>,
    pub expires: Option<String>,
    pub sender_name: Option<String>,
    pub headline: Option<String>,
    pub description: Option<String>,
    pub instruction: Option<String>,
    pub web: Option<String>,
    pub contact: Option<String>,
    pub parameters: Vec<(String, String)>,
    pub resources: Vec<Resource>,
    pub areas: Vec<Area>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Resource {
    pub desc: String,
    pub mime_type: String,
    pub size: Option<String>,
    pub uri: Option<String>,
    pub deref_uri: Option<String>,
    pub digest: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Area {
    pub desc: String,
    /// Rings of (latitude, longitude), WGS 84, first point repeated last.
    pub polygons: Vec<Vec<(f64, f64)>>,
    pub circles: Vec<Circle>,
    pub geocodes: Vec<(String, String)>,
    pub altitude: Option<String>,
    pub ceiling: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Circle {
    pub lat: f64,
    pub lon: f64,
    pub radius_km: f64,
}

// ---------------------------------------------------------------------------------------------
// Values

/// A CAP date-time for a UTC instant, written in China Standard Time (`+08:00`).
pub fn datetime(at: jiff::Timestamp) -> String {
    let shifted =
        jiff::Timestamp::from_second(at.as_second() + crate::time::SHANGHAI_OFFSET_SECONDS)
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    format!("{}+08:00", shifted.strftime("%Y-%m-%dT%H:%M:%S"))
}

/// The instant of a CAP date-time (`YYYY-MM-DDThh:mm:ss±hh:mm`, the only form the schema allows;
/// `-00:00` is UTC).
pub fn parse_datetime(s: &str) -> Option<jiff::Timestamp> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| r.clone().all(|i| b[i].is_ascii_digit());
    let shape = b.len() == 25
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && (b[19] == b'+' || b[19] == b'-')
        && digits(20..22)
        && b[22] == b':'
        && digits(23..25);
    if !shape {
        return None;
    }
    let offset_hours: i8 = s[20..22].parse().ok()?;
    let offset_minutes: i8 = s[23..25].parse().ok()?;
    if offset_hours > 14 || offset_minutes > 59 {
        return None;
    }
    let local: jiff::civil::DateTime = s[..19].parse().ok()?;
    let sign = if b[19] == b'-' { -1 } else { 1 };
    let offset = jiff::tz::Offset::from_seconds(
        sign * (i32::from(offset_hours) * 3600 + i32::from(offset_minutes) * 60),
    )
    .ok()?;
    offset.to_timestamp(local).ok()
}

fn is_language(s: &str) -> bool {
    // xs:language: [a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*
    let mut parts = s.split('-');
    let first = parts.next().unwrap_or("");
    (1..=8).contains(&first.len())
        && first.bytes().all(|c| c.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|c| c.is_ascii_alphanumeric()))
}

fn is_decimal(s: &str) -> bool {
    let t = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (a, b) = t.split_once('.').unwrap_or((t, ""));
    !(a.is_empty() && b.is_empty())
        && a.bytes().all(|c| c.is_ascii_digit())
        && b.bytes().all(|c| c.is_ascii_digit())
}

fn is_integer(s: &str) -> bool {
    let t = s.strip_prefix(['+', '-']).unwrap_or(s);
    !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit())
}

/// CAP identifiers and senders: no spaces, commas or the restricted characters `<` and `&`.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c == ',' || c == '<' || c == '&')
}

fn coordinate(pair: &str) -> Option<(f64, f64)> {
    let (lat, lon) = pair.split_once(',')?;
    let lat: f64 = lat.trim().parse().ok()?;
    let lon: f64 = lon.trim().parse().ok()?;
    ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then_some((lat, lon))
}

/// A CAP polygon: at least four `lat,lon` pairs separated by spaces, the first repeated last.
pub fn parse_polygon(s: &str) -> Result<Vec<(f64, f64)>, String> {
    let points = s
        .split_whitespace()
        .map(|p| coordinate(p).ok_or_else(|| format!("{p:?} is not a WGS 84 \"lat,lon\" pair")))
        .collect::<Result<Vec<_>, _>>()?;
    if points.len() < 4 {
        return Err(format!(
            "{} points; a polygon needs at least four",
            points.len()
        ));
    }
    if points.first() != points.last() {
        return Err("the first point is not repeated last".into());
    }
    Ok(points)
}

/// A CAP circle: `lat,lon radius` with the radius in kilometres.
pub fn parse_circle(s: &str) -> Result<Circle, String> {
    let bad = || format!("{s:?} is not \"lat,lon radius\" (radius in km)");
    let (centre, radius) = s.trim().split_once(char::is_whitespace).ok_or_else(bad)?;
    let (lat, lon) = coordinate(centre).ok_or_else(bad)?;
    let radius_km: f64 = radius.trim().parse().map_err(|_| bad())?;
    if !radius_km.is_finite() || radius_km < 0.0 {
        return Err(bad());
    }
    Ok(Circle {
        lat,
        lon,
        radius_km,
    })
}

/// `sender,identifier,sent` triples separated by spaces.
pub fn parse_references(s: &str) -> Result<Vec<Reference>, String> {
    s.split_whitespace()
        .map(|r| {
            let mut p = r.split(',');
            match (p.next(), p.next(), p.next(), p.next()) {
                (Some(sender), Some(identifier), Some(sent), None)
                    if !sender.is_empty()
                        && !identifier.is_empty()
                        && parse_datetime(sent).is_some() =>
                {
                    Ok(Reference {
                        sender: sender.into(),
                        identifier: identifier.into(),
                        sent: sent.into(),
                    })
                }
                _ => Err(format!("{r:?} is not \"sender,identifier,sent\"")),
            }
        })
        .collect()
}

fn format_polygon(ring: &[(f64, f64)]) -> String {
    let mut out = String::new();
    for (i, (lat, lon)) in ring.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let _ = write!(out, "{lat:.6},{lon:.6}");
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Writer

/// XML 1.0 text: markup escaped, characters XML cannot carry dropped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            // A bare CR would come back as LF (XML normalises line ends): keep it as a reference.
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

struct Writer {
    out: String,
    depth: usize,
}

impl Writer {
    fn leaf(&mut self, name: &str, value: &str) {
        let _ = writeln!(
            self.out,
            "{:indent$}<{name}>{}</{name}>",
            "",
            escape(value),
            indent = self.depth * 2
        );
    }
    fn opt(&mut self, name: &str, value: &Option<String>) {
        if let Some(v) = value {
            self.leaf(name, v);
        }
    }
    fn open(&mut self, name: &str) {
        let _ = writeln!(self.out, "{:indent$}<{name}>", "", indent = self.depth * 2);
        self.depth += 1;
    }
    fn close(&mut self, name: &str) {
        self.depth -= 1;
        let _ = writeln!(self.out, "{:indent$}</{name}>", "", indent = self.depth * 2);
    }
    fn pairs(&mut self, name: &str, pairs: &[(String, String)]) {
        for (k, v) in pairs {
            self.open(name);
            self.leaf("valueName", k);
            self.leaf("value", v);
            self.close(name);
        }
    }
}

/// The CAP 1.2 document of `alert`, elements in the schema's order.
pub fn to_xml(alert: &Alert) -> String {
    let mut w = Writer {
        out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
        depth: 1,
    };
    let _ = writeln!(w.out, "<alert xmlns=\"{NAMESPACE}\">");
    w.leaf("identifier", &alert.identifier);
    w.leaf("sender", &alert.sender);
    w.leaf("sent", &alert.sent);
    w.leaf("status", alert.status.as_str());
    w.leaf("msgType", alert.msg_type.as_str());
    w.opt("source", &alert.source);
    w.leaf("scope", alert.scope.as_str());
    w.opt("restriction", &alert.restriction);
    w.opt("addresses", &alert.addresses);
    for c in &alert.codes {
        w.leaf("code", c);
    }
    w.opt("note", &alert.note);
    if !alert.references.is_empty() {
        let refs: Vec<String> = alert
            .references
            .iter()
            .map(|r| format!("{},{},{}", r.sender, r.identifier, r.sent))
            .collect();
        w.leaf("references", &refs.join(" "));
    }
    w.opt("incidents", &alert.incidents);
    for info in &alert.infos {
        write_info(&mut w, info);
    }
    w.out.push_str("</alert>\n");
    w.out
}

fn write_info(w: &mut Writer, info: &Info) {
    w.open("info");
    w.opt("language", &info.language);
    for c in &info.categories {
        w.leaf("category", c.as_str());
    }
    w.leaf("event", &info.event);
    for r in &info.response_types {
        w.leaf("responseType", r.as_str());
    }
    w.leaf("urgency", info.urgency.unwrap_or(Urgency::Unknown).as_str());
    w.leaf(
        "severity",
        info.severity.unwrap_or(Severity::Unknown).as_str(),
    );
    w.leaf(
        "certainty",
        info.certainty.unwrap_or(Certainty::Unknown).as_str(),
    );
    w.opt("audience", &info.audience);
    w.pairs("eventCode", &info.event_codes);
    w.opt("effective", &info.effective);
    w.opt("onset", &info.onset);
    w.opt("expires", &info.expires);
    w.opt("senderName", &info.sender_name);
    w.opt("headline", &info.headline);
    w.opt("description", &info.description);
    w.opt("instruction", &info.instruction);
    w.opt("web", &info.web);
    w.opt("contact", &info.contact);
    w.pairs("parameter", &info.parameters);
    for r in &info.resources {
        w.open("resource");
        w.leaf("resourceDesc", &r.desc);
        w.leaf("mimeType", &r.mime_type);
        w.opt("size", &r.size);
        w.opt("uri", &r.uri);
        w.opt("derefUri", &r.deref_uri);
        w.opt("digest", &r.digest);
        w.close("resource");
    }
    for a in &info.areas {
        w.open("area");
        w.leaf("areaDesc", &a.desc);
        for p in &a.polygons {
            w.leaf("polygon", &format_polygon(p));
        }
        for c in &a.circles {
            w.leaf(
                "circle",
                &format!("{:.6},{:.6} {}", c.lat, c.lon, c.radius_km),
            );
        }
        w.pairs("geocode", &a.geocodes);
        w.opt("altitude", &a.altitude);
        w.opt("ceiling", &a.ceiling);
        w.close("area");
    }
    w.close("info");
}

// ---------------------------------------------------------------------------------------------
// Reader

/// Why a document is not a CAP 1.2 alert.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{element} (line {line}): {detail}")]
pub struct CapError {
    pub kind: CapErrorKind,
    /// Path of the element at fault, e.g. `alert/info[1]/urgency`.
    pub element: String,
    pub line: usize,
    /// In English, with the value found where there is one.
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapErrorKind {
    /// Not well-formed XML (or a DOCTYPE).
    NotXml,
    /// The root is not `alert` in the CAP 1.2 namespace.
    NotCap,
    /// A required element is missing.
    Missing,
    /// An element the schema does not allow here (unknown, out of order or repeated).
    Unexpected,
    /// A value the schema or the specification does not allow.
    BadValue,
}

impl CapErrorKind {
    pub fn code(self) -> &'static str {
        match self {
            CapErrorKind::NotXml => "cap_not_xml",
            CapErrorKind::NotCap => "cap_not_cap",
            CapErrorKind::Missing => "cap_missing",
            CapErrorKind::Unexpected => "cap_unexpected",
            CapErrorKind::BadValue => "cap_bad_value",
        }
    }
}

#[derive(Debug)]
struct Node {
    ns: Option<String>,
    name: String,
    line: usize,
    text: String,
    bad_attribute: Option<String>,
    children: Vec<Node>,
}

fn line_of(xml: &str, pos: u64) -> usize {
    let pos = (pos as usize).min(xml.len());
    xml.as_bytes()[..pos]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn not_xml(xml: &str, pos: u64, detail: impl Into<String>) -> CapError {
    CapError {
        kind: CapErrorKind::NotXml,
        element: "(document)".into(),
        line: line_of(xml, pos),
        detail: detail.into(),
    }
}

fn predefined_entity(name: &str) -> Option<char> {
    match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        _ => None,
    }
}

/// Reads the whole document into a tree of elements with resolved namespaces.
fn read_tree(xml: &str) -> Result<Node, CapError> {
    let mut reader = NsReader::from_str(xml);
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    loop {
        let before = reader.buffer_position();
        let step = reader.read_resolved_event().map(|(ns, event)| {
            let ns = match ns {
                ResolveResult::Bound(n) => Ok(Some(n.as_ref().to_string())),
                ResolveResult::Unbound => Ok(None),
                ResolveResult::Unknown(p) => Err(p),
            };
            (ns, event)
        });
        let (ns, event) = match step {
            Ok((Ok(ns), event)) => (ns, event),
            Ok((Err(p), _)) => {
                return Err(not_xml(
                    xml,
                    before,
                    format!("namespace prefix {p:?} is not declared"),
                ));
            }
            Err(e) => return Err(not_xml(xml, reader.error_position(), e.to_string())),
        };
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                if root.is_some() {
                    return Err(not_xml(xml, before, "content after the root element"));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(not_xml(xml, before, "elements nested too deep"));
                }
                let mut bad_attribute = None;
                for a in e.attributes() {
                    let a = a.map_err(|err| not_xml(xml, before, err.to_string()))?;
                    if a.key.as_namespace_binding().is_some() {
                        continue;
                    }
                    let (ans, local) = reader.resolver().resolve_attribute(a.key);
                    let xsi = matches!(ans, ResolveResult::Bound(n) if n.as_ref() == XSI);
                    if !xsi && bad_attribute.is_none() {
                        bad_attribute = Some(local.as_ref().to_string());
                    }
                }
                let node = Node {
                    ns,
                    name: e.local_name().as_ref().to_string(),
                    line: line_of(xml, before),
                    text: String::new(),
                    bad_attribute,
                    children: Vec::new(),
                };
                if matches!(event, Event::Empty(_)) {
                    attach(&mut stack, &mut root, node);
                } else {
                    stack.push(node);
                }
            }
            Event::End(_) => {
                let node = stack
                    .pop()
                    .ok_or_else(|| not_xml(xml, before, "unmatched end tag"))?;
                attach(&mut stack, &mut root, node);
            }
            Event::Text(t) => {
                let text = t.xml_content(quick_xml::XmlVersion::Implicit1_0);
                push_text(&mut stack, &text, xml, before)?;
            }
            Event::CData(t) => {
                let text = t.into_inner().into_owned();
                push_text(&mut stack, &text, xml, before)?;
            }
            Event::GeneralRef(r) => {
                let c = if r.is_char_ref() {
                    r.resolve_char_ref()
                        .map_err(|e| not_xml(xml, before, e.to_string()))?
                } else {
                    predefined_entity(&r.into_inner())
                };
                let c = c.ok_or_else(|| not_xml(xml, before, "an entity XML does not define"))?;
                push_text(&mut stack, &c.to_string(), xml, before)?;
            }
            Event::DocType(_) => {
                return Err(not_xml(
                    xml,
                    before,
                    "a DOCTYPE is not accepted in a CAP document",
                ));
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(not_xml(
            xml,
            xml.len() as u64,
            "the document ends inside an element",
        ));
    }
    root.ok_or_else(|| not_xml(xml, 0, "no root element"))
}

fn attach(stack: &mut [Node], root: &mut Option<Node>, node: Node) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(node),
        None => *root = Some(node),
    }
}

fn push_text(stack: &mut [Node], text: &str, xml: &str, pos: u64) -> Result<(), CapError> {
    match stack.last_mut() {
        Some(n) => {
            n.text.push_str(text);
            Ok(())
        }
        None if text.trim().is_empty() => Ok(()),
        None => Err(not_xml(xml, pos, "text outside the root element")),
    }
}

/// One element of a sequence: name, minimum and maximum count (`usize::MAX` for unbounded).
type Slot = (&'static str, usize, usize);
const MANY: usize = usize::MAX;

const ALERT: &[Slot] = &[
    ("identifier", 1, 1),
    ("sender", 1, 1),
    ("sent", 1, 1),
    ("status", 1, 1),
    ("msgType", 1, 1),
    ("source", 0, 1),
    ("scope", 1, 1),
    ("restriction", 0, 1),
    ("addresses", 0, 1),
    ("code", 0, MANY),
    ("note", 0, 1),
    ("references", 0, 1),
    ("incidents", 0, 1),
    ("info", 0, MANY),
];
const INFO: &[Slot] = &[
    ("language", 0, 1),
    ("category", 1, MANY),
    ("event", 1, 1),
    ("responseType", 0, MANY),
    ("urgency", 1, 1),
    ("severity", 1, 1),
    ("certainty", 1, 1),
    ("audience", 0, 1),
    ("eventCode", 0, MANY),
    ("effective", 0, 1),
    ("onset", 0, 1),
    ("expires", 0, 1),
    ("senderName", 0, 1),
    ("headline", 0, 1),
    ("description", 0, 1),
    ("instruction", 0, 1),
    ("web", 0, 1),
    ("contact", 0, 1),
    ("parameter", 0, MANY),
    ("resource", 0, MANY),
    ("area", 0, MANY),
];
const RESOURCE: &[Slot] = &[
    ("resourceDesc", 1, 1),
    ("mimeType", 1, 1),
    ("size", 0, 1),
    ("uri", 0, 1),
    ("derefUri", 0, 1),
    ("digest", 0, 1),
];
const AREA: &[Slot] = &[
    ("areaDesc", 1, 1),
    ("polygon", 0, MANY),
    ("circle", 0, MANY),
    ("geocode", 0, MANY),
    ("altitude", 0, 1),
    ("ceiling", 0, 1),
];
const PAIR: &[Slot] = &[("valueName", 1, 1), ("value", 1, 1)];

struct Checked<'a> {
    path: String,
    node: &'a Node,
    /// Children by slot, in document order.
    slots: Vec<Vec<&'a Node>>,
}

impl<'a> Checked<'a> {
    fn all(&self, name: &str, seq: &[Slot]) -> &[&'a Node] {
        let i = seq
            .iter()
            .position(|s| s.0 == name)
            .expect("a slot of the sequence");
        &self.slots[i]
    }
}

fn err(kind: CapErrorKind, element: String, line: usize, detail: impl Into<String>) -> CapError {
    CapError {
        kind,
        element,
        line,
        detail: detail.into(),
    }
}

/// Matches `node`'s children against `seq` as the schema's `<sequence>` does.
fn check_sequence<'a>(
    node: &'a Node,
    path: &str,
    seq: &[Slot],
    trailing_signature: bool,
) -> Result<Checked<'a>, CapError> {
    if let Some(a) = &node.bad_attribute {
        return Err(err(
            CapErrorKind::Unexpected,
            format!("{path}/@{a}"),
            node.line,
            "CAP elements carry no attributes",
        ));
    }
    if !node.text.trim().is_empty() {
        return Err(err(
            CapErrorKind::Unexpected,
            path.into(),
            node.line,
            "text directly inside an element that holds only elements",
        ));
    }
    let mut slots: Vec<Vec<&Node>> = vec![Vec::new(); seq.len()];
    let mut at = 0;
    for child in &node.children {
        let cap = child.ns.as_deref() == Some(NAMESPACE);
        if trailing_signature && child.ns.as_deref() == Some(XMLDSIG) {
            at = seq.len();
            continue;
        }
        let found = cap
            .then(|| {
                seq[at.min(seq.len())..]
                    .iter()
                    .position(|s| s.0 == child.name)
            })
            .flatten()
            .map(|i| i + at);
        let Some(i) = found else {
            let known = cap && seq.iter().any(|s| s.0 == child.name);
            let detail = if !cap {
                format!("<{}> is not in the CAP 1.2 namespace", child.name)
            } else if known {
                format!(
                    "<{}> is out of order (the schema's order is fixed)",
                    child.name
                )
            } else {
                format!("<{}> is not a CAP 1.2 element here", child.name)
            };
            return Err(err(
                CapErrorKind::Unexpected,
                format!("{path}/{}", child.name),
                child.line,
                detail,
            ));
        };
        // Every slot skipped over must have been allowed to be empty.
        for s in at..i {
            if slots[s].len() < seq[s].1 {
                return Err(err(
                    CapErrorKind::Missing,
                    format!("{path}/{}", seq[s].0),
                    child.line,
                    format!("<{}> is required before <{}>", seq[s].0, child.name),
                ));
            }
        }
        if slots[i].len() == seq[i].2 {
            return Err(err(
                CapErrorKind::Unexpected,
                format!("{path}/{}", child.name),
                child.line,
                format!("<{}> may appear only once", child.name),
            ));
        }
        slots[i].push(child);
        at = i;
    }
    for (s, slot) in seq.iter().enumerate() {
        if slots[s].len() < slot.1 {
            return Err(missing(path, node, slot.0));
        }
    }
    Ok(Checked {
        path: path.into(),
        node,
        slots,
    })
}

fn missing(path: &str, node: &Node, name: &str) -> CapError {
    err(
        CapErrorKind::Missing,
        format!("{path}/{name}"),
        node.line,
        format!("<{name}> is required"),
    )
}

fn leaf_text(n: &Node, path: &str) -> Result<String, CapError> {
    if let Some(a) = &n.bad_attribute {
        return Err(err(
            CapErrorKind::Unexpected,
            format!("{path}/@{a}"),
            n.line,
            "CAP elements carry no attributes",
        ));
    }
    if let Some(c) = n.children.first() {
        return Err(err(
            CapErrorKind::Unexpected,
            format!("{path}/{}", c.name),
            c.line,
            format!("<{}> holds text, not elements", n.name),
        ));
    }
    Ok(n.text.clone())
}

impl Checked<'_> {
    fn text(&self, name: &str, seq: &[Slot]) -> Result<Option<(String, String, usize)>, CapError> {
        match self.all(name, seq).first() {
            None => Ok(None),
            Some(n) => {
                let path = format!("{}/{name}", self.path);
                Ok(Some((leaf_text(n, &path)?, path, n.line)))
            }
        }
    }

    fn string(&self, name: &str, seq: &[Slot]) -> Result<Option<String>, CapError> {
        Ok(self.text(name, seq)?.map(|t| t.0))
    }

    fn required(&self, name: &str, seq: &[Slot]) -> Result<(String, String, usize), CapError> {
        self.text(name, seq)?
            .ok_or_else(|| missing(&self.path, self.node, name))
    }

    fn texts(&self, name: &str, seq: &[Slot]) -> Result<Vec<(String, String, usize)>, CapError> {
        self.all(name, seq)
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let path = format!("{}/{name}[{}]", self.path, i + 1);
                Ok((leaf_text(n, &path)?, path, n.line))
            })
            .collect()
    }

    fn pairs(&self, name: &str, seq: &[Slot]) -> Result<Vec<(String, String)>, CapError> {
        self.all(name, seq)
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let path = format!("{}/{name}[{}]", self.path, i + 1);
                let c = check_sequence(n, &path, PAIR, false)?;
                Ok((
                    c.required("valueName", PAIR)?.0,
                    c.required("value", PAIR)?.0,
                ))
            })
            .collect()
    }
}

fn enum_value<T>(
    (text, path, line): (String, String, usize),
    parse: fn(&str) -> Option<T>,
    allowed: &[&str],
) -> Result<T, CapError> {
    // xs:string enumerations compare the value as written (no whitespace folding).
    parse(&text).ok_or_else(|| {
        err(
            CapErrorKind::BadValue,
            path,
            line,
            format!("{text:?} is not one of {}", allowed.join(", ")),
        )
    })
}

fn names<T: Copy>(all: &[T], f: fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|&x| f(x)).collect()
}

fn checked_datetime(t: Option<(String, String, usize)>) -> Result<Option<String>, CapError> {
    match t {
        None => Ok(None),
        Some((text, path, line)) => {
            // xs:dateTime folds surrounding whitespace before the pattern applies.
            let v = text.trim();
            if parse_datetime(v).is_none() {
                return Err(err(
                    CapErrorKind::BadValue,
                    path,
                    line,
                    format!("{text:?} is not a date-time as YYYY-MM-DDThh:mm:ss+hh:mm"),
                ));
            }
            Ok(Some(v.to_string()))
        }
    }
}

fn bad(path: String, line: usize, detail: impl Into<String>) -> CapError {
    err(CapErrorKind::BadValue, path, line, detail)
}

/// Reads a CAP 1.2 document, checking it against the schema and the specification's rules.
pub fn parse(xml: &str) -> Result<Alert, CapError> {
    let root = read_tree(xml.strip_prefix('\u{FEFF}').unwrap_or(xml))?;
    if root.ns.as_deref() != Some(NAMESPACE) || root.name != "alert" {
        return Err(err(
            CapErrorKind::NotCap,
            root.name.clone(),
            root.line,
            format!(
                "the root is <{}> in {}, not <alert> in {NAMESPACE}",
                root.name,
                root.ns.as_deref().unwrap_or("no namespace")
            ),
        ));
    }
    let a = check_sequence(&root, "alert", ALERT, true)?;
    let token = |t: (String, String, usize)| -> Result<String, CapError> {
        if is_token(&t.0) {
            Ok(t.0)
        } else {
            Err(bad(
                t.1,
                t.2,
                format!("{:?} is empty or holds a space, comma, < or &", t.0),
            ))
        }
    };
    let identifier = token(a.required("identifier", ALERT)?)?;
    let sender = token(a.required("sender", ALERT)?)?;
    let sent = checked_datetime(Some(a.required("sent", ALERT)?))?.unwrap_or_default();
    let status = enum_value(
        a.required("status", ALERT)?,
        Status::parse,
        &names(Status::ALL, Status::as_str),
    )?;
    let msg_type = enum_value(
        a.required("msgType", ALERT)?,
        MsgType::parse,
        &names(MsgType::ALL, MsgType::as_str),
    )?;
    let scope = enum_value(
        a.required("scope", ALERT)?,
        Scope::parse,
        &names(Scope::ALL, Scope::as_str),
    )?;
    let restriction = a.string("restriction", ALERT)?;
    let addresses = a.string("addresses", ALERT)?;
    if scope == Scope::Restricted && restriction.is_none() {
        return Err(missing("alert", &root, "restriction"));
    }
    if scope == Scope::Private && addresses.is_none() {
        return Err(missing("alert", &root, "addresses"));
    }
    let references = match a.text("references", ALERT)? {
        None => Vec::new(),
        Some((text, path, line)) => parse_references(&text).map_err(|d| bad(path, line, d))?,
    };
    if matches!(
        msg_type,
        MsgType::Update | MsgType::Cancel | MsgType::Ack | MsgType::Error
    ) && references.is_empty()
    {
        return Err(missing("alert", &root, "references"));
    }
    let mut infos = Vec::new();
    for (i, n) in a.all("info", ALERT).iter().enumerate() {
        infos.push(parse_info(n, &format!("alert/info[{}]", i + 1))?);
    }
    Ok(Alert {
        identifier,
        sender,
        sent,
        status,
        msg_type,
        source: a.string("source", ALERT)?,
        scope,
        restriction,
        addresses,
        codes: a.texts("code", ALERT)?.into_iter().map(|t| t.0).collect(),
        note: a.string("note", ALERT)?,
        references,
        incidents: a.string("incidents", ALERT)?,
        infos,
    })
}

fn parse_info(n: &Node, path: &str) -> Result<Info, CapError> {
    let c = check_sequence(n, path, INFO, false)?;
    let language = match c.text("language", INFO)? {
        None => None,
        Some((text, p, line)) => {
            let v = text.trim();
            if !is_language(v) {
                return Err(bad(
                    p,
                    line,
                    format!("{text:?} is not a language tag such as zh-CN"),
                ));
            }
            Some(v.to_string())
        }
    };
    let categories = c
        .texts("category", INFO)?
        .into_iter()
        .map(|t| enum_value(t, Category::parse, &names(Category::ALL, Category::as_str)))
        .collect::<Result<_, _>>()?;
    let response_types = c
        .texts("responseType", INFO)?
        .into_iter()
        .map(|t| {
            enum_value(
                t,
                ResponseType::parse,
                &names(ResponseType::ALL, ResponseType::as_str),
            )
        })
        .collect::<Result<_, _>>()?;
    let mut resources = Vec::new();
    for (i, r) in c.all("resource", INFO).iter().enumerate() {
        let p = format!("{path}/resource[{}]", i + 1);
        let rc = check_sequence(r, &p, RESOURCE, false)?;
        let size = match rc.text("size", RESOURCE)? {
            None => None,
            Some((t, sp, line)) if is_integer(t.trim()) => {
                let _ = (sp, line);
                Some(t.trim().to_string())
            }
            Some((t, sp, line)) => return Err(bad(sp, line, format!("{t:?} is not an integer"))),
        };
        resources.push(Resource {
            desc: rc.required("resourceDesc", RESOURCE)?.0,
            mime_type: rc.required("mimeType", RESOURCE)?.0,
            size,
            uri: rc.string("uri", RESOURCE)?,
            deref_uri: rc.string("derefUri", RESOURCE)?,
            digest: rc.string("digest", RESOURCE)?,
        });
    }
    let mut areas = Vec::new();
    for (i, a) in c.all("area", INFO).iter().enumerate() {
        areas.push(parse_area(a, &format!("{path}/area[{}]", i + 1))?);
    }
    Ok(Info {
        language,
        categories,
        event: c.required("event", INFO)?.0,
        response_types,
        urgency: Some(enum_value(
            c.required("urgency", INFO)?,
            Urgency::parse,
            &names(Urgency::ALL, Urgency::as_str),
        )?),
        severity: Some(enum_value(
            c.required("severity", INFO)?,
            Severity::parse,
            &names(Severity::ALL, Severity::as_str),
        )?),
        certainty: Some(enum_value(
            c.required("certainty", INFO)?,
            Certainty::parse,
            &names(Certainty::ALL, Certainty::as_str),
        )?),
        audience: c.string("audience", INFO)?,
        event_codes: c.pairs("eventCode", INFO)?,
        effective: checked_datetime(c.text("effective", INFO)?)?,
        onset: checked_datetime(c.text("onset", INFO)?)?,
        expires: checked_datetime(c.text("expires", INFO)?)?,
        sender_name: c.string("senderName", INFO)?,
        headline: c.string("headline", INFO)?,
        description: c.string("description", INFO)?,
        instruction: c.string("instruction", INFO)?,
        web: c.string("web", INFO)?,
        contact: c.string("contact", INFO)?,
        parameters: c.pairs("parameter", INFO)?,
        resources,
        areas,
    })
}

fn parse_area(n: &Node, path: &str) -> Result<Area, CapError> {
    let c = check_sequence(n, path, AREA, false)?;
    let polygons = c
        .texts("polygon", AREA)?
        .into_iter()
        .map(|(t, p, line)| parse_polygon(&t).map_err(|d| bad(p, line, d)))
        .collect::<Result<_, _>>()?;
    let circles = c
        .texts("circle", AREA)?
        .into_iter()
        .map(|(t, p, line)| parse_circle(&t).map_err(|d| bad(p, line, d)))
        .collect::<Result<_, _>>()?;
    let decimal = |t: Option<(String, String, usize)>| -> Result<Option<String>, CapError> {
        match t {
            None => Ok(None),
            Some((v, _, _)) if is_decimal(v.trim()) => Ok(Some(v.trim().to_string())),
            Some((v, p, line)) => Err(bad(p, line, format!("{v:?} is not a decimal number"))),
        }
    };
    let altitude = decimal(c.text("altitude", AREA)?)?;
    let ceiling = decimal(c.text("ceiling", AREA)?)?;
    if ceiling.is_some() && altitude.is_none() {
        return Err(missing(path, n, "altitude"));
    }
    Ok(Area {
        desc: c.required("areaDesc", AREA)?.0,
        polygons,
        circles,
        geocodes: c.pairs("geocode", AREA)?,
        altitude,
        ceiling,
    })
}

// ---------------------------------------------------------------------------------------------
// Atom feeds of CAP alerts

const ATOM: &str = "http://www.w3.org/2005/Atom";

/// One entry of an Atom feed of CAP alerts: the CAP document's address (the `alternate` link whose
/// type names CAP, or that ends in `.xml`) and the document inline in `<content>`, as given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FeedEntry {
    pub link: Option<String>,
    pub inline: Option<String>,
}

/// Whether `xml` is an Atom feed (its root is `feed` in the Atom namespace).
pub fn is_atom(xml: &str) -> bool {
    let mut reader = NsReader::from_str(xml);
    loop {
        match reader.read_resolved_event() {
            Ok((ns, Event::Start(e) | Event::Empty(e))) => {
                return matches!(ns, ResolveResult::Bound(n) if n.as_ref() == ATOM)
                    && e.local_name().as_ref() == "feed";
            }
            Ok((_, Event::Eof)) | Err(_) => return false,
            Ok(_) => {}
        }
    }
}

/// The entries of an Atom feed, in order. The inline document keeps its own text (namespace
/// declarations made on the feed's elements do not come with it).
pub fn feed_entries(xml: &str) -> Result<Vec<FeedEntry>, CapError> {
    let mut reader = NsReader::from_str(xml);
    let mut out = Vec::new();
    let mut entry: Option<FeedEntry> = None;
    let mut depth = 0usize;
    let mut content_at: Option<(usize, usize)> = None;
    loop {
        let before = reader.buffer_position();
        let step = reader.read_resolved_event().map(|(ns, ev)| {
            let atom = matches!(ns, ResolveResult::Bound(n) if n.as_ref() == ATOM);
            (atom, ev)
        });
        let (atom, event) = match step {
            Ok(x) => x,
            Err(e) => return Err(not_xml(xml, reader.error_position(), e.to_string())),
        };
        let (start, empty) = match &event {
            Event::Start(e) => (Some(e.clone()), false),
            Event::Empty(e) => (Some(e.clone()), true),
            _ => (None, false),
        };
        match (start, event) {
            (Some(e), _) => {
                let name = e.local_name().as_ref().to_string();
                if atom && name == "entry" && entry.is_none() {
                    entry = Some(FeedEntry::default());
                } else if let Some(en) = entry.as_mut().filter(|_| atom) {
                    let attr = |key: &str| {
                        e.attributes()
                            .flatten()
                            .find(|a| a.key.as_ref() == key)
                            .and_then(|a| {
                                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                    .ok()
                                    .map(|v| v.into_owned())
                            })
                    };
                    if name == "link" {
                        let rel = attr("rel").unwrap_or_else(|| "alternate".into());
                        let kind = attr("type").unwrap_or_default();
                        let href = attr("href").unwrap_or_default();
                        if rel == "alternate"
                            && !href.is_empty()
                            && (kind.contains("cap") || href.ends_with(".xml"))
                            && en.link.is_none()
                        {
                            en.link = Some(href);
                        }
                    } else if name == "content" && !empty && content_at.is_none() {
                        content_at = Some((reader.buffer_position() as usize, depth));
                    }
                }
                if !empty {
                    depth += 1;
                }
                if depth > MAX_DEPTH * 2 {
                    return Err(not_xml(xml, before, "elements nested too deep"));
                }
            }
            (None, Event::End(e)) => {
                depth = depth.saturating_sub(1);
                let name = e.local_name().as_ref().to_string();
                if let Some((start, d)) = content_at
                    && d == depth
                    && name == "content"
                {
                    if let Some(en) = entry.as_mut() {
                        let inner = xml[start..before as usize].trim();
                        if inner.starts_with('<') {
                            en.inline = Some(inner.to_string());
                        }
                    }
                    content_at = None;
                }
                if atom && name == "entry" && content_at.is_none() {
                    out.extend(entry.take());
                }
            }
            (None, Event::DocType(_)) => {
                return Err(not_xml(
                    xml,
                    before,
                    "a DOCTYPE is not accepted in a CAP feed",
                ));
            }
            (None, Event::Eof) => break,
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Alert {
        Alert {
            identifier: "pingan-330681-0001".into(),
            sender: "pingan@330681.gaj".into(),
            sent: "2026-12-06T10:00:00+08:00".into(),
            status: Status::Actual,
            msg_type: MsgType::Alert,
            source: None,
            scope: Scope::Public,
            restriction: None,
            addresses: None,
            codes: vec![],
            note: None,
            references: vec![],
            incidents: None,
            infos: vec![Info {
                language: Some("zh-CN".into()),
                categories: vec![Category::Security],
                event: "冒充客服退款诈骗".into(),
                urgency: Some(Urgency::Expected),
                severity: Some(Severity::Moderate),
                certainty: Some(Certainty::Observed),
                audience: Some("枫桥镇居民 & 商户".into()),
                headline: Some("警惕<退款>诈骗".into()),
                areas: vec![Area {
                    desc: "枫桥镇".into(),
                    polygons: vec![vec![
                        (29.7, 120.2),
                        (29.7, 120.3),
                        (29.8, 120.3),
                        (29.7, 120.2),
                    ]],
                    circles: vec![Circle {
                        lat: 29.75,
                        lon: 120.25,
                        radius_km: 2.5,
                    }],
                    ..Area::default()
                }],
                ..Info::default()
            }],
        }
    }

    #[test]
    fn a_written_alert_reads_back_the_same() {
        let a = sample();
        let xml = to_xml(&a);
        assert!(xml.contains("&lt;退款&gt;"), "{xml}");
        assert_eq!(parse(&xml).unwrap(), a);
    }

    #[test]
    fn an_update_references_the_original() {
        let mut u = sample();
        u.identifier = "pingan-330681-0002".into();
        u.msg_type = MsgType::Update;
        u.references = vec![Reference {
            sender: "pingan@330681.gaj".into(),
            identifier: "pingan-330681-0001".into(),
            sent: "2026-12-06T10:00:00+08:00".into(),
        }];
        let xml = to_xml(&u);
        assert!(xml.contains(
            "<references>pingan@330681.gaj,pingan-330681-0001,2026-12-06T10:00:00+08:00</references>"
        ));
        assert_eq!(parse(&xml).unwrap().references, u.references);
        // An update without references is refused.
        u.references.clear();
        let e = parse(&to_xml(&u)).unwrap_err();
        assert_eq!(
            (e.kind, e.element.as_str()),
            (CapErrorKind::Missing, "alert/references")
        );
    }

    fn refused(xml: &str) -> CapError {
        parse(xml).expect_err("refused")
    }

    #[test]
    fn refusals_name_the_element() {
        let good = to_xml(&sample());
        let e = refused(&good.replace("<urgency>Expected</urgency>", "<urgency>Soon</urgency>"));
        assert_eq!(
            (e.kind, e.element.as_str()),
            (CapErrorKind::BadValue, "alert/info[1]/urgency")
        );
        assert!(e.line > 1);
        let e = refused(&good.replace("  <sender>pingan@330681.gaj</sender>\n", ""));
        assert_eq!(
            (e.kind, e.element.as_str()),
            (CapErrorKind::Missing, "alert/sender")
        );
        // Out of order: status before sent.
        let swapped = good.replace(
            "<sent>2026-12-06T10:00:00+08:00</sent>\n  <status>Actual</status>",
            "<status>Actual</status>\n  <sent>2026-12-06T10:00:00+08:00</sent>",
        );
        let e = refused(&swapped);
        assert_eq!(
            (e.kind, e.element.as_str()),
            (CapErrorKind::Missing, "alert/sent")
        );
        assert!(e.detail.contains("before <status>"), "{e}");
        let e = refused(&good.replace("2026-12-06T10:00:00+08:00", "2026-12-06T10:00:00Z"));
        assert_eq!(
            (e.kind, e.element.as_str()),
            (CapErrorKind::BadValue, "alert/sent")
        );
        let open = good.replace(
            "29.700000,120.200000</polygon>",
            "29.700000,120.250000</polygon>",
        );
        let e = refused(&open);
        assert_eq!(e.element, "alert/info[1]/area[1]/polygon[1]");
        let e = refused(&good.replace("<scope>", "<scope kind=\"x\">"));
        assert_eq!(e.element, "alert/scope/@kind");
        let e = refused(&good.replace(NAMESPACE, "urn:oasis:names:tc:emergency:cap:1.1"));
        assert_eq!(e.kind, CapErrorKind::NotCap);
        let e = refused("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>");
        assert_eq!(e.kind, CapErrorKind::NotXml);
        let e = refused(&good.replace(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
            "<!DOCTYPE alert [<!ENTITY x \"y\">]>",
        ));
        assert_eq!(e.kind, CapErrorKind::NotXml);
        let e = refused(&good.replace("<identifier>pingan-330681-0001", "<identifier>a b"));
        assert_eq!(e.element, "alert/identifier");
        let e = refused(&good.replace("<event>", "<event><b>x</b>"));
        assert_eq!(e.element, "alert/info[1]/event/b");
        let e = refused(&good.replace(
            "<status>Actual</status>",
            "<status>Actual</status><status>Test</status>",
        ));
        assert_eq!(e.element, "alert/status");
    }

    #[test]
    fn prefixed_namespaces_cdata_and_signatures_are_accepted() {
        let xml = "<?xml version=\"1.0\"?>\n<cap:alert xmlns:cap=\"urn:oasis:names:tc:emergency:cap:1.2\" \
            xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"x y\">\
            <cap:identifier>X-1</cap:identifier><cap:sender>a@b</cap:sender>\
            <cap:sent>2026-01-02T03:04:05-00:00</cap:sent><cap:status>Exercise</cap:status>\
            <cap:msgType>Alert</cap:msgType><cap:scope>Public</cap:scope>\
            <cap:info><cap:category>Met</cap:category><cap:event><![CDATA[Flood <warning>]]></cap:event>\
            <cap:urgency>Future</cap:urgency><cap:severity>Severe</cap:severity><cap:certainty>Likely</cap:certainty>\
            <cap:area><cap:areaDesc>River &amp; banks</cap:areaDesc><cap:circle>29.7,120.2 0</cap:circle></cap:area></cap:info>\
            <Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"><x/></Signature></cap:alert>";
        let a = parse(xml).unwrap();
        assert_eq!(a.infos[0].event, "Flood <warning>");
        assert_eq!(a.infos[0].areas[0].desc, "River & banks");
        assert_eq!(a.status, Status::Exercise);
        assert_eq!(
            parse_datetime(&a.sent).unwrap().to_string(),
            "2026-01-02T03:04:05Z"
        );
    }

    #[test]
    fn feed_entries_give_links_and_inline_documents() {
        let doc = to_xml(&sample());
        let inline = doc.split_once("?>").unwrap().1.trim();
        let feed = format!(
            "<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><id>x</id>\
             <entry><id>a</id><link rel=\"alternate\" type=\"application/cap+xml\" href=\"/cap/a.xml\"/>\
             <content type=\"application/cap+xml\">{inline}</content></entry>\
             <entry><id>b</id><link href=\"https://x.example/b.html\"/><link href=\"b.xml\"/></entry></feed>"
        );
        assert!(is_atom(&feed));
        assert!(!is_atom(&doc));
        let entries = feed_entries(&feed).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].link.as_deref(), Some("/cap/a.xml"));
        assert_eq!(
            parse(entries[0].inline.as_deref().unwrap()).unwrap(),
            sample()
        );
        assert_eq!(
            entries[1],
            FeedEntry {
                link: Some("b.xml".into()),
                inline: None
            }
        );
    }

    #[test]
    fn datetimes_are_written_in_china_time() {
        let t: jiff::Timestamp = "2026-12-06T16:30:00Z".parse().unwrap();
        assert_eq!(datetime(t), "2026-12-07T00:30:00+08:00");
        assert_eq!(parse_datetime(&datetime(t)), Some(t));
        assert_eq!(parse_datetime("2026-02-30T00:00:00+08:00"), None);
    }
}
