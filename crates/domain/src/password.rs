//! Password policy (等保 2.0: complexity). Length and character classes are checked here; hashing is
//! argon2id in the server, off the async runtime.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("password must have at least {0} characters")]
    TooShort(usize),
    #[error("password must mix at least 3 of: lower case, upper case, digits, symbols")]
    TooSimple,
    #[error("password must not contain the username")]
    ContainsUsername,
    #[error("password must differ from your last {0} passwords")]
    Reused(usize),
}

#[derive(Debug, Clone, Copy)]
pub struct PasswordPolicy {
    pub min_length: usize,
    /// How many earlier passwords (the current one included) a new one must differ from.
    pub history: usize,
    /// Days a password lives before its owner must change it (0: never).
    pub max_age_days: i64,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            min_length: 10,
            history: 5,
            max_age_days: 90,
        }
    }
}

const MICROS_PER_DAY: i64 = 86_400_000_000;

impl PasswordPolicy {
    pub fn check(&self, username: &str, password: &str) -> Result<(), PasswordError> {
        if password.chars().count() < self.min_length {
            return Err(PasswordError::TooShort(self.min_length));
        }
        let classes = [
            password.chars().any(|c| c.is_ascii_lowercase()),
            password.chars().any(|c| c.is_ascii_uppercase()),
            password.chars().any(|c| c.is_ascii_digit()),
            password.chars().any(|c| !c.is_ascii_alphanumeric()),
        ];
        if classes.iter().filter(|&&b| b).count() < 3 {
            return Err(PasswordError::TooSimple);
        }
        if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
            return Err(PasswordError::ContainsUsername);
        }
        Ok(())
    }

    /// Whether a password set at `changed_at` must be changed at `now` (both UTC µs). A password a
    /// security administrator set for someone carries `changed_at = 0`: its owner changes it first.
    pub fn is_expired(&self, changed_at: i64, now: i64) -> bool {
        changed_at <= 0
            || (self.max_age_days > 0 && now - changed_at > self.max_age_days * MICROS_PER_DAY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        let p = PasswordPolicy::default();
        assert_eq!(p.check("u", "short1A"), Err(PasswordError::TooShort(10)));
        assert_eq!(p.check("u", "alllowercase"), Err(PasswordError::TooSimple));
        assert_eq!(
            p.check("officer", "Officer-2026x"),
            Err(PasswordError::ContainsUsername)
        );
        assert!(p.check("officer", "Fengqiao-2026").is_ok());
    }

    #[test]
    fn expiry() {
        let p = PasswordPolicy::default();
        let day = MICROS_PER_DAY;
        let now = 1_000 * day;
        assert!(!p.is_expired(now - 90 * day, now));
        assert!(p.is_expired(now - 91 * day, now));
        assert!(
            p.is_expired(0, now),
            "a password set by an administrator is changed first"
        );
        let never = PasswordPolicy {
            max_age_days: 0,
            ..p
        };
        assert!(!never.is_expired(1, now));
        // Even with no expiry, a password an administrator set is changed first.
        assert!(never.is_expired(0, now));
    }
}
