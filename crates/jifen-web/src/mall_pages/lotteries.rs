//! Lotteries: the list, each with its prizes, odds and stock in words, and the form that
//! creates one through the use case, its refusals next to the fields they name.

use askama::Template;

use super::def_form::*;
use super::*;
use crate::forms::FormState;
use crate::frame::Frame;
use crate::page::L;
use jifen_domain::lottery::{Consolation, LotteryDef, PRIZES_MAX, Prize, Reward, Style};

pub(super) async fn lotteries(
    State(web): State<Web>,
    st: Staff,
    Query(q): Query<DoneQuery>,
) -> Response {
    let notice = q.done.map(|_| st.t("已创建", "Created"));
    lotteries_page(&web, &st, &starter(), None, notice, StatusCode::OK).await
}

/// A new lottery's form: a wheel, two prize rows, 谢谢参与 for the rest.
fn starter() -> Typed {
    let mut f = Typed::default();
    f.set("style", "wheel");
    f.set("rows", 2);
    for i in 0..2 {
        f.set(format!("p{i}_kind"), "points");
    }
    f.set("c_kind", "nothing");
    f.set("c_name_zh", "谢谢参与");
    f.set("c_name_en", "Thanks for playing");
    // A double submit creates the lottery once.
    f.set("form_key", form_key());
    f
}

pub(super) async fn lotteries_page(
    web: &Web,
    st: &Staff,
    f: &Typed,
    error: Option<&FieldErr>,
    notice: Option<&str>,
    status: StatusCode,
) -> Response {
    let ctx = st.ctx.clone();
    let list = match web
        .app
        .read(move |tx| jifen_app::lottery::list(tx, &ctx))
        .await
    {
        Ok(v) => v,
        Err(e) => return st.fail(e),
    };
    let coupons = match coupon_choices(web, st).await {
        Ok(c) => c,
        Err(e) => return st.fail(e),
    };
    let cards = list
        .items
        .iter()
        .map(|l| lottery_card(st, l, &coupons))
        .collect();
    let page = LotteriesPage {
        frame: st.frame("mall", st.t("抽奖活动", "Lotteries")),
        notice: notice.map(str::to_string),
        cards,
        operates: st.s.role.operates(),
        form: FormState::new(st, f.get("form_key"), error.cloned()),
        rows: f.rows(PRIZES_MAX + 1),
        what: what_group(st, f),
        when: when_group(st, f),
        prizes: (0..f.rows(PRIZES_MAX + 1))
            .map(|i| prize_row(st, f, i, &coupons))
            .collect(),
        consolation: consolation_group(st, f, &coupons),
    };
    st.render(status, &page)
}

/// The lotteries page: the list, and for roles that change it the form for a new one.
#[derive(Template)]
#[template(path = "console/lotteries.html")]
struct LotteriesPage {
    frame: Frame,
    notice: Option<String>,
    cards: Vec<Card>,
    operates: bool,
    form: FormState,
    /// How many prize rows the form shows.
    rows: usize,
    what: Group,
    when: Group,
    prizes: Vec<PrizeRow>,
    consolation: Group,
}

/// One lottery in the list: its name, status, cost, limits and dates, and its prizes.
struct Card {
    name: String,
    code: String,
    status: String,
    status_words: String,
    facts: String,
    prizes: Vec<PrizeLine>,
    consolation: PrizeLine,
}

/// A prize in the list: its name, what it gives, its odds in percent, how many were won and
/// are left.
struct PrizeLine {
    name: String,
    reward: String,
    odds: String,
    won: String,
    left: String,
}

/// One prize row of the form, numbered from 1.
struct PrizeRow {
    n: usize,
    fields: Vec<Field>,
    remove: Field,
}

/// What a prize gives, in words.
fn reward_words(st: &Staff, r: &Reward, coupons: &[(String, String)]) -> String {
    match r {
        Reward::Points { points } => format!("{} {}", num(*points), st.t("积分", "points")),
        Reward::Coupon { template } => format!(
            "{}：{}",
            st.t("优惠券", "Coupon"),
            coupon_name(coupons, template)
        ),
        Reward::Nothing => st.t("无奖励", "Nothing").into(),
    }
}

/// One lottery: its name, status, cost, limits and dates, and a table of its prizes.
fn lottery_card(
    st: &Staff,
    l: &jifen_app::lottery::LotteryView,
    coupons: &[(String, String)],
) -> Card {
    let en = st.lang == crate::page::Lang::En;
    let prizes = l
        .prizes
        .iter()
        .map(|p| PrizeLine {
            name: p.prize.name(en).to_string(),
            reward: reward_words(st, &p.prize.reward, coupons),
            odds: ppm_percent(p.prize.odds_ppm),
            won: num(p.won),
            left: num(p.left),
        })
        .collect();
    let consolation = PrizeLine {
        name: l.consolation.name(en).to_string(),
        reward: reward_words(st, &l.consolation.reward, coupons),
        odds: ppm_percent(l.consolation_ppm),
        won: String::new(),
        left: String::new(),
    };
    let mut facts = vec![
        format!(
            "{} {} {}",
            st.t("每次消耗", "Each draw costs"),
            num(l.cost_points),
            st.t("积分", "points")
        ),
        match l.style {
            Style::Wheel => st.t("大转盘", "Wheel").to_string(),
            Style::Grid => st.t("九宫格", "Grid").to_string(),
        },
    ];
    if let Some(n) = l.per_member_per_day {
        facts.push(format!(
            "{} {n} {}",
            st.t("每人每天", "Per member a day:"),
            st.t("次", "draws")
        ));
    }
    if let Some(n) = l.per_member_lifetime {
        facts.push(format!(
            "{} {n} {}",
            st.t("每人共", "Per member in all:"),
            st.t("次", "draws")
        ));
    }
    if l.starts_at.is_some() || l.ends_at.is_some() {
        facts.push(format!(
            "{} – {}",
            l.starts_at.map(|t| day_of(st, t)).unwrap_or_default(),
            l.ends_at.map(|t| day_of(st, t - 1)).unwrap_or_default(),
        ));
    }
    Card {
        name: l.name(en).to_string(),
        code: l.code.clone(),
        status: l.status.clone(),
        status_words: status_words(st, &l.status),
        facts: facts.join(" · "),
        prizes,
        consolation,
    }
}

/// Whether prize row `i` is left empty (or ticked to remove): it is no prize.
fn skipped(f: &Typed, i: usize) -> bool {
    let k = |n: &str| f.get(&format!("p{i}_{n}")).trim().is_empty();
    !f.get(&format!("p{i}_remove")).is_empty() || (k("name_zh") && k("name_en") && k("odds"))
}

/// A reward as typed under `prefix` (`p0_`, `c_`): points, a coupon or nothing.
fn reward_of(st: &Staff, f: &Typed, prefix: &str) -> Result<Reward, FieldErr> {
    let k = |n: &str| format!("{prefix}{n}");
    Ok(match f.get(&k("kind")) {
        "coupon" => Reward::Coupon {
            template: f.get(&k("coupon")).trim().to_string(),
        },
        "nothing" => Reward::Nothing,
        _ => Reward::Points {
            points: whole(st, f, &k("points"))?.unwrap_or(0),
        },
    })
}

/// The lottery the form describes, and for each of its prizes the form's row.
fn to_def(st: &Staff, f: &Typed) -> Result<(LotteryDef, Vec<usize>), FieldErr> {
    let day = |name: &str, after: i64| -> Result<Option<i64>, FieldErr> {
        let v = f.get(name).trim();
        if v.is_empty() {
            return Ok(None);
        }
        day_start(st, v).map(|t| Some(t + after)).ok_or_else(|| {
            (
                name.to_string(),
                st.t("请填写日期，如 2026-12-31", "A date such as 2026-12-31")
                    .into(),
            )
        })
    };
    let cost_points = whole(st, f, "cost_points")?.unwrap_or(0);
    let per_member_per_day = small(st, f, "per_day")?;
    let per_member_lifetime = small(st, f, "per_life")?;
    let starts_at = day("starts_at", 0)?;
    // The end date is the last day the lottery runs.
    let ends_at = day("ends_at", 86_400_000)?;
    let mut prizes = Vec::new();
    let mut rows = Vec::new();
    for i in (0..f.rows(PRIZES_MAX + 1)).filter(|i| !skipped(f, *i)) {
        let k = |n: &str| format!("p{i}_{n}");
        let odds_ppm = percent_ppm(f.get(&k("odds"))).ok_or_else(|| {
            (
                k("odds"),
                st.t("请填写百分比，如 12.5", "A percentage such as 12.5")
                    .to_string(),
            )
        })?;
        prizes.push(Prize {
            code: format!("p{}", prizes.len() + 1),
            name_zh: f.get(&k("name_zh")).trim().to_string(),
            name_en: f.get(&k("name_en")).trim().to_string(),
            odds_ppm,
            stock: whole(st, f, &k("stock"))?.unwrap_or(0),
            reward: reward_of(st, f, &format!("p{i}_"))?,
        });
        rows.push(i);
    }
    let def = LotteryDef {
        code: f.get("code").trim().to_string(),
        name_zh: f.get("name_zh").trim().to_string(),
        name_en: f.get("name_en").trim().to_string(),
        style: if f.get("style") == "grid" {
            Style::Grid
        } else {
            Style::Wheel
        },
        cost_points,
        prizes,
        consolation: Consolation {
            name_zh: f.get("c_name_zh").trim().to_string(),
            name_en: f.get("c_name_en").trim().to_string(),
            reward: reward_of(st, f, "c_")?,
        },
        per_member_per_day,
        per_member_lifetime,
        starts_at,
        ends_at,
        granted_on: Vec::new(),
    };
    Ok((def, rows))
}

/// The input a use case's field path names (`prizes[1].odds_ppm` is the odds of the form's
/// row for the second prize).
fn lottery_field(field: &str, rows: &[usize]) -> String {
    let top = match field {
        "code" | "name_zh" | "name_en" | "cost_points" | "starts_at" | "ends_at" => field,
        "per_member_per_day" => "per_day",
        "per_member_lifetime" => "per_life",
        "prizes" => "prizes",
        "consolation.reward.points" => "c_points",
        "consolation.reward.template" => "c_coupon",
        _ => "",
    };
    if !top.is_empty() {
        return top.into();
    }
    let Some((n, path)) = field
        .strip_prefix("prizes[")
        .and_then(|r| r.split_once("]."))
    else {
        return "form".into();
    };
    let Some(row) = n.parse::<usize>().ok().and_then(|n| rows.get(n)) else {
        return "form".into();
    };
    let input = match path {
        "name_zh" | "name_en" | "stock" => path,
        "odds_ppm" => "odds",
        "reward.points" => "points",
        "reward.template" => "coupon",
        _ => "name_zh",
    };
    format!("p{row}_{input}")
}

/// What the lottery is: its code, names and style.
fn what_group(st: &Staff, f: &Typed) -> Group {
    let style = choices(&[
        ("wheel", st.t("大转盘", "Wheel")),
        ("grid", st.t("九宫格", "Grid")),
    ]);
    let code_hint = st.t("小写字母、数字或下划线", "spring_wheel");
    let mut what = inputs(
        f,
        "",
        &[
            ("code", st.t("代码", "Code"), code_hint),
            ("name_zh", st.t("中文名", "Chinese name"), "春季大转盘"),
            (
                "name_en",
                st.t("英文名", "English name"),
                st.t("", "Spring wheel"),
            ),
        ],
    );
    what.push(select(f, "style", st.t("样式", "Style"), &style));
    group(st.t("抽奖", "The lottery"), what)
}

/// What a draw costs, how often a member may draw, and when the lottery runs.
fn when_group(st: &Staff, f: &Typed) -> Group {
    let mut when = inputs(
        f,
        "",
        &[
            ("cost_points", st.t("每次消耗积分", "Points a draw"), "100"),
            (
                "per_day",
                st.t("每人每天最多次数", "Draws per member a day"),
                "",
            ),
            (
                "per_life",
                st.t("每人共最多次数", "Draws per member in all"),
                "",
            ),
        ],
    );
    when.push(input(
        f,
        "starts_at",
        st.t("开始日期", "Starts on"),
        "",
        "date",
    ));
    let ends = st.t("结束日期（含）", "Ends on (inclusive)");
    when.push(input(f, "ends_at", ends, "", "date"));
    group(st.t("消耗与时间", "Cost and dates"), when)
}

/// What a draw without a prize gets.
fn consolation_group(st: &Staff, f: &Typed, coupons: &[(String, String)]) -> Group {
    let mut consolation = inputs(
        f,
        "c_",
        &[
            ("name_zh", st.t("中文名", "Chinese name"), "谢谢参与"),
            (
                "name_en",
                st.t("英文名", "English name"),
                st.t("", "Thanks for playing"),
            ),
        ],
    );
    consolation.extend(reward_fields(st, f, "c_", coupons, true));
    group(st.t("未中奖时", "When a draw wins no prize"), consolation)
}

/// A reward's fields under `prefix`: its kind, the points, the coupon.
fn reward_fields(
    st: &Staff,
    f: &Typed,
    prefix: &str,
    coupons: &[(String, String)],
    nothing: bool,
) -> Vec<Field> {
    let k = |n: &str| format!("{prefix}{n}");
    let mut kinds = vec![
        ("points", st.t("积分", "Points")),
        ("coupon", st.t("优惠券", "A coupon")),
    ];
    if nothing {
        kinds.insert(0, ("nothing", st.t("无奖励", "Nothing")));
    }
    vec![
        select(f, &k("kind"), st.t("奖励", "Reward"), &choices(&kinds)),
        input(f, &k("points"), st.t("积分数", "Points"), "100", "text"),
        select(f, &k("coupon"), st.t("优惠券", "Coupon"), coupons),
    ]
}

/// One prize's fields: its names, reward, odds and stock.
fn prize_row(st: &Staff, f: &Typed, i: usize, coupons: &[(String, String)]) -> PrizeRow {
    let p = format!("p{i}_");
    let mut fields = inputs(
        f,
        &p,
        &[
            ("name_zh", st.t("中文名", "Chinese name"), "100积分"),
            (
                "name_en",
                st.t("英文名", "English name"),
                st.t("", "100 points"),
            ),
        ],
    );
    fields.extend(reward_fields(st, f, &p, coupons, false));
    fields.extend(inputs(
        f,
        &p,
        &[
            ("odds", st.t("中奖率（%）", "Odds (%)"), "10"),
            ("stock", st.t("库存", "Stock"), "100"),
        ],
    ));
    let remove = check(
        f,
        &format!("{p}remove"),
        st.t("删除这个奖品", "Remove this prize"),
    );
    PrizeRow {
        n: i + 1,
        fields,
        remove,
    }
}

/// Creates the lottery the form describes through the use case (which writes the audit entry),
/// or draws the form again: with one more prize row when asked, or with the refusal next to
/// its field.
pub(super) async fn create_lottery(
    State(web): State<Web>,
    st: Staff,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let mut f = Typed::from_pairs(pairs);
    if !st.s.role.operates() {
        return st.forbidden("mall", st.t("抽奖活动", "Lotteries"));
    }
    let (e, status) = match save_lottery(&web, &st, &mut f).await {
        Ok(None) => return Redirect::to("/console/lotteries?done=1").into_response(),
        Ok(Some(again)) => again,
        Err(e) => return st.fail(e),
    };
    lotteries_page(&web, &st, &f, e.as_ref(), None, status).await
}

/// Creates the lottery the form describes, or says how to draw the form again.
async fn save_lottery(web: &Web, st: &Staff, f: &mut Typed) -> Result<Option<Again>, AppError> {
    let blank = |f: &mut Typed, i: usize| f.set(format!("p{i}_kind"), "points");
    if let Err(again) = gate(st, f, "add_prize", PRIZES_MAX, blank) {
        return Ok(Some(again));
    }
    let (def, rows) = match to_def(st, f) {
        Ok(v) => v,
        Err(e) => return Ok(Some((Some(e), StatusCode::UNPROCESSABLE_ENTITY))),
    };
    let key = f.get("form_key");
    let idem = (!key.is_empty()).then(|| {
        (
            format!("console:lottery:{key}"),
            serde_json::to_string(&def).unwrap_or_default(),
        )
    });
    let out = st
        .act_as(web, "lottery", idem, move |tx, ctx, now, actor| {
            jifen_app::lottery::create(tx, ctx, now, actor, &def)
        })
        .await;
    match out {
        Ok(_) => Ok(None),
        Err(e) => refused(st, e, |field| lottery_field(field, &rows)).map(Some),
    }
}
