//! Checks on what callers send: ids, reasons, channels, money amounts and points.

use jifen_ledger::*;

use crate::AppError;

use super::{ID_LEN_MAX, MONEY_MINOR_MAX, REASON_LEN_MAX};

pub(crate) fn check_id(field: &str, v: &str) -> Result<(), AppError> {
    if v.is_empty() || v.len() > ID_LEN_MAX {
        return Err(AppError::invalid(
            field,
            format!("must be 1 to {ID_LEN_MAX} characters"),
        ));
    }
    if v.chars().any(|c| c.is_control()) {
        return Err(AppError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// Invisible formatting and bidirectional controls: text that shows one id and stores another.
fn is_format_char(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// An external id as stored and looked up: NFKC-normalised and trimmed, so that lookalikes
/// (full-width letters and digits, a stray space) name the same member rather than a second
/// one; control, bidirectional and invisible formatting characters are refused.
pub fn normalize_external_id(v: &str) -> Result<String, AppError> {
    use unicode_normalization::UnicodeNormalization;
    let n: String = v.nfkc().collect::<String>().trim().to_string();
    check_id("external_id", &n)?;
    if n.chars().any(is_format_char) {
        return Err(AppError::invalid(
            "external_id",
            "must not contain bidirectional or invisible formatting characters",
        ));
    }
    Ok(n)
}

pub(crate) fn check_reason_pub(
    field: &str,
    v: &Option<String>,
    required: bool,
) -> Result<(), AppError> {
    check_reason(field, v, required)
}

pub(super) fn check_reason(
    field: &str,
    v: &Option<String>,
    required: bool,
) -> Result<(), AppError> {
    match v {
        None if required => Err(AppError::invalid(field, "is required")),
        Some(s) if s.trim().is_empty() && required => {
            Err(AppError::invalid(field, "must not be empty"))
        }
        Some(s) if s.chars().count() > REASON_LEN_MAX => Err(AppError::invalid(
            field,
            format!("must be at most {REASON_LEN_MAX} characters"),
        )),
        Some(s) if s.chars().any(|c| c.is_control() || is_format_char(c)) => {
            Err(AppError::invalid(
                field,
                "must be one line without control or invisible formatting characters",
            ))
        }
        _ => Ok(()),
    }
}

pub(crate) fn check_channel(v: &str) -> Result<(), AppError> {
    if v.is_empty()
        || v.len() > 32
        || !v
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(AppError::invalid(
            "channel",
            "must be 1 to 32 characters of a-z, 0-9 and _ (e.g. app, web, mini_program, pos)",
        ));
    }
    Ok(())
}

pub(super) fn check_money(field: &str, v: i64) -> Result<(), AppError> {
    if v <= 0 {
        return Err(AppError::invalid(
            field,
            format!("must be positive, got {v}"),
        ));
    }
    if v > MONEY_MINOR_MAX {
        return Err(AppError::invalid(
            field,
            format!("must be at most {MONEY_MINOR_MAX}"),
        ));
    }
    Ok(())
}

pub(super) fn points(field: &str, v: i64) -> Result<Points, AppError> {
    Points::positive(v).map_err(|e| AppError::invalid(field, e.to_string()))
}
