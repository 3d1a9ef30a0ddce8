//! The tier ladder as a form: the metric and its window, the review, and one row of fields per
//! tier with its benefits; reading it into a `Ladder`, and the use case's field paths mapped to
//! the inputs.

use super::def_form::*;
use super::*;
use jifen_domain::tiers::{
    Benefits, CouponGrant, Gift, Ladder, Metric, Review, ReviewPeriod, TIERS_MAX, Tier, Window,
};

/// The form showing `l`, with one empty row to add a tier.
pub(super) fn ladder_typed(l: &Ladder) -> Typed {
    let mut f = Typed::default();
    f.set("metric", l.metric.code());
    match l.window {
        Window::RollingMonths { months } => {
            f.set("window", "rolling_months");
            f.set("months", months);
        }
        Window::CalendarYear => f.set("window", "calendar_year"),
    }
    if let Some(r) = &l.review {
        let every = match r.every {
            ReviewPeriod::Month => "month",
            ReviewPeriod::Quarter => "quarter",
            ReviewPeriod::Year => "year",
        };
        f.set("review", every);
        f.set("grace_days", r.grace_days);
        f.set("steps", r.downgrade_steps_max);
    }
    if l.refund_grace_days > 0 {
        f.set("refund_grace", l.refund_grace_days);
    }
    for (i, t) in l.tiers.iter().enumerate() {
        tier_typed(&mut f, i, t, l.metric);
    }
    blank_row(&mut f, l.tiers.len());
    f.set("rows", (l.tiers.len() + 1).min(TIERS_MAX));
    f
}

/// The form of a programme without a ladder: growth over twelve months, a first tier from 0.
pub(super) fn starter_typed() -> Typed {
    let mut f = Typed::default();
    f.set("metric", "growth");
    f.set("window", "rolling_months");
    f.set("months", 12);
    blank_row(&mut f, 0);
    f.set("t0_threshold", 0);
    blank_row(&mut f, 1);
    f.set("rows", 2);
    f
}

/// An empty row's defaults: list price, 1× points, transfers allowed.
pub(super) fn blank_row(f: &mut Typed, i: usize) {
    f.set(format!("t{i}_earn"), 100);
    f.set(format!("t{i}_price"), 100);
    f.set(format!("t{i}_transfer"), 1);
}

fn tier_typed(f: &mut Typed, i: usize, t: &Tier, metric: Metric) {
    let b = &t.benefits;
    let k = |n: &str| format!("t{i}_{n}");
    f.set(k("code"), &t.code);
    f.set(k("name_zh"), &t.name_zh);
    f.set(k("name_en"), &t.name_en);
    f.set(
        k("threshold"),
        if metric == Metric::Spend {
            format!("{}.{:02}", t.threshold / 100, t.threshold % 100)
        } else {
            t.threshold.to_string()
        },
    );
    f.set(k("earn"), b.earn_multiplier_pct);
    f.set(k("price"), b.member_price_pct);
    if let Some(d) = b.points_validity_days {
        f.set(k("validity"), d);
    }
    if let Some(r) = b.checkout_points_per_unit {
        f.set(k("checkout"), r);
    }
    if b.transfer_allowed {
        f.set(k("transfer"), 1);
    }
    if b.priority_service {
        f.set(k("priority"), 1);
    }
    for (name, g) in [("bday", &b.birthday_gift), ("up", &b.tier_up_gift)] {
        if let Some(g) = g {
            if g.points > 0 {
                f.set(k(&format!("{name}_points")), g.points);
            }
            f.set(
                k(&format!("{name}_coupon")),
                g.coupon.clone().unwrap_or_default(),
            );
        }
    }
    for (j, c) in b.monthly_coupons.iter().enumerate() {
        f.set(k(&format!("mc{j}")), &c.coupon);
        f.set(k(&format!("mn{j}")), c.count);
    }
}

/// How many monthly coupon slots row `i` shows: the ones typed and an empty one.
pub(super) fn monthly_slots(f: &Typed, i: usize) -> usize {
    (0..)
        .find(|j| f.get(&format!("t{i}_mc{j}")).is_empty())
        .unwrap_or(0)
        + 1
}

/// Whether row `i` is left empty (or ticked to remove): it is no tier.
fn skipped(f: &Typed, i: usize) -> bool {
    let k = |n: &str| f.get(&format!("t{i}_{n}")).trim().is_empty();
    !f.get(&format!("t{i}_remove")).is_empty() || (k("code") && k("name_zh") && k("name_en"))
}

/// The ladder the form describes, and for each of its tiers the form's row; a field that is
/// not even a number is named.
pub(super) fn to_ladder(st: &Staff, f: &Typed) -> Result<(Ladder, Vec<usize>), FieldErr> {
    let metric = match f.get("metric") {
        "spend" => Metric::Spend,
        "orders" => Metric::Orders,
        _ => Metric::Growth,
    };
    let window = match f.get("window") {
        "calendar_year" => Window::CalendarYear,
        _ => Window::RollingMonths {
            months: small(st, f, "months")?.unwrap_or(0),
        },
    };
    let every = match f.get("review") {
        "month" => Some(ReviewPeriod::Month),
        "quarter" => Some(ReviewPeriod::Quarter),
        "year" => Some(ReviewPeriod::Year),
        _ => None,
    };
    let review = match every {
        None => None,
        Some(every) => Some(Review {
            every,
            grace_days: small(st, f, "grace_days")?.unwrap_or(0),
            downgrade_steps_max: small(st, f, "steps")?.unwrap_or(1),
        }),
    };
    let refund_grace_days = small(st, f, "refund_grace")?.unwrap_or(0);
    let mut tiers = Vec::new();
    let mut rows = Vec::new();
    for i in (0..f.rows(TIERS_MAX + 1)).filter(|i| !skipped(f, *i)) {
        tiers.push(tier_of(st, f, i, metric)?);
        rows.push(i);
    }
    let ladder = Ladder {
        metric,
        window,
        tiers,
        review,
        refund_grace_days,
    };
    Ok((ladder, rows))
}

fn tier_of(st: &Staff, f: &Typed, i: usize, metric: Metric) -> Result<Tier, FieldErr> {
    let k = |n: &str| format!("t{i}_{n}");
    let threshold = if metric == Metric::Spend {
        parse_money(f.get(&k("threshold"))).ok_or_else(|| {
            (
                k("threshold"),
                st.t(
                    "请填写金额，如 500 或 99.90",
                    "An amount such as 500 or 99.90",
                )
                .to_string(),
            )
        })?
    } else {
        whole(st, f, &k("threshold"))?.unwrap_or(0)
    };
    let gift = |name: &str| -> Result<Option<Gift>, FieldErr> {
        let points = whole(st, f, &k(&format!("{name}_points")))?.unwrap_or(0);
        let coupon = f.get(&k(&format!("{name}_coupon"))).trim().to_string();
        Ok((points != 0 || !coupon.is_empty()).then(|| Gift {
            points,
            coupon: (!coupon.is_empty()).then_some(coupon),
        }))
    };
    let mut monthly_coupons = Vec::new();
    for j in 0..monthly_slots(f, i) {
        let coupon = f.get(&k(&format!("mc{j}"))).trim().to_string();
        if !coupon.is_empty() {
            let count = small(st, f, &k(&format!("mn{j}")))?.unwrap_or(1);
            monthly_coupons.push(CouponGrant { coupon, count });
        }
    }
    let benefits = Benefits {
        earn_multiplier_pct: small(st, f, &k("earn"))?.unwrap_or(100),
        points_validity_days: small(st, f, &k("validity"))?,
        birthday_gift: gift("bday")?,
        tier_up_gift: gift("up")?,
        monthly_coupons,
        member_price_pct: small(st, f, &k("price"))?.unwrap_or(100),
        transfer_allowed: !f.get(&k("transfer")).is_empty(),
        checkout_points_per_unit: whole(st, f, &k("checkout"))?,
        priority_service: !f.get(&k("priority")).is_empty(),
    };
    Ok(Tier {
        code: f.get(&k("code")).trim().to_string(),
        name_zh: f.get(&k("name_zh")).trim().to_string(),
        name_en: f.get(&k("name_en")).trim().to_string(),
        threshold,
        benefits,
    })
}

/// The input a use case's field path names (`tiers[1].threshold` is the threshold of the
/// form's row for the second tier).
pub(super) fn ladder_field(field: &str, rows: &[usize]) -> String {
    let top = match field {
        "metric" => "metric",
        "window" | "window.months" => "months",
        "review" | "review.every" => "review",
        "review.grace_days" => "grace_days",
        "review.downgrade_steps_max" => "steps",
        "refund_grace_days" => "refund_grace",
        _ => "",
    };
    if !top.is_empty() {
        return top.into();
    }
    let Some(rest) = field.strip_prefix("tiers[") else {
        return "form".into();
    };
    let Some((n, path)) = rest.split_once("].") else {
        return "form".into();
    };
    let Some(row) = n.parse::<usize>().ok().and_then(|n| rows.get(n)) else {
        return "form".into();
    };
    let input = match path {
        "code" | "name_zh" | "name_en" | "threshold" => path.to_string(),
        "benefits.earn_multiplier_pct" => "earn".into(),
        "benefits.member_price_pct" => "price".into(),
        "benefits.points_validity_days" => "validity".into(),
        "benefits.checkout_points_per_unit" => "checkout".into(),
        "benefits.birthday_gift" | "benefits.birthday_gift.points" => "bday_points".into(),
        "benefits.tier_up_gift" | "benefits.tier_up_gift.points" => "up_points".into(),
        p => match p
            .strip_prefix("benefits.monthly_coupons[")
            .and_then(|p| p.split_once(']'))
        {
            Some((j, _)) => format!("mn{j}"),
            None => return format!("t{row}"),
        },
    };
    format!("t{row}_{input}")
}

/// One tier's row of the form, numbered from 1: its title, the name its errors go by (`t1`),
/// its fields in rows (who it is and from when, what it gives, its gifts, its monthly
/// coupons) and the box to remove it.
pub(super) struct TierRow {
    pub(super) n: usize,
    pub(super) title: String,
    pub(super) name: String,
    pub(super) grids: Vec<Vec<Field>>,
    pub(super) remove: Field,
}

/// How members qualify for a tier: the metric and its window.
pub(super) fn qualify_group(st: &Staff, f: &Typed) -> Group {
    let metric = choices(&[
        ("growth", st.t("成长值", "Growth value")),
        ("spend", st.t("消费金额（元）", "Amount spent")),
        ("orders", st.t("订单数", "Orders")),
    ]);
    let window = choices(&[
        ("rolling_months", st.t("最近几个月", "The last months")),
        ("calendar_year", st.t("自然年", "Calendar year")),
    ]);
    let fields = vec![
        select(f, "metric", st.t("升级依据", "Tiers by"), &metric),
        select(f, "window", st.t("统计周期", "Counted over"), &window),
        input(f, "months", st.t("月数", "Months"), "12", "text"),
    ];
    group(st.t("升级规则", "How members qualify"), fields)
}

/// How a tier is kept: the review, its grace and steps, and the days kept after a refund.
pub(super) fn keep_group(st: &Staff, f: &Typed) -> Group {
    let review = choices(&[
        ("", st.t("不降级", "Never move down")),
        ("month", st.t("每月评审", "Reviewed monthly")),
        ("quarter", st.t("每季度评审", "Reviewed quarterly")),
        ("year", st.t("每年评审", "Reviewed yearly")),
    ]);
    let mut fields = vec![select(f, "review", st.t("保级", "Retention"), &review)];
    fields.extend(inputs(
        f,
        "",
        &[
            ("grace_days", st.t("宽限天数", "Grace days"), "0"),
            (
                "steps",
                st.t("每次最多降几级", "Down at most, per review"),
                "1",
            ),
            (
                "refund_grace",
                st.t("退款后保留等级天数", "Days kept after a refund"),
                "0",
            ),
        ],
    ));
    group(st.t("保级与降级", "Keeping a tier"), fields)
}

/// One tier's fields: who it is and from when, then what it gives.
pub(super) fn tier_row(st: &Staff, f: &Typed, i: usize, coupons: &[(String, String)]) -> TierRow {
    let p = format!("t{i}_");
    let k = |n: &str| format!("{p}{n}");
    let from = match f.get("metric") {
        "spend" => st.t("门槛（元）", "From (yuan)"),
        _ => st.t("门槛", "From"),
    };
    let code_hint = st.t("小写字母、数字或下划线", "gold");
    let who = inputs(
        f,
        &p,
        &[
            ("code", st.t("代码", "Code"), code_hint),
            ("name_zh", st.t("中文名", "Chinese name"), "金卡"),
            ("name_en", st.t("英文名", "English name"), st.t("", "Gold")),
            ("threshold", from, "5000"),
        ],
    );
    let mut gives = inputs(
        f,
        &p,
        &[
            ("earn", st.t("积分倍率（%）", "Points earned (%)"), "100"),
            (
                "price",
                st.t("会员价（原价的 %）", "Member price (% of list)"),
                "100",
            ),
            (
                "validity",
                st.t("积分有效天数", "Points valid for days"),
                "",
            ),
            (
                "checkout",
                st.t("抵现：多少积分抵 1 元", "Points per yuan at checkout"),
                "",
            ),
        ],
    );
    gives.push(check(
        f,
        &k("transfer"),
        st.t("可转赠积分", "May transfer points"),
    ));
    gives.push(check(
        f,
        &k("priority"),
        st.t("优先客服", "Priority service"),
    ));
    let mut gifts = Vec::new();
    for (name, zh, en) in [
        ("bday", "生日礼", "Birthday gift"),
        ("up", "升级礼", "Tier-up gift"),
    ] {
        let points = format!("{} {}", st.t(zh, en), st.t("积分", "points"));
        let coupon = format!("{} {}", st.t(zh, en), st.t("优惠券", "coupon"));
        gifts.extend(inputs(f, &p, &[(&format!("{name}_points"), &points, "0")]));
        gifts.push(select(f, &k(&format!("{name}_coupon")), &coupon, coupons));
    }
    let mut monthly = Vec::new();
    for j in 0..monthly_slots(f, i) {
        let label = st.t("每月赠券", "Monthly coupon");
        monthly.push(select(f, &k(&format!("mc{j}")), label, coupons));
        let count = st.t("每月张数", "Coupons a month");
        monthly.extend(inputs(f, &p, &[(&format!("mn{j}"), count, "1")]));
    }
    let title = match (f.get(&k("name_zh")), f.get(&k("name_en"))) {
        ("", "") => st.t("新等级", "New tier").to_string(),
        (zh, en) => jifen_domain::name_in(zh, en, st.lang == crate::page::Lang::En).to_string(),
    };
    TierRow {
        n: i + 1,
        title,
        name: format!("t{i}"),
        grids: vec![who, gives, gifts, monthly],
        remove: check(f, &k("remove"), st.t("删除这个等级", "Remove this tier")),
    }
}
