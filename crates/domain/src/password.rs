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
}

#[derive(Debug, Clone, Copy)]
pub struct PasswordPolicy {
    pub min_length: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy { min_length: 10 }
    }
}

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
}
