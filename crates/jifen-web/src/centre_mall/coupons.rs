//! The member's coupons, grouped as usable, used and expired.

use super::*;
use jifen_app::coupons::CouponView;
use jifen_domain::coupons::CouponKind;

pub(super) fn coupon_value(lang: Lang, kind: &CouponKind, currency: &str) -> (String, String) {
    match kind {
        CouponKind::AmountOff { amount_minor: m } => {
            let m = *m;
            let v = if m % 100 == 0 {
                let sym = money(0, currency);
                let sym = sym.trim_end_matches("0.00").trim();
                format!("{sym}{}", num(m / 100))
            } else {
                money(m, currency)
            };
            (v, t(lang, "立减", "off").into())
        }
        CouponKind::PercentOff {
            percent,
            max_off_minor,
        } => {
            let p = *percent as i64;
            let cap = max_off_minor
                .map(|m| {
                    if lang == Lang::En {
                        format!(", up to {}", money(m, currency))
                    } else {
                        format!("，最高减{}", money(m, currency))
                    }
                })
                .unwrap_or_default();
            if lang == Lang::En {
                (format!("{p}%"), format!("off{cap}"))
            } else {
                let z = 100 - p;
                let zhe = if z % 10 == 0 {
                    format!("{}", z / 10)
                } else {
                    format!("{}.{}", z / 10, z % 10)
                };
                (format!("{zhe}折"), format!("折扣券{cap}"))
            }
        }
        CouponKind::FreeShipping { .. } => (
            t(lang, "免邮", "Free").into(),
            t(lang, "运费券", "shipping").into(),
        ),
        CouponKind::Gift { gift } => (t(lang, "赠品", "Gift").into(), gift.clone()),
    }
}

/// A member cancels their own order before it ships, through the same use case as staff
/// (`mall::act`, cancel): the points and the stock come back. Cancelling twice answers that the
/// order is cancelled already; another member's order reads as unknown.
pub(super) async fn cancel(
    State(web): State<Web>,
    headers: HeaderMap,
    Path((token, raw)): Path<(String, String)>,
) -> Response {
    let c = match enter(&web, &headers, &token, None).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let lang = c.lang;
    let missing = || {
        c.not_found(
            t(lang, "找不到这个订单", "That order was not found"),
            &format!("/m/{token}/orders"),
            t(lang, "我的订单", "My orders"),
        )
    };
    let Some(id) = crate::forms::positive_id(&raw) else {
        return missing();
    };
    let (ctx, member) = (c.ctx.clone(), c.member);
    let (state, ships) = match web
        .app
        .read(move |tx| match jifen_app::mall::get_order(tx, &ctx, id) {
            Ok(o) if o.member_id == member.0 => Ok(Some((o.state.clone(), o.ships()))),
            Ok(_) | Err(AppError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        })
        .await
    {
        Ok(Some(s)) => s,
        Ok(None) => return missing(),
        Err(e) => return c.failed(e),
    };
    let back = format!("/m/{token}/orders/{id}?done=cancelled");
    if state == "cancelled" {
        return Redirect::to(&back).into_response();
    }
    // Goods not yet shipped, or anything not yet paid; a paid coupon or virtual right has been
    // delivered already.
    let order_page = format!("/m/{token}/orders/{id}");
    if !(matches!(state.as_str(), "pending_payment" | "awaiting_stock")
        || (state == "paid" && ships))
    {
        return c.refused(
            t(
                lang,
                "订单已发货或已完成，无法取消；如有问题请申诉。",
                "The order has shipped or is done; appeal if something is wrong.",
            ),
            &order_page,
            t(lang, "返回订单", "Back to the order"),
        );
    }
    let actor = format!("member:{}", member.0);
    let u = jifen_app::mall::OrderUpdate {
        actor: Some(actor.clone()),
        reason: Some(t(lang, "会员取消", "Cancelled by the member").into()),
        ..Default::default()
    };
    let out = web
        .app
        .write_view(
            c.program,
            &format!("mall-order:{id}"),
            None,
            move |tx, ctx, now| {
                jifen_app::mall::act(
                    tx,
                    ctx,
                    now,
                    &actor,
                    id,
                    jifen_domain::mall::OrderAction::Cancel,
                    &u,
                )
            },
        )
        .await;
    match out {
        Ok(_) => Redirect::to(&back).into_response(),
        Err(AppError::Conflict { message, .. }) => c.refused(
            &message,
            &order_page,
            t(lang, "返回订单", "Back to the order"),
        ),
        Err(e) => c.failed(e),
    }
}

pub(super) async fn coupons(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(q): Query<LangQuery>,
) -> Response {
    let c = match enter(&web, &headers, &token, q.lang.clone()).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let (ctx, member, now) = (c.ctx.clone(), c.member, web.app.now());
    let data = web
        .app
        .read(move |tx| jifen_app::coupons::member_coupons(tx, &ctx, member, None, now))
        .await;
    let list = match data {
        Ok(v) => v,
        Err(e) => return c.failed(e),
    };
    let lang = c.lang;
    let now = web.app.now();
    let tz = &c.ctx.tz;
    let currency = &c.ctx.program.currency;
    let all = &list.items;
    let groups = [
        ("usable", t(lang, "可用", "Usable"), &["issued"][..]),
        ("used", t(lang, "已使用", "Used"), &["redeemed"][..]),
        (
            "expired",
            t(lang, "已过期", "Expired"),
            &["expired", "void"][..],
        ),
    ];
    let groups = groups
        .into_iter()
        .map(|(id, title, statuses)| CouponGroup {
            id,
            title,
            coupons: all
                .iter()
                .filter(|v| statuses.contains(&v.status.as_str()))
                .map(|v| coupon_card(lang, v, currency, tz, now))
                .collect(),
        })
        .collect();
    let page = CouponsPage {
        frame: c.frame(
            Some(Tab::Coupons),
            t(lang, "我的优惠券", "My coupons"),
            Some(&format!("/m/{token}")),
            &format!("/m/{token}/coupons"),
        ),
        groups,
    };
    c.page(StatusCode::OK, &page)
}

/// The member's coupons: usable, used, expired.
#[derive(Template)]
#[template(path = "centre/coupons.html")]
struct CouponsPage {
    frame: CentreFrame,
    groups: Vec<CouponGroup>,
}

struct CouponGroup {
    id: &'static str,
    title: &'static str,
    coupons: Vec<CouponCard>,
}

/// A coupon: its value (big and small), name, minimum spend, validity, code, and the stamp of
/// one used or expired.
struct CouponCard {
    big: String,
    small: String,
    name: String,
    threshold: String,
    validity: String,
    code: String,
    stamp: Option<String>,
}

fn coupon_card(
    lang: Lang,
    v: &CouponView,
    currency: &str,
    tz: &jiff::tz::TimeZone,
    now: i64,
) -> CouponCard {
    let (big, small) = coupon_value(lang, &v.kind, currency);
    let en = lang == Lang::En;
    let th = v.threshold_minor;
    let threshold = match (th > 0, en) {
        (false, _) => t(lang, "无门槛", "No minimum spend").to_string(),
        (true, true) => format!("On orders from {}", money(th, currency)),
        (true, false) => format!("满{}可用", money(th, currency)),
    };
    let from = v.valid_from;
    let until = fmt_time(v.valid_until, tz);
    let validity = match (from > now, en) {
        (true, true) => format!("Valid {} to {until}", fmt_time(from, tz)),
        (true, false) => format!("{} 起至 {until} 有效", fmt_time(from, tz)),
        (false, true) => format!("Valid until {until}"),
        (false, false) => format!("有效期至 {until}"),
    };
    let stamp = match v.status.as_str() {
        s @ ("redeemed" | "void" | "expired") => Some(jifen_domain::words::text(
            jifen_domain::words::COUPON_STATUSES,
            s,
            en,
        )),
        _ => None,
    };
    CouponCard {
        big,
        small,
        name: v.name(en).to_string(),
        threshold,
        validity,
        code: v.code.clone(),
        stamp,
    }
}
