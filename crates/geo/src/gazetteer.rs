//! Offline gazetteer for the map search box: the platform's own names (areas, grids, places,
//! cameras, addresses of past incidents) searched by Chinese text, full pinyin or pinyin initials.
//!
//! Phones in the field type whatever is quickest — `枫桥`, `fengqiao`, `fqz` — and the district's
//! names are not in any public geocoder, so the server builds a [`Gazetteer`] from its own tables
//! and searches it in memory. [`Gazetteer::new`] precomputes, per entry, a folded name (whitespace
//! removed, full-width ASCII made half-width, lowercase) and the name's spellings: full pinyin
//! without tones and pinyin initials. Characters without a reading (digits, latin letters) are kept
//! as they are, a run of them counting as one syllable (`3号楼` → `3 hao lou`, initials `3hl`);
//! punctuation is dropped. `ü` is spelt both `v` (as phone keyboards type it) and `u`.
//!
//! **Polyphonic characters.** Every reading the `pinyin` crate lists is accepted, so both
//! `zhongqing` and `chongqing` find 重庆路. The spellings of a name are the product of its
//! characters' readings, which explodes for long addresses (the data is generous: 家 also reads
//! `gu`, 和 five ways), so at most [`MAX_SPELLINGS`] full spellings and as many initial strings are
//! kept, most likely first: the first (most common) reading of every character, then every
//! spelling that changes one character (left to right), then two, and so on.
//!
//! **Matching.** The query is folded like names (so whitespace is ignored); an empty query finds
//! nothing. Each entry is scored by its best [`MatchKind`]: the folded name against the query
//! (equal, prefix, substring), then — only when the query is ASCII letters and digits, apostrophes
//! ignored (`xi'an`) — the initials (prefix, substring) and the full pinyin (prefix, or from the
//! start of a later syllable: `qiaozhen` finds 枫桥镇, `iaozhen` does not). A query with Chinese
//! characters is compared with names only: `峰` does not find 枫桥 although both read `feng`, and a
//! mixed query such as `fq镇` finds nothing unless some name contains that text. Hits are ordered
//! by match kind, then [`EntryKind`] (township before village before grid …), then shorter name,
//! then name, id and input order, so results are deterministic.
//!
//! **Speed.** All keys live in one text, a record per entry, so a search is one SIMD substring scan
//! (`memchr::memmem`) of a few megabytes that yields the candidate entries, then exact checks on
//! those alone. Over 50,000 names: about 0.2–0.3 ms per query, 3 ms for a single letter that
//! nearly every entry contains, 0.2 s to build (`cargo bench -p pingan-geo --bench gazetteer`).
//! No index to keep in sync; rebuild when the names change.

use std::ops::Range;

use memchr::memmem::Finder;
use pinyin::{Pinyin, ToPinyinMulti};
use serde::{Deserialize, Serialize};

/// Most full-pinyin spellings (and, separately, initial strings) kept per entry.
pub const MAX_SPELLINGS: usize = 16;

/// What an entry is; the declaration order is the ranking order among equally good matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// 区/县.
    District,
    /// 镇/街道.
    Township,
    /// 村/社区.
    Village,
    /// 网格.
    Grid,
    /// A place: shop, school, hospital, …
    Place,
    /// A camera.
    Camera,
    /// The address of a past incident.
    IncidentAddress,
}

/// One searchable name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The server's identifier (e.g. `area:17`, `place:…`); also the last tie-break.
    pub id: String,
    /// The name as shown.
    pub name: String,
    /// What it is; ranks equally good matches.
    pub kind: EntryKind,
    /// Longitude of the point to fly to.
    pub lng: f64,
    /// Latitude of the point to fly to.
    pub lat: f64,
    /// A second line under the hit, e.g. the parent area's name.
    pub detail: Option<String>,
}

/// How a query matched an entry, best first. A full-pinyin prefix ranks above initials found
/// inside a name: it is usually the longer, more deliberate query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// The whole name (`枫桥镇`).
    ExactName,
    /// The start of the name (`枫桥`).
    NamePrefix,
    /// Part of the name (`桥镇`).
    NameContains,
    /// The start of the pinyin initials (`fqz`, `fq`).
    InitialsPrefix,
    /// The start of the full pinyin (`fengqiao`, `fengq`).
    PinyinPrefix,
    /// Part of the initials (`qz`).
    InitialsContains,
    /// The full pinyin from the start of a later syllable (`qiaozhen`, `qiaoz`).
    PinyinContains,
}

/// A search result.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Hit<'a> {
    /// The entry found.
    pub entry: &'a Entry,
    /// Why it was found.
    pub matched: MatchKind,
}

/// An in-memory gazetteer; build once, search many times.
#[derive(Debug, Clone, Default)]
pub struct Gazetteer {
    entries: Vec<Entry>,
    keys: Vec<Keys>,
    /// One record per entry, each after a `\n`: folded name, `\t`, initials, `\t`, pinyin. Queries
    /// hold no whitespace, so one scan of this text finds every candidate, never across records.
    text: String,
    /// Syllable starts: bit `i` of an entry's words is set iff byte `i` of its pinyin starts one.
    starts: Vec<u64>,
}

/// Where an entry's keys are.
#[derive(Debug, Clone, PartialEq)]
struct Keys {
    /// The folded name, in `text`.
    name: Range<usize>,
    /// Initial strings, each after a `|` (`|cjsq|cjsc|…`), so `|` + query finds a prefix.
    initials: Range<usize>,
    /// Full spellings likewise, syllables run together (`|chenjiashequ|…`).
    pinyin: Range<usize>,
    /// The pinyin's first word in `starts`.
    starts: usize,
    /// Position among all entries ordered by kind, name length in characters, name, id and input
    /// order: the tie-break between equally good matches, as one integer.
    place: usize,
}

/// A folded query with its substring searchers, built once per search.
struct Query {
    name: Finder<'static>,
    name_len: usize,
    /// For a query of ASCII letters and digits (apostrophes dropped): bare and after a `|`.
    spelt: Option<(Finder<'static>, Finder<'static>)>,
    /// Whether apostrophes were dropped, so the spelt query needs a scan of its own.
    dropped: bool,
}

impl Query {
    /// `None` if nothing is left once folded.
    fn new(query: &str) -> Option<Query> {
        let folded = fold(query);
        if folded.is_empty() {
            return None;
        }
        let spelt = Some(folded.replace('\'', ""))
            .filter(|q| !q.is_empty() && q.bytes().all(|b| b.is_ascii_alphanumeric()));
        Some(Query {
            name: Finder::new(&folded).into_owned(),
            name_len: folded.len(),
            dropped: spelt.as_ref().is_some_and(|q| q.len() != folded.len()),
            spelt: spelt.map(|q| {
                let bare = Finder::new(&q).into_owned();
                (bare, Finder::new(&format!("|{q}")).into_owned())
            }),
        })
    }
}

impl Gazetteer {
    /// Precomputes the folded names and spellings of `entries`.
    pub fn new(entries: Vec<Entry>) -> Gazetteer {
        let mut g = Gazetteer::default();
        for e in &entries {
            let keys = g.append(&e.name);
            g.keys.push(keys);
        }
        let mut by_place: Vec<usize> = (0..entries.len()).collect();
        by_place.sort_by_cached_key(|&i| {
            let e = &entries[i];
            (
                e.kind,
                e.name.chars().count(),
                e.name.as_str(),
                e.id.as_str(),
                i,
            )
        });
        for (place, i) in by_place.into_iter().enumerate() {
            g.keys[i].place = place;
        }
        g.entries = entries;
        g
    }

    /// Every entry, in the order given.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The best `limit` entries for `query`, best first (see the module documentation).
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit<'_>> {
        self.search_where(query, limit, |_| true)
    }

    /// The best `limit` matches among the entries `keep` accepts (e.g. those within a reader's scope):
    /// the filter applies before the best are chosen, so a full page comes back whenever enough match.
    pub fn search_where(
        &self,
        query: &str,
        limit: usize,
        keep: impl Fn(&Entry) -> bool,
    ) -> Vec<Hit<'_>> {
        let Some(query) = Query::new(query).filter(|_| limit > 0) else {
            return Vec::new();
        };
        let mut candidates = self.candidates(&query.name);
        if let Some((q, _)) = &query.spelt
            && query.dropped
        {
            candidates.extend(self.candidates(q));
            candidates.sort_unstable();
            candidates.dedup();
        }
        // (match, place) is unique per entry, so the unstable sorts are deterministic.
        let mut found: Vec<(MatchKind, usize, usize)> = candidates
            .into_iter()
            .filter_map(|i| {
                let keys = &self.keys[i];
                let matched = self.best_match(keys, &query)?;
                keep(&self.entries[i]).then_some((matched, keys.place, i))
            })
            .collect();
        if found.len() > limit {
            found.select_nth_unstable(limit - 1);
            found.truncate(limit);
        }
        found.sort_unstable();
        found
            .into_iter()
            .map(|(matched, _, i)| Hit {
                entry: &self.entries[i],
                matched,
            })
            .collect()
    }

    /// Appends the record of `name` to `text` and `starts`.
    fn append(&mut self, name: &str) -> Keys {
        let folded = fold(name);
        let syllables = syllables(&folded);
        let initials: Vec<&[String]> = syllables.iter().map(|s| &s.initials[..]).collect();
        let full: Vec<&[String]> = syllables.iter().map(|s| &s.full[..]).collect();
        let text = &mut self.text;
        text.push('\n');
        let name_at = text.len();
        text.push_str(&folded);
        let initials_at = text.len() + 1;
        text.push('\t');
        for spelling in spellings(&initials, "", MAX_SPELLINGS) {
            text.push('|');
            text.push_str(&spelling);
        }
        let pinyin_at = text.len() + 1;
        text.push('\t');
        let mut starts = Vec::new();
        for spelling in spellings(&full, " ", MAX_SPELLINGS) {
            text.push('|');
            for syllable in spelling.split(' ') {
                starts.push(text.len() - pinyin_at);
                text.push_str(syllable);
            }
        }
        let first_word = self.starts.len();
        self.starts
            .resize(first_word + (text.len() - pinyin_at).div_ceil(64), 0);
        for i in starts {
            self.starts[first_word + i / 64] |= 1 << (i % 64);
        }
        Keys {
            name: name_at..initials_at - 1,
            initials: initials_at..pinyin_at - 1,
            pinyin: pinyin_at..text.len(),
            starts: first_word,
            place: 0, // set once all entries are in
        }
    }

    /// Entries whose record contains `needle`, in order: one scan of `text`.
    fn candidates(&self, needle: &Finder) -> Vec<usize> {
        let text = self.text.as_bytes();
        let mut out = Vec::new();
        let mut from = 0;
        while let Some(i) = needle.find(&text[from..]) {
            // Never at a `\n`, so at or after the first name.
            let e = self.keys.partition_point(|k| k.name.start <= from + i) - 1;
            out.push(e);
            from = self.keys[e].pinyin.end;
        }
        out
    }

    fn best_match(&self, keys: &Keys, query: &Query) -> Option<MatchKind> {
        let text = self.text.as_bytes();
        let name = &text[keys.name.clone()];
        match query.name.find(name) {
            Some(0) if name.len() == query.name_len => return Some(MatchKind::ExactName),
            Some(0) => return Some(MatchKind::NamePrefix),
            Some(_) => return Some(MatchKind::NameContains),
            None => {}
        }
        let (q, bar_q) = query.spelt.as_ref()?;
        let (initials, pinyin) = (&text[keys.initials.clone()], &text[keys.pinyin.clone()]);
        if bar_q.find(initials).is_some() {
            Some(MatchKind::InitialsPrefix)
        } else if bar_q.find(pinyin).is_some() {
            Some(MatchKind::PinyinPrefix)
        } else if q.find(initials).is_some() {
            Some(MatchKind::InitialsContains)
        } else if spells_inside(pinyin, &self.starts[keys.starts..], q) {
            Some(MatchKind::PinyinContains)
        } else {
            None
        }
    }
}

/// Whether `q` occurs in `pinyin` from the start of a syllable (bit set in `starts`). Not
/// `find_iter`: its occurrences do not overlap, so an unaligned one could hide an aligned one.
fn spells_inside(pinyin: &[u8], starts: &[u64], q: &Finder) -> bool {
    let mut from = 0;
    while let Some(i) = q.find(&pinyin[from..]) {
        let at = from + i;
        if starts[at / 64] & (1 << (at % 64)) != 0 {
            return true;
        }
        from = at + 1;
    }
    false
}

/// Whitespace removed, full-width ASCII (`Ａ３`) made half-width, lowercase.
fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// One spoken unit of a name and its possible spellings, most common first.
struct Syllable {
    /// Toneless readings of a Han character, or a run of other letters and digits as it is.
    full: Vec<String>,
    /// Distinct first letters of the readings; a run stays whole.
    initials: Vec<String>,
}

impl Syllable {
    fn han(readings: Vec<String>) -> Syllable {
        let mut initials: Vec<String> = Vec::new();
        for r in &readings {
            let first = r[..1].to_string(); // readings are ASCII and non-empty
            if !initials.contains(&first) {
                initials.push(first);
            }
        }
        Syllable {
            full: readings,
            initials,
        }
    }

    fn run(run: String) -> Syllable {
        Syllable {
            full: vec![run.clone()],
            initials: vec![run],
        }
    }
}

/// The syllables of a folded name: each Han character with a reading, each run of other letters
/// and digits. Punctuation is dropped (it separates runs).
fn syllables(folded: &str) -> Vec<Syllable> {
    let mut out = Vec::new();
    let mut run = String::new();
    for c in folded.chars() {
        let readings = c
            .to_pinyin_multi()
            .map(readings_of)
            .filter(|r| !r.is_empty());
        if readings.is_none() && c.is_alphanumeric() {
            run.push(c);
            continue;
        }
        if !run.is_empty() {
            out.push(Syllable::run(std::mem::take(&mut run)));
        }
        out.extend(readings.map(Syllable::han));
    }
    if !run.is_empty() {
        out.push(Syllable::run(run));
    }
    out
}

/// Distinct toneless readings of a character, in the crate's order (most common first).
fn readings_of(multi: pinyin::PinyinMulti) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for plain in multi.into_iter().map(Pinyin::plain) {
        for spelt in ascii_spellings(plain) {
            if !spelt.is_empty() && !out.contains(&spelt) {
                out.push(spelt);
            }
        }
    }
    out
}

/// `ü` as `v` and as `u`, `ê` as `e`; anything else non-ASCII (combining tone marks) dropped.
fn ascii_spellings(plain: &str) -> Vec<String> {
    let with = |u: char| -> String {
        plain
            .chars()
            .filter_map(|c| match c {
                'ü' => Some(u),
                'ê' => Some('e'),
                c if c.is_ascii_alphabetic() => Some(c),
                _ => None,
            })
            .collect()
    };
    if plain.contains('ü') {
        vec![with('v'), with('u')]
    } else {
        vec![with('u')]
    }
}

/// Up to `cap` ways to spell `syllables` (each a list of alternatives, most likely first), joined
/// by `sep`: all first choices, then every spelling with one other choice (left to right), then
/// two, and so on.
fn spellings(syllables: &[&[String]], sep: &str, cap: usize) -> Vec<String> {
    let ambiguous: Vec<usize> = (0..syllables.len())
        .filter(|&i| syllables[i].len() > 1)
        .collect();
    let mut speller = Speller {
        syllables,
        sep,
        cap,
        choice: vec![0; syllables.len()],
        out: Vec::new(),
    };
    for changes in 0..=ambiguous.len() {
        if speller.out.len() >= cap {
            break;
        }
        speller.vary(&ambiguous, changes);
    }
    speller.out
}

struct Speller<'a> {
    syllables: &'a [&'a [String]],
    sep: &'a str,
    cap: usize,
    choice: Vec<usize>,
    out: Vec<String>,
}

impl Speller<'_> {
    /// Emits every spelling that changes `changes` more syllables, all from `positions`.
    fn vary(&mut self, positions: &[usize], changes: usize) {
        if changes == 0 {
            self.emit();
            return;
        }
        for (n, &i) in positions.iter().enumerate() {
            for alt in 1..self.syllables[i].len() {
                self.choice[i] = alt;
                self.vary(&positions[n + 1..], changes - 1);
            }
            self.choice[i] = 0;
            if self.out.len() >= self.cap {
                return;
            }
        }
    }

    fn emit(&mut self) {
        if self.out.len() >= self.cap {
            return;
        }
        let parts: Vec<&str> = self
            .syllables
            .iter()
            .zip(&self.choice)
            .map(|(s, &c)| s[c].as_str())
            .collect();
        self.out.push(parts.join(self.sep));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, kind: EntryKind) -> Entry {
        Entry {
            id: format!("{kind:?}:{name}"),
            name: name.to_string(),
            kind,
            lng: 120.24,
            lat: 29.71,
            detail: None,
        }
    }

    fn sample() -> Gazetteer {
        use EntryKind::*;
        Gazetteer::new(vec![
            entry("枫桥镇", Township),
            entry("枫桥镇派出所", Place),
            entry("陈家社区", Village),
            entry("重庆路", Place),
            entry("3号楼", Place),
            entry("A区停车场", Place),
            entry("七中", Place),
            entry("山峰村", Village),
            entry("西安路", Place),
        ])
    }

    /// (name, match kind) of each hit.
    fn find(g: &Gazetteer, query: &str) -> Vec<(String, MatchKind)> {
        g.search(query, 100)
            .into_iter()
            .map(|h| (h.entry.name.clone(), h.matched))
            .collect()
    }

    /// The full spellings of `name`, syllables separated by spaces again.
    fn spelt(name: &str) -> Vec<String> {
        let g = Gazetteer::new(vec![entry(name, EntryKind::Place)]);
        let pinyin = &g.text[g.keys[0].pinyin.clone()];
        let mut out: Vec<String> = Vec::new();
        for (i, c) in pinyin.char_indices() {
            match c {
                '|' => out.push(String::new()),
                c => {
                    let last = out.last_mut().unwrap();
                    if !last.is_empty() && g.starts[i / 64] & (1 << (i % 64)) != 0 {
                        last.push(' ');
                    }
                    last.push(c);
                }
            }
        }
        out
    }

    fn initials(name: &str) -> Vec<String> {
        let g = Gazetteer::new(vec![entry(name, EntryKind::Place)]);
        g.text[g.keys[0].initials.clone()][1..]
            .split('|')
            .map(String::from)
            .collect()
    }

    fn kind_of(g: &Gazetteer, query: &str, name: &str) -> Option<MatchKind> {
        find(g, query)
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, m)| m)
    }

    #[test]
    fn chinese_prefix_finds_the_town_first() {
        let g = sample();
        assert_eq!(
            find(&g, "枫桥"),
            [
                ("枫桥镇".to_string(), MatchKind::NamePrefix),
                ("枫桥镇派出所".to_string(), MatchKind::NamePrefix)
            ]
        );
        assert_eq!(kind_of(&g, "枫桥镇", "枫桥镇"), Some(MatchKind::ExactName));
        assert_eq!(kind_of(&g, "桥镇", "枫桥镇"), Some(MatchKind::NameContains));
        assert_eq!(
            kind_of(&g, " 枫 桥 ", "枫桥镇"),
            Some(MatchKind::NamePrefix)
        );
    }

    #[test]
    fn a_filtered_search_still_fills_its_page() {
        use EntryKind::*;
        // Twenty 路 the reader may not see rank before five they may.
        let mut entries: Vec<Entry> = (0..20).map(|i| entry(&format!("甲{i}路"), Place)).collect();
        entries.extend((0..5).map(|i| entry(&format!("乙{i}路"), Place)));
        let g = Gazetteer::new(entries);
        let mine = |e: &Entry| e.name.starts_with('乙');
        let hits = g.search_where("路", 3, mine);
        assert_eq!(hits.len(), 3, "a full page of the reader's own");
        assert!(hits.iter().all(|h| mine(h.entry)));
        assert_eq!(g.search_where("路", 10, mine).len(), 5);
        assert_eq!(g.search("路", 3).len(), 3);
    }

    #[test]
    fn initials_find_names() {
        let g = sample();
        assert_eq!(
            find(&g, "fqz")[0],
            ("枫桥镇".to_string(), MatchKind::InitialsPrefix)
        );
        assert_eq!(
            kind_of(&g, "FQZ", "枫桥镇"),
            Some(MatchKind::InitialsPrefix)
        );
        assert_eq!(
            kind_of(&g, "cjsq", "陈家社区"),
            Some(MatchKind::InitialsPrefix)
        );
        assert_eq!(
            kind_of(&g, "fqzpcs", "枫桥镇派出所"),
            Some(MatchKind::InitialsPrefix)
        );
    }

    #[test]
    fn full_pinyin_finds_names_with_or_without_spaces() {
        let g = sample();
        for q in [
            "fengqiao",
            "feng qiao",
            "fengq",
            "FengQiaoZhen",
            "ｆｅｎｇｑｉａｏ",
        ] {
            assert_eq!(
                find(&g, q)[0],
                ("枫桥镇".to_string(), MatchKind::PinyinPrefix),
                "{q}"
            );
        }
        assert_eq!(
            kind_of(&g, "qiaozhen", "枫桥镇"),
            Some(MatchKind::PinyinContains)
        );
        assert_eq!(
            kind_of(&g, "xi'an", "西安路"),
            Some(MatchKind::PinyinPrefix)
        );
        assert_eq!(
            kind_of(&g, "chenjiashequ", "陈家社区"),
            Some(MatchKind::PinyinPrefix)
        );
    }

    #[test]
    fn pinyin_contains_starts_at_a_syllable() {
        let g = sample();
        // "iao" is inside "qiao" but starts no syllable.
        assert_eq!(kind_of(&g, "iaozhen", "枫桥镇"), None);
        assert_eq!(
            kind_of(&g, "zhen", "枫桥镇"),
            Some(MatchKind::PinyinContains)
        );
        // In "hanana" (汉阿那) "ana" first occurs inside "han"; the aligned one overlaps it.
        // Syllable bits of a later entry.
        assert_eq!(
            kind_of(&g, "anlu", "西安路"),
            Some(MatchKind::PinyinContains)
        );
        assert_eq!(kind_of(&g, "nlu", "西安路"), None);
        let g = Gazetteer::new(vec![entry("汉阿那", EntryKind::Place)]);
        assert_eq!(
            kind_of(&g, "ana", "汉阿那"),
            Some(MatchKind::PinyinContains)
        );
    }

    #[test]
    fn initials_contains_ranks_below_initials_prefix() {
        let g = sample();
        let hits = find(&g, "qz");
        let pos = |name: &str| hits.iter().position(|(n, _)| n == name).unwrap();
        assert_eq!(hits[pos("七中")].1, MatchKind::InitialsPrefix);
        assert_eq!(hits[pos("枫桥镇")].1, MatchKind::InitialsContains);
        assert!(pos("七中") < pos("枫桥镇"));
    }

    #[test]
    fn heteronyms_accept_every_reading() {
        let g = sample();
        for q in ["zhongqing", "chongqing", "zql", "cql", "chongqinglu"] {
            assert_eq!(find(&g, q)[0].0, "重庆路", "{q}");
        }
        let g = Gazetteer::new(vec![
            entry("长乐", EntryKind::Village),
            entry("银行", EntryKind::Place),
        ]);
        for (q, name) in [
            ("changle", "长乐"),
            ("zhangle", "长乐"),
            ("yinhang", "银行"),
            ("yinxing", "银行"),
        ] {
            assert_eq!(kind_of(&g, q, name), Some(MatchKind::PinyinPrefix), "{q}");
        }
    }

    #[test]
    fn u_umlaut_is_spelt_v_and_u() {
        let g = Gazetteer::new(vec![entry("绿源小区", EntryKind::Village)]);
        assert_eq!(
            kind_of(&g, "lvyuan", "绿源小区"),
            Some(MatchKind::PinyinPrefix)
        );
        assert_eq!(
            kind_of(&g, "luyuan", "绿源小区"),
            Some(MatchKind::PinyinPrefix)
        );
    }

    #[test]
    fn digits_and_latin_are_kept() {
        let g = sample();
        assert_eq!(
            find(&g, "3号"),
            [("3号楼".to_string(), MatchKind::NamePrefix)]
        );
        assert_eq!(kind_of(&g, "3hl", "3号楼"), Some(MatchKind::InitialsPrefix));
        assert_eq!(
            kind_of(&g, "3haolou", "3号楼"),
            Some(MatchKind::PinyinPrefix)
        );
        assert_eq!(kind_of(&g, "a区", "A区停车场"), Some(MatchKind::NamePrefix));
        assert_eq!(
            kind_of(&g, "Ａ区", "A区停车场"),
            Some(MatchKind::NamePrefix)
        );
        assert_eq!(
            kind_of(&g, "aqtcc", "A区停车场"),
            Some(MatchKind::InitialsPrefix)
        );
        assert_eq!(spelt("3号楼"), ["3 hao lou", "3 xiao lou"]);
        assert_eq!(initials("3号楼"), ["3hl", "3xl"]);
        assert_eq!(spelt("12号-A座")[0], "12 hao a zuo");
        assert_eq!(initials("12号-A座")[0], "12haz");
    }

    #[test]
    fn chinese_queries_never_match_by_sound() {
        let g = sample();
        // 峰 reads feng like 枫, but only 山峰村 contains it.
        assert_eq!(
            find(&g, "峰"),
            [("山峰村".to_string(), MatchKind::NameContains)]
        );
        // Mixed text is compared with names only.
        assert!(find(&g, "fq镇").is_empty());
    }

    #[test]
    fn empty_queries_and_zero_limits_find_nothing() {
        let g = sample();
        assert!(g.search("", 10).is_empty());
        assert!(g.search(" \t\u{3000}", 10).is_empty());
        assert!(g.search("'", 10).is_empty());
        assert!(g.search("枫桥", 0).is_empty());
        assert!(Gazetteer::default().search("fqz", 10).is_empty());
        assert!(find(&g, "xyzzy").is_empty());
        // Separators of the stored keys never match.
        assert!(find(&g, "z|f").is_empty());
        assert!(find(&g, "|fqz").is_empty());
    }

    #[test]
    fn ranking_is_match_then_kind_then_length_then_name() {
        use EntryKind::*;
        let g = Gazetteer::new(vec![
            entry("新华路12号", IncidentAddress),
            entry("新华村网格", Grid),
            entry("新华小学", Place),
            entry("新华村", Village),
            entry("新华街道", Township),
            entry("新华摄像头", Camera),
            entry("东新华", Township),
            entry("新华", Place),
            entry("新华店", Place),
            entry("新华园", Place),
        ]);
        let names: Vec<String> = find(&g, "新华").into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                "新华",       // exact
                "新华街道",   // prefix, township
                "新华村",     // village
                "新华村网格", // grid
                "新华园",     // place, 3 characters, then by code point (园 U+56ED)
                "新华店",     // (店 U+5E97)
                "新华小学",
                "新华摄像头",
                "新华路12号",
                "东新华", // contains
            ]
            .map(String::from)
        );
    }

    #[test]
    fn limit_keeps_the_best() {
        let g = sample();
        let all = g.search("q", 100);
        assert!(all.len() > 3);
        for limit in 1..=all.len() + 1 {
            assert_eq!(g.search("q", limit), all[..limit.min(all.len())]);
        }
    }

    #[test]
    fn results_do_not_depend_on_input_order() {
        let mut entries = sample().entries;
        let want = find(&Gazetteer::new(entries.clone()), "q");
        entries.reverse();
        assert_eq!(find(&Gazetteer::new(entries.clone()), "q"), want);
        entries.rotate_left(3);
        assert_eq!(find(&Gazetteer::new(entries), "q"), want);
        let text = |g: Gazetteer| g.text;
        assert_eq!(text(sample()), text(sample()));
    }

    #[test]
    fn spellings_are_capped_most_likely_first() {
        let full = spelt("行行行行行行行行");
        let firsts = initials("行行行行行行行行");
        assert_eq!(full.len(), MAX_SPELLINGS);
        assert_eq!(firsts.len(), MAX_SPELLINGS);
        assert_eq!(full[0], "xing xing xing xing xing xing xing xing");
        assert_eq!(full[1], "hang xing xing xing xing xing xing xing");
        assert_eq!(firsts[0], "xxxxxxxx");
        assert_eq!(firsts[1], "hxxxxxxx");
        // Distinct: no spelling is kept twice.
        let mut sorted = full.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), full.len());
        // A long address stays small.
        let long = "和平路和家村和睦小区和美家园行长长重重号楼";
        assert_eq!(spelt(long).len(), MAX_SPELLINGS);
        assert_eq!(initials(long).len(), MAX_SPELLINGS);
    }

    #[test]
    fn spellings_enumerate_one_change_before_two() {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let (a, b, c) = (s(&["a", "x"]), s(&["b"]), s(&["c", "y", "z"]));
        let sylls: [&[String]; 3] = [&a, &b, &c];
        assert_eq!(
            spellings(&sylls, "", 16),
            ["abc", "xbc", "aby", "abz", "xby", "xbz"]
        );
        assert_eq!(spellings(&sylls, " ", 3), ["a b c", "x b c", "a b y"]);
        assert_eq!(spellings(&[], "", 16), [""]);
    }

    #[test]
    fn the_scan_finds_what_checking_every_entry_finds() {
        use rand::{Rng, SeedableRng};
        let stems: Vec<char> = "枫桥重庆长乐行家和区号绿女陈西安新华东山水村路镇3A"
            .chars()
            .collect();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let entries: Vec<Entry> = (0..500)
            .map(|i| {
                let name: String = (0..rng.gen_range(1..6))
                    .map(|_| stems[rng.gen_range(0..stems.len())])
                    .collect();
                Entry {
                    id: i.to_string(),
                    ..entry(&name, EntryKind::Place)
                }
            })
            .collect();
        let g = Gazetteer::new(entries);
        let letters = b"abcdefghijklmnopqrstuvwxyz3'";
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..400 {
            let query: String = if rng.gen_bool(0.5) {
                (0..rng.gen_range(1..6))
                    .map(|_| letters[rng.gen_range(0..letters.len())] as char)
                    .collect()
            } else {
                (0..rng.gen_range(1..3))
                    .map(|_| stems[rng.gen_range(0..stems.len())])
                    .collect()
            };
            let Some(q) = Query::new(&query) else {
                continue;
            };
            let mut all: Vec<(MatchKind, usize)> = (0..g.len())
                .filter_map(|i| Some((g.best_match(&g.keys[i], &q)?, i)))
                .collect();
            all.sort_by_key(|&(m, i)| (m, g.keys[i].place));
            let want: Vec<(MatchKind, &str)> = all
                .iter()
                .map(|&(m, i)| (m, g.entries[i].id.as_str()))
                .collect();
            seen.extend(want.iter().map(|&(m, _)| m));
            for limit in [1, 3, 10, usize::MAX] {
                let got: Vec<(MatchKind, &str)> = g
                    .search(&query, limit)
                    .iter()
                    .map(|h| (h.matched, h.entry.id.as_str()))
                    .collect();
                assert_eq!(got, want[..limit.min(want.len())], "{query} limit {limit}");
            }
        }
        assert_eq!(seen.len(), 7, "every match kind occurs: {seen:?}");
    }
}
