//! Redemption, confirm and pay: the order form, its errors next to the fields, and placing the order through the same use case as the API.

use super::*;
use crate::centre::forms::CentreForm;

/// What the member typed on the confirm page.
#[derive(Deserialize, Default, Clone)]
pub(super) struct RedeemForm {
    #[serde(default)]
    pub(super) sku: String,
    #[serde(default)]
    pub(super) qty: String,
    #[serde(default)]
    pub(super) key: String,
    #[serde(default)]
    pub(super) name: String,
    #[serde(default)]
    pub(super) phone: String,
    #[serde(default)]
    pub(super) city: String,
    #[serde(default)]
    pub(super) line: String,
    #[serde(default)]
    pub(super) postcode: String,
    #[serde(default)]
    pub(super) lang: Option<String>,
}

pub(super) fn key_ok(k: &str) -> bool {
    (16..=64).contains(&k.len()) && k.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Parses a quantity from the form: 1 to the per-order maximum.
pub(super) fn parse_qty(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Some(1);
    }
    raw.parse::<i64>()
        .ok()
        .filter(|q| (1..=jifen_domain::mall::QUANTITY_MAX).contains(q))
}

pub(super) use crate::centre::forms::FieldErrors;

/// Checks every address field, with the message to show next to it.
pub(super) fn check_address(lang: Lang, f: &RedeemForm) -> FieldErrors {
    let mut e = FieldErrors::new();
    let len = |s: &str| s.trim().chars().count();
    if len(&f.name) == 0 {
        e.insert(
            "name",
            t(lang, "请填写收货人", "Enter the recipient's name").into(),
        );
    } else if f.name.chars().count() > 40 {
        e.insert(
            "name",
            t(lang, "收货人最多40个字", "At most 40 characters").into(),
        );
    }
    if len(&f.phone) == 0 {
        e.insert(
            "phone",
            t(lang, "请填写手机号码", "Enter a phone number").into(),
        );
    } else if !Address::mainland_mobile(&f.phone) {
        e.insert(
            "phone",
            t(
                lang,
                "手机号码格式不正确（以1开头的11位手机号）",
                "Not a mainland mobile number (11 digits starting with 1)",
            )
            .into(),
        );
    }
    if len(&f.city) == 0 {
        e.insert("city", t(lang, "请填写所在城市", "Enter the city").into());
    } else if f.city.chars().count() > 40 {
        e.insert(
            "city",
            t(lang, "城市最多40个字", "At most 40 characters").into(),
        );
    }
    if len(&f.line) < 4 {
        e.insert(
            "line",
            t(
                lang,
                "请填写详细地址（街道、门牌号）",
                "Enter the street address",
            )
            .into(),
        );
    } else if f.line.chars().count() > 200 {
        e.insert(
            "line",
            t(lang, "详细地址最多200个字", "At most 200 characters").into(),
        );
    }
    let pc = f.postcode.trim();
    if !pc.is_empty()
        && (pc.chars().count() > 10
            || !pc
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-')))
    {
        e.insert(
            "postcode",
            t(lang, "邮编格式不正确", "Not a postcode").into(),
        );
    }
    e
}

/// Step 2 from the item page's form: the SKU and quantity chosen, checked before showing.
pub(super) async fn confirm(
    State(web): State<Web>,
    headers: HeaderMap,
    Path((token, raw)): Path<(String, String)>,
    Query(q): Query<ItemQuery>,
) -> Response {
    let c = match enter(&web, &headers, &token, q.lang.clone()).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let s = match seen(&web, &c, &raw).await {
        Ok(Some(s)) => s,
        Ok(None) => return item_missing(&c),
        Err(r) => return r,
    };
    let f = RedeemForm {
        sku: q.sku.clone().unwrap_or_default(),
        qty: q.qty.clone().unwrap_or_default(),
        key: form_key(),
        ..Default::default()
    };
    confirm_or_back(&c, &s, &f, &FieldErrors::new(), None, StatusCode::OK)
}

/// The confirm page for a form, or the item page with the problem when the SKU or quantity
/// is not one the member can order (400).
pub(super) fn confirm_or_back(
    c: &Centre,
    s: &Seen,
    f: &RedeemForm,
    errors: &FieldErrors,
    refusal: Option<String>,
    status: StatusCode,
) -> Response {
    let lang = c.lang;
    let sku = if f.sku.is_empty() {
        match s.item.item.skus.as_slice() {
            [only] => Some(only),
            _ => None,
        }
    } else {
        s.item.sku(&f.sku)
    };
    let Some(sku) = sku.cloned() else {
        let msg = if f.sku.is_empty() {
            t(lang, "请先选择规格", "Choose an option first")
        } else {
            t(
                lang,
                "没有这个规格，请重新选择",
                "No such option; choose again",
            )
        };
        return c.page(
            StatusCode::BAD_REQUEST,
            &item_page(c, s, None, 1, Some(msg)),
        );
    };
    let Some(qty) = parse_qty(&f.qty) else {
        let msg = if lang == Lang::En {
            format!(
                "Quantity must be a whole number from 1 to {}",
                jifen_domain::mall::QUANTITY_MAX
            )
        } else {
            format!("数量须为1到{}之间的整数", jifen_domain::mall::QUANTITY_MAX)
        };
        return c.page(
            StatusCode::BAD_REQUEST,
            &item_page(c, s, Some(&sku.sku.sku), 1, Some(&msg)),
        );
    };
    c.page(status, &confirm_page(c, s, &sku, qty, f, errors, refusal))
}

/// Step 2, the confirm page: the steps, a refusal or the warnings, the line item, the shipping
/// address for goods, the sums (points now, this redemption, the cash, the balance after or how
/// many points short), the cash note and the bar to pay.
#[derive(Template)]
#[template(path = "centre/confirm.html")]
pub(super) struct ConfirmPage {
    frame: CentreFrame,
    /// The form's key and its errors: the refusal (`form`), the address fields'.
    form: CentreForm,
    id: i64,
    sku: String,
    qty: i64,
    cover: Cover,
    variant: String,
    price: Price,
    ships: bool,
    address: RedeemForm,
    warnings: String,
    balance: String,
    total: String,
    total_cash: Option<String>,
    cash_words: &'static str,
    short: bool,
    after: String,
    cash_note: Option<(bool, String)>,
    blocked: bool,
    button: String,
}

pub(super) fn confirm_page(
    c: &Centre,
    s: &Seen,
    sku: &MemberSku,
    qty: i64,
    f: &RedeemForm,
    errors: &FieldErrors,
    refusal: Option<String>,
) -> ConfirmPage {
    let lang = c.lang;
    let token = &c.token;
    let i = &s.item;
    let id = i.item.id;
    let currency = &c.ctx.program.currency;
    let sku = &sku.sku;
    let code = sku.sku.as_str();
    let (points, cash) = (sku.points, sku.cash_minor);
    let (total, total_cash) = (points * qty, cash * qty);
    let after = s.balance - total;
    let stock = sku.stock;
    let ships = i.item.kind.ships();
    let how = CashPay::of(s.payment.payment_url.is_some(), ships);
    let mut form = CentreForm {
        key: f.key.clone(),
        errors: errors.clone(),
    };
    if let Some(r) = refusal {
        form.errors.insert("form", r);
    }
    let query =
        serde_urlencoded::to_string([("sku", code), ("qty", &qty.to_string())]).unwrap_or_default();
    let money = |m| jifen_app::mall::money_text(currency, m);
    ConfirmPage {
        frame: c.frame(
            Some(Tab::Mall),
            t(lang, "确认兑换", "Confirm"),
            Some(&format!("/m/{token}/mall/{id}?{query}")),
            &format!("/m/{token}/mall/{id}/confirm?{query}"),
        ),
        form,
        id,
        sku: code.to_string(),
        qty,
        cover: Cover::new(i.item.cover(), i.item.name(lang == Lang::En), Pic::Line),
        variant: sku.name.clone(),
        price: Price::new(points, cash, currency),
        ships,
        address: f.clone(),
        warnings: confirm_warnings(lang, after, stock, qty).join(" · "),
        balance: num(s.balance),
        total: num(total),
        total_cash: (total_cash > 0).then(|| money(total_cash)),
        cash_words: match how {
            CashPay::Online => t(lang, "在线支付现金", "Cash, paid online"),
            CashPay::AtShop => t(lang, "到店支付现金", "Cash at the shop"),
            CashPay::NotSetUp => t(lang, "现金", "Cash"),
        },
        short: after < 0,
        after: match (after < 0, lang) {
            (false, _) => num(after),
            (true, Lang::En) => format!("{} short", num(-after)),
            (true, Lang::Zh) => format!("还差 {}", num(-after)),
        },
        cash_note: (total_cash > 0).then(|| {
            let text = cash_note(lang, &money(total_cash), how, s.payment.pay_window_minutes);
            (how == CashPay::NotSetUp, text)
        }),
        blocked: after < 0 || stock < qty,
        button: pay_button(lang, total, total_cash),
    }
}

/// What stands in the way of the order: points short (`after` below zero), too little stock.
fn confirm_warnings(lang: Lang, after: i64, stock: i64, qty: i64) -> Vec<String> {
    let mut warnings = Vec::new();
    if after < 0 {
        warnings.push(if lang == Lang::En {
            format!("Not enough points: {} points short", num(-after))
        } else {
            format!("积分不足，还差 {} 积分", num(-after))
        });
    }
    if stock < qty {
        warnings.push(if stock <= 0 {
            t(lang, "已兑完", "Sold out").to_string()
        } else if lang == Lang::En {
            format!("Only {} left", num(stock))
        } else {
            format!("库存仅剩 {} 件", num(stock))
        });
    }
    warnings
}

/// For an order with a cash part: the points are held and how the cash is paid: online within
/// the payment window, at the shop, or (goods posted home, no online payment) that the member
/// should ask the shop first.
fn cash_note(lang: Lang, cash: &str, how: CashPay, minutes: i64) -> String {
    match (how, lang) {
        (CashPay::Online, Lang::En) => format!(
            "The points are held now; after you place the order, pay the cash part, {cash}, online within {minutes} minutes. The order takes effect once paid."
        ),
        (CashPay::Online, _) => format!(
            "积分将先冻结；提交订单后请在 {minutes} 分钟内在线支付现金部分 {cash}，支付后订单生效。"
        ),
        (CashPay::AtShop, Lang::En) => format!(
            "The points are held now; the cash part, {cash}, is paid at the shop within {minutes} minutes. The order waits for that payment."
        ),
        (CashPay::AtShop, _) => format!(
            "积分将先冻结；现金部分 {cash} 请在 {minutes} 分钟内到门店支付，支付后订单生效。"
        ),
        (CashPay::NotSetUp, Lang::En) => format!(
            "The shop has not set up online payment, so the cash part, {cash}, cannot be paid here. Ask the shop how to pay before ordering: an order not paid within {minutes} minutes is cancelled and the points come back."
        ),
        (CashPay::NotSetUp, _) => format!(
            "商家尚未开通在线支付，现金部分 {cash} 无法在此支付。下单前请先联系商家确认付款方式：{minutes} 分钟内未付款的订单将自动取消，积分退回。"
        ),
    }
}

/// The words of the button to pay (points only) or to place the order (points + cash).
fn pay_button(lang: Lang, total: i64, total_cash: i64) -> String {
    match (total_cash > 0, lang) {
        (true, Lang::En) => format!("Place order · {} pts", num(total)),
        (true, Lang::Zh) => format!("提交订单 · {} 积分", num(total)),
        (false, Lang::En) => format!("Pay {} points", num(total)),
        (false, Lang::Zh) => format!("确认支付 {} 积分", num(total)),
    }
}

/// What a refusal of an order says to the member.
pub(super) fn refusal_text(lang: Lang, e: &AppError) -> Option<String> {
    let en = lang == Lang::En;
    Some(match e {
        AppError::Ledger(LedgerError::InsufficientPoints {
            available,
            requested,
        }) => {
            if en {
                format!(
                    "Not enough points: this needs {}, you have {} ({} short)",
                    num(*requested),
                    num(*available),
                    num(requested - available)
                )
            } else {
                format!(
                    "积分不足：需要 {}，当前可用 {}，还差 {} 积分",
                    num(*requested),
                    num(*available),
                    num(requested - available)
                )
            }
        }
        AppError::Conflict { code, details, .. } => match *code {
            "sold_out" => {
                let left = details["stock"].as_i64().unwrap_or(0);
                if left > 0 {
                    if en {
                        format!("Only {} left; choose fewer", num(left))
                    } else {
                        format!("库存仅剩 {} 件，请减少数量", num(left))
                    }
                } else {
                    t(lang, "手慢了，已兑完", "Sold out").into()
                }
            }
            "limit_reached" => {
                let limit = details["limit"]
                    .as_i64()
                    .or(details["per_day"].as_i64())
                    .unwrap_or(0);
                let had = details["bought"]
                    .as_i64()
                    .or(details["bought_today"].as_i64())
                    .unwrap_or(0);
                let daily = details["per_day"].is_i64();
                match (en, daily) {
                    (false, false) => format!("每人限兑 {limit} 件，你已兑换 {had} 件"),
                    (false, true) => format!("每天限兑 {limit} 件，你今天已兑换 {had} 件"),
                    (true, false) => format!("{limit} per member; you already have {had}"),
                    (true, true) => format!("{limit} a day per member; you have {had} today"),
                }
            }
            "not_on_sale" => t(lang, "该商品已下架", "This item is no longer on sale").into(),
            "not_on_sale_yet" => {
                t(lang, "还没开始，请稍后再来", "The sale has not started yet").into()
            }
            "sale_ended" => t(lang, "活动已结束", "The sale has ended").into(),
            "not_in_audience" => t(
                lang,
                "该商品仅限指定会员兑换",
                "This item is for other members",
            )
            .into(),
            _ => e.to_string(),
        },
        _ => return None,
    })
}

/// Step 3: the order placed and, for points-only items, paid with points, idempotently.
pub(super) async fn redeem(
    State(web): State<Web>,
    headers: HeaderMap,
    Path((token, raw)): Path<(String, String)>,
    Form(mut f): Form<RedeemForm>,
) -> Response {
    let c = match enter(&web, &headers, &token, f.lang.take()).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let lang = c.lang;
    let s = match seen(&web, &c, &raw).await {
        Ok(Some(s)) => s,
        Ok(None) => return item_missing(&c),
        Err(r) => return r,
    };
    let (Some(sku), Some(qty)) = (s.item.sku(&f.sku).cloned(), parse_qty(&f.qty)) else {
        return confirm_or_back(
            &c,
            &s,
            &f,
            &FieldErrors::new(),
            None,
            StatusCode::BAD_REQUEST,
        );
    };
    if f.qty.trim().is_empty() {
        // The form always carries the quantity; one without it was not ours.
        return confirm_or_back(
            &c,
            &s,
            &RedeemForm {
                qty: "x".into(),
                ..f
            },
            &FieldErrors::new(),
            None,
            StatusCode::BAD_REQUEST,
        );
    }
    if !key_ok(&f.key) {
        f.key = form_key();
        let msg = t(
            lang,
            "页面已过期，请再确认一次",
            "This page was stale; please confirm again",
        );
        return c.page(
            StatusCode::BAD_REQUEST,
            &confirm_page(&c, &s, &sku, qty, &f, &FieldErrors::new(), Some(msg.into())),
        );
    }
    let ships = s.item.item.kind.ships();
    let address = if ships {
        let errors = check_address(lang, &f);
        if !errors.is_empty() {
            return c.page(
                StatusCode::UNPROCESSABLE_ENTITY,
                &confirm_page(&c, &s, &sku, qty, &f, &errors, None),
            );
        }
        Some(address_of(&f))
    } else {
        None
    };
    let request_id = format!("centre-{}", f.key);
    let order_id = match place(&web, &c, &f, qty, address, &request_id).await {
        Ok(out) => Some(out.view.order_id),
        // The same form sent again with other details: the first order stands.
        Err(AppError::IdempotencyMismatch) => order_of_request(&web, &c, request_id).await,
        Err(AppError::Invalid { field, message }) => {
            return c.page(
                StatusCode::UNPROCESSABLE_ENTITY,
                &invalid_page(&c, &s, &sku, qty, &f, &field, message),
            );
        }
        Err(AppError::NotFound { .. }) => return item_missing(&c),
        Err(e) => return refused(&web, &c, &raw, sku, qty, &f, e).await,
    };
    match order_id {
        Some(id) => Redirect::to(&format!("/m/{token}/orders/{id}?placed=1")).into_response(),
        None => c.unavailable(&AppError::Internal("the order was not found".into())),
    }
}

/// The shipping address as typed, trimmed.
fn address_of(f: &RedeemForm) -> Address {
    Address {
        name: f.name.trim().to_string(),
        phone: f.phone.trim().to_string(),
        line: f.line.trim().to_string(),
        city: f.city.trim().to_string(),
        postcode: f.postcode.trim().to_string(),
    }
}

/// Places the member's order for `qty` of the form's SKU through the mall's use case, under
/// `request_id`; the same form sent again answers as the first time.
async fn place(
    web: &Web,
    c: &Centre,
    f: &RedeemForm,
    qty: i64,
    address: Option<Address>,
    request_id: &str,
) -> Result<jifen_app::Written<jifen_app::mall::OrderView>, AppError> {
    let o = PlaceOrder {
        member: MemberRef::Id {
            member_id: c.member.0,
        },
        sku: f.sku.clone(),
        quantity: qty,
        request_id: request_id.to_string(),
        address,
        pay_within_seconds: None,
    };
    let mut fp = b"centre_mall_order".to_vec();
    fp.extend(serde_json::to_vec(&o).expect("order serializes"));
    let idem = (
        format!("centre:{}:{}", c.member.0, f.key),
        jifen_app::sha256_hex(&fp),
    );
    web.app
        .write_view(
            c.program,
            &c.partition(),
            Some(idem),
            move |tx, ctx, now| jifen_app::mall::place_order(tx, ctx, now, &o),
        )
        .await
}

/// The order the member placed under `request_id`, if any.
async fn order_of_request(web: &Web, c: &Centre, request_id: String) -> Option<i64> {
    let (ctx, member) = (c.ctx.clone(), c.member);
    web.app
        .read(move |tx| jifen_app::member_centre::order_of_request(tx, &ctx, member, &request_id))
        .await
        .ok()
        .flatten()
}

/// The confirm page again for a field the use case found invalid: next to the address field it
/// names, or as the page's refusal.
fn invalid_page(
    c: &Centre,
    s: &Seen,
    sku: &MemberSku,
    qty: i64,
    f: &RedeemForm,
    field: &str,
    message: String,
) -> ConfirmPage {
    let mut errors = FieldErrors::new();
    let known = ["name", "phone", "city", "line", "postcode"];
    match field
        .strip_prefix("address.")
        .and_then(|k| known.iter().find(|n| **n == k))
    {
        Some(k) => {
            errors.insert(k, message);
            confirm_page(c, s, sku, qty, f, &errors, None)
        }
        None => confirm_page(
            c,
            s,
            sku,
            qty,
            f,
            &errors,
            Some(format!("{field}: {message}")),
        ),
    }
}

/// The answer to an order refused: the reason on the page as it is now (409, nothing was
/// written), or the service unavailable for an error that is not a refusal.
async fn refused(
    web: &Web,
    c: &Centre,
    raw: &str,
    sku: MemberSku,
    qty: i64,
    f: &RedeemForm,
    e: AppError,
) -> Response {
    let Some(msg) = refusal_text(c.lang, &e) else {
        return c.unavailable(&e);
    };
    let s = match seen(web, c, raw).await {
        Ok(Some(s)) => s,
        Ok(None) => return item_missing(c),
        Err(r) => return r,
    };
    let sku = s.item.sku(&f.sku).cloned().unwrap_or(sku);
    c.page(
        StatusCode::CONFLICT,
        &confirm_page(c, &s, &sku, qty, f, &FieldErrors::new(), Some(msg)),
    )
}
