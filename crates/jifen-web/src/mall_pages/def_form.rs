//! What the tier and lottery forms share: the form as typed (every field by name, rows of
//! fields numbered), inputs, selects and boxes with their errors, numbers as typed, the
//! programme's coupon templates to choose from, and the use case's messages in the page's words.

use super::*;
use crate::forms::Choice;
use std::collections::BTreeMap;

/// An error shown next to the input it names: (input id, message).
pub(super) type FieldErr = (String, String);

/// A form as typed: every field by name, kept as text so that it comes back with an error.
#[derive(Default, Clone, Debug)]
pub(super) struct Typed(pub(super) BTreeMap<String, String>);

impl Typed {
    pub(super) fn from_pairs(pairs: Vec<(String, String)>) -> Typed {
        Typed(pairs.into_iter().collect())
    }

    /// The field's text, empty when absent.
    pub(super) fn get(&self, name: &str) -> &str {
        self.0.get(name).map(String::as_str).unwrap_or("")
    }

    pub(super) fn set(&mut self, name: impl Into<String>, value: impl ToString) {
        self.0.insert(name.into(), value.to_string());
    }

    pub(super) fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// How many rows the form shows (its hidden `rows`), at least one, at most `max`.
    pub(super) fn rows(&self, max: usize) -> usize {
        self.get("rows")
            .trim()
            .parse::<usize>()
            .unwrap_or(1)
            .clamp(1, max)
    }
}

/// One field of a definition form as the one form helper (`templates/console/forms.html`,
/// macro `field`) draws it: an input of `kind` (`text`, `date`), a `select` of its choices or
/// a `check` box, under its label, marked invalid and followed by its error when the form's
/// error is about it.
pub(super) struct Field {
    pub(super) name: String,
    pub(super) label: String,
    pub(super) value: String,
    pub(super) hint: String,
    pub(super) kind: &'static str,
    pub(super) choices: Vec<Choice>,
    pub(super) on: bool,
}

/// Fields under their heading, side by side.
pub(super) struct Group {
    pub(super) title: String,
    pub(super) fields: Vec<Field>,
}

pub(super) fn group(title: &str, fields: Vec<Field>) -> Group {
    Group {
        title: title.to_string(),
        fields,
    }
}

/// An input of `kind` (`text`, `date`) showing the field as typed.
pub(super) fn input(f: &Typed, name: &str, label: &str, hint: &str, kind: &'static str) -> Field {
    Field {
        name: name.to_string(),
        label: label.to_string(),
        value: f.get(name).to_string(),
        hint: hint.to_string(),
        kind,
        choices: Vec::new(),
        on: false,
    }
}

/// Text inputs from (name after `prefix`, label, hint).
pub(super) fn inputs(f: &Typed, prefix: &str, fields: &[(&str, &str, &str)]) -> Vec<Field> {
    fields
        .iter()
        .map(|(n, label, hint)| input(f, &format!("{prefix}{n}"), label, hint, "text"))
        .collect()
}

/// A select from (value, label), the typed one selected; a typed value the choices do not
/// have is kept as an option of its own.
pub(super) fn select(f: &Typed, name: &str, label: &str, options: &[(String, String)]) -> Field {
    let chosen = f.get(name);
    let mut choices: Vec<Choice> = options
        .iter()
        .map(|(v, l)| Choice {
            value: v.clone(),
            label: l.clone(),
            on: v == chosen,
        })
        .collect();
    if !chosen.is_empty() && !options.iter().any(|(v, _)| v == chosen) {
        choices.push(Choice {
            value: chosen.to_string(),
            label: chosen.to_string(),
            on: true,
        });
    }
    Field {
        choices,
        kind: "select",
        ..input(f, name, label, "", "text")
    }
}

/// A box, ticked when the form has the field.
pub(super) fn check(f: &Typed, name: &str, label: &str) -> Field {
    Field {
        on: !f.get(name).is_empty(),
        kind: "check",
        ..input(f, name, label, "", "text")
    }
}

/// Choices from pairs of words.
pub(super) fn choices(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(v, l)| (v.to_string(), l.to_string()))
        .collect()
}

/// The programme's coupon templates to choose from: (code, name in the page's language),
/// after a first choice of none.
pub(super) async fn coupon_choices(
    web: &Web,
    st: &Staff,
) -> Result<Vec<(String, String)>, AppError> {
    let ctx = st.ctx.clone();
    let list = web
        .app
        .read(move |tx| jifen_app::coupons::templates(tx, &ctx))
        .await?;
    let en = st.lang == crate::page::Lang::En;
    Ok(
        std::iter::once((String::new(), st.t("（不送券）", "(no coupon)").to_string()))
            .chain(
                list.items
                    .iter()
                    .map(|t| (t.code.clone(), t.name(en).to_string())),
            )
            .collect(),
    )
}

/// A coupon template's name among the choices, or its code when it has none.
pub(super) fn coupon_name<'a>(coupons: &'a [(String, String)], code: &'a str) -> &'a str {
    coupons
        .iter()
        .find(|(c, _)| c == code)
        .map(|(_, n)| n.as_str())
        .unwrap_or(code)
}

/// A whole number as typed (commas allowed), none when empty; otherwise the error for `name`.
pub(super) fn whole(st: &Staff, f: &Typed, name: &str) -> Result<Option<i64>, FieldErr> {
    let v = f.get(name).trim().replace([',', '，', '_'], "");
    if v.is_empty() {
        return Ok(None);
    }
    v.parse::<i64>().map(Some).map_err(|_| {
        (
            name.to_string(),
            st.t("请填写整数", "A whole number").into(),
        )
    })
}

/// A whole number that fits `T` (a count, days, a percentage); a number out of its range is
/// named like one that is not a number.
pub(super) fn small<T: TryFrom<i64>>(
    st: &Staff,
    f: &Typed,
    name: &str,
) -> Result<Option<T>, FieldErr> {
    match whole(st, f, name)? {
        None => Ok(None),
        Some(n) => T::try_from(n).map(Some).map_err(|_| {
            (
                name.to_string(),
                st.t("请填写不小于 0 的整数", "A whole number, 0 or more")
                    .into(),
            )
        }),
    }
}

/// A percentage as typed (`12.5`, `0.01%`) in parts per million; none when it does not read.
pub(super) fn percent_ppm(s: &str) -> Option<u64> {
    let s = s.trim().trim_end_matches('%').trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty()
        || frac.len() > 4
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let w: u64 = whole.parse().ok()?;
    let f: u64 = format!("{frac:0<4}").parse().ok()?;
    w.checked_mul(10_000)?.checked_add(f)
}

/// Parts per million as a percentage, without trailing zeros (`12.5%`).
pub(super) fn ppm_percent(ppm: u64) -> String {
    let s = format!("{}.{:04}", ppm / 10_000, ppm % 10_000);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The instant a day typed as `2026-12-31` starts in the programme's time zone.
pub(super) fn day_start(st: &Staff, s: &str) -> Option<i64> {
    s.trim()
        .parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.to_zoned(st.ctx.tz.clone()).ok())
        .map(|z| z.timestamp().as_millisecond())
}

/// The day an instant falls on in the programme's time zone, as a date input shows it.
pub(super) fn day_of(st: &Staff, ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_zoned(st.ctx.tz.clone()).date().to_string())
        .unwrap_or_default()
}

/// Where a form's post leads when it is not saved: the form again, with the error (none when a
/// row was only added) and the status to answer with.
pub(super) type Again = (Option<FieldErr>, StatusCode);

/// Checks a post before it is read: a stale CSRF token is refused; a request for another row
/// (the field `add`) gives one, set up by `blank`, up to `max` rows, without saving.
pub(super) fn gate(
    st: &Staff,
    f: &mut Typed,
    add: &str,
    max: usize,
    blank: impl Fn(&mut Typed, usize),
) -> Result<(), Again> {
    if f.get("csrf") != st.s.csrf {
        return Err((Some(expired(st)), StatusCode::FORBIDDEN));
    }
    if f.has(add) {
        let rows = f.rows(max + 1);
        if rows < max {
            blank(f, rows);
            f.set("rows", rows + 1);
        }
        return Err((None, StatusCode::OK));
    }
    Ok(())
}

/// A refusal of the use case as the form shows it: a field's error on the input `input` names
/// (a taken code on the code), in the page's words; anything else is no form error.
pub(super) fn refused(
    st: &Staff,
    e: AppError,
    input: impl Fn(&str) -> String,
) -> Result<Again, AppError> {
    match e {
        AppError::Invalid { field, message } => Ok((
            Some((input(&field), in_words(st, &message))),
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
        AppError::Conflict { message, .. } => Ok((
            Some(("code".into(), in_words(st, &message))),
            StatusCode::CONFLICT,
        )),
        e => Err(e),
    }
}

/// Messages of the ladder, lottery and coupon template checks in Chinese: the English start of the message, and
/// the Chinese with `{0}`, `{1}` for the numbers the message holds, in order.
const MESSAGES_ZH: &[(&str, &str)] = &[
    (
        "must be between 1 and 1000000 (parts per million)",
        "须在 0.0001% 到 100% 之间",
    ),
    (
        "must be between 1 and 1000 (100 = 1×)",
        "须在 1% 到 1000% 之间（100% 为原倍率）",
    ),
    (
        "must be between 1 and 100 (100 = list price)",
        "须在 1% 到 100% 之间（100% 为原价）",
    ),
    (
        "must be between 0 and 10^12",
        "须在 0 到 1,000,000,000,000 之间",
    ),
    ("must be between 0 and 10^9", "须在 0 到 1,000,000,000 之间"),
    ("must be between", "须在 {0} 到 {1} 之间"),
    (
        "must not be more than the threshold",
        "不能超过可用门槛（满多少元）",
    ),
    (
        "the window must start after 2000-01-01",
        "结束日须晚于开始日，开始日须在 2000-01-01 之后",
    ),
    ("a window is at most ten years", "有效期最长十年"),
    (
        "must be 1 to 32 characters of a-z, 0-9 and _",
        "须为 1 到 32 个小写英文字母、数字或下划线",
    ),
    ("must be 1 to 32 characters and unique", "每个奖品须不同"),
    ("must be 1 to", "须为 1 到 {1} 个字符"),
    ("must be at most", "最多 {0}"),
    ("must be at least 1", "至少为 1（不限则留空）"),
    ("must be after starts_at", "须晚于开始日期"),
    ("is used twice", "代码重复"),
    (
        "the first tier starts at 0",
        "第一个等级的门槛须为 0：每位会员都有等级",
    ),
    ("thresholds must rise", "门槛须逐级升高"),
    (
        "a gift has points, a coupon or both",
        "礼包须有积分、优惠券或两者",
    ),
    ("a ladder has", "等级体系须有 {0} 到 {1} 个等级"),
    ("a lottery has", "抽奖须有 {0} 到 {1} 个奖品"),
    ("the odds add up to", "各奖品中奖率合计超过 100%"),
    (
        "a calendar-year window is reviewed every year",
        "按自然年统计时，保级评审须每年一次",
    ),
    ("names a coupon template", "请选择优惠券模板"),
    ("coupon template", "优惠券模板不存在"),
    ("exists", "代码已被使用"),
];

/// Messages of the checks reworded in English where they speak of what the form does not show.
const MESSAGES_EN: &[(&str, &str)] = &[
    (
        "must be between 1 and 1000000 (parts per million)",
        "must be between 0.0001% and 100%",
    ),
    (
        "must be between 1 and 1000 (100 = 1×)",
        "must be between 1% and 1000% (100% = 1×)",
    ),
    (
        "must be between 1 and 100 (100 = list price)",
        "must be between 1% and 100% (100% = list price)",
    ),
    (
        "must be 1 to 32 characters and unique",
        "each prize must differ",
    ),
    ("must be after starts_at", "must be after the start"),
    (
        "the odds add up to",
        "the prizes' odds add up to more than 100%",
    ),
];

/// A message of the use case in the page's words: from the table when it is there; otherwise
/// as said in English, or a plain request to check the field in Chinese.
pub(super) fn in_words(st: &Staff, message: &str) -> String {
    let table = match st.lang {
        crate::page::Lang::Zh => MESSAGES_ZH,
        crate::page::Lang::En => MESSAGES_EN,
    };
    let found = table
        .iter()
        .find(|(en, _)| message.starts_with(en) || (en.len() < 20 && message.contains(en)));
    match (found, st.lang) {
        (Some((_, words)), _) => {
            let numbers: Vec<&str> = message
                .split(|c: char| !c.is_ascii_digit())
                .filter(|s| !s.is_empty())
                .collect();
            let mut out = words.to_string();
            for (i, n) in numbers.iter().enumerate() {
                out = out.replace(&format!("{{{i}}}"), n);
            }
            out
        }
        (None, crate::page::Lang::En) => message.to_string(),
        (None, crate::page::Lang::Zh) => "填写有误，请检查".to_string(),
    }
}

/// A template's or lottery's status in words.
pub(super) fn status_words(st: &Staff, status: &str) -> String {
    match status {
        "active" => st.t("启用中", "Active").into(),
        "archived" => st.t("已停用", "Archived").into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_read_as_parts_per_million() {
        assert_eq!(percent_ppm("12.5"), Some(125_000));
        assert_eq!(percent_ppm("0.0001%"), Some(1));
        assert_eq!(percent_ppm("100"), Some(1_000_000));
        assert_eq!(percent_ppm("1.23456"), None);
        assert_eq!(percent_ppm("-1"), None);
        assert_eq!(percent_ppm("ten"), None);
        assert_eq!(ppm_percent(125_000), "12.5");
        assert_eq!(ppm_percent(1_000_000), "100");
        assert_eq!(ppm_percent(1), "0.0001");
    }
}
