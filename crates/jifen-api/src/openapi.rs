//! The OpenAPI 3.1 document served at `/api/openapi.json`, written from one table of routes.

use serde_json::{Value, json};

/// (method, path, summary, request body schema, idempotency)
pub const ROUTES: &[(&str, &str, &str, Option<&str>, &str)] = &[
    (
        "get",
        "/api/v1/program",
        "The programme this API key belongs to, with its settings",
        None,
        "",
    ),
    (
        "put",
        "/api/v1/program",
        "Replace the programme's name, time zone and ledger policy",
        Some("ProgramUpdate"),
        "",
    ),
    (
        "post",
        "/api/v1/members",
        "Create a member with profile and external ids",
        Some("NewMember"),
        "optional",
    ),
    (
        "get",
        "/api/v1/members/lookup",
        "Find a member by channel and external id (?channel=&external_id=)",
        None,
        "",
    ),
    (
        "post",
        "/api/v1/members/merge",
        "Merge one member into another: lots, debt, identities and orders move",
        Some("Merge"),
        "optional",
    ),
    (
        "get",
        "/api/v1/members/{id}",
        "A member's profile, identities and balances",
        None,
        "",
    ),
    (
        "post",
        "/api/v1/members/{id}/identities",
        "Add an external id in a channel to a member",
        Some("Identity"),
        "optional",
    ),
    (
        "get",
        "/api/v1/members/{id}/balance",
        "Available, pending, reserved, debt, expiring within ?days=, lifetime counters",
        None,
        "",
    ),
    (
        "get",
        "/api/v1/members/{id}/lots",
        "A member's lots with expiry and what became of them (?point_type=&include_closed=)",
        None,
        "",
    ),
    (
        "get",
        "/api/v1/members/{id}/history",
        "Every ledger line with reason and source, newest first (?before=&limit=)",
        None,
        "",
    ),
    (
        "post",
        "/api/v1/purchases",
        "Record a purchase: points earned, pending through the return window",
        Some("Purchase"),
        "order_id, or the header",
    ),
    (
        "post",
        "/api/v1/refunds",
        "Refund an order fully or partly: the exact earned points are reversed",
        Some("Refund"),
        "refund_id, or the header",
    ),
    (
        "post",
        "/api/v1/spends",
        "Spend points now, soonest-expiring first",
        Some("Spend"),
        "required",
    ),
    (
        "get",
        "/api/v1/members/{id}/receipt",
        "A receipt proving a line of the member's history (?transfer_id=) is sealed in the hash chain",
        None,
        "",
    ),
    (
        "get",
        "/api/v1/chain/links",
        "The programme's hash-chain links after ?after= (seq, previous hash, Merkle root, hash, totals)",
        None,
        "",
    ),
    (
        "get",
        "/api/v1/members/{id}/export",
        "Everything held about a member (PIPL) as JSON, or CSV with ?format=csv; audited",
        None,
        "",
    ),
    (
        "post",
        "/api/v1/members/{id}/centre-link/revoke",
        "Revoke every member-centre link of the member issued until now; audited",
        None,
        "",
    ),
    (
        "post",
        "/api/v1/members/{id}/erase",
        "Erase a member's personal data (PIPL); amounts stay so the books balance; audited",
        Some("StatusChange"),
        "optional",
    ),
    (
        "patch",
        "/api/v1/members/{id}",
        "Change a member's name, phone, email or birthday (null clears a field); audited",
        Some("ProfileUpdate"),
        "optional",
    ),
    (
        "post",
        "/api/v1/members/{id}/identities/unbind",
        "Unbind one of a member's identities (never the last); audited",
        Some("Identity"),
        "optional",
    ),
    (
        "post",
        "/api/v1/members/{id}/freeze",
        "Freeze a member: earnings wait in pending; no spending, reserving or transfers; audited",
        Some("StatusChange"),
        "optional",
    ),
    (
        "post",
        "/api/v1/members/{id}/unfreeze",
        "Unfreeze a member: what they earned meanwhile vests as its return window says; audited",
        Some("StatusChange"),
        "optional",
    ),
    (
        "post",
        "/api/v1/spends/{id}/refunds",
        "Refund a spend or posted reservation: the same lots are restored",
        Some("RedemptionRefund"),
        "required",
    ),
    (
        "post",
        "/api/v1/reservations",
        "Reserve points for an order of the merchant's own (mall orders and checkout deductions hold theirs themselves)",
        Some("Reserve"),
        "required",
    ),
    (
        "post",
        "/api/v1/reservations/{id}/post",
        "Settle a reservation",
        None,
        "natural",
    ),
    (
        "post",
        "/api/v1/reservations/{id}/void",
        "Release a reservation: points return to their lots",
        None,
        "natural",
    ),
    (
        "post",
        "/api/v1/transfers",
        "Give points to another member; they keep their expiry",
        Some("MemberTransfer"),
        "required",
    ),
    (
        "post",
        "/api/v1/adjustments",
        "Manual adjustment by staff, with actor and reason",
        Some("Adjustment"),
        "required",
    ),
    (
        "get",
        "/api/v1/rules",
        "Earning rules at their current version (?status=draft|active|paused|archived)",
        None,
        "",
    ),
    (
        "post",
        "/api/v1/rules",
        "Create an earning rule (draft unless status is active); validated when saved",
        Some("Rule"),
        "optional",
    ),
    (
        "get",
        "/api/v1/rules/variables",
        "The variables and functions rule expressions may use, per event type",
        None,
        "",
    ),
    (
        "get",
        "/api/v1/rules/{id}",
        "A rule with its versions and what it issued",
        None,
        "",
    ),
    (
        "put",
        "/api/v1/rules/{id}",
        "Save a new version of a rule (versions are immutable; awards name theirs)",
        Some("Rule"),
        "optional",
    ),
    (
        "post",
        "/api/v1/rules/{id}/activate",
        "Activate a draft or paused rule",
        None,
        "",
    ),
    (
        "post",
        "/api/v1/rules/{id}/pause",
        "Pause an active rule",
        None,
        "",
    ),
    (
        "post",
        "/api/v1/rules/{id}/archive",
        "Archive a rule for good",
        None,
        "",
    ),
    (
        "get",
        "/api/v1/earn-settings",
        "Sign-in streak settings and per-event-type caps",
        None,
        "",
    ),
    (
        "put",
        "/api/v1/earn-settings",
        "Replace sign-in streak settings and per-event-type caps",
        Some("EarnSettings"),
        "",
    ),
    (
        "post",
        "/api/v1/events",
        "Record a behaviour event (sign_in, review, share, custom:...): rules pay, with an explanation of every rule",
        Some("Event"),
        "optional",
    ),
    (
        "post",
        "/api/v1/events/dry-run",
        "Evaluate a purchase or event against the active, stored or inline rules at a chosen time, writing nothing",
        Some("DryRun"),
        "",
    ),
    (
        "post",
        "/api/v1/backtests",
        "Replay stored events of a range against a proposed rule set; poll for progress and the cost",
        Some("Backtest"),
        "",
    ),
    (
        "get",
        "/api/v1/backtests/{id}",
        "A backtest's progress and, when done, its result",
        None,
        "",
    ),
    (
        "get",
        "/api/v1/tiers",
        "The programme's tier ladder (会员等级)",
        None,
        "",
    ),
    (
        "put",
        "/api/v1/tiers",
        "Replace the tier ladder: metric (growth, spend, orders), window, tiers with thresholds",
        Some("Ladder"),
        "",
    ),
    (
        "get",
        "/api/v1/members/{id}/tier",
        "A member's tier, metric and what the next tier needs (?locale=zh|en)",
        None,
        "",
    ),
    (
        "post",
        "/api/v1/members/{id}/tier",
        "Set a member's tier by hand, with reason, actor and end date (shown as manual, never a floor)",
        Some("ManualTier"),
        "optional",
    ),
    (
        "get",
        "/api/v1/members/{id}/benefits",
        "What a member's tier gives now: multiplier, member price, transfer permission, checkout ratio, priority flag, coupons",
        None,
        "",
    ),
    (
        "get",
        "/api/v1/members/{id}/coupons",
        "A member's coupons, newest first (?status=issued|redeemed|expired|void)",
        None,
        "",
    ),
    (
        "post",
        "/api/v1/members/{id}/coupons",
        "Issue a coupon of a template to a member; idempotency_key in the body makes a retry return the same coupon",
        Some("IssueCoupon"),
        "",
    ),
    (
        "get",
        "/api/v1/coupon-templates",
        "Coupon templates with how many each issued",
        None,
        "",
    ),
    (
        "post",
        "/api/v1/coupon-templates",
        "Create a coupon template: amount_off, percent_off, free_shipping or gift, threshold, validity, limits",
        Some("CouponTemplate"),
        "optional",
    ),
    (
        "post",
        "/api/v1/coupon-templates/{code}/archive",
        "Stop a template issuing coupons (issued coupons stay usable)",
        None,
        "",
    ),
    (
        "post",
        "/api/v1/coupon-templates/{code}/activate",
        "Let an archived template issue coupons again",
        None,
        "",
    ),
    (
        "post",
        "/api/v1/coupons/validate",
        "What a coupon takes off a cart, or why it cannot be used; writes nothing",
        Some("CouponUse"),
        "",
    ),
    (
        "post",
        "/api/v1/coupons/redeem",
        "Redeem a coupon on an order (order_id required); again for the same order returns the first answer",
        Some("CouponUse"),
        "optional",
    ),
    (
        "post",
        "/api/v1/coupons/{code}/release",
        "Make a redeemed coupon usable again: its order was cancelled or refunded",
        Some("CouponRelease"),
        "optional",
    ),
    (
        "get",
        "/api/v1/outbox",
        "Events for webhooks and notifications, oldest first (?after=<event id>&topic=tier.changed&limit=)",
        None,
        "",
    ),
    (
        "get",
        "/api/v1/mall/items",
        "Mall items with SKUs and stock (?status=draft|on_sale|off_sale&category=&after=&limit=)",
        None,
        "",
    ),
    (
        "post",
        "/api/v1/mall/items",
        "Create a mall item: names, kind, category, SKUs with points + cash prices and stock, audience, limits, sale window, flash sale",
        Some("MallItem"),
        "optional",
    ),
    (
        "get",
        "/api/v1/mall/items/{id}",
        "A mall item with its SKUs' stock",
        None,
        "",
    ),
    (
        "put",
        "/api/v1/mall/items/{id}",
        "Replace an item's definition (SKUs matched by code; prices change, new SKUs are added)",
        Some("MallItem"),
        "",
    ),
    (
        "post",
        "/api/v1/mall/items/{id}/status",
        "Put an item on sale, take it off sale or back to draft",
        Some("ItemStatus"),
        "",
    ),
    (
        "post",
        "/api/v1/mall/skus/{sku}/stock",
        "Add (or remove) units of a SKU",
        Some("Restock"),
        "optional",
    ),
    (
        "get",
        "/api/v1/members/{id}/mall",
        "The catalog as a member sees it: can afford now, or how many points short (?locale=zh|en&category=)",
        None,
        "",
    ),
    (
        "get",
        "/api/v1/mall/orders",
        "Mall orders, newest first (?member_id=&state=&before=&limit=)",
        None,
        "",
    ),
    (
        "post",
        "/api/v1/mall/orders",
        "Order a SKU: points reserved and stock taken at once; request_id makes a retry return the same order",
        Some("PlaceOrder"),
        "",
    ),
    (
        "get",
        "/api/v1/mall/orders/{id}",
        "A mall order with its history",
        None,
        "",
    ),
    (
        "post",
        "/api/v1/mall/orders/{id}/pay",
        "The merchant's payment system confirms the cash part: points posted, coupons issued",
        Some("OrderUpdate"),
        "optional",
    ),
    (
        "post",
        "/api/v1/mall/orders/{id}/cancel",
        "Cancel before fulfilment: points and stock return exactly",
        Some("OrderUpdate"),
        "optional",
    ),
    (
        "post",
        "/api/v1/mall/orders/{id}/ship",
        "Ship with carrier and tracking number",
        Some("OrderUpdate"),
        "optional",
    ),
    (
        "post",
        "/api/v1/mall/orders/{id}/deliver",
        "Mark delivered (or a virtual item fulfilled)",
        Some("OrderUpdate"),
        "optional",
    ),
    (
        "post",
        "/api/v1/mall/orders/{id}/refund",
        "After-sale refund, whole or partial: points to their original lots, cash reported to the merchant",
        Some("OrderUpdate"),
        "optional",
    ),
    (
        "post",
        "/api/v1/mall/skus/{sku}/arrivals",
        "Stock of a presale SKU arrived: waiting orders are released oldest first, the rest added to stock",
        Some("Arrival"),
        "optional",
    ),
    (
        "get",
        "/api/v1/mall/items/{id}/alternatives",
        "Up to three items of the same category and similar price that are in stock",
        None,
        "",
    ),
    (
        "post",
        "/api/v1/mall/reports/slow-items",
        "Items whose redemption rate stayed under a threshold for months; apply=true takes them off sale",
        Some("SlowItems"),
        "",
    ),
    (
        "get",
        "/api/v1/mall/candidates",
        "Candidate items members vote on, most votes first",
        None,
        "",
    ),
    (
        "post",
        "/api/v1/mall/candidates",
        "Add a candidate item for members to vote on (积分商品投票)",
        Some("Candidate"),
        "",
    ),
    (
        "post",
        "/api/v1/mall/candidates/{id}/close",
        "Close voting on a candidate",
        None,
        "",
    ),
    (
        "post",
        "/api/v1/mall/candidates/{id}/votes",
        "A member's vote (one per member per candidate)",
        Some("Vote"),
        "",
    ),
    (
        "get",
        "/api/v1/checkout/settings",
        "The programme's points deduction settings (积分抵扣)",
        None,
        "",
    ),
    (
        "put",
        "/api/v1/checkout/settings",
        "Set the deduction ratio, share cap, minimum order and ladders",
        Some("CheckoutSettings"),
        "",
    ),
    (
        "post",
        "/api/v1/checkout/quote",
        "How many points an order may use and what they are worth",
        Some("CheckoutQuote"),
        "",
    ),
    (
        "post",
        "/api/v1/checkout/deductions",
        "Reserve points against an order within the allowance, for the programme's hold time",
        Some("CheckoutDeduction"),
        "optional",
    ),
    (
        "post",
        "/api/v1/checkout/deductions/{id}/post",
        "The order was paid: spend the deduction's points (the reservation API refuses them)",
        None,
        "natural",
    ),
    (
        "post",
        "/api/v1/checkout/deductions/{id}/void",
        "The order was not paid: the deduction's points go back to their lots",
        None,
        "natural",
    ),
    (
        "post",
        "/api/v1/checkout/deductions/{id}/refunds",
        "The order was refunded in part or whole: points back to the lots they came from",
        Some("RedemptionRefund"),
        "required",
    ),
    (
        "get",
        "/api/v1/lotteries",
        "Lotteries with prizes, odds and what is left",
        None,
        "",
    ),
    (
        "post",
        "/api/v1/lotteries",
        "Create a lottery (大转盘/九宫格): cost, prizes with odds in ppm and stock, consolation, limits",
        Some("Lottery"),
        "",
    ),
    (
        "get",
        "/api/v1/lotteries/{code}",
        "A lottery with its prizes' stock",
        None,
        "",
    ),
    (
        "post",
        "/api/v1/lotteries/{code}/grants",
        "Give a member free draws",
        Some("LotteryGrant"),
        "optional",
    ),
    (
        "get",
        "/api/v1/lotteries/{code}/draws",
        "Every draw with its random input, recomputed for audit (?after=&limit=)",
        None,
        "",
    ),
    (
        "post",
        "/api/v1/lotteries/{code}/draws",
        "Draw: costs points or a granted draw; request_id makes a retry return the same draw",
        Some("LotteryDraw"),
        "",
    ),
    (
        "post",
        "/api/v1/mall/images",
        "Upload an item image (PNG, JPEG, GIF, WebP or SVG, up to 2 MiB; the body is the image, its type in Content-Type); served publicly at /media/{id}",
        None,
        "",
    ),
    ("get", "/api/v1/webhooks", "Webhook endpoints", None, ""),
    (
        "post",
        "/api/v1/webhooks",
        "Add an endpoint (http://) for topics; the signing secret is shown once",
        Some("Webhook"),
        "",
    ),
    (
        "post",
        "/api/v1/webhooks/{id}/disable",
        "Stop delivering to an endpoint",
        None,
        "",
    ),
    (
        "post",
        "/api/v1/webhooks/{id}/enable",
        "Deliver to an endpoint again",
        None,
        "",
    ),
    (
        "get",
        "/api/v1/webhooks/{id}/deliveries",
        "An endpoint's recent deliveries with attempts and results",
        None,
        "",
    ),
    (
        "post",
        "/api/v1/members/{id}/centre-link",
        "A signed link into the member points centre (valid 24 hours) for the merchant's app to open",
        None,
        "",
    ),
    (
        "get",
        "/api/v1/risk-holds",
        "Awards held for review by anti-fraud limits (?status=open|released|rejected&after=&limit=)",
        None,
        "",
    ),
    (
        "post",
        "/api/v1/risk-holds/{id}/release",
        "Release a risk hold: the held points vest now",
        Some("HoldReview"),
        "",
    ),
    (
        "post",
        "/api/v1/risk-holds/{id}/reject",
        "Reject a risk hold: the held points are voided",
        Some("HoldReview"),
        "",
    ),
];

fn schemas() -> Value {
    let member_ref = json!({"oneOf": [
        {"type": "object", "required": ["member_id"], "properties": {"member_id": {"type": "integer"}}},
        {"type": "object", "required": ["channel", "external_id"], "properties": {"channel": {"type": "string"}, "external_id": {"type": "string"}}}
    ]});
    json!({
        "MemberRef": member_ref,
        "Identity": {"type": "object", "required": ["channel", "external_id"], "properties": {
            "channel": {"type": "string", "pattern": "^[a-z0-9_]{1,32}$"}, "external_id": {"type": "string", "maxLength": 128}}},
        "NewMember": {"type": "object", "properties": {
            "name": {"type": "string"}, "phone": {"type": "string"}, "email": {"type": "string"},
            "birthday": {"type": "string", "format": "date"},
            "referrer": {"$ref": "#/components/schemas/MemberRef"}, "device_id": {"type": "string"}, "ip": {"type": "string"},
            "identities": {"type": "array", "items": {"$ref": "#/components/schemas/Identity"}}}},
        "Merge": {"type": "object", "required": ["from", "into", "reason", "actor"], "properties": {
            "from": {"$ref": "#/components/schemas/MemberRef"}, "into": {"$ref": "#/components/schemas/MemberRef"},
            "reason": {"type": "string"}, "actor": {"type": "string"}}},
        "Purchase": {"type": "object", "required": ["order_id", "member", "amount_minor", "currency"], "properties": {
            "order_id": {"type": "string", "maxLength": 128}, "member": {"$ref": "#/components/schemas/MemberRef"},
            "amount_minor": {"type": "integer", "minimum": 1, "description": "paid amount in minor units (fen)"},
            "currency": {"type": "string", "example": "CNY"},
            "occurred_at": {"type": "integer", "description": "Unix milliseconds; defaults to now"},
            "shipping_minor": {"type": "integer", "description": "shipping in amount_minor; earns no points"},
            "channel": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}},
            "lines": {"type": "array", "items": {"type": "object", "required": ["sku", "quantity", "price_minor"], "properties": {
                "sku": {"type": "string"}, "category": {"type": "string"}, "quantity": {"type": "integer"}, "price_minor": {"type": "integer"},
                "kind": {"type": "string", "enum": ["item", "shipping", "discount"]}}}}}},
        "Refund": {"type": "object", "required": ["order_id"], "properties": {
            "order_id": {"type": "string"}, "refund_id": {"type": "string"},
            "amount_minor": {"type": "integer", "description": "defaults to all that is still refundable"}, "reason": {"type": "string"}}},
        "Spend": {"type": "object", "required": ["member", "amount"], "properties": {
            "member": {"$ref": "#/components/schemas/MemberRef"}, "amount": {"type": "integer", "minimum": 1},
            "reason": {"type": "string"}, "order_ref": {"type": "string"}}},
        "RedemptionRefund": {"type": "object", "properties": {"amount": {"type": "integer"}, "reason": {"type": "string"}}},
        "ProfileUpdate": {"type": "object", "properties": {
            "name": {"type": ["string", "null"]}, "phone": {"type": ["string", "null"]},
            "email": {"type": ["string", "null"]}, "birthday": {"type": ["string", "null"], "format": "date"}}},
        "StatusChange": {"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}},
        "Reserve": {"type": "object", "required": ["member", "amount"], "properties": {
            "member": {"$ref": "#/components/schemas/MemberRef"}, "amount": {"type": "integer", "minimum": 1},
            "reason": {"type": "string"}, "order_ref": {"type": "string"}, "ttl_seconds": {"type": "integer"}}},
        "MemberTransfer": {"type": "object", "required": ["from", "to", "amount"], "properties": {
            "from": {"$ref": "#/components/schemas/MemberRef"}, "to": {"$ref": "#/components/schemas/MemberRef"},
            "amount": {"type": "integer", "minimum": 1}, "reason": {"type": "string"},
            "device_id": {"type": "string"}, "ip": {"type": "string"}}},
        "Adjustment": {"type": "object", "required": ["member", "delta", "reason", "actor"], "properties": {
            "member": {"$ref": "#/components/schemas/MemberRef"}, "delta": {"type": "integer", "description": "positive credits, negative debits"},
            "point_type": {"type": "string", "enum": ["points", "growth"]}, "reason": {"type": "string"}, "actor": {"type": "string"}}},
        "ProgramUpdate": {"type": "object", "required": ["name", "timezone", "policy"], "properties": {
            "name": {"type": "string"}, "timezone": {"type": "string", "example": "Asia/Shanghai"},
            "policy": {"type": "object", "required": ["validity", "pending_days", "points_per_unit", "growth_per_unit", "shortfall", "clawback_pending_first"], "properties": {
                "validity": {"type": "object", "description": "{\"kind\":\"never\"} | {\"kind\":\"days\",\"days\":N} | {\"kind\":\"months\",\"months\":N} | {\"kind\":\"end_of_year\",\"years\":N}"},
                "pending_days": {"type": "integer"}, "points_per_unit": {"type": "integer", "description": "points per 100 minor units paid"},
                "growth_per_unit": {"type": "integer"}, "shortfall": {"type": "string", "enum": ["debt", "write_off"]},
                "clawback_pending_first": {"type": "boolean"}}}}},
        "Rule": {"type": "object", "required": ["name", "trigger", "points"], "properties": {
            "name": {"type": "string", "maxLength": 100}, "description": {"type": "string"},
            "trigger": {"type": "string", "example": "purchase", "description": "purchase, sign_up, sign_in, review, share, browse, profile_complete, follow, survey, referral, birthday, anniversary or custom:<name>"},
            "schedule": {"type": "object", "properties": {"starts_at": {"type": "string", "example": "2026-12-05"}, "ends_at": {"type": "string", "example": "2026-12-07"},
                "days_of_week": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 7}}, "hours": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2}, "timezone": {"type": "string"}}},
            "audience": {"type": "object", "properties": {"tiers": {"type": "array", "items": {"type": "string"}}, "channels": {"type": "array", "items": {"type": "string"}},
                "segments": {"type": "array", "items": {"type": "string"}}, "joined_within_days": {"type": "integer"}}},
            "condition": {"type": "string", "example": "order.amount >= 10000 && 'coffee' in order.categories"},
            "points": {"type": "string", "example": "base_points * 2"},
            "point_type": {"type": "string", "enum": ["points", "growth"]},
            "pending_days": {"type": "integer"}, "validity_days": {"type": "integer"},
            "caps": {"type": "array", "items": {"type": "object", "required": ["period"], "properties": {"period": {"type": "string", "enum": ["day", "week", "month", "year", "lifetime"]},
                "max_points": {"type": "integer"}, "max_count": {"type": "integer"}}}},
            "budget_points": {"type": "integer"}, "priority": {"type": "integer"},
            "stacking": {"type": "string", "enum": ["stack", "best_of", "exclusive"]},
            "status": {"type": "string", "enum": ["draft", "active"], "description": "on create only"}, "actor": {"type": "string"}}},
        "EarnSettings": {"type": "object", "properties": {
            "sign_in": {"type": "object", "properties": {"reset": {"type": "string", "enum": ["missed_day", "weekly", "monthly"]}, "makeup_allowed": {"type": "boolean"},
                "makeup_cost_points": {"type": "integer"}, "makeup_days_max": {"type": "integer"}}},
            "trigger_caps": {"type": "array", "items": {"type": "object", "required": ["trigger", "period"], "properties": {"trigger": {"type": "string"},
                "period": {"type": "string"}, "max_points": {"type": "integer"}, "max_count": {"type": "integer"}}}},
            "risk": {"type": "object", "properties": {
                "velocity": {"type": "array", "items": {"type": "object", "required": ["by", "window_minutes", "max_events"], "properties": {
                    "by": {"type": "string", "enum": ["device", "ip"]}, "window_minutes": {"type": "integer"}, "max_events": {"type": "integer"}}}},
                "device_members_max": {"type": "integer"}, "phone_members_max": {"type": "integer"}}},
            "birthday_on": {"type": "string", "enum": ["day", "month"]}}},
        "Event": {"type": "object", "required": ["type", "member"], "properties": {
            "event_id": {"type": "string", "description": "required except for sign_in and sign_up"}, "type": {"type": "string", "example": "review"},
            "member": {"$ref": "#/components/schemas/MemberRef"}, "occurred_at": {"type": "integer"}, "channel": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}}, "attributes": {"type": "object", "additionalProperties": {"type": "integer"}, "example": {"text_length": 120, "photos": 2}},
            "makeup_date": {"type": "string", "format": "date", "description": "a make-up sign-in for a missed day"},
            "device_id": {"type": "string"}, "ip": {"type": "string"}}},
        "DryRun": {"type": "object", "properties": {
            "purchase": {"$ref": "#/components/schemas/Purchase"}, "event": {"$ref": "#/components/schemas/Event"},
            "at": {"type": "integer", "description": "Unix ms to evaluate at"}, "rule_ids": {"type": "array", "items": {"type": "integer"}},
            "rules": {"type": "array", "items": {"$ref": "#/components/schemas/Rule"}}, "include_active": {"type": "boolean"}}},
        "Backtest": {"type": "object", "required": ["from", "to"], "properties": {
            "from": {"type": "integer"}, "to": {"type": "integer"}, "rule_ids": {"type": "array", "items": {"type": "integer"}},
            "rules": {"type": "array", "items": {"$ref": "#/components/schemas/Rule"}}, "mode": {"type": "string", "enum": ["add", "replace"]}}},
        "Ladder": {"type": "object", "required": ["metric", "window", "tiers"], "properties": {
            "metric": {"type": "string", "enum": ["growth", "spend", "orders"]},
            "window": {"type": "object", "description": "{\"kind\":\"rolling_months\",\"months\":12} | {\"kind\":\"calendar_year\"}"},
            "review": {"type": "object", "properties": {"every": {"type": "string", "enum": ["month", "quarter", "year"]},
                "grace_days": {"type": "integer"}, "downgrade_steps_max": {"type": "integer"}}},
            "tiers": {"type": "array", "items": {"type": "object", "required": ["code", "name_zh", "name_en", "threshold"], "properties": {
                "code": {"type": "string"}, "name_zh": {"type": "string"}, "name_en": {"type": "string"}, "threshold": {"type": "integer"},
                "benefits": {"type": "object", "properties": {
                    "earn_multiplier_pct": {"type": "integer", "description": "base purchase points × pct / 100"},
                    "points_validity_days": {"type": "integer"},
                    "birthday_gift": {"type": "object", "properties": {"points": {"type": "integer"}, "coupon": {"type": "string"}}},
                    "tier_up_gift": {"type": "object", "properties": {"points": {"type": "integer"}, "coupon": {"type": "string"}}},
                    "monthly_coupons": {"type": "array", "items": {"type": "object", "properties": {"coupon": {"type": "string"}, "count": {"type": "integer"}}}},
                    "member_price_pct": {"type": "integer"}, "transfer_allowed": {"type": "boolean"},
                    "checkout_points_per_unit": {"type": "integer"}, "priority_service": {"type": "boolean"}}}}}}}},
        "ManualTier": {"type": "object", "required": ["tier", "until", "reason", "actor"], "properties": {
            "tier": {"type": "string"}, "until": {"type": "integer", "description": "Unix ms, at most two years ahead"},
            "reason": {"type": "string"}, "actor": {"type": "string"}}},
        "IssueCoupon": {"type": "object", "required": ["template", "idempotency_key"], "properties": {
            "template": {"type": "string"}, "idempotency_key": {"type": "string"}}},
        "CouponTemplate": {"type": "object", "required": ["code", "name_zh", "name_en", "kind", "validity"], "properties": {
            "code": {"type": "string"}, "name_zh": {"type": "string"}, "name_en": {"type": "string"},
            "kind": {"type": "object", "description": "{\"type\":\"amount_off\",\"amount_minor\":1000} | {\"type\":\"percent_off\",\"percent\":10,\"max_off_minor\":2000} | {\"type\":\"free_shipping\",\"max_minor\":1000} | {\"type\":\"gift\",\"gift\":\"...\"}"},
            "threshold_minor": {"type": "integer"},
            "validity": {"type": "object", "description": "{\"kind\":\"days\",\"days\":30} | {\"kind\":\"window\",\"from\":ms,\"until\":ms}"},
            "per_member_limit": {"type": "integer"}, "stock": {"type": "integer"}}},
        "CouponUse": {"type": "object", "required": ["code", "member_id", "cart"], "properties": {
            "code": {"type": "string"}, "member_id": {"type": "integer"},
            "cart": {"type": "object", "required": ["goods_minor"], "properties": {"goods_minor": {"type": "integer"}, "shipping_minor": {"type": "integer"}}},
            "order_id": {"type": "string"}}},
        "CouponRelease": {"type": "object", "required": ["order_id"], "properties": {"order_id": {"type": "string"}}},
        "MallItem": {"type": "object", "required": ["name_zh", "name_en", "category", "kind", "skus"], "properties": {
            "name_zh": {"type": "string"}, "name_en": {"type": "string"}, "description_zh": {"type": "string"}, "description_en": {"type": "string"},
            "category": {"type": "string"},
            "kind": {"type": "object", "description": "{\"type\":\"physical\"} | {\"type\":\"coupon\",\"template\":\"free_ship\"} | {\"type\":\"virtual\"} | {\"type\":\"experience\"} | {\"type\":\"partner\",\"partner\":\"...\"}"},
            "skus": {"type": "array", "items": {"type": "object", "required": ["sku", "points", "stock"], "properties": {
                "sku": {"type": "string"}, "name": {"type": "string"}, "points": {"type": "integer"}, "cash_minor": {"type": "integer"},
                "market_price_minor": {"type": "integer"}, "stock": {"type": "integer"}}}},
            "audience": {"type": "object", "properties": {"tiers": {"type": "array", "items": {"type": "string"}}, "joined_within_days": {"type": "integer"}}},
            "limits": {"type": "object", "properties": {"per_day": {"type": "integer"}, "lifetime": {"type": "integer"}}},
            "sale_from": {"type": "integer"}, "sale_until": {"type": "integer"}, "flash_sale": {"type": "boolean"},
            "images": {"type": "array", "items": {"type": "integer"}}, "status": {"type": "string", "enum": ["draft", "on_sale", "off_sale"]}}},
        "ItemStatus": {"type": "object", "required": ["status"], "properties": {"status": {"type": "string", "enum": ["draft", "on_sale", "off_sale"]}}},
        "Restock": {"type": "object", "required": ["delta"], "properties": {"delta": {"type": "integer"}}},
        "PlaceOrder": {"type": "object", "required": ["member", "sku", "request_id"], "properties": {
            "member": {"$ref": "#/components/schemas/MemberRef"}, "sku": {"type": "string"}, "quantity": {"type": "integer"},
            "request_id": {"type": "string"}, "pay_within_seconds": {"type": "integer"},
            "address": {"type": "object", "required": ["name", "phone", "line"], "properties": {"name": {"type": "string"}, "phone": {"type": "string"},
                "line": {"type": "string"}, "city": {"type": "string"}, "postcode": {"type": "string"}}}}},
        "OrderUpdate": {"type": "object", "properties": {"actor": {"type": "string"}, "reason": {"type": "string"}, "payment_ref": {"type": "string"},
            "carrier": {"type": "string"}, "tracking_no": {"type": "string"}, "points": {"type": "integer"}, "cash_minor": {"type": "integer"},
            "restock": {"type": "boolean"}}},
        "Arrival": {"type": "object", "required": ["quantity"], "properties": {"quantity": {"type": "integer"}}},
        "SlowItems": {"type": "object", "properties": {"months": {"type": "integer"}, "threshold_pct": {"type": "integer"}, "apply": {"type": "boolean"}}},
        "Candidate": {"type": "object", "required": ["name_zh", "name_en"], "properties": {"name_zh": {"type": "string"}, "name_en": {"type": "string"}, "description": {"type": "string"}}},
        "Vote": {"type": "object", "required": ["member_id"], "properties": {"member_id": {"type": "integer"}}},
        "CheckoutSettings": {"type": "object", "required": ["points_per_unit", "max_share_pct"], "properties": {
            "points_per_unit": {"type": "integer"}, "max_share_pct": {"type": "integer"}, "min_order_minor": {"type": "integer"},
            "hold_seconds": {"type": "integer", "minimum": 60, "description": "how long a deduction holds its points unless posted (1,800 by default)"},
            "ladders": {"type": "array", "items": {"type": "object", "properties": {"min_order_minor": {"type": "integer"}, "max_points": {"type": "integer"}}}}}},
        "CheckoutQuote": {"type": "object", "required": ["member", "order_total_minor"], "properties": {
            "member": {"$ref": "#/components/schemas/MemberRef"}, "order_total_minor": {"type": "integer"}}},
        "CheckoutDeduction": {"type": "object", "required": ["member", "order_id", "order_total_minor", "points"], "properties": {
            "member": {"$ref": "#/components/schemas/MemberRef"}, "order_id": {"type": "string"}, "order_total_minor": {"type": "integer"}, "points": {"type": "integer"}}},
        "Lottery": {"type": "object", "required": ["code", "name_zh", "name_en", "style", "cost_points", "prizes", "consolation"], "properties": {
            "code": {"type": "string"}, "name_zh": {"type": "string"}, "name_en": {"type": "string"}, "style": {"type": "string", "enum": ["wheel", "grid"]},
            "cost_points": {"type": "integer"},
            "prizes": {"type": "array", "items": {"type": "object", "required": ["code", "name_zh", "name_en", "odds_ppm", "stock", "reward"], "properties": {
                "code": {"type": "string"}, "name_zh": {"type": "string"}, "name_en": {"type": "string"}, "odds_ppm": {"type": "integer"}, "stock": {"type": "integer"},
                "reward": {"type": "object", "description": "{\"type\":\"points\",\"points\":100} | {\"type\":\"coupon\",\"template\":\"...\"} | {\"type\":\"nothing\"}"}}}},
            "consolation": {"type": "object", "properties": {"name_zh": {"type": "string"}, "name_en": {"type": "string"}, "reward": {"type": "object"}}},
            "per_member_per_day": {"type": "integer"}, "per_member_lifetime": {"type": "integer"}, "starts_at": {"type": "integer"}, "ends_at": {"type": "integer"}}},
        "LotteryGrant": {"type": "object", "required": ["member_id", "count"], "properties": {"member_id": {"type": "integer"}, "count": {"type": "integer"}}},
        "LotteryDraw": {"type": "object", "required": ["member", "request_id"], "properties": {"member": {"$ref": "#/components/schemas/MemberRef"}, "request_id": {"type": "string"}}},
        "Webhook": {"type": "object", "required": ["url", "topics"], "properties": {"url": {"type": "string"},
            "topics": {"type": "array", "items": {"type": "string"}, "description": "e.g. tier.changed, mall.order.*"}}},
        "HoldReview": {"type": "object", "required": ["actor"], "properties": {"actor": {"type": "string"}, "note": {"type": "string"}}},
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message", "details"], "properties": {
            "code": {"type": "string", "example": "insufficient_points"}, "message": {"type": "string"}, "details": {"type": "object"}}}}}
    })
}

pub fn document() -> Value {
    let mut paths = serde_json::Map::new();
    for (method, path, summary, body, idem) in ROUTES {
        // Creating a member or a reservation answers 201; everything else 200.
        let ok = if *method == "post"
            && matches!(
                *path,
                "/api/v1/members"
                    | "/api/v1/reservations"
                    | "/api/v1/rules"
                    | "/api/v1/backtests"
                    | "/api/v1/coupon-templates"
                    | "/api/v1/members/{id}/coupons"
                    | "/api/v1/mall/items"
                    | "/api/v1/mall/orders"
                    | "/api/v1/mall/candidates"
                    | "/api/v1/checkout/deductions"
                    | "/api/v1/lotteries"
                    | "/api/v1/mall/images"
                    | "/api/v1/webhooks"
                    | "/api/v1/members/{id}/centre-link"
            ) {
            "201"
        } else {
            "200"
        };
        let mut op = json!({
            "summary": summary,
            "security": [{"apiKey": []}, {"apiKeyHeader": []}],
            "responses": {
                ok: {"description": "OK"},
                "4XX": {"description": "Refused; nothing was written", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
        });
        if let Some(schema) = body {
            op["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}});
        }
        if !idem.is_empty() {
            op["parameters"] = json!([{"name": "Idempotency-Key", "in": "header", "required": *idem == "required",
                "description": format!("Idempotency key ({idem}): a repeat returns the first answer"), "schema": {"type": "string", "maxLength": 128}}]);
        }
        paths.entry(path.to_string()).or_insert_with(|| json!({}))[*method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Jifen API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Loyalty points: members, purchases, refunds, spends, reservations, transfers. Points are integers; money is in minor units."},
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "apiKey": {"type": "http", "scheme": "bearer",
                           "description": "Authorization: Bearer <key> (the scheme in any case)"},
                "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-Api-Key",
                                 "description": "the same key in a header of its own"}
            }
        }
    })
}
