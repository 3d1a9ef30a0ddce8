//! Lotteries: the list, each with its prizes, odds and stock in words, and the form that
//! creates one through the use case, its refusals next to the fields they name.

use super::def_form::*;
use super::*;
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
    let cards: String = list
        .items
        .iter()
        .map(|l| lottery_card(st, l, &coupons))
        .collect();
    let list = if cards.is_empty() {
        format!(
            "<p class=\"muted\">{}</p>",
            st.t("还没有抽奖活动", "No lotteries yet")
        )
    } else {
        cards
    };
    let form = lottery_form(st, f, error, &coupons);
    let body = def_body(st, notice, &list, st.t("新建抽奖", "New lottery"), &form);
    st.page(status, "mall", st.t("抽奖活动", "Lotteries"), &body)
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
) -> String {
    let en = st.lang == crate::page::Lang::En;
    let mut prizes: String = l
        .prizes
        .iter()
        .map(|p| {
            format!(
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}%</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                esc(p.prize.name(en)),
                esc(&reward_words(st, &p.prize.reward, coupons)),
                ppm_percent(p.prize.odds_ppm),
                num(p.won),
                num(p.left),
            )
        })
        .collect();
    prizes.push_str(&format!(
        "<tr><td>{} <span class=\"muted\">({})</span></td><td>{}</td><td class=\"num\">{}%</td><td class=\"num\">–</td><td class=\"num\">–</td></tr>",
        esc(l.consolation.name(en)),
        st.t("未中奖", "no prize"),
        esc(&reward_words(st, &l.consolation.reward, coupons)),
        ppm_percent(l.consolation_ppm),
    ));
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
    format!(
        "<h2>{} <code>{}</code> <span class=\"pill {}\">{}</span></h2><p class=\"muted\">{}</p>\
         <table><thead><tr><th>{}</th><th>{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th></tr></thead><tbody>{prizes}</tbody></table>",
        esc(l.name(en)),
        esc(&l.code),
        esc(&l.status),
        esc(&status_words(st, &l.status)),
        esc(&facts.join(" · ")),
        st.t("奖品", "Prize"),
        st.t("奖励", "Reward"),
        st.t("中奖率", "Odds"),
        st.t("已中", "Won"),
        st.t("剩余", "Left"),
    )
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

/// The form for a new lottery: what it is and costs, when it runs, its prizes (a row each) and
/// what a draw without a prize gets.
fn lottery_form(
    st: &Staff,
    f: &Typed,
    error: Option<&FieldErr>,
    coupons: &[(String, String)],
) -> String {
    let style = choices(&[
        ("wheel", st.t("大转盘", "Wheel")),
        ("grid", st.t("九宫格", "Grid")),
    ]);
    let code_hint = st.t("小写字母、数字或下划线", "spring_wheel");
    let mut what = inputs(
        error,
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
    what.push(select(error, f, "style", st.t("样式", "Style"), &style));
    let mut when = inputs(
        error,
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
        error,
        f,
        "starts_at",
        st.t("开始日期", "Starts on"),
        "",
        "date",
    ));
    let ends = st.t("结束日期（含）", "Ends on (inclusive)");
    when.push(input(error, f, "ends_at", ends, "", "date"));
    let rows = f.rows(PRIZES_MAX + 1);
    let prizes: String = (0..rows)
        .map(|i| prize_row(st, f, i, error, coupons))
        .collect();
    let mut consolation = inputs(
        error,
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
    consolation.push(reward_fields(st, f, "c_", error, coupons, true));
    format!(
        "{}<form class=\"rule\" method=\"post\" action=\"/console/lotteries\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"rows\" value=\"{rows}\">\
         {}{}<h2>{}</h2><p class=\"muted\">{}</p>{}{prizes}{}\
         <div class=\"actions\"><button type=\"submit\" name=\"add_prize\" value=\"1\" class=\"secondary\">{}</button> <button type=\"submit\">{}</button></div></form>",
        field_error(error, "form"),
        esc(&st.s.csrf),
        field_group(st.t("抽奖", "The lottery"), &what),
        field_group(st.t("消耗与时间", "Cost and dates"), &when),
        st.t("奖品", "Prizes"),
        st.t(
            "中奖率按百分比填写，所有奖品合计不超过 100%；余下的是“未中奖”的机会。",
            "Give the odds in percent, at most 100% for all prizes together; what is left is the chance of no prize.",
        ),
        field_error(error, "prizes"),
        field_group(st.t("未中奖时", "When a draw wins no prize"), &consolation),
        st.t("添加一个奖品", "Add a prize"),
        st.t("创建抽奖", "Create the lottery"),
    )
}

/// A reward's fields under `prefix`: its kind, the points, the coupon.
fn reward_fields(
    st: &Staff,
    f: &Typed,
    prefix: &str,
    error: Option<&FieldErr>,
    coupons: &[(String, String)],
    nothing: bool,
) -> String {
    let k = |n: &str| format!("{prefix}{n}");
    let mut kinds = vec![
        ("points", st.t("积分", "Points")),
        ("coupon", st.t("优惠券", "A coupon")),
    ];
    if nothing {
        kinds.insert(0, ("nothing", st.t("无奖励", "Nothing")));
    }
    [
        select(
            error,
            f,
            &k("kind"),
            st.t("奖励", "Reward"),
            &choices(&kinds),
        ),
        input(
            error,
            f,
            &k("points"),
            st.t("积分数", "Points"),
            "100",
            "text",
        ),
        select(error, f, &k("coupon"), st.t("优惠券", "Coupon"), coupons),
    ]
    .concat()
}

/// One prize's fields: its names, reward, odds and stock.
fn prize_row(
    st: &Staff,
    f: &Typed,
    i: usize,
    error: Option<&FieldErr>,
    coupons: &[(String, String)],
) -> String {
    let p = format!("p{i}_");
    let k = |n: &str| format!("{p}{n}");
    let mut fields = inputs(
        error,
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
    fields.push(reward_fields(st, f, &p, error, coupons, false));
    fields.extend(inputs(
        error,
        f,
        &p,
        &[
            ("odds", st.t("中奖率（%）", "Odds (%)"), "10"),
            ("stock", st.t("库存", "Stock"), "100"),
        ],
    ));
    format!(
        "<fieldset class=\"tier\"><legend>{} {}</legend><div class=\"grid\">{}</div>{}</fieldset>",
        st.t("奖品", "Prize"),
        i + 1,
        fields.concat(),
        check(f, &k("remove"), st.t("删除这个奖品", "Remove this prize")),
    )
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
    let out = st
        .act_as(web, "lottery", None, move |tx, ctx, now, actor| {
            jifen_app::lottery::create(tx, ctx, now, actor, &def)
        })
        .await;
    match out {
        Ok(_) => Ok(None),
        Err(e) => refused(st, e, |field| lottery_field(field, &rows)).map(Some),
    }
}
