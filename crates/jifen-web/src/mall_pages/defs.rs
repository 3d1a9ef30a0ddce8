//! The tier ladder (会员等级): the ladder as a table with its members at each tier, and the
//! form that replaces it through the use case, its refusals next to the fields they name.

use askama::Template;

use super::def_form::*;
use super::ladder_form::*;
use super::*;
use crate::forms::FormState;
use crate::frame::Frame;
use crate::page::L;
use jifen_domain::tiers::{
    Benefits, Gift, Ladder, Metric, Review, ReviewPeriod, TIERS_MAX, Window,
};

pub(super) fn review_words(st: &Staff, r: Option<&Review>) -> String {
    let Some(r) = r else {
        return String::new();
    };
    let every = match r.every {
        ReviewPeriod::Month => st.t("每月", "monthly"),
        ReviewPeriod::Quarter => st.t("每季度", "quarterly"),
        ReviewPeriod::Year => st.t("每年", "yearly"),
    };
    format!(
        " · {} {every} · {} {} {} · {} {}",
        st.t("保级评审", "Review"),
        st.t("宽限", "grace"),
        r.grace_days,
        st.t("天", "days"),
        st.t("每次最多降级", "down at most, per review:"),
        r.downgrade_steps_max,
    )
}

/// What a tier gives, a line each.
pub(super) fn benefit_words(st: &Staff, b: &Benefits, coupons: &[(String, String)]) -> Vec<String> {
    let gift = |g: &Gift| {
        let mut parts = Vec::new();
        if g.points > 0 {
            parts.push(format!("{} {}", num(g.points), st.t("积分", "points")));
        }
        if let Some(c) = &g.coupon {
            parts.push(format!(
                "{} {}",
                st.t("券", "coupon"),
                coupon_name(coupons, c)
            ));
        }
        parts.join(" + ")
    };
    let mut out = Vec::new();
    let m = b.earn_multiplier_pct;
    if m != 100 {
        out.push(format!(
            "{} {}.{:02}×",
            st.t("积分倍率", "Earns"),
            m / 100,
            m % 100
        ));
    }
    if let Some(d) = b.points_validity_days {
        out.push(format!(
            "{} {d} {}",
            st.t("积分有效期", "Points valid"),
            st.t("天", "days")
        ));
    }
    if b.member_price_pct != 100 {
        let p = b.member_price_pct;
        out.push(format!("{} {p}%", st.t("会员价", "Member price")));
    }
    if let Some(g) = &b.tier_up_gift {
        out.push(format!("{} {}", st.t("升级礼", "Tier-up gift"), gift(g)));
    }
    if let Some(g) = &b.birthday_gift {
        out.push(format!("{} {}", st.t("生日礼", "Birthday gift"), gift(g)));
    }
    for c in &b.monthly_coupons {
        out.push(format!(
            "{} {} × {}",
            st.t("每月赠券", "Monthly coupon"),
            coupon_name(coupons, &c.coupon),
            c.count
        ));
    }
    if let Some(r) = b.checkout_points_per_unit {
        out.push(format!(
            "{} {r} {}",
            st.t("抵现", "At checkout"),
            st.t("积分抵1元", "points per yuan")
        ));
    }
    if b.transfer_allowed {
        out.push(st.t("可转赠积分", "May transfer points").into());
    }
    if b.priority_service {
        out.push(st.t("优先客服", "Priority service").into());
    }
    out
}

/// The ladder as the page shows it: what it counts over which window, its review, and each
/// tier with the members at it now.
struct LadderView {
    metric: &'static str,
    window: String,
    review: String,
    tiers: Vec<TierLine>,
}

/// A tier of the ladder: its code, name, threshold, members now and benefits.
struct TierLine {
    code: String,
    name: String,
    threshold: String,
    members: String,
    benefits: Vec<String>,
}

/// The ladder in words, each tier with the members at it now (`counts`, in the ladder's order).
fn ladder_view(
    st: &Staff,
    l: &Ladder,
    coupons: &[(String, String)],
    counts: &[jifen_app::overview::TierCount],
) -> LadderView {
    let en = st.lang == crate::page::Lang::En;
    let tiers = l
        .tiers
        .iter()
        .map(|t| {
            let members = counts
                .iter()
                .find(|c| c.code == t.code)
                .map_or(0, |c| c.members);
            TierLine {
                code: t.code.clone(),
                name: jifen_domain::name_in(&t.name_zh, &t.name_en, en).to_string(),
                threshold: if l.metric == Metric::Spend {
                    money(st, t.threshold)
                } else {
                    num(t.threshold)
                },
                members: num(members),
                benefits: benefit_words(st, &t.benefits, coupons),
            }
        })
        .collect();
    LadderView {
        metric: metric_words(st, l.metric),
        window: match l.window {
            Window::RollingMonths { months } => format!(
                "{} {months} {}",
                st.t("近", "the last"),
                st.t("个月", "months")
            ),
            Window::CalendarYear => st.t("自然年", "the calendar year").into(),
        },
        review: review_words(st, l.review.as_ref()),
        tiers,
    }
}

/// The tiers page: the ladder, and for roles that change it the form that replaces it.
#[derive(Template)]
#[template(path = "console/tiers.html")]
struct TiersPage {
    frame: Frame,
    notice: Option<String>,
    ladder: Option<LadderView>,
    operates: bool,
    form: FormState,
    top: Group,
    keep: Group,
    rows: Vec<TierRow>,
}

/// What the ladder counts, in words.
fn metric_words(st: &Staff, m: Metric) -> &'static str {
    match m {
        Metric::Growth => st.t("成长值", "growth value"),
        Metric::Spend => st.t("消费金额", "amount spent"),
        Metric::Orders => st.t("订单数", "orders"),
    }
}

pub(super) async fn tiers(
    State(web): State<Web>,
    st: Staff,
    Query(q): Query<DoneQuery>,
) -> Response {
    let mut f = match &st.ctx.earn.ladder {
        Some(l) => ladder_typed(l),
        None => starter_typed(),
    };
    // A double submit saves the ladder once (one audit entry).
    f.set("form_key", form_key());
    let notice = q.done.map(|_| st.t("已保存", "Saved"));
    tiers_page(&web, &st, &f, None, notice, StatusCode::OK).await
}

pub(super) async fn tiers_page(
    web: &Web,
    st: &Staff,
    f: &Typed,
    error: Option<&FieldErr>,
    notice: Option<&str>,
    status: StatusCode,
) -> Response {
    let coupons = match coupon_choices(web, st).await {
        Ok(c) => c,
        Err(e) => return st.fail(e),
    };
    let (ctx, now) = (st.ctx.clone(), web.app.now());
    let counts = match web
        .app
        .read(move |tx| jifen_app::overview::tier_distribution(tx, &ctx, now))
        .await
    {
        Ok(c) => c,
        Err(e) => return st.fail(e),
    };
    let page = TiersPage {
        frame: st.frame("tiers", st.t("会员等级", "Tiers")),
        notice: notice.map(str::to_string),
        ladder: st
            .ctx
            .earn
            .ladder
            .as_ref()
            .map(|l| ladder_view(st, l, &coupons, &counts)),
        operates: st.s.role.operates(),
        form: FormState::new(st, f.get("form_key"), error.cloned()),
        top: qualify_group(st, f),
        keep: keep_group(st, f),
        rows: (0..f.rows(TIERS_MAX + 1))
            .map(|i| tier_row(st, f, i, &coupons))
            .collect(),
    };
    st.render(status, &page)
}

/// Saves the ladder the form describes through the use case (which writes the audit entry), or
/// draws the form again: with one more row when asked, or with the refusal next to its field.
pub(super) async fn put_tiers(
    State(web): State<Web>,
    st: Staff,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let mut f = Typed::from_pairs(pairs);
    if !st.s.role.operates() {
        return st.forbidden("tiers", st.t("会员等级", "Tiers"));
    }
    let (e, status) = match save_ladder(&web, &st, &mut f).await {
        Ok(None) => return Redirect::to("/console/tiers?done=1").into_response(),
        Ok(Some(again)) => again,
        Err(e) => return st.fail(e),
    };
    // The page shows the programme as it is: read it again after a refused change.
    let st = Staff {
        ctx: web
            .app
            .program_ctx(st.s.program)
            .await
            .unwrap_or(st.ctx.clone()),
        ..st
    };
    tiers_page(&web, &st, &f, e.as_ref(), None, status).await
}

/// Saves the ladder the form describes, or says how to draw the form again.
async fn save_ladder(web: &Web, st: &Staff, f: &mut Typed) -> Result<Option<Again>, AppError> {
    let max = jifen_domain::tiers::TIERS_MAX;
    if let Err(again) = gate(st, f, "add_tier", max, blank_row) {
        return Ok(Some(again));
    }
    let (ladder, rows) = match to_ladder(st, f) {
        Ok(v) => v,
        Err(e) => return Ok(Some((Some(e), StatusCode::UNPROCESSABLE_ENTITY))),
    };
    let key = f.get("form_key");
    let idem = (!key.is_empty()).then(|| {
        (
            format!("console:tiers:{key}"),
            serde_json::to_string(&ladder).unwrap_or_default(),
        )
    });
    let out = st
        .act_as(web, "tiers", idem, move |tx, ctx, now, actor| {
            jifen_app::tiers::put_ladder(tx, ctx, now, actor, &ladder)
        })
        .await;
    web.app.invalidate_program(st.s.program);
    match out {
        Ok(_) => Ok(None),
        Err(e) => refused(st, e, |field| ladder_field(field, &rows)).map(Some),
    }
}
