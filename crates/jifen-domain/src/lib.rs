//! Jifen's domain policies beyond the ledger and the earning rules: member tiers first. Like the
//! other pure crates, this one does no IO and reads no clock; times and time zones are passed in.

pub mod coupons;
pub mod lottery;
pub mod mall;
pub mod tiers;
pub mod words;

/// A name in English when `english` and there is one, else in Chinese: how every bilingual
/// name (items, coupons, lotteries, tiers) is shown.
pub fn name_in<'a>(zh: &'a str, en: &'a str, english: bool) -> &'a str {
    if english && !en.is_empty() { en } else { zh }
}

/// An integer with thousands separators, as the programme's pages and messages show numbers:
/// 1,234,567.
pub fn thousands(v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0 { format!("-{out}") } else { out }
}

/// Checks shared by the definitions: a short code and a pair of names. Each returns the field
/// and message of the first problem.
pub(crate) mod check {
    /// A code of 1 to 32 characters of a-z, 0-9 and _.
    pub fn code(v: &str) -> Result<(), (&'static str, &'static str)> {
        if v.is_empty()
            || v.len() > 32
            || !v
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(("code", "must be 1 to 32 characters of a-z, 0-9 and _"));
        }
        Ok(())
    }

    /// Chinese and English names of 1 to 60 characters.
    pub fn names(zh: &str, en: &str) -> Result<(), (&'static str, &'static str)> {
        for (f, v) in [("name_zh", zh), ("name_en", en)] {
            if v.trim().is_empty() || v.chars().count() > 60 {
                return Err((f, "must be 1 to 60 characters"));
            }
        }
        Ok(())
    }
}
