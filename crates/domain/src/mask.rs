//! Masking of personal data for display. Masked is the default everywhere; the full value is shown only
//! to a caller with `PersonalDataReveal` who states a purpose, and that read is audited.

/// `13812345678` → `138****5678`; other shapes keep their first 3 and last 2 characters.
pub fn mask_phone(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    match chars.len() {
        0 => String::new(),
        n if n >= 11 => {
            let tail: String = chars[n - 4..].iter().collect();
            let head: String = chars[..3].iter().collect();
            format!("{head}****{tail}")
        }
        n if n > 5 => {
            let head: String = chars[..3].iter().collect();
            let tail: String = chars[n - 2..].iter().collect();
            format!("{head}{}{tail}", "*".repeat(n - 5))
        }
        n => "*".repeat(n),
    }
}

/// `张三丰` → `张**`: the family name stays, the rest is starred.
pub fn mask_name(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        None => String::new(),
        Some(first) => {
            let rest = chars.count().max(1);
            format!("{first}{}", "*".repeat(rest))
        }
    }
}

/// Citizen ID: first 6 (address code) and last 4 shown (`330681********123X`).
pub fn mask_id_number(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 10 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("+8613812345678"), "+86****5678");
        assert_eq!(mask_phone("0575123"), "057**23");
        assert_eq!(mask_name("张三丰"), "张**");
        assert_eq!(mask_name("李"), "李*");
        assert_eq!(mask_id_number("33068119900101123X"), "330681********123X");
        assert!(!mask_phone("13812345678").contains("1234"));
    }
}
