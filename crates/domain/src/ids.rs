//! Identifiers people and organisations carry, parsed once into types that can only hold valid values:
//! the citizen ID number (GB 11643-1999, 18 digits with an ISO 7064 MOD 11-2 check character; the
//! 15-digit 1989 form is accepted and upgraded), the unified social credit code (GB 32100-2015, 18
//! characters over 31 symbols with a MOD 31 check), and mainland mobile numbers.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("citizen ID must have 18 characters (or the 15-digit legacy form), got {0}")]
    CitizenIdLength(usize),
    #[error("citizen ID may hold only digits and a final X")]
    CitizenIdChars,
    #[error("citizen ID birth date {0} is not a real date")]
    CitizenIdBirthDate(String),
    #[error("citizen ID check character is {found}, expected {expected}")]
    CitizenIdCheck { found: char, expected: char },
    #[error("credit code must have 18 characters, got {0}")]
    CreditCodeLength(usize),
    #[error("credit code character `{0}` is not allowed (0-9, A-Y without I, O, S, V, Z)")]
    CreditCodeChar(char),
    #[error("credit code check character is {found}, expected {expected}")]
    CreditCodeCheck { found: char, expected: char },
    #[error("`{0}` is not a mainland mobile number (1[3-9] and 9 more digits)")]
    Mobile(String),
    #[error(
        "`{0}` is not a telephone number: a mobile (1[3-9] and 9 more digits) or a landline with its area code (0 + 2–3 digits, then 7–8 digits)"
    )]
    Phone(String),
}

impl IdError {
    /// A stable code for the problem, for a page to put in the reader's words.
    pub fn code(&self) -> &'static str {
        match self {
            IdError::CitizenIdLength(_) => "citizen_id_length",
            IdError::CitizenIdChars => "citizen_id_chars",
            IdError::CitizenIdBirthDate(_) => "citizen_id_birth",
            IdError::CitizenIdCheck { .. } => "citizen_id_check",
            IdError::CreditCodeLength(_) => "credit_code_length",
            IdError::CreditCodeChar(_) => "credit_code_char",
            IdError::CreditCodeCheck { .. } => "credit_code_check",
            IdError::Mobile(_) => "mobile",
            IdError::Phone(_) => "phone",
        }
    }
}

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// The check character for the first 17 digits of a citizen ID.
pub fn citizen_id_check(first17: &str) -> char {
    let sum: u32 = first17
        .bytes()
        .zip(ID_WEIGHTS)
        .map(|(b, w)| (b - b'0') as u32 * w)
        .sum();
    ID_CHECK[(sum % 11) as usize]
}

fn is_real_date(y: u32, m: u32, d: u32) -> bool {
    jiff::civil::Date::new(y as i16, m as i8, d as i8).is_ok() && (1900..=2100).contains(&y)
}

/// A valid 18-character citizen ID number. Personal data: mask it for display (`mask::mask_id_number`).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CitizenId(String);

impl CitizenId {
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let s = s.trim().to_ascii_uppercase();
        match s.len() {
            18 => {
                let (body, check) = s.split_at(17);
                if !body.bytes().all(|b| b.is_ascii_digit())
                    || !check.chars().all(|c| c.is_ascii_digit() || c == 'X')
                {
                    return Err(IdError::CitizenIdChars);
                }
                check_birth(&body[6..14])?;
                let expected = citizen_id_check(body);
                let found = check.chars().next().unwrap_or(' ');
                if found != expected {
                    return Err(IdError::CitizenIdCheck { found, expected });
                }
                Ok(CitizenId(s))
            }
            15 => {
                if !s.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(IdError::CitizenIdChars);
                }
                // 1989 form: 6-digit address, YYMMDD (19YY), 3-digit sequence, no check character.
                let body = format!("{}19{}", &s[..6], &s[6..]);
                check_birth(&body[6..14])?;
                let check = citizen_id_check(&body);
                Ok(CitizenId(format!("{body}{check}")))
            }
            n => Err(IdError::CitizenIdLength(n)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Birth date as `YYYY-MM-DD`.
    pub fn birth_date(&self) -> String {
        format!("{}-{}-{}", &self.0[6..10], &self.0[10..12], &self.0[12..14])
    }

    /// Odd sequence = male, even = female (GB 11643).
    pub fn is_male(&self) -> bool {
        (self.0.as_bytes()[16] - b'0') % 2 == 1
    }
}

fn check_birth(yyyymmdd: &str) -> Result<(), IdError> {
    let y: u32 = yyyymmdd[..4].parse().unwrap_or(0);
    let m: u32 = yyyymmdd[4..6].parse().unwrap_or(0);
    let d: u32 = yyyymmdd[6..8].parse().unwrap_or(0);
    if is_real_date(y, m, d) {
        Ok(())
    } else {
        Err(IdError::CitizenIdBirthDate(yyyymmdd.to_string()))
    }
}

/// Debug never prints the number itself.
impl fmt::Debug for CitizenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CitizenId({})", crate::mask::mask_id_number(&self.0))
    }
}

impl TryFrom<String> for CitizenId {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        CitizenId::parse(&s)
    }
}

impl From<CitizenId> for String {
    fn from(c: CitizenId) -> String {
        c.0
    }
}

const CREDIT_CHARS: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const CREDIT_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

fn credit_value(c: char) -> Option<u32> {
    CREDIT_CHARS
        .iter()
        .position(|&b| b as char == c)
        .map(|p| p as u32)
}

/// The check character for the first 17 characters of a credit code.
pub fn credit_code_check(first17: &str) -> Option<char> {
    let mut sum = 0;
    for (c, w) in first17.chars().zip(CREDIT_WEIGHTS) {
        sum += credit_value(c)? * w;
    }
    let v = (31 - sum % 31) % 31;
    Some(CREDIT_CHARS[v as usize] as char)
}

/// A valid 统一社会信用代码.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CreditCode(String);

impl CreditCode {
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let s = s.trim().to_ascii_uppercase();
        let n = s.chars().count();
        if n != 18 {
            return Err(IdError::CreditCodeLength(n));
        }
        if let Some(bad) = s.chars().find(|&c| credit_value(c).is_none()) {
            return Err(IdError::CreditCodeChar(bad));
        }
        let expected = credit_code_check(&s[..17]).ok_or(IdError::CreditCodeLength(n))?;
        let found = s.chars().last().unwrap_or(' ');
        if found != expected {
            return Err(IdError::CreditCodeCheck { found, expected });
        }
        Ok(CreditCode(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CreditCode {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        CreditCode::parse(&s)
    }
}

impl From<CreditCode> for String {
    fn from(c: CreditCode) -> String {
        c.0
    }
}

/// A mainland mobile number, normalised to 11 digits (a +86/0086 prefix is dropped).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Mobile(String);

impl Mobile {
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let t: String = s
            .trim()
            .chars()
            .filter(|c| *c != ' ' && *c != '-')
            .collect();
        let t = t
            .strip_prefix("+86")
            .or_else(|| t.strip_prefix("0086"))
            .unwrap_or(&t);
        let b = t.as_bytes();
        if b.len() == 11
            && b[0] == b'1'
            && (b'3'..=b'9').contains(&b[1])
            && b.iter().all(u8::is_ascii_digit)
        {
            Ok(Mobile(t.to_string()))
        } else {
            Err(IdError::Mobile(s.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A mainland telephone number as people give it: a mobile, or a landline with its area code (010 and
/// 02x are three digits with the 0, the others four; the number 7–8 digits). Spaces, dashes, brackets
/// and a +86/0086 prefix are dropped; what remains is digits only, so equal numbers compare equal.
#[derive(Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let t: String = s
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
            .collect();
        let national = t.strip_prefix("+86").or_else(|| t.strip_prefix("0086"));
        let t = national.unwrap_or(&t);
        if let Ok(m) = Mobile::parse(t) {
            return Ok(PhoneNumber(m.0));
        }
        // After +86 a landline drops its leading 0 (+86 571 …).
        let t = if national.is_some() && !t.starts_with('0') {
            format!("0{t}")
        } else {
            t.to_string()
        };
        let b = t.as_bytes();
        let area = match b.get(1) {
            Some(b'1' | b'2') => 3,
            Some(b'3'..=b'9') => 4,
            _ => 0,
        };
        let number = b.len().saturating_sub(area);
        if area > 0
            && b[0] == b'0'
            && (7..=8).contains(&number)
            && b.iter().all(u8::is_ascii_digit)
            && b[area] != b'0'
        {
            Ok(PhoneNumber(t))
        } else {
            Err(IdError::Phone(s.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", crate::mask::mask_phone(&self.0))
    }
}

impl fmt::Debug for Mobile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mobile({})", crate::mask::mask_phone(&self.0))
    }
}

impl TryFrom<String> for Mobile {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        Mobile::parse(&s)
    }
}

impl From<Mobile> for String {
    fn from(m: Mobile) -> String {
        m.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn citizen_id_known_values() {
        // The GB 11643-1999 standard's own example.
        let id = CitizenId::parse("11010519491231002X").unwrap();
        assert_eq!(id.birth_date(), "1949-12-31");
        assert!(!id.is_male());
        assert_eq!(CitizenId::parse("11010519491231002x").unwrap(), id);
        assert_eq!(
            CitizenId::parse("110105194912310021"),
            Err(IdError::CitizenIdCheck {
                found: '1',
                expected: 'X'
            })
        );
        assert!(matches!(
            CitizenId::parse("110105194902300021"),
            Err(IdError::CitizenIdBirthDate(_))
        ));
        assert!(matches!(
            CitizenId::parse("1101051949123"),
            Err(IdError::CitizenIdLength(13))
        ));
        // Legacy 15-digit form is upgraded with the century and the check character.
        let old = CitizenId::parse("110105491231002").unwrap();
        assert_eq!(old.as_str(), "11010519491231002X");
        assert!(!format!("{old:?}").contains("19491231"));
    }

    #[test]
    fn credit_code_known_values() {
        // The example code commonly cited with GB 32100-2015.
        assert!(CreditCode::parse("91350100M000100Y43").is_ok());
        assert!(matches!(
            CreditCode::parse("91350100M000100Y44"),
            Err(IdError::CreditCodeCheck { .. })
        ));
        assert!(matches!(
            CreditCode::parse("91350100M000100YI3"),
            Err(IdError::CreditCodeChar('I'))
        ));
        assert!(matches!(
            CreditCode::parse("91350100"),
            Err(IdError::CreditCodeLength(8))
        ));
    }

    #[test]
    fn phone_numbers() {
        for (given, kept) in [
            ("13812345678", "13812345678"),
            ("+86 138-1234-5678", "13812345678"),
            ("0575-87000000", "057587000000"),
            ("(010) 6512 3456", "01065123456"),
            ("021-5555555", "0215555555"),
            ("+86 575 8700 0000", "057587000000"),
        ] {
            assert_eq!(PhoneNumber::parse(given).unwrap().as_str(), kept, "{given}");
        }
        for bad in [
            "12345",
            "110",
            "87000000",
            "0575-0870000",
            "05758700000000",
            "1281234567x",
            "12812345678",
        ] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad}");
        }
        assert!(!format!("{:?}", PhoneNumber::parse("13812345678").unwrap()).contains("1234"));
    }

    #[test]
    fn mobiles() {
        assert_eq!(
            Mobile::parse("+86 138-1234-5678").unwrap().as_str(),
            "13812345678"
        );
        assert!(Mobile::parse("008619912345678").is_ok());
        assert!(Mobile::parse("12812345678").is_err());
        assert!(Mobile::parse("1381234567").is_err());
        assert!(!format!("{:?}", Mobile::parse("13812345678").unwrap()).contains("1234"));
    }

    proptest! {
        #[test]
        fn any_generated_citizen_id_round_trips(addr in 110000u32..660000, y in 1900u32..2030, m in 1u32..=12, d in 1u32..=28, seq in 0u32..1000) {
            let body = format!("{addr:06}{y:04}{m:02}{d:02}{seq:03}");
            let id = format!("{body}{}", citizen_id_check(&body));
            let parsed = CitizenId::parse(&id).unwrap();
            prop_assert_eq!(parsed.as_str(), id.as_str());
            prop_assert_eq!(parsed.is_male(), seq % 2 == 1);
        }

        #[test]
        fn one_changed_digit_is_caught(addr in 110000u32..660000, seq in 0u32..1000, pos in 0usize..17, delta in 1u8..10) {
            let body = format!("{addr:06}19900615{seq:03}");
            let id = format!("{body}{}", citizen_id_check(&body));
            let mut bytes = id.clone().into_bytes();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).unwrap();
            // MOD 11-2 detects every single-digit substitution (the date check may catch it first).
            prop_assert!(CitizenId::parse(&changed).is_err());
        }

        #[test]
        fn generated_credit_codes_validate(body in "[0-9A-HJ-NP-RTUWXY]{17}") {
            let code = format!("{body}{}", credit_code_check(&body).unwrap());
            prop_assert!(CreditCode::parse(&code).is_ok());
            let last = code.chars().last().unwrap();
            let wrong = CREDIT_CHARS.iter().map(|&b| b as char).find(|&c| c != last).unwrap();
            let bad = format!("{}{}", body, wrong);
            prop_assert!(CreditCode::parse(&bad).is_err());
        }
    }
}
