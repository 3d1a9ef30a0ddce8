//! Dry runs: a rule evaluated on a sample event, showing what each rule would do, writing nothing.

use jifen_rules::eval::Outcome;

use super::*;
use crate::forms::FormState;

#[derive(Deserialize, Default, Clone)]
pub(super) struct DryForm {
    #[serde(default)]
    pub(super) member: String,
    #[serde(default)]
    pub(super) amount: String,
    #[serde(default)]
    pub(super) attributes: String,
    #[serde(default)]
    pub(super) channel: String,
    #[serde(default)]
    pub(super) with_active: String,
    #[serde(default)]
    pub(super) csrf: String,
}

pub(super) fn outcome_label(st: &Staff, o: Outcome) -> String {
    match o {
        Outcome::Fired => st.t("命中", "Fired"),
        Outcome::OutsideSchedule => st.t("不在活动时间", "Outside its schedule"),
        Outcome::NotInAudience => st.t("不在适用会员内", "Not in its audience"),
        Outcome::ConditionFalse => st.t("条件不满足", "Condition not met"),
        Outcome::NoPoints => st.t("公式结果为0", "Formula gave no points"),
        Outcome::CapReached => st.t("已达上限", "Limit reached"),
        Outcome::BudgetExhausted => st.t("预算已用完", "Budget used up"),
        Outcome::Excluded => st.t("被独占规则排除", "Excluded by an exclusive rule"),
        Outcome::Outranked => st.t("择优未选中", "Another rule gave more"),
        Outcome::Error => st.t("计算出错", "Formula failed"),
    }
    .to_string()
}

/// The dry-run panel as `templates/console/rule_dry.html` draws it.
pub(super) struct DryPanel {
    pub(super) rule_id: i64,
    pub(super) form: FormState,
    /// A purchase rule asks for the amount paid; others for the event's attributes.
    pub(super) purchase: bool,
    pub(super) values: DryForm,
    pub(super) result: Option<DryResult>,
}

/// What a dry run answered, in the page's words.
pub(super) struct DryResult {
    pub(super) notes: Vec<DryNote>,
    pub(super) points: String,
    pub(super) base: Option<String>,
    pub(super) rows: Vec<DryRow>,
}

/// What a real event would meet, with the day it concerns.
pub(super) struct DryNote {
    pub(super) day: Option<String>,
    pub(super) message: String,
}

/// One rule's outcome; `this` marks the rule of the page.
pub(super) struct DryRow {
    pub(super) this: bool,
    pub(super) name: String,
    pub(super) outcome: String,
    pub(super) points: String,
}

pub(super) fn dry_panel(
    st: &Staff,
    id: i64,
    trigger: &str,
    f: &DryForm,
    result: Option<&Result<DryRunView, (String, String)>>,
) -> DryPanel {
    let error = match result {
        Some(Err(e)) => Some(e.clone()),
        _ => None,
    };
    let result = match result {
        Some(Ok(v)) => Some(DryResult {
            notes: v
                .notes
                .iter()
                .map(|n| DryNote {
                    day: n.day.clone(),
                    message: st.t(&n.message_zh, &n.message_en).to_string(),
                })
                .collect(),
            points: num(v.awarded.points),
            base: v.base.map(|b| num(b.points)),
            rows: v
                .rules
                .iter()
                .map(|r| DryRow {
                    this: r.rule_id == id,
                    name: r.name.to_string(),
                    outcome: outcome_label(st, r.outcome),
                    points: if r.outcome == Outcome::Fired {
                        num(r.points)
                    } else {
                        "–".into()
                    },
                })
                .collect(),
        }),
        _ => None,
    };
    DryPanel {
        rule_id: id,
        form: FormState::new(st, "", error),
        purchase: trigger == "purchase",
        values: f.clone(),
        result,
    }
}

pub(super) async fn dry_run(
    State(web): State<Web>,
    st: Staff,
    Path(id): Path<String>,
    Form(f): Form<DryForm>,
) -> Response {
    let id = match crate::forms::id_of(&st, &id, "rule") {
        Ok(i) => i,
        Err(r) => return *r,
    };
    let show = |result: Result<DryRunView, (String, String)>, status: StatusCode| {
        let (web, st, f) = (web.clone(), &st, f.clone());
        async move {
            let panels = Panels {
                dry: f,
                dry_result: Some(result),
                ..Default::default()
            };
            render(&web, st, id, None, None, panels, None, status).await
        }
    };
    if f.csrf != st.s.csrf {
        return show(Err(expired(&st)), StatusCode::FORBIDDEN).await;
    }
    let member_id = match member_by_text(&web, &st, &f.member, "member").await {
        Ok(m) => m,
        Err(e) => return show(Err(e), StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let ctx = st.ctx.clone();
    let trigger = match web.app.read(move |tx| earn::get_rule(tx, &ctx, id)).await {
        Ok(r) => r.definition.trigger,
        Err(e) => return st.fail(e),
    };
    let d = match dry_request(&st, &f, &trigger, id, member_id) {
        Ok(d) => d,
        Err(e) => return show(Err(e), StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let ctx = st.ctx.clone();
    let now = web.app.now();
    match web
        .app
        .read(move |tx| earn::dry_run(tx, &ctx, now, &d))
        .await
    {
        Ok(v) => show(Ok(v), StatusCode::OK).await,
        Err(e) => match refusal_field(&st, e) {
            Ok(e) => show(Err(e), StatusCode::UNPROCESSABLE_ENTITY).await,
            Err(e) => st.fail(e),
        },
    }
}

/// The dry run the form asks for, of rule `id` for the member: for a purchase rule a purchase
/// of the amount typed, for others an event with the attributes typed; or the field that does
/// not read, with what it should be.
fn dry_request(
    st: &Staff,
    f: &DryForm,
    trigger: &str,
    id: i64,
    member_id: i64,
) -> Result<DryRun, (String, String)> {
    let member = MemberRef::Id { member_id };
    let channel = Some(f.channel.trim().to_string()).filter(|c| !c.is_empty());
    let (purchase, event) = if trigger == "purchase" {
        let Some(minor) = parse_money(&f.amount).filter(|m| *m > 0) else {
            return Err((
                "amount".into(),
                st.t("金额如 199 或 199.50", "An amount such as 199 or 199.50")
                    .into(),
            ));
        };
        let purchase = Purchase {
            order_id: "dry-run".into(),
            member,
            amount_minor: minor,
            currency: st.ctx.program.currency.clone(),
            lines: Vec::new(),
            occurred_at: None,
            shipping_minor: None,
            channel,
            tags: Vec::new(),
        };
        (Some(purchase), None)
    } else {
        let event = EventIn {
            event_id: None,
            trigger: trigger.to_string(),
            member,
            occurred_at: None,
            channel,
            tags: Vec::new(),
            attributes: event_attributes(st, &f.attributes)?,
            makeup_date: None,
            device_id: None,
            ip: None,
        };
        (None, Some(event))
    };
    Ok(DryRun {
        purchase,
        event,
        at: None,
        rule_ids: vec![id],
        rules: Vec::new(),
        include_active: !f.with_active.is_empty(),
    })
}

/// The event's attributes as typed: `name=number`, separated by commas; or the error for the
/// field.
fn event_attributes(st: &Staff, text: &str) -> Result<BTreeMap<String, i64>, (String, String)> {
    let mut attributes = BTreeMap::new();
    for part in text
        .split([',', '，'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let parsed = part
            .split_once('=')
            .and_then(|(k, v)| Some((k.trim().to_string(), v.trim().parse::<i64>().ok()?)));
        match parsed {
            Some((k, v)) if !k.is_empty() => {
                attributes.insert(k, v);
            }
            _ => {
                return Err((
                    "attributes".into(),
                    st.t(
                        "属性写成 名称=整数，用逗号分隔",
                        "Write attributes as name=number, comma separated",
                    )
                    .into(),
                ));
            }
        }
    }
    Ok(attributes)
}

/// Where a dry run's refusal shows on the form, in the page's words (the use case's own words
/// are English): an amount next to the amount, attributes and tags next to the attributes, a
/// channel next to the channel, an unknown member next to the member, an event type paid only
/// by the system and any other refusal on the form. A busy service or a fault is no refusal of
/// the form's.
fn refusal_field(st: &Staff, e: AppError) -> Result<(String, String), AppError> {
    let said = |field: &str, zh: &str, en: &str| (field.to_string(), st.t(zh, en).to_string());
    match e {
        AppError::Invalid { field, .. } => Ok(match field.split(['.', '[']).next() {
            Some(f) if f.contains("amount") => said(
                "amount",
                "金额超出允许的范围",
                "The amount is out of the allowed range",
            ),
            Some("attributes" | "tags") => {
                let (most, len, abs) = (
                    earn::EVENT_ATTRIBUTES_MAX,
                    jifen_app::commands::ID_LEN_MAX,
                    num(earn::ATTRIBUTE_ABS_MAX),
                );
                let words = match st.lang {
                    Lang::Zh => format!(
                        "最多 {most} 个属性，名称不超过 {len} 个字符，每个数值不超过 ±{abs}"
                    ),
                    Lang::En => format!(
                        "At most {most} attributes, names of at most {len} characters, each number within ±{abs}"
                    ),
                };
                ("attributes".to_string(), words)
            }
            Some("channel") => said(
                "channel",
                "渠道用小写字母、数字或 _ 写成，如 app、pos",
                "A channel is lower-case letters, digits or _, such as app or pos",
            ),
            Some("type") => said(
                "form",
                "这类规则的积分由系统自动发放（生日、入会周年、邀请），不能用单个事件试算；可以用回测看它在过去的效果",
                "This kind of rule is paid by the system itself (birthdays, anniversaries, referrals), so one event cannot be dry-run; a backtest shows what it did in the past",
            ),
            _ => said(
                "form",
                "这个事件无法试算，请检查填写的内容",
                "This event cannot be dry-run; check what was typed",
            ),
        }),
        AppError::NotFound { .. } => Ok(said("member", "找不到这个会员", "No such member")),
        e if e.class() == jifen_app::ErrorClass::Refused => Ok(said(
            "form",
            "这个事件会被拒绝，无法试算",
            "A real event like this would be refused, so it cannot be dry-run",
        )),
        e => Err(e),
    }
}
