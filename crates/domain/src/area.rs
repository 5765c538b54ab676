//! Administrative area codes. District: 6-digit GB/T 2260 code; township/street: 9 digits (district + 3);
//! village/community: 12-digit statistical code (township + 3); grid: 15 digits (village + 3-digit grid
//! number). A child's code must start with its parent's code. Codes are parsed once into these types, so a
//! value of them is always well-formed.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AreaLevel {
    /// 区/县 (6 digits).
    District,
    /// 乡镇/街道 (9 digits).
    Township,
    /// 村/社区 (12 digits).
    Village,
}

crate::incident::string_enum! {
    /// 城区、城郊或农村: the kind of place an area is, which sets response-time targets.
    AreaType {
        Urban = "urban",
        Suburban = "suburban",
        Rural = "rural",
    }
}

crate::incident::string_enum! {
    /// 网格 kinds: the basic grid of a village, or a dedicated grid (专属网格) for one market, school, park…
    GridKind {
        Basic = "basic",
        Dedicated = "dedicated",
    }
}

crate::incident::string_enum! {
    /// Kinds of place the grid work tracks (场所).
    PlaceKind {
        Shop = "shop",
        RentalHousing = "rental_housing",
        School = "school",
        Kindergarten = "kindergarten",
        Hospital = "hospital",
        Entertainment = "entertainment",
        Hotel = "hotel",
        InternetCafe = "internet_cafe",
        Market = "market",
        Factory = "factory",
        Warehouse = "warehouse",
        HazardousMaterials = "hazardous_materials",
        ConstructionSite = "construction_site",
        ReligiousVenue = "religious_venue",
        Other = "other",
    }
}

crate::incident::string_enum! {
    /// What a place inspection checks.
    InspectionKind {
        /// 消防检查.
        Fire = "fire",
        /// 治安检查.
        Security = "security",
    }
}

crate::incident::string_enum! {
    /// The outcome of a place inspection.
    InspectionResult {
        Pass = "pass",
        /// 限期整改.
        Rectify = "rectify",
    }
}

impl AreaLevel {
    pub const ALL: [AreaLevel; 3] = [AreaLevel::District, AreaLevel::Township, AreaLevel::Village];

    pub fn code(self) -> &'static str {
        match self {
            AreaLevel::District => "district",
            AreaLevel::Township => "township",
            AreaLevel::Village => "village",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "district" | "county" => Some(AreaLevel::District),
            "township" | "street" => Some(AreaLevel::Township),
            "village" | "community" => Some(AreaLevel::Village),
            _ => None,
        }
    }

    pub fn digits(self) -> usize {
        match self {
            AreaLevel::District => 6,
            AreaLevel::Township => 9,
            AreaLevel::Village => 12,
        }
    }

    pub fn parent(self) -> Option<AreaLevel> {
        match self {
            AreaLevel::District => None,
            AreaLevel::Township => Some(AreaLevel::District),
            AreaLevel::Village => Some(AreaLevel::Township),
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            AreaLevel::District => "区县",
            AreaLevel::Township => "乡镇街道",
            AreaLevel::Village => "村社区",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("code must be digits only, got `{0}`")]
    NotDigits(String),
    #[error("code `{code}` has {len} digits; expected 6 (district), 9 (township) or 12 (village)")]
    BadLength { code: String, len: usize },
    #[error("code `{code}` does not start with its parent's code `{parent}`")]
    NotUnderParent { code: String, parent: String },
    #[error("code `{code}` is a {level:?}; its parent must be the {expected:?} level")]
    WrongParentLevel {
        code: String,
        level: AreaLevel,
        expected: Option<AreaLevel>,
    },
    #[error("grid code `{0}` must have 15 digits (12-digit village code + 3-digit grid number)")]
    BadGridLength(String),
    #[error("code `{0}` has an all-zero segment")]
    ZeroSegment(String),
}

/// A validated area code; its level follows from its length.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AreaCode(String);

impl AreaCode {
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let s = s.trim();
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CodeError::NotDigits(s.to_string()));
        }
        if ![6, 9, 12].contains(&s.len()) {
            return Err(CodeError::BadLength {
                code: s.to_string(),
                len: s.len(),
            });
        }
        let last = &s[s.len() - if s.len() == 6 { 2 } else { 3 }..];
        if last.bytes().all(|b| b == b'0') {
            return Err(CodeError::ZeroSegment(s.to_string()));
        }
        Ok(AreaCode(s.to_string()))
    }

    pub fn level(&self) -> AreaLevel {
        match self.0.len() {
            6 => AreaLevel::District,
            9 => AreaLevel::Township,
            _ => AreaLevel::Village,
        }
    }

    /// The parent's code by prefix, if this is not a district.
    pub fn implied_parent(&self) -> Option<AreaCode> {
        self.level()
            .parent()
            .map(|p| AreaCode(self.0[..p.digits()].to_string()))
    }

    /// Checks that `parent` is this code's parent.
    pub fn check_parent(&self, parent: Option<&AreaCode>) -> Result<(), CodeError> {
        let expected = self.level().parent();
        match (parent, expected) {
            (None, None) => Ok(()),
            (Some(p), Some(level)) if p.level() == level => {
                if self.0.starts_with(&p.0) {
                    Ok(())
                } else {
                    Err(CodeError::NotUnderParent {
                        code: self.0.clone(),
                        parent: p.0.clone(),
                    })
                }
            }
            _ => Err(CodeError::WrongParentLevel {
                code: self.0.clone(),
                level: self.level(),
                expected,
            }),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AreaCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for AreaCode {
    type Error = CodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        AreaCode::parse(&s)
    }
}

impl From<AreaCode> for String {
    fn from(c: AreaCode) -> String {
        c.0
    }
}

/// A validated 15-digit grid code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct GridCode(String);

impl GridCode {
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let s = s.trim();
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CodeError::NotDigits(s.to_string()));
        }
        if s.len() != 15 {
            return Err(CodeError::BadGridLength(s.to_string()));
        }
        AreaCode::parse(&s[..12])?;
        if &s[12..] == "000" {
            return Err(CodeError::ZeroSegment(s.to_string()));
        }
        Ok(GridCode(s.to_string()))
    }

    pub fn village(&self) -> AreaCode {
        AreaCode(self.0[..12].to_string())
    }

    pub fn number(&self) -> u16 {
        self.0[12..].parse().unwrap_or(0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GridCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for GridCode {
    type Error = CodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        GridCode::parse(&s)
    }
}

impl From<GridCode> for String {
    fn from(c: GridCode) -> String {
        c.0
    }
}

/// Materialised path for an area: `/district/township/village/`.
pub fn area_path(code: &AreaCode) -> String {
    let s = code.as_str();
    let mut path = String::from("/");
    for len in [6, 9, 12] {
        if s.len() >= len {
            path.push_str(&s[..len]);
            path.push('/');
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn levels_and_parents() {
        let v = AreaCode::parse("330681109201").unwrap();
        assert_eq!(v.level(), AreaLevel::Village);
        let t = v.implied_parent().unwrap();
        assert_eq!(t.as_str(), "330681109");
        assert_eq!(t.implied_parent().unwrap().as_str(), "330681");
        assert!(v.check_parent(Some(&t)).is_ok());
        let other = AreaCode::parse("330681001").unwrap();
        assert!(matches!(
            v.check_parent(Some(&other)),
            Err(CodeError::NotUnderParent { .. })
        ));
        let d = AreaCode::parse("330681").unwrap();
        assert!(matches!(
            v.check_parent(Some(&d)),
            Err(CodeError::WrongParentLevel { .. })
        ));
        assert!(d.check_parent(None).is_ok());
        assert_eq!(area_path(&v), "/330681/330681109/330681109201/");
    }

    #[test]
    fn rejects_bad_codes() {
        assert!(AreaCode::parse("33068").is_err());
        assert!(AreaCode::parse("3306811090").is_err());
        assert!(AreaCode::parse("33068110920x").is_err());
        assert!(AreaCode::parse("330681000").is_err());
        assert!(GridCode::parse("330681109201").is_err());
        assert!(GridCode::parse("330681109201000").is_err());
        let g = GridCode::parse("330681109201003").unwrap();
        assert_eq!(g.village().as_str(), "330681109201");
        assert_eq!(g.number(), 3);
    }

    proptest! {
        #[test]
        fn valid_village_codes_parse(d in 110000u32..659999, t in 1u32..999, v in 1u32..999) {
            let code = format!("{d:06}{t:03}{v:03}");
            let c = AreaCode::parse(&code).unwrap();
            prop_assert_eq!(c.level(), AreaLevel::Village);
            prop_assert!(c.check_parent(c.implied_parent().as_ref()).is_ok());
        }

        #[test]
        fn any_non_digit_is_rejected(s in "[0-9]{3}[a-zA-Z ]{1}[0-9]{5}") {
            prop_assert!(AreaCode::parse(&s).is_err());
        }
    }
}
