//! The component schemas of the mall's request bodies: items, orders, candidates, checkout and
//! lotteries.

use jifen_app::{commands, mall};
use jifen_domain::mall::{
    CASH_MINOR_MAX, CATEGORY_CODE_MAX, PRICE_POINTS_MAX, QUANTITY_MAX, SKUS_MAX, STOCK_MAX,
};
use serde_json::{Value, json};

use super::helpers::*;

/// The mall's request bodies.
pub(super) fn mall_schemas(add: &mut impl FnMut(&str, Value)) {
    item_schemas(add);
    order_schemas(add);
    checkout_schemas(add);
    lottery_schemas(add);
}

/// Items with their SKUs, their status and stock.
fn item_schemas(add: &mut impl FnMut(&str, Value)) {
    let statuses = || words(&["draft", "on_sale", "off_sale"]);
    let mut sku = closed(
        &["sku", "points", "stock"],
        json!({
            "sku": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$", "example": "BEANS-500"},
            "name": {"type": "string", "maxLength": 40},
            "points": int(Some(0), Some(PRICE_POINTS_MAX)), "cash_minor": int(Some(0), Some(CASH_MINOR_MAX)),
            "market_price_minor": int(Some(1), Some(CASH_MINOR_MAX)), "stock": int(Some(0), Some(STOCK_MAX))}),
    );
    // A SKU costs points, cash or both.
    sku["anyOf"] = json!([
        {"properties": {"points": {"minimum": 1}}},
        {"required": ["cash_minor"], "properties": {"cash_minor": {"minimum": 1}}}
    ]);
    let definition = json!({
        "name_zh": named(80), "name_en": named(80),
        "description_zh": {"type": "string", "maxLength": 4000}, "description_en": {"type": "string", "maxLength": 4000},
        "category": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,32}$", "example": "coffee"},
        "kind": {"oneOf": [
            variant("type", "physical", &[], json!({}), true),
            variant("type", "coupon", &["template"], json!({"template": {"type": "string", "minLength": 1}}), true),
            variant("type", "virtual", &[], json!({}), true),
            variant("type", "experience", &[], json!({}), true),
            variant("type", "partner", &["partner"], json!({"partner": {"type": "string", "minLength": 1, "pattern": "\\S"}}), true)
        ]},
        "skus": {"type": "array", "minItems": 1, "maxItems": SKUS_MAX, "items": sku},
        "audience": closed(&[], json!({"tiers": array(string()), "joined_within_days": int(Some(1), Some(i64::from(u32::MAX)))})),
        "limits": closed(&[], json!({"per_day": int(Some(1), Some(i64::from(u32::MAX))), "lifetime": int(Some(1), Some(i64::from(u32::MAX)))})),
        "sale_from": millis("Unix milliseconds"), "sale_until": millis("Unix milliseconds"),
        "flash_sale": boolean(), "presale": boolean(),
        "images": {"type": "array", "items": int(Some(1), None), "description": "ids of uploaded images; the first is the cover"}
    });
    let required = ["name_zh", "name_en", "category", "kind", "skus"];
    add("MallItemDefinition", closed(&required, definition.clone()));
    let mut item = definition;
    item["status"] =
        json!({"type": "string", "enum": ["draft", "on_sale", "off_sale"], "default": "draft"});
    // The definition is flattened into the item to create: unknown fields are ignored there.
    add("MallItem", open(&required, item));
    add(
        "ItemStatus",
        closed(&["status"], json!({"status": statuses()})),
    );
    add(
        "Restock",
        closed(
            &["delta"],
            json!({"delta": {"type": "integer", "format": "int64", "minimum": -STOCK_MAX, "maximum": STOCK_MAX,
                             "not": {"const": 0}, "description": "units to add; negative removes"}}),
        ),
    );
}

/// Orders and what happens to them, presale arrivals, slow-item reports, candidates and votes.
fn order_schemas(add: &mut impl FnMut(&str, Value)) {
    add(
        "PlaceOrder",
        closed(
            &["member", "sku", "request_id"],
            json!({
                "member": member_ref(), "sku": id_text(),
                "quantity": {"type": "integer", "minimum": 1, "maximum": QUANTITY_MAX, "default": 1},
                "request_id": id_text(),
                "pay_within_seconds": int(Some(60), Some(mall::PAY_WINDOW_MAX_SECONDS)),
                "address": closed(&["name", "phone", "line"], json!({
                    "name": text(1, 40), "phone": text(1, 20), "line": text(1, 200),
                    "city": string(), "postcode": string()}))
            }),
        ),
    );
    let mut why = reason();
    why["description"] = "one line, at most 500 characters: for a refund or cancellation, kept in the order's history and the audit entry (the console requires it; optional here so that existing callers keep working)".into();
    add(
        "OrderUpdate",
        closed(
            &[],
            json!({"actor": id_text(), "reason": why, "payment_ref": string(),
                   "carrier": string(), "tracking_no": string(),
                   "points": {"type": "integer", "format": "int64", "minimum": 1, "description": "refund: points to give back; all that is left when absent"},
                   "cash_minor": {"type": "integer", "format": "int64", "minimum": 0, "description": "refund: cash the merchant refunds"},
                   "restock": {"type": "boolean", "description": "refund: the goods came back into stock"}}),
        ),
    );
    let cell = |what: &str| json!({"type": "string", "description": what});
    add(
        "ShipBatch",
        closed(
            &["rows"],
            json!({"rows": {"type": "array", "minItems": 1, "maxItems": mall::SHIP_BATCH_MAX,
                "items": closed(&["order", "carrier", "tracking_no"], json!({
                    "order": cell("the order's number: 123 or #123"),
                    "carrier": cell("the carrier's code (SF) or its name in Chinese or English"),
                    "tracking_no": cell("the tracking number; a row with a bad one is refused on its own")}))}}),
        ),
    );
    add(
        "Arrival",
        closed(
            &["quantity"],
            json!({"quantity": int(Some(1), Some(STOCK_MAX))}),
        ),
    );
    add(
        "SlowItems",
        closed(
            &[],
            json!({"months": {"type": "integer", "minimum": 1, "maximum": 24, "default": 3},
                   "threshold_pct": {"type": "integer", "minimum": 1, "maximum": 100, "default": 5},
                   "apply": {"type": "boolean", "default": false}}),
        ),
    );
    add(
        "Candidate",
        closed(
            &["name_zh", "name_en"],
            json!({"name_zh": named(80), "name_en": named(80), "description": {"type": "string", "maxLength": 1000}}),
        ),
    );
    add(
        "Vote",
        closed(&["member_id"], json!({"member_id": int(Some(1), None)})),
    );
}

/// Points at checkout: settings, quotes and deductions; how members pay an order's cash.
fn checkout_schemas(add: &mut impl FnMut(&str, Value)) {
    let name = |lang: &str| {
        json!({"type": "string", "minLength": 1, "maxLength": mall::CATEGORY_NAME_MAX,
               "pattern": not_blank_without(CONTROL), "description": format!("the name on {lang} pages, one line")})
    };
    let category = closed(
        &["code", "name_zh", "name_en"],
        json!({
            "code": {"type": "string", "pattern": format!("^[A-Za-z0-9_.-]{{1,{CATEGORY_CODE_MAX}}}$"), "example": "beans",
                     "description": "the code items carry in their category; unique in the list"},
            "name_zh": name("Chinese"), "name_en": name("English")
        }),
    );
    add(
        "MallCategoriesIn",
        closed(
            &["categories"],
            json!({"categories": {"type": "array", "maxItems": mall::CATEGORIES_MAX, "items": category,
                                  "description": "in the order the member centre shows them"}}),
        ),
    );
    add(
        "PointValueIn",
        closed(
            &[],
            json!({
                "minor_per_100_points": nullable(json!({"type": "integer", "format": "int64",
                    "minimum": 1, "maximum": jifen_app::overview::POINT_VALUE_MAX,
                    "description": "minor units of the programme's currency (分 for CNY) that 100 points are worth: 100 = 100 points for 1 yuan; null or absent clears it",
                    "example": 100}))
            }),
        ),
    );
    add(
        "PaymentSettingsIn",
        closed(
            &[],
            json!({
                "payment_url": nullable(json!({"type": "string", "maxLength": mall::PAYMENT_URL_MAX,
                    "description": "the merchant's payment page: https://, placeholders among {order_id} (required), {cash_minor}, {currency}, {member_id}, {pay_deadline}, {return_url}; null for none",
                    "example": "https://pay.shop.example/jifen?order={order_id}&amount={cash_minor}&currency={currency}&return={return_url}"})),
                "pay_window_minutes": {"type": "integer", "format": "int64",
                    "minimum": mall::PAY_WINDOW_MINUTES_MIN, "maximum": mall::PAY_WINDOW_MINUTES_MAX,
                    "description": "minutes a points + cash order waits for its payment (30 by default)"}
            }),
        ),
    );
    add(
        "CheckoutSettings",
        closed(
            &["points_per_unit", "max_share_pct"],
            json!({
                "points_per_unit": {"type": "integer", "minimum": 1, "maximum": 100_000,
                                    "description": "points worth one currency unit (100 = 100 points for 1 yuan)"},
                "max_share_pct": int(Some(1), Some(100)),
                "min_order_minor": int(Some(0), Some(commands::MONEY_MINOR_MAX)),
                "hold_seconds": {"type": "integer", "format": "int64", "minimum": 60, "maximum": commands::RESERVATION_TTL_MAX_SECONDS,
                                 "description": "how long a deduction holds its points unless posted (1,800 by default)"},
                "ladders": array(closed(&["min_order_minor", "max_points"], json!({
                    "min_order_minor": int(Some(0), Some(commands::MONEY_MINOR_MAX)), "max_points": int(Some(1), None)})))
            }),
        ),
    );
    add(
        "CheckoutQuote",
        closed(
            &["member", "order_total_minor"],
            json!({"member": member_ref(), "order_total_minor": int(Some(1), Some(commands::MONEY_MINOR_MAX))}),
        ),
    );
    add(
        "CheckoutDeduction",
        closed(
            &["member", "order_id", "order_total_minor", "points"],
            json!({"member": member_ref(), "order_id": id_text(),
                   "order_total_minor": int(Some(1), Some(commands::MONEY_MINOR_MAX)), "points": points_amount()}),
        ),
    );
}

/// Lotteries, free draws and draws.
fn lottery_schemas(add: &mut impl FnMut(&str, Value)) {
    let reward = || {
        json!({"oneOf": [
            variant("type", "points", &["points"], json!({"points": int(Some(1), Some(jifen_domain::lottery::PRIZE_POINTS_MAX))}), true),
            variant("type", "coupon", &["template"], json!({"template": string()}), true),
            variant("type", "nothing", &[], json!({}), true)
        ]})
    };
    add(
        "Lottery",
        closed(
            &[
                "code",
                "name_zh",
                "name_en",
                "style",
                "cost_points",
                "prizes",
                "consolation",
            ],
            json!({
                "code": code(), "name_zh": named(60), "name_en": named(60),
                "style": words(&["wheel", "grid"]), "cost_points": int(Some(0), Some(jifen_domain::lottery::PRIZE_POINTS_MAX)),
                "prizes": {"type": "array", "minItems": 1, "maxItems": jifen_domain::lottery::PRIZES_MAX, "items": closed(&["code", "name_zh", "name_en", "odds_ppm", "stock", "reward"], json!({
                    "code": {"type": "string", "minLength": 1, "maxLength": 32}, "name_zh": named(60), "name_en": named(60),
                    "odds_ppm": {"type": "integer", "minimum": 1, "maximum": jifen_domain::lottery::ODDS_SCALE,
                                 "description": "the published chance, in parts per million"},
                    "stock": int(Some(0), Some(1_000_000_000)), "reward": reward()}))},
                "consolation": closed(&["name_zh", "name_en", "reward"], json!({"name_zh": string(), "name_en": string(), "reward": reward()})),
                "per_member_per_day": int(Some(1), Some(i64::from(u32::MAX))),
                "per_member_lifetime": int(Some(1), Some(i64::from(u32::MAX))),
                "starts_at": millis("Unix milliseconds"), "ends_at": millis("Unix milliseconds"),
                "granted_on": {"type": "array", "items": trigger(&[]), "description": "behaviour events that grant one free draw each"}
            }),
        ),
    );
    add(
        "LotteryGrant",
        closed(
            &["member_id", "count"],
            json!({"member_id": int(Some(1), None), "count": int(Some(1), Some(100))}),
        ),
    );
    add(
        "LotteryDraw",
        closed(
            &["member", "request_id"],
            json!({"member": member_ref(), "request_id": id_text()}),
        ),
    );
}
