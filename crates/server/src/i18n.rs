//! Translations. zh-CN is the default and English the second language; catalogs are TOML files
//! embedded in the binary (`locales/`). A test keeps both catalogs' keys identical. The language is
//! chosen by the `lang` cookie (set by the switch link), falling back to zh-CN.

use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    ZhCn,
    En,
}

impl Lang {
    /// The one of a Chinese and an English value that this language reads.
    pub fn pick<T>(self, zh: T, en: T) -> T {
        match self {
            Lang::ZhCn => zh,
            Lang::En => en,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "zh-CN" | "zh" | "zh-cn" => Some(Lang::ZhCn),
            "en" | "en-US" | "en-GB" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::ZhCn => Lang::En,
            Lang::En => Lang::ZhCn,
        }
    }
}

pub struct I18n {
    zh: HashMap<String, String>,
    en: HashMap<String, String>,
}

fn flatten(prefix: &str, v: &toml::Value, out: &mut HashMap<String, String>) {
    match v {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        toml::Value::String(s) => {
            out.insert(prefix.to_string(), s.clone());
        }
        other => {
            out.insert(prefix.to_string(), other.to_string());
        }
    }
}

fn load(src: &str) -> HashMap<String, String> {
    let v: toml::Value = toml::from_str(src).expect("embedded catalog is valid TOML");
    let mut out = HashMap::new();
    flatten("", &v, &mut out);
    out
}

impl I18n {
    pub fn load() -> Self {
        I18n {
            zh: load(include_str!("../locales/zh-CN.toml")),
            en: load(include_str!("../locales/en.toml")),
        }
    }

    /// The text for `key`; the key itself if missing (visible, never a panic).
    pub fn t<'a>(&'a self, lang: Lang, key: &'a str) -> &'a str {
        let cat = match lang {
            Lang::ZhCn => &self.zh,
            Lang::En => &self.en,
        };
        cat.get(key).map(String::as_str).unwrap_or(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogs_have_the_same_keys() {
        let i = I18n::load();
        let mut zh: Vec<_> = i.zh.keys().collect();
        let mut en: Vec<_> = i.en.keys().collect();
        zh.sort();
        en.sort();
        assert_eq!(zh, en);
        assert_eq!(i.t(Lang::ZhCn, "app.name"), "平安");
        assert_eq!(i.t(Lang::En, "nav.areas"), "Areas & grids");
    }
}
