//! Field encryption for sensitive personal data (GB/T 39786: SM4 for stored personal data, SM3 for
//! integrity). A sealed value is `<key id>:<base64(nonce ‖ ciphertext ‖ tag)>`, SM4-GCM with a random
//! 96-bit nonce and the column's name as associated data, so a ciphertext copied into another column
//! does not open. The key id lets keys rotate: every listed key can open, only the current one seals.
//! A blind index (HMAC-SM3 under a key derived from the current key) lets equal values be matched —
//! the same phone number in two records — without decrypting either.

use aes_gcm::AesGcm;
use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sm3::Sm3;
use sm4::Sm4;

type Sm4Gcm = AesGcm<Sm4, U12>;
type HmacSm3 = Hmac<Sm3>;

const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("a field key must be 32 hexadecimal digits (128 bits)")]
    BadKey,
    #[error("a key id must be 1–16 letters, digits or '-'")]
    BadKeyId,
    #[error("the value is not a sealed field")]
    Malformed,
    #[error("no key with id {0} is configured")]
    UnknownKey(String),
    #[error("the sealed value does not authenticate (wrong key, wrong column or tampered)")]
    Forged,
}

/// One SM4 key and its id.
#[derive(Clone)]
pub struct FieldKey {
    id: String,
    key: [u8; 16],
}

impl std::fmt::Debug for FieldKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FieldKey({}, ***)", self.id)
    }
}

impl FieldKey {
    pub fn new(id: &str, hex_key: &str) -> Result<FieldKey, CryptoError> {
        if id.is_empty()
            || id.len() > 16
            || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(CryptoError::BadKeyId);
        }
        let bytes = hex::decode(hex_key.trim()).map_err(|_| CryptoError::BadKey)?;
        let key: [u8; 16] = bytes.try_into().map_err(|_| CryptoError::BadKey)?;
        Ok(FieldKey {
            id: id.to_string(),
            key,
        })
    }

    /// A fresh random key, as 32 hex digits.
    pub fn generate_hex() -> String {
        let mut k = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut k);
        hex::encode(k)
    }

    pub fn id(&self) -> &str {
        &self.id
    }
}

/// Seals and opens personal-data fields.
#[derive(Clone, Debug)]
pub struct FieldCipher {
    current: FieldKey,
    older: Vec<FieldKey>,
}

impl FieldCipher {
    pub fn new(current: FieldKey, older: Vec<FieldKey>) -> FieldCipher {
        FieldCipher { current, older }
    }

    /// The id of the key new values are sealed under.
    pub fn current_id(&self) -> &str {
        &self.current.id
    }

    /// Whether older keys are configured (a rotation may have values left to re-seal).
    pub fn has_older_keys(&self) -> bool {
        !self.older.is_empty()
    }

    /// Whether a key with this id can open values.
    pub fn knows(&self, id: &str) -> bool {
        self.key(id).is_some()
    }

    fn key(&self, id: &str) -> Option<&FieldKey> {
        std::iter::once(&self.current)
            .chain(&self.older)
            .find(|k| k.id == id)
    }

    /// Encrypts `plain` for the column named `column` (e.g. `dispute_parties.id_number`).
    pub fn seal(&self, column: &str, plain: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce);
        self.seal_with_nonce(column, plain, nonce)
    }

    fn seal_with_nonce(&self, column: &str, plain: &str, nonce: [u8; NONCE_LEN]) -> String {
        let cipher = Sm4Gcm::new(&self.current.key.into());
        let ct = cipher
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: plain.as_bytes(),
                    aad: column.as_bytes(),
                },
            )
            .expect("SM4-GCM encryption of an in-memory buffer cannot fail");
        let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        format!("{}:{}", self.current.id, B64.encode(out))
    }

    pub fn open(&self, column: &str, sealed: &str) -> Result<String, CryptoError> {
        let (id, body) = sealed.split_once(':').ok_or(CryptoError::Malformed)?;
        let key = self
            .key(id)
            .ok_or_else(|| CryptoError::UnknownKey(id.to_string()))?;
        let raw = B64.decode(body).map_err(|_| CryptoError::Malformed)?;
        if raw.len() < NONCE_LEN + TAG_LEN {
            return Err(CryptoError::Malformed);
        }
        let (nonce, ct) = raw.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| CryptoError::Malformed)?;
        let plain = Sm4Gcm::new(&key.key.into())
            .decrypt(
                &nonce.into(),
                Payload {
                    msg: ct,
                    aad: column.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Forged)?;
        String::from_utf8(plain).map_err(|_| CryptoError::Forged)
    }

    /// Whether `sealed` was sealed under an older key (re-encrypt it during rotation).
    pub fn is_stale(&self, sealed: &str) -> bool {
        sealed
            .split_once(':')
            .is_some_and(|(id, _)| id != self.current.id)
    }

    /// The blind index of a phone number (digits only), one domain for every table that holds phones
    /// (dispute parties, incident callers), so a caller's phone matches a party's without decrypting.
    pub fn phone_index(&self, phone: &str) -> String {
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        // The label predates incident callers; changing it would orphan every stored index.
        self.blind_index("dispute_parties.phone", &digits)
    }

    /// HMAC-SM3 of `value` under a key derived from the current key, for equality lookups in `column`.
    /// Callers normalise first (trim, upper-case the ID check digit) so equal values index equally.
    pub fn blind_index(&self, column: &str, value: &str) -> String {
        let mut derive = <HmacSm3 as Mac>::new_from_slice(&self.current.key)
            .expect("HMAC accepts any key length");
        derive.update(b"pingan blind index v1");
        let index_key = derive.finalize().into_bytes();
        let mut mac =
            <HmacSm3 as Mac>::new_from_slice(&index_key).expect("HMAC accepts any key length");
        mac.update(column.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// A check value of the current key (not the key): servers sharing a database compare it at start-up,
    /// so one with a different key refuses to run instead of writing records nobody else can read.
    pub fn fingerprint(&self) -> String {
        let mut mac = <HmacSm3 as Mac>::new_from_slice(&self.current.key)
            .expect("HMAC accepts any key length");
        mac.update(b"pingan key check v1");
        format!(
            "{}:{}",
            self.current.id,
            &hex::encode(mac.finalize().into_bytes())[..16]
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher() -> FieldCipher {
        FieldCipher::new(
            FieldKey::new("k1", "0123456789abcdeffedcba9876543210").unwrap(),
            vec![],
        )
    }

    /// RFC 8998 appendix A.1 (SM4-GCM).
    #[test]
    fn rfc8998_vector() {
        let key = hex::decode("0123456789ABCDEFFEDCBA9876543210").unwrap();
        let nonce = hex::decode("00001234567800000000ABCD").unwrap();
        let aad = hex::decode("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2").unwrap();
        let pt = hex::decode("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDDEEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA").unwrap();
        let c = Sm4Gcm::new_from_slice(&key).unwrap();
        let out = c
            .encrypt(
                nonce.as_slice().into(),
                Payload {
                    msg: &pt,
                    aad: &aad,
                },
            )
            .unwrap();
        assert_eq!(
            hex::encode_upper(&out[..pt.len()]),
            "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
        );
        assert_eq!(
            hex::encode_upper(&out[pt.len()..]),
            "83DE3541E4C2B58177E065A9BF7B62EC"
        );
    }

    #[test]
    fn round_trip_and_column_binding() {
        let c = cipher();
        let s = c.seal("parties.id_number", "330681199001011234");
        assert!(s.starts_with("k1:"));
        assert!(!s.contains("3306811990"));
        assert_eq!(
            c.open("parties.id_number", &s).unwrap(),
            "330681199001011234"
        );
        assert_eq!(c.open("parties.phone", &s), Err(CryptoError::Forged));
        // Two seals of one value differ (random nonce).
        assert_ne!(s, c.seal("parties.id_number", "330681199001011234"));
    }

    #[test]
    fn tampering_and_garbage_are_refused() {
        let c = cipher();
        let s = c.seal("t.c", "张三");
        let mut bytes = B64.decode(s.split_once(':').unwrap().1).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let forged = format!("k1:{}", B64.encode(bytes));
        assert_eq!(c.open("t.c", &forged), Err(CryptoError::Forged));
        assert_eq!(c.open("t.c", "plain text"), Err(CryptoError::Malformed));
        assert_eq!(c.open("t.c", "k1:AAAA"), Err(CryptoError::Malformed));
        assert!(matches!(
            c.open("t.c", "k9:AAAA"),
            Err(CryptoError::UnknownKey(_))
        ));
    }

    #[test]
    fn rotation_reads_old_keys() {
        let old = cipher();
        let s = old.seal("t.c", "13800138000");
        let new = FieldCipher::new(
            FieldKey::new("k2", &FieldKey::generate_hex()).unwrap(),
            vec![FieldKey::new("k1", "0123456789abcdeffedcba9876543210").unwrap()],
        );
        assert_eq!(new.open("t.c", &s).unwrap(), "13800138000");
        assert!(new.is_stale(&s));
        assert!(!new.is_stale(&new.seal("t.c", "x")));
        assert_ne!(old.fingerprint(), new.fingerprint());
    }

    #[test]
    fn blind_index_is_deterministic_and_keyed() {
        let c = cipher();
        assert_eq!(
            c.blind_index("p", "13800138000"),
            c.blind_index("p", "13800138000")
        );
        assert_ne!(
            c.blind_index("p", "13800138000"),
            c.blind_index("p", "13800138001")
        );
        assert_ne!(
            c.blind_index("p", "13800138000"),
            c.blind_index("q", "13800138000")
        );
        let other = FieldCipher::new(
            FieldKey::new("k1", &FieldKey::generate_hex()).unwrap(),
            vec![],
        );
        assert_ne!(c.blind_index("p", "1"), other.blind_index("p", "1"));
    }

    #[test]
    fn bad_keys() {
        assert_eq!(FieldKey::new("k1", "00").unwrap_err(), CryptoError::BadKey);
        assert_eq!(
            FieldKey::new("k 1", "0123456789abcdeffedcba9876543210").unwrap_err(),
            CryptoError::BadKeyId
        );
    }
}
