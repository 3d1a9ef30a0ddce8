//! The component schemas of request bodies: members, the ledger, the programme, rules, earn
//! settings, tiers, webhooks and coupons (the mall's are in `mall_schemas`).

use jifen_app::{commands, earn};
use serde_json::{Map, Value, json};

use super::helpers::*;
use super::mall_schemas::mall_schemas;

/// The request bodies.
pub(super) fn request_schemas(s: &mut Map<String, Value>) {
    let mut add = |name: &str, v: Value| {
        s.insert(name.to_string(), v);
    };
    member_schemas(&mut add);
    ledger_schemas(&mut add);
    program_schemas(&mut add);
    rule_schemas(&mut add);
    settings_schemas(&mut add);
    coupon_schemas(&mut add);
    mall_schemas(&mut add);
}

/// Who a request is about, and the changes to a member: identities, profile, status, merges.
fn member_schemas(add: &mut impl FnMut(&str, Value)) {
    add(
        "MemberRef",
        json!({"description": "A member by Jifen's id, or by an id in one of the merchant's channels", "anyOf": [
            open(&["member_id"], json!({"member_id": int(Some(1), None)})),
            open(&["channel", "external_id"], json!({"channel": channel(), "external_id": external_id()}))
        ]}),
    );
    add(
        "Identity",
        open(
            &["channel", "external_id"],
            json!({"channel": channel(), "external_id": external_id()}),
        ),
    );
    add(
        "NewMember",
        open(
            &[],
            json!({
                "name": profile_text(100), "phone": profile_text(32), "email": email(),
                "birthday": nullable(date()),
                "referrer": member_ref(), "device_id": id_text(), "ip": id_text(),
                "identities": array_max(schema_ref("Identity"), 32)
            }),
        ),
    );
    add(
        "Merge",
        open(
            &["from", "into", "reason", "actor"],
            json!({"from": member_ref(), "into": member_ref(), "reason": required_reason(), "actor": required_reason()}),
        ),
    );
    add(
        "ProfileUpdate",
        closed(
            &[],
            json!({"name": profile_text(100), "phone": profile_text(32), "email": email(),
                   "birthday": nullable(date())}),
        ),
    );
    add(
        "StatusChange",
        closed(
            &["reason"],
            json!({"reason": {"type": "string", "minLength": 1, "maxLength": commands::REASON_LEN_MAX,
                              "pattern": not_blank_without(CONTROL), "description": "at most 500 characters on one line"}}),
        ),
    );
}

/// Points in and out: purchases, refunds, spends, reservations, transfers and adjustments.
fn ledger_schemas(add: &mut impl FnMut(&str, Value)) {
    add(
        "Purchase",
        open(
            &["order_id", "member", "amount_minor", "currency"],
            json!({
                "order_id": id_text(), "member": member_ref(),
                "amount_minor": {"type": "integer", "format": "int64", "minimum": 1, "maximum": commands::MONEY_MINOR_MAX,
                                 "description": "paid amount in minor units (fen)"},
                "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "example": "CNY"},
                "occurred_at": {"type": "integer", "format": "int64", "minimum": commands::OCCURRED_AT_MIN,
                                "description": "Unix milliseconds, at most 5 minutes ahead; defaults to now"},
                "shipping_minor": {"type": "integer", "format": "int64", "minimum": 0,
                                   "description": "shipping in amount_minor (at most amount_minor); earns no points"},
                "channel": channel(),
                "tags": array_max(id_text(), earn::EVENT_TAGS_MAX),
                "lines": array_max(open(&["sku", "quantity", "price_minor"], json!({
                    "sku": id_text(), "category": id_text(), "quantity": int(Some(1), Some(1_000_000)),
                    "price_minor": int(Some(0), Some(commands::MONEY_MINOR_MAX)),
                    "kind": words(&["item", "shipping", "discount"])})), commands::LINES_MAX)
            }),
        ),
    );
    add(
        "Refund",
        open(
            &["order_id"],
            json!({"order_id": id_text(), "refund_id": id_text(),
                   "amount_minor": {"type": "integer", "format": "int64", "minimum": 1, "maximum": commands::MONEY_MINOR_MAX,
                                    "description": "defaults to all that is still refundable"},
                   "reason": reason()}),
        ),
    );
    add(
        "Spend",
        open(
            &["member", "amount"],
            json!({"member": member_ref(), "amount": points_amount(), "reason": reason(), "order_ref": id_text()}),
        ),
    );
    add(
        "RedemptionRefund",
        open(
            &[],
            json!({"amount": {"type": "integer", "format": "int64", "minimum": 1, "maximum": jifen_ledger::POINTS_PER_OPERATION_MAX,
                              "description": "points to give back; all that is left when absent"},
                   "reason": reason()}),
        ),
    );
    add(
        "DeductionRefund",
        closed(
            &[],
            json!({"amount": {"type": "integer", "format": "int64", "minimum": 1, "maximum": jifen_ledger::POINTS_PER_OPERATION_MAX,
                              "description": "points to give back; all that is left when absent"},
                   "reason": reason()}),
        ),
    );
    add("SettleReason", open(&[], json!({"reason": reason()})));
    add(
        "Reserve",
        open(
            &["member", "amount"],
            json!({"member": member_ref(), "amount": points_amount(), "reason": reason(), "order_ref": id_text(),
                   "ttl_seconds": int(Some(1), Some(commands::RESERVATION_TTL_MAX_SECONDS))}),
        ),
    );
    add(
        "MemberTransfer",
        open(
            &["from", "to", "amount"],
            json!({"from": member_ref(), "to": member_ref(), "amount": points_amount(), "reason": reason(),
                   "device_id": id_text(), "ip": id_text()}),
        ),
    );
    add(
        "Adjustment",
        open(
            &["member", "delta", "reason", "actor"],
            json!({"member": member_ref(),
                   "delta": {"type": "integer", "format": "int64", "minimum": -jifen_ledger::POINTS_PER_OPERATION_MAX,
                             "maximum": jifen_ledger::POINTS_PER_OPERATION_MAX, "not": {"const": 0},
                             "description": "positive credits, negative debits; never 0"},
                   "point_type": words(&["points", "growth"]), "reason": required_reason(), "actor": required_reason()}),
        ),
    );
}

/// The programme's own settings.
fn program_schemas(add: &mut impl FnMut(&str, Value)) {
    let validity_days = i64::from(jifen_ledger::policy::VALIDITY_YEARS_MAX);
    add(
        "ProgramUpdate",
        open(
            &["name", "timezone", "policy"],
            json!({
                "name": text(1, 100), "timezone": {"type": "string", "minLength": 1, "example": "Asia/Shanghai", "description": "an IANA time zone"},
                "policy": open(&["validity", "pending_days", "points_per_unit", "growth_per_unit", "shortfall", "clawback_pending_first"], json!({
                    "validity": {"oneOf": [
                        variant("kind", "never", &[], json!({}), false),
                        variant("kind", "days", &["days"], json!({"days": int(Some(1), Some(validity_days * 366))}), false),
                        variant("kind", "months", &["months"], json!({"months": int(Some(1), Some(validity_days * 12))}), false),
                        variant("kind", "end_of_year", &["years"], json!({"years": int(Some(0), Some(validity_days))}), false)
                    ]},
                    "pending_days": int(Some(0), Some(i64::from(jifen_ledger::policy::PENDING_DAYS_MAX))),
                    "points_per_unit": {"type": "integer", "format": "int64", "minimum": 0, "maximum": jifen_ledger::policy::POINTS_PER_UNIT_MAX,
                                        "description": "points per 100 minor units paid"},
                    "growth_per_unit": int(Some(0), Some(jifen_ledger::policy::POINTS_PER_UNIT_MAX)),
                    "shortfall": words(&["debt", "write_off"]),
                    "clawback_pending_first": boolean()}))
            }),
        ),
    );
}

/// Where a task's 去完成 button in the member centre goes: an `https://` address with a host,
/// or a path starting with one `/` (`jifen_rules::rule::task_url_ok`).
fn task_url() -> Value {
    let c = format!("[^{CONTROL}\\s\"'<>\\\\`]");
    let host = format!("[^{CONTROL}\\s\"'<>\\\\`/?#]");
    let first = format!("[^{CONTROL}\\s\"'<>\\\\`/]");
    json!({"type": "string", "maxLength": jifen_rules::rule::TASK_URL_LEN_MAX,
           "pattern": format!("^(https://{host}{c}*|/({first}{c}*)?)$"),
           "example": "https://shop.example.com/review",
           "description": "where the member centre's button of this task goes: an https:// address or a path starting with /; \
                           only for tasks (not purchase, sign_in, sign_up, referral, birthday or anniversary rules); \
                           without one the task shows with no button"})
}

fn rule_schemas(add: &mut impl FnMut(&str, Value)) {
    let list = || array_max(text(1, 64), jifen_rules::rule::AUDIENCE_LIST_MAX);
    let definition = json!({
        "name": {"type": "string", "minLength": 1, "maxLength": jifen_rules::rule::NAME_LEN_MAX,
                 "pattern": not_blank_without(CONTROL_BUT_LF)},
        "description": {"type": "string", "maxLength": jifen_rules::rule::DESCRIPTION_LEN_MAX,
                        "pattern": without(CONTROL_BUT_LF)},
        "trigger": trigger(&[]),
        "schedule": closed(&[], json!({
            "starts_at": {"type": "string", "example": "2026-12-05", "description": "a date, a date-time or an RFC 3339 timestamp"},
            "ends_at": {"type": "string", "example": "2026-12-07"},
            "days_of_week": array(int(Some(1), Some(7))),
            "hours": {"type": "array", "items": int(Some(0), Some(24)), "minItems": 2, "maxItems": 2},
            "timezone": string()})),
        "audience": closed(&[], json!({"tiers": list(), "channels": list(), "segments": list(),
            "joined_within_days": int(Some(0), Some(i64::from(u32::MAX)))})),
        "condition": {"type": "string", "example": "order.amount >= 10000 && 'coffee' in order.categories"},
        "points": {"type": "string", "pattern": "\\S", "example": "base_points * 2", "description": "an int expression"},
        "point_type": words(&["points", "growth"]),
        "pending_days": int(Some(0), Some(i64::from(u32::MAX))),
        "validity_days": int(Some(0), Some(i64::from(u32::MAX))),
        "caps": array_max(closed(&["period"], json!({
            "period": words(&["day", "week", "month", "year", "lifetime"]),
            "max_points": int(Some(1), Some(jifen_rules::rule::POINTS_MAX)),
            "max_count": int(Some(1), None)})), jifen_rules::rule::CAPS_MAX),
        "budget_points": int(Some(1), Some(jifen_rules::rule::POINTS_MAX)),
        "priority": int(Some(-jifen_rules::rule::PRIORITY_ABS_MAX), Some(jifen_rules::rule::PRIORITY_ABS_MAX)),
        "stacking": words(&["stack", "best_of", "exclusive"]),
        "task_url": task_url()
    });
    let required = ["name", "trigger", "points"];
    add("RuleDefinition", closed(&required, definition.clone()));
    // A rule to save is its definition with who saves it, and on creation the status to start in.
    let mut update = definition;
    update["actor"] = id_text();
    add("RuleUpdate", closed(&required, update.clone()));
    let mut rule = update;
    rule["status"] = json!({"type": "string", "enum": ["draft", "active"], "default": "draft"});
    add("Rule", closed(&required, rule));
    let mut event = closed(
        &["type", "member"],
        json!({
            "event_id": {"type": "string", "minLength": 1, "maxLength": commands::ID_LEN_MAX, "pattern": without(CONTROL),
                         "description": "required except for sign_in and sign_up; the same id is applied once"},
            "type": trigger(&["purchase", "referral", "birthday", "anniversary"]),
            "member": member_ref(), "occurred_at": millis("Unix milliseconds; defaults to now"), "channel": channel(),
            "tags": array_max(id_text(), earn::EVENT_TAGS_MAX),
            "attributes": {"type": "object", "maxProperties": earn::EVENT_ATTRIBUTES_MAX,
                           "additionalProperties": int(Some(-earn::ATTRIBUTE_ABS_MAX), Some(earn::ATTRIBUTE_ABS_MAX)),
                           "example": {"text_length": 120, "photos": 2}},
            "makeup_date": {"type": "string", "format": "date", "description": "a make-up sign-in for a missed day"},
            "device_id": id_text(), "ip": id_text()
        }),
    );
    // An event id unless the event is a sign-in or a sign-up; a make-up date only on a sign-in.
    event["allOf"] = json!([
        {"anyOf": [{"required": ["event_id"]}, {"properties": {"type": {"enum": ["sign_in", "sign_up"]}}}]},
        {"anyOf": [{"not": {"required": ["makeup_date"]}}, {"properties": {"type": {"const": "sign_in"}}}]}
    ]);
    add("Event", event);
    let mut dry_run = closed(
        &[],
        json!({
            "purchase": schema_ref("Purchase"), "event": schema_ref("Event"),
            "at": {"type": "integer", "format": "int64", "minimum": commands::OCCURRED_AT_MIN,
                   "description": "Unix milliseconds to evaluate at, at most ten years ahead; the event's time or now by default"},
            "rule_ids": array_max(any_int(), earn::PROPOSED_RULES_MAX),
            "rules": array_max(schema_ref("RuleDefinition"), earn::PROPOSED_RULES_MAX),
            "include_active": {"type": "boolean", "default": true}
        }),
    );
    // Exactly one of a purchase or an event.
    dry_run["oneOf"] = json!([{"required": ["purchase"]}, {"required": ["event"]}]);
    add("DryRun", dry_run);
    add(
        "Backtest",
        closed(
            &["from", "to"],
            json!({
                "from": millis("start of the range, Unix milliseconds, inclusive"),
                "to": millis("end of the range, exclusive; at most 400 days after from"),
                "rule_ids": array_max(any_int(), earn::PROPOSED_RULES_MAX),
                "rules": array_max(schema_ref("RuleDefinition"), earn::PROPOSED_RULES_MAX),
                "mode": {"type": "string", "enum": ["add", "replace"], "default": "add"}
            }),
        ),
    );
    add(
        "HoldReview",
        closed(&["actor"], json!({"actor": id_text(), "note": reason()})),
    );
}

fn settings_schemas(add: &mut impl FnMut(&str, Value)) {
    use jifen_domain::tiers;
    let optional_limit = || int(Some(1), Some(jifen_rules::rule::POINTS_MAX));
    let period = || words(&["day", "week", "month", "year", "lifetime"]);
    let mut trigger_cap = closed(
        &["trigger", "period"],
        json!({"trigger": trigger(&[]), "period": period(),
               "max_points": optional_limit(), "max_count": optional_limit()}),
    );
    // A cap has a limit: max_points, max_count or both.
    trigger_cap["anyOf"] = json!([{"required": ["max_points"]}, {"required": ["max_count"]}]);
    add(
        "EarnSettings",
        closed(
            &[],
            json!({
                "sign_in": closed(&[], json!({
                    "reset": words(&["missed_day", "weekly", "monthly"]), "makeup_allowed": boolean(),
                    "makeup_cost_points": int(Some(0), Some(jifen_rules::rule::POINTS_MAX)),
                    "makeup_days_max": int(Some(1), Some(i64::from(jifen_rules::signin::MAKEUP_DAYS_MAX)))})),
                "trigger_caps": array_max(trigger_cap, 50),
                "risk": closed(&[], json!({
                    "velocity": array_max(closed(&["by", "window_minutes", "max_events"], json!({
                        "by": words(&["device", "ip"]),
                        "window_minutes": int(Some(1), Some(i64::from(jifen_rules::signin::VELOCITY_WINDOW_MINUTES_MAX))),
                        "max_events": int(Some(1), Some(i64::from(u32::MAX)))})), 10),
                    "device_members_max": int(Some(1), Some(i64::from(u32::MAX))),
                    "phone_members_max": int(Some(1), Some(i64::from(u32::MAX)))})),
                "birthday_on": words(&["day", "month"]),
                "transfers": closed(&[], json!({
                    "daily_points_max": optional_limit(), "monthly_points_max": optional_limit(),
                    "daily_count_max": optional_limit(), "received_daily_points_max": optional_limit()}))
            }),
        ),
    );
    let gift = || {
        closed(
            &[],
            json!({"points": int(Some(0), Some(tiers::GIFT_POINTS_MAX)), "coupon": string()}),
        )
    };
    let benefits = closed(
        &[],
        json!({
            "earn_multiplier_pct": {"type": "integer", "minimum": 1, "maximum": tiers::MULTIPLIER_PCT_MAX, "default": 100,
                                    "description": "base purchase points × pct / 100"},
            "points_validity_days": int(Some(1), Some(i64::from(tiers::BENEFIT_VALIDITY_DAYS_MAX))),
            "birthday_gift": gift(), "tier_up_gift": gift(),
            "monthly_coupons": array(closed(&["coupon", "count"], json!({
                "coupon": string(), "count": int(Some(1), Some(i64::from(tiers::MONTHLY_COUPONS_MAX)))}))),
            "member_price_pct": {"type": "integer", "minimum": 1, "maximum": 100, "default": 100},
            "transfer_allowed": {"type": "boolean", "default": true},
            "checkout_points_per_unit": int(Some(1), Some(100_000)),
            "priority_service": boolean()
        }),
    );
    add(
        "Ladder",
        closed(
            &["metric", "window", "tiers"],
            json!({
                "metric": words(&["growth", "spend", "orders"]),
                "window": {"oneOf": [
                    variant("kind", "rolling_months", &["months"], json!({"months": int(Some(1), Some(i64::from(tiers::WINDOW_MONTHS_MAX)))}), false),
                    variant("kind", "calendar_year", &[], json!({}), false)
                ]},
                "review": closed(&["every"], json!({
                    "every": words(&["month", "quarter", "year"]),
                    "grace_days": int(Some(0), Some(i64::from(tiers::GRACE_DAYS_MAX))),
                    "downgrade_steps_max": int(Some(1), Some(i64::from(u32::MAX)))})),
                "refund_grace_days": int(Some(0), Some(i64::from(tiers::GRACE_DAYS_MAX))),
                "tiers": {"type": "array", "minItems": 1, "maxItems": tiers::TIERS_MAX, "items": closed(&["code", "name_zh", "name_en", "threshold"], json!({
                    "code": code(), "name_zh": named(60), "name_en": named(60), "threshold": int(Some(0), None),
                    "benefits": benefits}))}
            }),
        ),
    );
    add(
        "ManualTier",
        closed(
            &["tier", "until", "reason", "actor"],
            json!({"tier": string(), "until": millis("Unix milliseconds, at most two years ahead"),
                   "reason": {"type": "string", "minLength": 1, "maxLength": commands::REASON_LEN_MAX, "pattern": "\\S"},
                   "actor": id_text()}),
        ),
    );
    add(
        "Webhook",
        closed(
            &["url", "topics"],
            json!({"url": {"type": "string", "maxLength": 500, "pattern": "^http://\\S+$", "example": "http://shop.example/hooks/jifen"},
                   "topics": {"type": "array", "minItems": 1, "maxItems": 30,
                              "items": {"anyOf": [words(jifen_app::webhooks::TOPICS), {"type": "string", "pattern": "^[a-z_.]*[.*]$"}]},
                              "description": "e.g. tier.changed, mall.order.*"}}),
        ),
    );
}

fn coupon_schemas(add: &mut impl FnMut(&str, Value)) {
    use jifen_domain::coupons::{AMOUNT_MAX, STOCK_MAX, VALIDITY_DAYS_MAX};
    let amount = || int(Some(1), Some(AMOUNT_MAX));
    add(
        "IssueCoupon",
        closed(
            &["template", "idempotency_key"],
            json!({"template": string(), "idempotency_key": id_text()}),
        ),
    );
    add(
        "CouponTemplate",
        closed(
            &["code", "name_zh", "name_en", "kind", "validity"],
            json!({
                "code": code(), "name_zh": named(60), "name_en": named(60),
                "kind": {"oneOf": [
                    variant("type", "amount_off", &["amount_minor"], json!({"amount_minor": amount()}), true),
                    variant("type", "percent_off", &["percent"], json!({"percent": int(Some(1), Some(99)), "max_off_minor": amount()}), true),
                    variant("type", "free_shipping", &[], json!({"max_minor": amount()}), true),
                    variant("type", "gift", &["gift"], json!({"gift": {"type": "string", "minLength": 1, "pattern": "\\S"}}), true)
                ]},
                "threshold_minor": int(Some(0), Some(AMOUNT_MAX)),
                "validity": {"oneOf": [
                    variant("kind", "days", &["days"], json!({"days": int(Some(1), Some(i64::from(VALIDITY_DAYS_MAX)))}), true),
                    variant("kind", "window", &["from", "until"], json!({"from": millis("Unix milliseconds"), "until": millis("Unix milliseconds, after from")}), true)
                ]},
                "per_member_limit": int(Some(1), Some(i64::from(u32::MAX))),
                "stock": int(Some(1), Some(STOCK_MAX))
            }),
        ),
    );
    let cart = closed(
        &["goods_minor"],
        json!({"goods_minor": int(Some(0), Some(commands::MONEY_MINOR_MAX)),
               "shipping_minor": int(Some(0), Some(commands::MONEY_MINOR_MAX))}),
    );
    let order_id = id_text();
    add(
        "CouponUse",
        closed(
            &["code", "member_id", "cart"],
            json!({"code": string(), "member_id": int(Some(1), None), "cart": cart, "order_id": order_id}),
        ),
    );
    add(
        "CouponRedeem",
        closed(
            &["code", "member_id", "cart", "order_id"],
            json!({"code": string(), "member_id": int(Some(1), None), "cart": cart, "order_id": order_id}),
        ),
    );
    add(
        "CouponRelease",
        closed(&["order_id"], json!({"order_id": id_text()})),
    );
}
