//! The demo programme: a coffee-and-bakery chain with a year of history, made by replaying a
//! year day by day through the same use cases the API calls, on a clock that starts a year ago.

use std::sync::Arc;

use anyhow::Context;
use jifen_app::commands::{
    self, Adjustment, LineItem, MemberRef, MemberTransfer, NewMember, Purchase, Refund, Spend,
};
use jifen_app::mall::OrderUpdate;
use jifen_app::{App, ManualClock};
use jifen_domain::mall::OrderAction;
use jifen_ledger::policy::{LedgerPolicy, ShortfallPolicy, Validity};
use jifen_ledger::{PointType, ProgramId};
use jifen_store::{Identity, MemberProfile};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

pub const DEMO_CODE: &str = "demo";
const DAY_MS: i64 = 86_400_000;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明",
    "超", "秀英", "桂英", "晓东", "子涵", "欣怡", "浩然", "雨桐",
];
/// (sku, category, price in fen)
const CATALOG: &[(&str, &str, i64)] = &[
    ("COF-LATTE-M", "coffee", 3200),
    ("COF-AMERICANO-L", "coffee", 2800),
    ("COF-BEANS-500G", "beans", 12800),
    ("BAK-CROISSANT", "bakery", 1500),
    ("BAK-CAKE-6IN", "bakery", 16800),
    ("TEA-OOLONG", "tea", 2600),
    ("MUG-CERAMIC", "merch", 8900),
    ("GIFT-CARD-200", "gift", 20000),
];
/// What members redeem points for.
const REWARDS: &[(&str, i64)] = &[
    ("兑换：中杯拿铁券", 600),
    ("兑换：可颂", 300),
    ("兑换：咖啡豆 250g", 2000),
    ("兑换：马克杯", 1500),
    ("兑换：满 50 减 10 券", 800),
];

fn write<T: serde::Serialize>(
    app: &App,
    program: ProgramId,
    mut f: impl FnMut(
        &mut jifen_store::Tx<'_>,
        &jifen_app::ProgramCtx,
        i64,
    ) -> Result<T, jifen_app::AppError>
    + Send
    + 'static,
) -> Option<serde_json::Value> {
    // Refusals (a spend beyond the balance) are part of a realistic history; they write nothing.
    app.write_blocking(program, "demo", None, move |tx, ctx, now| {
        serde_json::to_value(f(tx, ctx, now)?)
            .map_err(|e| jifen_app::AppError::Internal(e.to_string()))
    })
    .ok()
    .map(|o| o.body)
}

fn behaviour(
    member: i64,
    kind: &str,
    event_id: Option<String>,
    attributes: serde_json::Value,
) -> jifen_app::earn::EventIn {
    jifen_app::earn::EventIn {
        event_id,
        trigger: kind.into(),
        member: MemberRef::Id { member_id: member },
        occurred_at: None,
        channel: Some("app".into()),
        tags: vec![],
        attributes: serde_json::from_value(attributes).unwrap_or_default(),
        makeup_date: None,
        device_id: None,
        ip: None,
    }
}

/// The demo's earning rules: sign-in streaks, reviews, shares, a new-member pack with a
/// first-order double, referrals, a coffee bonus, a monthly ladder, birthdays, and a
/// double-points weekend campaign over the last two months, with its budget.
fn earning_rules(app: &App, program: ProgramId, start: i64) -> anyhow::Result<()> {
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai")?;
    let day = |offset: i64| {
        jiff::Timestamp::from_millisecond(start + offset * DAY_MS)
            .map(|t| t.to_zoned(tz.clone()).date().to_string())
    };
    let (campaign_from, campaign_to) = (day(300)?, day(366)?);
    let rules = [
        json!({"name": "每日签到", "trigger": "sign_in", "points": "sign_in.makeup ? 2 : 5"}),
        json!({"name": "连续签到7天奖励", "trigger": "sign_in", "condition": "streak.day % 7 == 0", "points": "50"}),
        json!({"name": "累计签到100次", "trigger": "sign_in", "condition": "streak.total == 100", "points": "500"}),
        json!({"name": "评价有礼", "trigger": "review",
               "points": "10 + (review.text_length >= 50 ? 20 : 0) + min(review.photos, 3) * 10",
               "caps": [{"period": "day", "max_count": 3}]}),
        json!({"name": "分享有礼", "trigger": "share", "points": "2", "caps": [{"period": "day", "max_count": 5}]}),
        json!({"name": "新人礼包", "trigger": "sign_up", "points": "500"}),
        json!({"name": "首单双倍积分", "trigger": "purchase", "condition": "member.order_count == 0", "points": "base_points"}),
        json!({"name": "邀请好友注册", "trigger": "referral",
               "condition": "referral.role == 'invitee' && referral.stage == 'sign_up'", "points": "100"}),
        json!({"name": "好友首单奖励邀请人", "trigger": "referral",
               "condition": "referral.role == 'inviter' && referral.stage == 'first_purchase'", "points": "300"}),
        json!({"name": "咖啡加倍", "trigger": "purchase", "points": "order.category_amount['coffee'] / 100"}),
        json!({"name": "月度消费满3单奖励", "trigger": "purchase", "condition": "month.orders >= 3", "points": "500",
               "caps": [{"period": "month", "max_count": 1}]}),
        json!({"name": "生日礼", "trigger": "birthday", "points": "188"}),
        json!({"name": "双倍积分周末", "trigger": "purchase", "points": "base_points",
               "schedule": {"starts_at": campaign_from, "ends_at": campaign_to, "days_of_week": [6, 7]},
               "budget_points": 200000, "priority": 10}),
    ];
    for def in rules {
        let input = jifen_app::earn::RuleIn {
            definition: serde_json::from_value(def)?,
            status: Some("active".into()),
            actor: Some("staff:demo-ops".into()),
        };
        app.write_view_blocking(program, "rules", None, move |tx, ctx, now| {
            jifen_app::earn::create_rule(tx, ctx, now, "system:demo", &input)
        })?;
    }
    let settings: jifen_rules::signin::EarnSettings = serde_json::from_value(json!({
        "sign_in": {"reset": "missed_day", "makeup_cost_points": 20, "makeup_days_max": 7},
        "trigger_caps": [{"trigger": "share", "period": "day", "max_points": 10}],
        "risk": {"velocity": [{"by": "device", "window_minutes": 60, "max_events": 30}], "device_members_max": 5}
    }))?;
    app.write_view_blocking(program, "rules", None, move |tx, ctx, now| {
        jifen_app::earn::put_settings(tx, ctx, now, "system:demo", &settings)
    })?;
    // Coupons the tiers give: free shipping each month, a birthday coffee, tier-up vouchers.
    let templates = [
        json!({"code": "free_ship", "name_zh": "免邮券", "name_en": "Free shipping",
               "kind": {"type": "free_shipping", "max_minor": 1500}, "validity": {"kind": "days", "days": 31}}),
        json!({"code": "birthday_latte", "name_zh": "生日拿铁兑换券", "name_en": "Birthday latte",
               "kind": {"type": "gift", "gift": "中杯拿铁一杯"}, "validity": {"kind": "days", "days": 30}}),
        json!({"code": "off_20_100", "name_zh": "满100减20券", "name_en": "20 off 100",
               "kind": {"type": "amount_off", "amount_minor": 2000}, "threshold_minor": 10000,
               "validity": {"kind": "days", "days": 60}}),
        json!({"code": "off_15pct", "name_zh": "85折券", "name_en": "15% off",
               "kind": {"type": "percent_off", "percent": 15, "max_off_minor": 5000}, "validity": {"kind": "days", "days": 60}}),
    ];
    for t in templates {
        let t: jifen_domain::coupons::CouponTemplate = serde_json::from_value(t)?;
        app.write_blocking(program, "coupon_templates", None, move |tx, ctx, now| {
            let v = jifen_app::coupons::create_template(tx, ctx, now, "system:demo", &t)?;
            serde_json::to_value(v).map_err(|e| jifen_app::AppError::Internal(e.to_string()))
        })?;
    }
    // A four-tier ladder on growth value over a rolling year, reviewed each quarter with a
    // month's grace. Members climb as they buy; each tier gives more.
    let ladder: jifen_domain::tiers::Ladder = serde_json::from_value(json!({
        "metric": "growth", "window": {"kind": "rolling_months", "months": 12},
        "review": {"every": "quarter", "grace_days": 30, "downgrade_steps_max": 1},
        "tiers": [
            {"code": "normal", "name_zh": "普通会员", "name_en": "Member", "threshold": 0,
             "benefits": {"transfer_allowed": false}},
            {"code": "silver", "name_zh": "白银会员", "name_en": "Silver", "threshold": 1000,
             "benefits": {"earn_multiplier_pct": 110, "member_price_pct": 98,
                          "tier_up_gift": {"points": 100},
                          "birthday_gift": {"points": 100}}},
            {"code": "gold", "name_zh": "黄金会员", "name_en": "Gold", "threshold": 3000,
             "benefits": {"earn_multiplier_pct": 150, "member_price_pct": 95, "points_validity_days": 365,
                          "tier_up_gift": {"points": 300, "coupon": "off_20_100"},
                          "birthday_gift": {"points": 300, "coupon": "birthday_latte"},
                          "monthly_coupons": [{"coupon": "free_ship", "count": 1}],
                          "checkout_points_per_unit": 90}},
            {"code": "diamond", "name_zh": "钻石会员", "name_en": "Diamond", "threshold": 8000,
             "benefits": {"earn_multiplier_pct": 200, "member_price_pct": 90, "points_validity_days": 730,
                          "tier_up_gift": {"points": 800, "coupon": "off_15pct"},
                          "birthday_gift": {"points": 800, "coupon": "birthday_latte"},
                          "monthly_coupons": [{"coupon": "free_ship", "count": 3}],
                          "checkout_points_per_unit": 80, "priority_service": true}}]
    }))?;
    app.write_blocking(program, "tiers", None, move |tx, ctx, now| {
        let v = jifen_app::tiers::put_ladder(tx, ctx, now, "system:demo", &ladder)?;
        serde_json::to_value(v).map_err(|e| jifen_app::AppError::Internal(e.to_string()))
    })?;
    app.invalidate_program(program);
    mall_catalog(app, program, start)?;
    app.invalidate_program(program);
    Ok(())
}

/// SKUs the demo's members order from.
const MALL_ORDER_SKUS: [&str; 8] = [
    "CUP-RED",
    "TOTE",
    "MUG-W",
    "FREE-SHIP",
    "UPSIZE",
    "BEANS-250",
    "OFF-20",
    "TICKET",
];

/// What kind of item a demo good is, as its `kind` says.
#[derive(Clone, Copy)]
enum Kind {
    Physical,
    /// A coupon of this template.
    Coupon(&'static str),
    Virtual,
    Experience,
    /// Fulfilled by this partner.
    Partner(&'static str),
}

impl Kind {
    fn json(self) -> Value {
        match self {
            Kind::Physical => json!({"type": "physical"}),
            Kind::Coupon(template) => json!({"type": "coupon", "template": template}),
            Kind::Virtual => json!({"type": "virtual"}),
            Kind::Experience => json!({"type": "experience"}),
            Kind::Partner(partner) => json!({"type": "partner", "partner": partner}),
        }
    }
}

use Kind::{Coupon, Experience, Partner, Physical, Virtual};

/// The demo mall's goods, coupons, services, experiences and partner items, created in this
/// order: (zh, en, category, kind, sku, points, cash, market, stock); prices in fen, a market
/// price of 0 is none.
#[rustfmt::skip]
const GOODS: [(&str, &str, &str, Kind, &str, i64, i64, i64, i64); 31] = [
    ("保温杯", "Tumbler", "drinkware", Physical, "CUP-RED", 1000, 990, 3500, 400),
    ("帆布袋", "Canvas tote", "bags", Physical, "TOTE", 600, 0, 2900, 300),
    ("手冲咖啡壶", "Pour-over kettle", "brewing", Physical, "KETTLE", 4800, 4900, 19900, 40),
    ("耶加雪菲咖啡豆 250g", "Yirgacheffe beans 250 g", "beans", Physical, "BEANS-250", 1800, 0, 8800, 150),
    ("白色陶瓷马克杯", "White ceramic mug", "drinkware", Physical, "MUG-W", 800, 0, 4500, 120),
    ("挂耳咖啡礼盒", "Drip-bag gift box", "beans", Physical, "DRIP-BOX", 1200, 1900, 6800, 80),
    ("手摇磨豆机", "Hand grinder", "brewing", Physical, "GRINDER", 6000, 9900, 29900, 25),
    ("冷萃瓶", "Cold-brew bottle", "brewing", Physical, "COLD-BTL", 2000, 0, 8900, 60),
    ("品牌T恤", "Branded T-shirt", "apparel", Physical, "TEE-M", 2500, 0, 9900, 100),
    ("晴雨伞", "Umbrella", "lifestyle", Physical, "UMBRELLA", 1500, 0, 5900, 80),
    ("桌面日历", "Desk calendar", "lifestyle", Physical, "CALENDAR", 500, 0, 2500, 200),
    ("咖啡豆钥匙扣", "Coffee-bean keychain", "lifestyle", Physical, "KEYCHAIN", 300, 0, 1500, 500),
    ("免邮券", "Free-shipping coupon", "coupons", Coupon("free_ship"), "FREE-SHIP", 200, 0, 1000, 10000),
    ("满100减20券", "20 off 100 coupon", "coupons", Coupon("off_20_100"), "OFF-20", 800, 0, 2000, 5000),
    ("85折券", "15% off coupon", "coupons", Coupon("off_15pct"), "OFF-15PCT", 1500, 0, 3000, 2000),
    ("拿铁兑换券", "Latte voucher", "coupons", Coupon("birthday_latte"), "LATTE-V", 1200, 0, 3200, 3000),
    ("专属客服（一个月）", "Priority service (1 month)", "services", Virtual, "PRIORITY-1M", 3000, 0, 0, 1000),
    ("新品试用资格", "New product trial", "services", Virtual, "TRIAL", 1000, 0, 0, 200),
    ("免费升杯", "Free size upgrade", "services", Virtual, "UPSIZE", 300, 0, 500, 10000),
    ("外送免配送费", "Free delivery", "services", Virtual, "DELIVERY", 400, 0, 600, 10000),
    ("咖啡品鉴课", "Coffee tasting class", "experiences", Experience, "TASTING", 5000, 2900, 19900, 30),
    ("拉花体验课", "Latte-art workshop", "experiences", Experience, "LATTE-ART", 6000, 0, 25900, 20),
    ("烘焙工厂参观", "Roastery tour", "experiences", Experience, "ROASTERY", 8000, 0, 0, 15),
    ("咖啡师一日体验", "Barista for a day", "experiences", Experience, "BARISTA", 12000, 0, 0, 5),
    ("视频会员月卡", "Video streaming, 1 month", "partners", Partner("视频平台"), "VIDEO-1M", 4000, 0, 2500, 500),
    ("共享单车月卡", "Bike-share monthly pass", "partners", Partner("单车出行"), "BIKE-1M", 1800, 0, 1500, 500),
    ("航空里程 500", "500 airline miles", "partners", Partner("航空公司"), "MILES-500", 5000, 0, 0, 1000),
    ("电影票", "Movie ticket", "partners", Partner("影院"), "TICKET", 3000, 990, 4500, 300),
    ("话费充值 10 元", "Phone top-up, 10 yuan", "partners", Partner("运营商"), "TOPUP-10", 1000, 0, 1000, 2000),
    ("书店代金券 50 元", "Bookstore voucher, 50 yuan", "partners", Partner("书店"), "BOOKS-50", 4500, 0, 5000, 300),
    ("黄金会员专享：瑰夏咖啡豆", "Gold exclusive: Geisha beans", "beans", Physical, "GEISHA", 2000, 0, 16800, 50),
];

/// The demo mall: 34 items across goods, coupons, services, experiences and partner items,
/// points or points + cash, with a flash sale running, a gold-only item and a new-member item.
fn mall_catalog(app: &App, program: ProgramId, start: i64) -> anyhow::Result<()> {
    let now = jiff::Timestamp::now().as_millisecond();
    mall_categories(app, program)?;
    mall_goods(app, program)?;
    mall_specials(app, program, start, now)?;
    lucky_wheel(app, program)?;
    checkout_settings(app, program)?;
    mall_candidates(app, program)
}

/// The categories of the demo's items, named, in the order the member centre shows them.
const CATEGORIES: [(&str, &str, &str); 11] = [
    ("coffee", "咖啡饮品", "Coffee drinks"),
    ("beans", "咖啡豆", "Coffee beans"),
    ("brewing", "冲煮器具", "Brewing gear"),
    ("drinkware", "杯具", "Drinkware"),
    ("coupons", "优惠券", "Coupons"),
    ("services", "服务", "Services"),
    ("experiences", "体验", "Experiences"),
    ("partners", "合作伙伴", "Partners"),
    ("apparel", "服饰", "Apparel"),
    ("bags", "包袋", "Bags"),
    ("lifestyle", "生活方式", "Lifestyle"),
];

fn mall_categories(app: &App, program: ProgramId) -> anyhow::Result<()> {
    let list = jifen_app::mall::MallCategories {
        categories: CATEGORIES
            .iter()
            .map(|(code, zh, en)| jifen_app::mall::MallCategory {
                code: code.to_string(),
                name_zh: zh.to_string(),
                name_en: en.to_string(),
            })
            .collect(),
    };
    app.write_view_blocking(program, "mall", None, move |tx, ctx, now| {
        jifen_app::mall::put_categories(tx, ctx, now, "system:demo", &list)
    })?;
    Ok(())
}

/// The [`GOODS`], each with its generated image; one of two sizes for the beans, and the Geisha
/// beans for gold and diamond members only.
fn mall_goods(app: &App, program: ProgramId) -> anyhow::Result<()> {
    for (zh, en, category, kind, sku, points, cash, market, stock) in GOODS {
        let image_id = item_image(app, program, zh, en, category)?;
        let mut v = json!({"name_zh": zh, "name_en": en, "category": category, "kind": kind.json(), "status": "on_sale",
            "images": [image_id],
            "description_zh": format!("{zh}，会员积分兑换。"), "description_en": format!("{en}, redeemed with points."),
            "skus": [{"sku": sku, "points": points, "cash_minor": cash, "stock": stock}]});
        if market > 0 {
            v["skus"][0]["market_price_minor"] = json!(market);
        }
        if sku == "GEISHA" {
            v["audience"] = json!({"tiers": ["gold", "diamond"]});
        }
        if sku == "BEANS-250" {
            v["skus"].as_array_mut().unwrap().push(json!({"sku": "BEANS-500", "name": "500g", "points": 3200, "stock": 80, "market_price_minor": 15800}));
            v["skus"][0]["name"] = json!("250g");
        }
        create_item(app, program, v)?;
    }
    Ok(())
}

/// Items with a twist: a flash sale, a presale, a new-member item and a daily deal.
fn mall_specials(app: &App, program: ProgramId, start: i64, now: i64) -> anyhow::Result<()> {
    let specials = [
        // A flash sale that opened an hour before the demo starts serving, 20 units.
        json!({"name_zh": "秒杀：限量联名保温杯", "name_en": "Flash sale: limited collab tumbler", "category": "drinkware",
               "kind": {"type": "physical"}, "status": "on_sale", "flash_sale": true, "sale_from": now - 3_600_000,
               "sale_until": now + 7 * DAY_MS, "skus": [{"sku": "FLASH-CUP", "points": 999, "stock": 20, "market_price_minor": 12800}]}),
        json!({"name_zh": "预售：冬季限定圣诞杯", "name_en": "Presale: winter holiday cup", "category": "drinkware",
               "kind": {"type": "physical"}, "status": "on_sale", "presale": true,
               "description_zh": "12月中旬到货，按下单顺序发货。", "description_en": "Arrives mid-December; ships in order of purchase.",
               "skus": [{"sku": "PRESALE-XMAS", "points": 1500, "stock": 200, "market_price_minor": 9900}]}),
        json!({"name_zh": "新人专享：1积分美式", "name_en": "New members: americano for 1 point", "category": "coffee",
               "kind": {"type": "virtual"}, "status": "on_sale", "audience": {"joined_within_days": 30},
               "limits": {"lifetime": 1}, "skus": [{"sku": "NEW-AMERICANO", "points": 1, "stock": 10000, "market_price_minor": 2200}]}),
        json!({"name_zh": "每日特价：燕麦拿铁", "name_en": "Daily deal: oat latte", "category": "coffee",
               "kind": {"type": "virtual"}, "status": "on_sale", "limits": {"per_day": 1}, "sale_from": start,
               "skus": [{"sku": "OAT-LATTE", "points": 500, "cash_minor": 500, "stock": 10000, "market_price_minor": 3200}]}),
    ];
    for mut v in specials {
        let image_id = item_image(
            app,
            program,
            v["name_zh"].as_str().unwrap_or(""),
            v["name_en"].as_str().unwrap_or(""),
            v["category"].as_str().unwrap_or(""),
        )?;
        v["images"] = json!([image_id]);
        create_item(app, program, v)?;
    }
    Ok(())
}

/// Uploads an item's generated image; returns its id.
fn item_image(
    app: &App,
    program: ProgramId,
    zh: &str,
    en: &str,
    category: &str,
) -> anyhow::Result<i64> {
    let svg = item_svg(zh, en, category);
    let image = app.write_view_blocking(program, "mall", None, move |tx, ctx, now| {
        jifen_app::mall::upload_image(tx, ctx, now, "image/svg+xml", svg.as_bytes())
    })?;
    Ok(image.view.image_id)
}

fn create_item(app: &App, program: ProgramId, v: Value) -> anyhow::Result<()> {
    let item: jifen_app::mall::ItemIn = serde_json::from_value(v)?;
    // The seeded item is not read back: what the write answers is of no use here.
    app.write_view_blocking(program, "mall", None, move |tx, ctx, now| {
        jifen_app::mall::create_item(tx, ctx, now, "system:demo", &item)
    })?;
    Ok(())
}

fn lucky_wheel(app: &App, program: ProgramId) -> anyhow::Result<()> {
    // A lucky wheel: 20 points a draw, three prizes with published odds, and a consolation.
    let wheel: jifen_domain::lottery::LotteryDef = serde_json::from_value(json!({
        "code": "lucky_wheel", "name_zh": "幸运大转盘", "name_en": "Lucky wheel", "style": "wheel", "cost_points": 20,
        "per_member_per_day": 3,
        "prizes": [
            {"code": "p500", "name_zh": "500积分", "name_en": "500 points", "odds_ppm": 10000, "stock": 50,
             "reward": {"type": "points", "points": 500}},
            {"code": "latte", "name_zh": "拿铁兑换券", "name_en": "Latte voucher", "odds_ppm": 50000, "stock": 200,
             "reward": {"type": "coupon", "template": "birthday_latte"}},
            {"code": "p30", "name_zh": "30积分", "name_en": "30 points", "odds_ppm": 300000, "stock": 100000,
             "reward": {"type": "points", "points": 30}}],
        "consolation": {"name_zh": "谢谢参与", "name_en": "Better luck next time", "reward": {"type": "points", "points": 2}}}))?;
    app.write_blocking(program, "lotteries", None, move |tx, ctx, now| {
        let v = jifen_app::lottery::create(tx, ctx, now, "system:demo", &wheel)?;
        serde_json::to_value(v).map_err(|e| jifen_app::AppError::Internal(e.to_string()))
    })?;
    Ok(())
}

fn checkout_settings(app: &App, program: ProgramId) -> anyhow::Result<()> {
    // Points at checkout: 100 points = 1 yuan, at most 30% of an order, from 20 yuan.
    let checkout: jifen_app::checkout::CheckoutSettings = serde_json::from_value(json!({
        "points_per_unit": 100, "max_share_pct": 30, "min_order_minor": 2000,
        "ladders": [{"min_order_minor": 2000, "max_points": 500}, {"min_order_minor": 10000, "max_points": 1000},
                    {"min_order_minor": 20000, "max_points": 3000}]}))?;
    app.write_view_blocking(program, "checkout", None, move |tx, ctx, now| {
        jifen_app::checkout::put_settings(tx, ctx, now, &checkout)
    })?;
    // The overview values the points members hold at the same rate: 100 points, 1 yuan.
    let value = jifen_app::overview::PointValue {
        minor_per_100_points: Some(100),
    };
    app.write_view_blocking(program, "staff", None, move |tx, ctx, now| {
        jifen_app::overview::put_point_value(tx, ctx, now, "system:demo", &value)
    })?;
    Ok(())
}

/// Items members may vote for.
fn mall_candidates(app: &App, program: ProgramId) -> anyhow::Result<()> {
    for (zh, en) in [
        ("联名帆布鞋", "Collab canvas sneakers"),
        ("便携咖啡机", "Portable espresso maker"),
        ("咖啡主题露营椅", "Coffee camping chair"),
    ] {
        let c = jifen_app::mall::Candidate {
            name_zh: zh.into(),
            name_en: en.into(),
            description: String::new(),
        };
        app.write_view_blocking(program, "mall", None, move |tx, ctx, now| {
            jifen_app::mall::add_candidate(tx, ctx, now, &c)
        })?;
    }
    Ok(())
}

/// A product card for a demo item: the item's first character large on its category's colour,
/// its names below. Generated, so the demo ships no image files.
fn item_svg(zh: &str, en: &str, category: &str) -> String {
    let (bg, fg) = match category {
        "drinkware" => ("#F3E3D3", "#8B4A2B"),
        "bags" => ("#E3ECD9", "#4E6B2E"),
        "brewing" => ("#E6DFD8", "#5B4636"),
        "beans" => ("#EADCC8", "#6F3D1E"),
        "apparel" => ("#DDE6F0", "#2F4A68"),
        "lifestyle" => ("#F0E6F0", "#6B3F6B"),
        "coupons" => ("#FBE3E1", "#B03A2E"),
        "services" => ("#E0F0EC", "#22695A"),
        "experiences" => ("#FFF1D6", "#9A6A00"),
        "partners" => ("#E4E4F4", "#3E3E8C"),
        _ => ("#EEEEEE", "#444444"),
    };
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let glyph = zh
        .chars()
        .find(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
        .unwrap_or('积');
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="480" height="480" viewBox="0 0 480 480"><rect width="480" height="480" rx="32" fill="{bg}"/><circle cx="240" cy="200" r="120" fill="{fg}" opacity="0.12"/><text x="240" y="250" font-size="150" text-anchor="middle" fill="{fg}" font-family="sans-serif">{g}</text><text x="240" y="380" font-size="34" text-anchor="middle" fill="{fg}" font-family="sans-serif">{zh}</text><text x="240" y="425" font-size="22" text-anchor="middle" fill="{fg}" opacity="0.8" font-family="sans-serif">{en}</text></svg>"##,
        g = glyph,
        zh = esc(zh),
        en = esc(en),
    )
}

/// Creates and fills the demo programme unless it exists.
pub fn seed(database: &str, pg_writers: usize, members: usize) -> anyhow::Result<()> {
    let now = jiff::Timestamp::now().as_millisecond();
    let start = now - 365 * DAY_MS;
    let clock = Arc::new(ManualClock::new(start));
    let backend = jifen_app::open_backend(database, pg_writers)?;
    let app = App::start(backend, Arc::new(clock.clone()))?;
    if app
        .read_blocking(|tx| Ok(tx.program_by_code(DEMO_CODE)?))?
        .is_some()
    {
        return Ok(());
    }
    println!("Creating the demo programme: {members} members and a year of history...");
    let program = create_demo_program(&app)?;
    let mut rng = StdRng::seed_from_u64(20261122);
    earning_rules(&app, program, start)?;

    // Members: an activity level each, from daily regulars to the occasional visitor.
    let people = create_members(&app, program, members, &mut rng)?;

    let mut year = Year {
        app: &app,
        program,
        rng,
        order_no: 0,
        to_refund: Vec::new(),
    };
    for day in 0..365 {
        let today = start + day * DAY_MS;
        clock.set(today + 9 * 3_600_000);
        year.day(day, &people);
        clock.set(today + DAY_MS);
        app.run_jobs(program)?;
    }
    clock.set(now);
    app.run_jobs(program)?;
    let drift = app.verify(program)?;
    anyhow::ensure!(drift.is_empty(), "demo data drifted: {drift:?}");
    let summary = app.read_blocking(move |tx| Ok(json!({"members": tx.count_members(program)?, "transfers": tx.all_transfers(program)?.len()})))?;
    println!("Demo ready: {summary}");
    Ok(())
}

/// The demo programme: points valid six months, a week's return window, debt on shortfalls.
fn create_demo_program(app: &App) -> anyhow::Result<ProgramId> {
    let policy = LedgerPolicy {
        validity: Validity::Months { months: 6 },
        pending_days: 7,
        points_per_unit: 1,
        growth_per_unit: 1,
        shortfall: ShortfallPolicy::Debt,
        clawback_pending_first: false,
    };
    Ok(app
        .create_program(
            DEMO_CODE,
            "悦享咖啡会员（演示）",
            "CNY",
            "Asia/Shanghai",
            policy,
        )?
        .id)
}

/// `members` members with a name, phone, birthday and ids in one to three channels, some
/// referred by an earlier one; returns each one's id and activity level.
fn create_members(
    app: &App,
    program: ProgramId,
    members: usize,
    rng: &mut StdRng,
) -> anyhow::Result<Vec<(i64, f64)>> {
    let mut people: Vec<(i64, f64)> = Vec::new();
    for n in 1..=members {
        let name = format!(
            "{}{}",
            SURNAMES[rng.random_range(0..SURNAMES.len())],
            GIVEN[rng.random_range(0..GIVEN.len())]
        );
        let mut identities = vec![Identity {
            channel: "app".into(),
            external_id: format!("U{:06}", 100_000 + n),
        }];
        if rng.random_bool(0.6) {
            identities.push(Identity {
                channel: "mini_program".into(),
                external_id: format!("wx_{:012x}", rng.random::<u64>() >> 16),
            });
        }
        let phone = format!("13{:09}", rng.random_range(0..1_000_000_000u64));
        if rng.random_bool(0.3) {
            identities.push(Identity {
                channel: "pos".into(),
                external_id: phone.clone(),
            });
        }
        // One member in five joined through a friend's invitation (邀请有礼).
        let referrer = (!people.is_empty() && rng.random_bool(0.2)).then(|| MemberRef::Id {
            member_id: people[rng.random_range(0..people.len())].0,
        });
        let m = NewMember {
            referrer,
            device_id: None,
            ip: None,
            profile: MemberProfile {
                name: Some(name),
                phone: Some(phone),
                email: rng
                    .random_bool(0.4)
                    .then(|| format!("member{n}@example.com")),
                birthday: Some(format!(
                    "{}-{:02}-{:02}",
                    rng.random_range(1965..2006),
                    rng.random_range(1..=12),
                    rng.random_range(1..=28)
                )),
            },
            identities,
        };
        let created = app
            .write_view_blocking(program, "demo", None, move |tx, ctx, now| {
                commands::create_member(tx, ctx, now, &m)
            })
            .context("creating a demo member")?;
        let id = created.view.member.member_id.0;
        let activity = [0.12, 0.05, 0.02, 0.006][rng.random_range(0..4)];
        people.push((id, activity));
    }
    Ok(people)
}

/// The year being replayed: where it writes, its seeded random source, the orders so far and
/// the refunds to come.
struct Year<'a> {
    app: &'a App,
    program: ProgramId,
    rng: StdRng,
    order_no: i64,
    /// (day due, order id, amount) of the refunds to come.
    to_refund: Vec<(i64, String, i64)>,
}

impl Year<'_> {
    /// One day: every member's visits, the refunds that come due, and now and then a mall
    /// order, a spin of the wheel, a transfer or a goodwill credit.
    fn day(&mut self, day: i64, people: &[(i64, f64)]) {
        for &(member, activity) in people {
            self.member_day(day, member, activity);
        }
        // Refunds that come due today, half of them partial.
        self.refunds_due(day);
        // Twice a week a member orders from the mall: points-only items are paid at once,
        // points + cash ones are paid (or now and then cancelled), goods are shipped.
        if day % 7 == 3 || day % 7 == 6 {
            self.mall_order(day, people);
        }
        // Every few days a member spins the lucky wheel.
        if day % 3 == 1 {
            self.spin_wheel(day, people);
        }
        // Now and then a member gives points to family, and service grants a goodwill credit.
        if day % 11 == 5 {
            self.family_transfer(people);
        }
        if day % 17 == 8 {
            self.goodwill_credit(people);
        }
    }

    /// A member's day: a sign-in and a share now and then, and a purchase as often as their
    /// activity says.
    fn member_day(&mut self, day: i64, member: i64, activity: f64) {
        // Daily sign-in (签到): regulars most days, others now and then; shares sometimes.
        if self.rng.random_bool((activity * 6.0).min(0.9)) {
            let e = behaviour(member, "sign_in", None, json!({}));
            write(self.app, self.program, move |tx, ctx, now| {
                jifen_app::earn::record_event(tx, ctx, now, &e)
            });
        }
        if self.rng.random_bool(activity / 2.0) {
            let e = behaviour(
                member,
                "share",
                Some(format!("SH-{day}-{member}")),
                json!({}),
            );
            write(self.app, self.program, move |tx, ctx, now| {
                jifen_app::earn::record_event(tx, ctx, now, &e)
            });
        }
        if self.rng.random_bool(activity) {
            self.purchase(day, member);
        }
    }

    /// A purchase of one to three catalogue lines, now and then refunded later, perhaps with a
    /// review and a redemption.
    fn purchase(&mut self, day: i64, member: i64) {
        self.order_no += 1;
        let order_id = format!("SO{}{:06}", 2025 + (day / 365), self.order_no);
        let mut lines = Vec::new();
        for _ in 0..self.rng.random_range(1..=3) {
            let (sku, cat, price) = CATALOG[self.rng.random_range(0..CATALOG.len())];
            lines.push(LineItem {
                sku: sku.into(),
                category: Some(cat.into()),
                quantity: self.rng.random_range(1..=2),
                price_minor: price,
                kind: None,
            });
        }
        let amount: i64 = lines.iter().map(|l| l.quantity * l.price_minor).sum();
        let p = Purchase {
            order_id: order_id.clone(),
            member: MemberRef::Id { member_id: member },
            amount_minor: amount,
            currency: "CNY".into(),
            lines,
            occurred_at: None,
            channel: None,
            shipping_minor: None,
            tags: vec![],
        };
        if write(self.app, self.program, move |tx, ctx, now| {
            commands::purchase(tx, ctx, now, &p)
        })
        .is_some()
            && self.rng.random_bool(0.06)
        {
            self.to_refund
                .push((day + self.rng.random_range(1..20), order_id.clone(), amount));
        }
        // Some purchases get a review, a few with photos (晒单).
        if self.rng.random_bool(0.3) {
            let e = behaviour(
                member,
                "review",
                Some(format!("RV-{order_id}")),
                json!({"text_length": self.rng.random_range(5..200), "photos": self.rng.random_range(0..4)}),
            );
            write(self.app, self.program, move |tx, ctx, now| {
                jifen_app::earn::record_event(tx, ctx, now, &e)
            });
        }
        // Regulars redeem rewards when they can afford one.
        if self.rng.random_bool(0.25) {
            let (reason, cost) = REWARDS[self.rng.random_range(0..REWARDS.len())];
            let s = Spend {
                member: MemberRef::Id { member_id: member },
                amount: cost,
                reason: Some(reason.into()),
                order_ref: None,
            };
            write(self.app, self.program, move |tx, ctx, now| {
                commands::spend(tx, ctx, now, &s)
            });
        }
    }

    fn refunds_due(&mut self, day: i64) {
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.to_refund)
            .into_iter()
            .partition(|r| r.0 <= day);
        self.to_refund = later;
        for (_, order_id, amount) in due {
            let part = if self.rng.random_bool(0.5) {
                Some(amount / 2)
            } else {
                None
            };
            let r = Refund {
                order_id,
                amount_minor: part,
                reason: Some("顾客退货".into()),
            };
            write(self.app, self.program, move |tx, ctx, now| {
                commands::refund(tx, ctx, now, &r)
            });
        }
    }

    fn mall_order(&mut self, day: i64, people: &[(i64, f64)]) {
        let member = people[self.rng.random_range(0..people.len())].0;
        let sku = MALL_ORDER_SKUS[self.rng.random_range(0..MALL_ORDER_SKUS.len())];
        let o = jifen_app::mall::PlaceOrder {
            member: MemberRef::Id { member_id: member },
            sku: sku.into(),
            quantity: 1,
            request_id: format!("demo-{day}"),
            address: Some(jifen_app::mall::Address {
                name: "王小明".into(),
                phone: "13800138000".into(),
                line: "上海市静安区南京西路1266号".into(),
                city: "上海".into(),
                postcode: "200040".into(),
            }),
            pay_within_seconds: None,
        };
        if let Some(v) = write(self.app, self.program, move |tx, ctx, now| {
            jifen_app::mall::place_order(tx, ctx, now, &o)
        }) {
            let id = v["order_id"].as_i64().unwrap_or(0);
            let pay = v["state"] == "paid" || self.rng.random_bool(0.85);
            let action = if v["state"] == "paid" {
                None
            } else if pay {
                Some(OrderAction::Pay)
            } else {
                Some(OrderAction::Cancel)
            };
            if let Some(a) = action {
                let u = OrderUpdate {
                    payment_ref: Some(format!("wxpay-{day}")),
                    reason: (a == OrderAction::Cancel).then(|| "顾客取消订单".to_string()),
                    ..Default::default()
                };
                write(self.app, self.program, move |tx, ctx, now| {
                    jifen_app::mall::act(tx, ctx, now, "system:demo", id, a, &u)
                });
            }
            if pay && v["kind"]["type"] == "physical" {
                let u = OrderUpdate {
                    carrier: Some("SF".into()),
                    tracking_no: Some(format!("SF{:010}", 7_000_000 + day)),
                    ..Default::default()
                };
                write(self.app, self.program, move |tx, ctx, now| {
                    jifen_app::mall::act(tx, ctx, now, "system:demo", id, OrderAction::Ship, &u)
                });
                if day < 355 {
                    write(self.app, self.program, move |tx, ctx, now| {
                        jifen_app::mall::act(
                            tx,
                            ctx,
                            now,
                            "system:demo",
                            id,
                            OrderAction::Deliver,
                            &OrderUpdate::default(),
                        )
                    });
                }
            }
        }
    }

    fn spin_wheel(&mut self, day: i64, people: &[(i64, f64)]) {
        let member = people[self.rng.random_range(0..people.len())].0;
        let d = jifen_app::lottery::DrawIn {
            member: MemberRef::Id { member_id: member },
            request_id: format!("spin-{day}"),
        };
        write(self.app, self.program, move |tx, ctx, now| {
            jifen_app::lottery::draw(tx, ctx, now, "lucky_wheel", &d)
        });
    }

    fn family_transfer(&mut self, people: &[(i64, f64)]) {
        let a = people[self.rng.random_range(0..people.len())].0;
        let b = people[self.rng.random_range(0..people.len())].0;
        if a != b {
            let t = MemberTransfer {
                from: MemberRef::Id { member_id: a },
                to: MemberRef::Id { member_id: b },
                amount: 200,
                reason: Some("积分转赠给家人".into()),
                device_id: None,
                ip: None,
            };
            write(self.app, self.program, move |tx, ctx, now| {
                commands::transfer(tx, ctx, now, "system:demo", &t)
            });
        }
    }

    fn goodwill_credit(&mut self, people: &[(i64, f64)]) {
        let m = people[self.rng.random_range(0..people.len())].0;
        let a = Adjustment {
            member: MemberRef::Id { member_id: m },
            delta: 100,
            point_type: PointType::Points,
            reason: Some("客服补偿：出餐延迟".into()),
            actor: Some("staff:demo-service".into()),
        };
        write(self.app, self.program, move |tx, ctx, now| {
            commands::adjust(tx, ctx, now, &a)
        });
    }
}
