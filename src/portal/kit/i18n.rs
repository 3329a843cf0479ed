//! The portal's two languages: Simplified Chinese (the default) and
//! English. Every text a page shows is a key in [`texts::all`] (the table is
//! [`super::texts`]) with both spellings; amounts are written `¥1,234.50`
//! and dates `2026-12-31` (Asia/Shanghai) in both.

use chrono::NaiveDate;

use super::texts;
use crate::domain::Money;

/// A language of the portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// The code kept in the language cookie and used in `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The language a cookie value names.
    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "zh-CN" | "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The first of zh / en an `Accept-Language` header prefers (by q, then
    /// order); Chinese when it names neither.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let lang = if tag == "zh" || tag.starts_with("zh-") {
                Lang::Zh
            } else if tag == "en" || tag.starts_with("en-") {
                Lang::En
            } else {
                continue;
            };
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::Zh, |(_, lang)| lang)
    }

    /// The other language (for the switch).
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    /// The text of `key` in this language (the key itself if it has none,
    /// which a unit test rules out for every key the templates use).
    pub fn t(self, key: &str) -> &'static str {
        match texts::all().find(|(k, _, _)| *k == key) {
            Some((_, zh, en)) => match self {
                Lang::Zh => zh,
                Lang::En => en,
            },
            None => MISSING,
        }
    }
}

/// What [`Lang::t`] answers for a key without a text.
pub const MISSING: &str = "⟨missing text⟩";

/// A service category's name in `lang` (its code if it has none).
pub fn category(lang: Lang, code: &str) -> std::borrow::Cow<'_, str> {
    named(lang, "category", code)
}

/// The name of `code` of a kind (`category`, `action`, `role`, `via`): the
/// text `<kind>.<code>`, else the code itself.
pub fn named<'a>(lang: Lang, kind: &str, code: &'a str) -> std::borrow::Cow<'a, str> {
    match lang.t(&format!("{kind}.{code}")) {
        MISSING => code.into(),
        name => name.into(),
    }
}

/// `¥1,234.50`.
pub fn yuan(amount: Money) -> String {
    let fen = amount.fen();
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    let whole = (fen / 100).to_string();
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{sign}¥{grouped}.{:02}", fen % 100)
}

/// `2026-12-31`.
pub fn date(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_grouped_with_two_decimals() {
        assert_eq!(yuan(Money::from_fen(123_450)), "¥1,234.50");
        assert_eq!(yuan(Money::from_fen(4_000_000_001)), "¥40,000,000.01");
        assert_eq!(yuan(Money::from_fen(5)), "¥0.05");
        assert_eq!(yuan(Money::from_fen(-100_000)), "-¥1,000.00");
    }

    #[test]
    fn accept_language_picks_the_preferred_of_the_two() {
        assert_eq!(Lang::from_accept_language("en-GB,en;q=0.9"), Lang::En);
        assert_eq!(
            Lang::from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"),
            Lang::Zh
        );
        assert_eq!(Lang::from_accept_language("fr, en;q=0.5"), Lang::En);
        assert_eq!(Lang::from_accept_language("de"), Lang::Zh);
        assert_eq!(Lang::from_accept_language(""), Lang::Zh);
    }

    #[test]
    fn keys_are_unique() {
        let mut keys: Vec<_> = texts::all().map(|(k, _, _)| *k).collect();
        keys.sort_unstable();
        let before = keys.len();
        keys.dedup();
        assert_eq!(before, keys.len());
    }

    /// Every text key the templates and the portal's code use has a text.
    #[test]
    fn every_key_used_has_both_languages() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/portal");
        let mut sources = Vec::new();
        for entry in std::fs::read_dir(dir.join("templates")).unwrap() {
            sources.push(std::fs::read_to_string(entry.unwrap().path()).unwrap());
        }
        // The portal's code, its rooms and kit included.
        let mut dirs = vec![dir];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    if !path.ends_with("templates") && !path.ends_with("static") {
                        dirs.push(path);
                    }
                } else if path.extension().is_some_and(|e| e == "rs") {
                    sources.push(std::fs::read_to_string(path).unwrap());
                }
            }
        }
        let mut used = 0;
        for source in &sources {
            for (i, _) in source.match_indices(".t(\"") {
                let rest = &source[i + 4..];
                let key = &rest[..rest.find('"').unwrap()];
                if key.contains('{') || key.is_empty() {
                    continue;
                }
                used += 1;
                assert!(
                    texts::all().any(|(k, _, _)| *k == key),
                    "no text for {key:?}"
                );
            }
        }
        assert!(used > 50, "the scan found the templates' keys ({used})");
    }
}
