//! What the console's forms share: the key that makes a double submit count once, the answer to
//! an expired form, a field's error shown next to it, and amounts of money as typed.

use crate::{Staff, Web};

impl Staff {
    /// Runs a use case in this staff member's name (`actor`, which the use case writes to the
    /// audit log in its own transaction). The use case answers a typed view, read back from the
    /// stored answer on a replay.
    pub async fn act_as<T, F>(
        &self,
        web: &Web,
        partition: &str,
        idem: Option<(String, String)>,
        mut run: F,
    ) -> Result<jifen_app::Written<T>, jifen_app::AppError>
    where
        T: serde::Serialize + serde::de::DeserializeOwned + Send + 'static,
        F: FnMut(
                &mut jifen_app::Tx<'_>,
                &jifen_app::ProgramCtx,
                i64,
                &str,
            ) -> Result<T, jifen_app::AppError>
            + Send
            + 'static,
    {
        let actor = self.s.actor();
        web.app
            .write_view(self.s.program, partition, idem, move |tx, ctx, now| {
                run(tx, ctx, now, &actor)
            })
            .await
    }
}

/// A fresh key for one form (16 letters and digits): sent again, the same key replays the
/// first answer instead of doing it twice.
pub fn form_key() -> String {
    jifen_app::staff::generate_password()
}

/// A database id from a path or a form: a positive integer, anything else is no id.
pub fn positive_id(raw: &str) -> Option<i64> {
    raw.parse::<i64>().ok().filter(|v| *v > 0)
}

/// The id a path names, or the not-found page for `what`.
pub fn id_of(
    st: &Staff,
    raw: &str,
    what: &'static str,
) -> Result<i64, Box<axum::response::Response>> {
    positive_id(raw).ok_or_else(|| {
        Box::new(st.fail(jifen_app::AppError::NotFound {
            what,
            id: raw.to_string(),
        }))
    })
}

/// The form-level error of a form whose CSRF token no longer matches the session.
pub fn expired(st: &Staff) -> (String, String) {
    (
        "form".into(),
        st.t(
            "表单已过期，请重新提交",
            "The form expired; please send it again",
        )
        .into(),
    )
}

/// Yuan (or any two-decimal currency) as minor units: `199`, `199.5`, `¥1,299.00`; empty is
/// zero; anything else (negative, three decimals, words) is `None`.
pub fn parse_money(s: &str) -> Option<i64> {
    let s = s.trim().replace([',', '¥'], "");
    if s.is_empty() {
        return Some(0);
    }
    let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
    if whole.is_empty()
        || frac.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let w: i64 = whole.parse().ok()?;
    let f: i64 = format!("{frac:0<2}").parse().ok()?;
    w.checked_mul(100)?.checked_add(f)
}

/// The member a staff member typed (a member id, phone, external id or name), or the error for
/// field `field`.
pub async fn member_by_text(
    web: &Web,
    st: &Staff,
    text: &str,
    field: &str,
) -> Result<i64, (String, String)> {
    let text = text.trim().to_string();
    let not_found = || {
        (
            field.to_string(),
            st.t("找不到这个会员", "No such member").to_string(),
        )
    };
    if text.is_empty() {
        return Err((
            field.into(),
            st.t("请填写会员ID或手机号", "Give a member id or phone")
                .into(),
        ));
    }
    if text.chars().count() > 64 {
        return Err(not_found());
    }
    let ctx = st.ctx.clone();
    let found = web
        .app
        .read(move |tx| jifen_app::console::find_member(tx, &ctx, &text))
        .await
        .ok()
        .flatten();
    found.ok_or_else(not_found)
}

/// What every console form's template shares, for the macros of `templates/console/forms.html`
/// (the one form helper): the session's CSRF token, the form's key (a double submit counts
/// once; empty on forms without one), and the error of one field (`form` for the form as a
/// whole) with its message in the page's language.
pub struct FormState {
    pub csrf: String,
    pub key: String,
    pub error: Option<(String, String)>,
}

impl FormState {
    pub fn new(st: &Staff, key: &str, error: Option<(String, String)>) -> FormState {
        FormState {
            csrf: st.s.csrf.clone(),
            key: key.to_string(),
            error,
        }
    }

    /// The error's message, when the error is about field `name`.
    pub fn error_for(&self, name: &str) -> Option<&str> {
        match &self.error {
            Some((field, message)) if field == name => Some(message),
            _ => None,
        }
    }

    pub fn invalid(&self, name: &str) -> bool {
        self.error_for(name).is_some()
    }
}

/// One option of a select.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub on: bool,
}

/// A select's options from (value, label), the one whose value is `chosen` selected.
pub fn choices<L: AsRef<str>>(options: &[(&str, L)], chosen: &str) -> Vec<Choice> {
    options
        .iter()
        .map(|(v, l)| Choice {
            value: v.to_string(),
            label: l.as_ref().to_string(),
            on: *v == chosen,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::parse_money;

    #[test]
    fn money_parses_as_minor_units() {
        assert_eq!(parse_money("199"), Some(19_900));
        assert_eq!(parse_money("199.5"), Some(19_950));
        assert_eq!(parse_money("¥1,299.05"), Some(129_905));
        assert_eq!(parse_money(""), Some(0));
        assert_eq!(parse_money("1.234"), None);
        assert_eq!(parse_money("-5"), None);
        assert_eq!(parse_money("abc"), None);
    }
}
