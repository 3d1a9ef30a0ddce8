//! The OpenAPI 3.1 document served at `/api/openapi.json`, written from one table of routes.
//!
//! Each route names its path and query parameters as its handler parses them, its request body
//! (a component schema that matches the body's deserialisation: required fields, enums, bounds,
//! `additionalProperties: false` where unknown fields are refused), how a retry is made safe, and
//! the shape of its success answer. Tests keep the table, the router and the handlers in step.

use jifen_app::{commands, earn, mall, views};
use serde_json::{Map, Value, json};

/// Where a parameter is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum In {
    Path,
    Query,
}

/// A parameter's type, as its handler parses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// A positive integer id: the handlers refuse 0, negatives and text with a 422.
    Id,
    /// A 64-bit integer within bounds, with the default the handler uses when it is absent.
    Int {
        min: Option<i64>,
        max: Option<i64>,
        default: Option<i64>,
    },
    /// One of these words, with the default.
    Word {
        values: &'static [&'static str],
        default: Option<&'static str>,
    },
    /// Text, at most `max` characters, with an example.
    Text {
        max: Option<u64>,
        pattern: Option<&'static str>,
        example: Option<&'static str>,
    },
    /// `true` or `false`.
    Bool { default: bool },
}

/// A path or query parameter of a route.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub at: In,
    pub ty: Ty,
    pub required: bool,
    pub description: &'static str,
}

impl Param {
    const fn required(mut self) -> Param {
        self.required = true;
        self
    }

    /// The parameter's JSON Schema.
    pub fn schema(&self) -> Value {
        match self.ty {
            Ty::Id => json!({"type": "integer", "format": "int64", "minimum": 1, "example": 1}),
            Ty::Int { min, max, default } => {
                let mut s = json!({"type": "integer", "format": "int64"});
                if let Some(v) = min {
                    s["minimum"] = v.into();
                }
                if let Some(v) = max {
                    s["maximum"] = v.into();
                }
                if let Some(v) = default {
                    s["default"] = v.into();
                }
                s
            }
            Ty::Word { values, default } => {
                let mut s = json!({"type": "string", "enum": values});
                if let Some(v) = default {
                    s["default"] = v.into();
                }
                s
            }
            Ty::Text {
                max,
                pattern,
                example,
            } => {
                let mut s = json!({"type": "string", "minLength": 1});
                if let Some(v) = max {
                    s["maxLength"] = v.into();
                }
                if let Some(v) = pattern {
                    s["pattern"] = v.into();
                }
                if let Some(v) = example {
                    s["example"] = v.into();
                }
                s
            }
            Ty::Bool { default } => json!({"type": "boolean", "default": default}),
        }
    }

    fn document(&self) -> Value {
        json!({
            "name": self.name,
            "in": match self.at { In::Path => "path", In::Query => "query" },
            "required": self.required,
            "description": self.description,
            "schema": self.schema(),
        })
    }
}

const fn path_id(description: &'static str) -> Param {
    Param {
        name: "id",
        at: In::Path,
        ty: Ty::Id,
        required: true,
        description,
    }
}

const fn path_text(name: &'static str, description: &'static str, example: &'static str) -> Param {
    Param {
        name,
        at: In::Path,
        ty: Ty::Text {
            max: None,
            pattern: None,
            example: Some(example),
        },
        required: true,
        description,
    }
}

const fn query(name: &'static str, ty: Ty, description: &'static str) -> Param {
    Param {
        name,
        at: In::Query,
        ty,
        required: false,
        description,
    }
}

const fn ty_int(min: Option<i64>, max: Option<i64>, default: Option<i64>) -> Ty {
    Ty::Int { min, max, default }
}

const fn ty_word(values: &'static [&'static str], default: Option<&'static str>) -> Ty {
    Ty::Word { values, default }
}

const fn ty_text(max: Option<u64>, example: Option<&'static str>) -> Ty {
    Ty::Text {
        max,
        pattern: None,
        example,
    }
}

// ---- path parameters -----------------------------------------------------------------------

const MEMBER: Param =
    path_id("The member's id (a merged member's id names the member it was merged into)");
const SPEND: Param = path_id("The spend's transfer_id, or a posted reservation's reservation_id");
const RESERVATION: Param = path_id("The reservation's reservation_id");
const RULE: Param = path_id("The rule's rule_id");
const BACKTEST: Param = path_text(
    "id",
    "The backtest_id its creation answered",
    "bt_0123456789abcdef",
);
const TEMPLATE: Param = path_text("code", "The coupon template's code", "free_ship");
const COUPON: Param = path_text(
    "code",
    "The coupon's code (case does not matter)",
    "CPN8K2M4Q7",
);
const ITEM: Param = path_id("The mall item's item_id");
const SKU: Param = path_text("sku", "The SKU's code", "BEANS-500");
const ORDER: Param = path_id("The mall order's order_id");
const CANDIDATE: Param = path_id("The candidate's candidate_id");
const DEDUCTION: Param = path_id("The deduction's reservation_id");
const LOTTERY: Param = path_text("code", "The lottery's code", "lucky_wheel");
const WEBHOOK: Param = path_id("The webhook endpoint's endpoint_id");
const HOLD: Param = path_id("The risk hold's hold_id");

// ---- query parameters ----------------------------------------------------------------------

const LOOKUP_CHANNEL: Param = query(
    "channel",
    Ty::Text {
        max: Some(32),
        pattern: Some("^[a-z0-9_]{1,32}$"),
        example: Some("app"),
    },
    "The channel of the external id",
)
.required();
const LOOKUP_EXTERNAL_ID: Param = query(
    "external_id",
    Ty::Text {
        max: Some(commands::ID_LEN_MAX as u64),
        pattern: Some(EXTERNAL_ID),
        example: Some("U100001"),
    },
    "The member's id in that channel",
)
.required();
const DAYS: Param = query(
    "days",
    ty_int(Some(0), Some(views::EXPIRING_DAYS_MAX), Some(30)),
    "`expiring` counts the points that expire within this many days",
);
const POINT_TYPE: Param = query(
    "point_type",
    ty_word(&["points", "growth"], Some("points")),
    "Which account's lots",
);
const INCLUDE_CLOSED: Param = query(
    "include_closed",
    Ty::Bool { default: false },
    "Also list lots with nothing left",
);
const HISTORY_BEFORE: Param = query(
    "before",
    ty_int(None, None, None),
    "Only lines older than this transfer id: the previous page's next_before",
);
const HISTORY_LIMIT: Param = query(
    "limit",
    ty_int(Some(1), Some(views::HISTORY_PAGE_MAX), Some(50)),
    "Lines per page",
);
const RECEIPT_TRANSFER: Param = query(
    "transfer_id",
    ty_int(None, None, None),
    "The history line's transfer_id",
)
.required();
const LINKS_AFTER: Param = query(
    "after",
    ty_int(None, None, Some(0)),
    "Only links after this seq",
);
const LINKS_LIMIT: Param = query(
    "limit",
    ty_int(Some(1), Some(1_000), Some(100)),
    "Links per page",
);
const EXPORT_FORMAT: Param = query(
    "format",
    ty_word(&["json", "csv"], Some("json")),
    "JSON, or CSV (UTF-8 with a byte order mark) to download",
);
const RULE_STATUS: Param = query(
    "status",
    ty_word(&["draft", "active", "paused", "archived"], None),
    "Only rules in this status",
);
const LOCALE: Param = query(
    "locale",
    ty_word(&["zh", "zh-CN", "en", "en-US"], Some("zh")),
    "The language of names and messages",
);
const COUPON_STATUS: Param = query(
    "status",
    ty_word(&["issued", "redeemed", "expired", "void"], None),
    "Only coupons in this status",
);
const OUTBOX_AFTER: Param = query(
    "after",
    ty_int(Some(0), None, Some(0)),
    "Only events after this event id: the last id the consumer saw",
);
const OUTBOX_TOPIC: Param = query(
    "topic",
    ty_text(None, Some("tier.changed")),
    "Only events of this topic",
);
const OUTBOX_LIMIT: Param = query(
    "limit",
    ty_int(Some(1), Some(1_000), Some(100)),
    "Events per page",
);
const ITEM_STATUS: Param = query(
    "status",
    ty_word(&["draft", "on_sale", "off_sale"], None),
    "Only items in this status",
);
const CATEGORY: Param = query(
    "category",
    ty_text(None, Some("coffee")),
    "Only items of this category",
);
const ITEMS_AFTER: Param = query(
    "after",
    ty_int(None, None, Some(0)),
    "Only items after this item id: the previous page's next_after",
);
const ITEMS_LIMIT: Param = query(
    "limit",
    ty_int(Some(1), Some(mall::ITEMS_PAGE_MAX), Some(50)),
    "Items per page",
);
const ORDERS_MEMBER: Param = query(
    "member_id",
    ty_int(None, None, None),
    "Only this member's orders",
);
const ORDER_STATE: Param = query(
    "state",
    ty_word(
        &[
            "pending_payment",
            "paid",
            "awaiting_stock",
            "shipped",
            "delivered",
            "cancelled",
            "timed_out",
            "refunded",
        ],
        None,
    ),
    "Only orders in this state",
);
const ORDERS_BEFORE: Param = query(
    "before",
    ty_int(None, None, None),
    "Only orders older than this order id: the previous page's next_before",
);
const ORDERS_LIMIT: Param = query(
    "limit",
    ty_int(Some(1), Some(mall::ORDERS_PAGE_MAX), Some(50)),
    "Orders per page",
);
const DRAWS_AFTER: Param = query(
    "after",
    ty_int(None, None, Some(0)),
    "Only draws after this draw id",
);
const DRAWS_LIMIT: Param = query(
    "limit",
    ty_int(Some(1), Some(1_000), Some(100)),
    "Draws per page",
);
const HOLD_STATUS: Param = query(
    "status",
    ty_word(&["open", "released", "rejected"], Some("open")),
    "Only holds in this status",
);
const HOLDS_AFTER: Param = query(
    "after",
    ty_int(None, None, Some(0)),
    "Only holds after this hold id: the previous page's next_after",
);
const HOLDS_LIMIT: Param = query(
    "limit",
    ty_int(Some(1), Some(earn::HOLDS_PAGE_MAX), Some(50)),
    "Holds per page",
);

// ---- the table -----------------------------------------------------------------------------

/// A route's request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    None,
    /// A JSON object of this component schema.
    Json(&'static str),
    /// A JSON object of this component schema, or no body at all.
    OptionalJson(&'static str),
    /// The bytes of an image, its type in `Content-Type`.
    Image,
}

/// One operation of the API.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    /// Path parameters (every `{name}` of the path) and query parameters.
    pub params: &'static [Param],
    pub body: Body,
    /// How a retry is made safe with the `Idempotency-Key` header: "" (the header is not read),
    /// "required", "optional", "natural" (an optional header, else a key from the path), or what
    /// else serves as the key.
    pub idem: &'static str,
    /// The success statuses: 200, 201 for creations, 200 or 202 for adjustments.
    pub statuses: &'static [u16],
    /// The component schema of the success answer; "" for an object of no documented shape.
    pub answer: &'static str,
    /// Whether the answer may also be CSV (`?format=csv`).
    pub csv: bool,
}

const fn route(method: &'static str, path: &'static str, summary: &'static str) -> Route {
    Route {
        method,
        path,
        summary,
        params: &[],
        body: Body::None,
        idem: "",
        statuses: &[200],
        answer: "",
        csv: false,
    }
}

const fn get(path: &'static str, summary: &'static str) -> Route {
    route("get", path, summary)
}

const fn post(path: &'static str, summary: &'static str) -> Route {
    route("post", path, summary)
}

const fn put(path: &'static str, summary: &'static str) -> Route {
    route("put", path, summary)
}

const fn patch(path: &'static str, summary: &'static str) -> Route {
    route("patch", path, summary)
}

impl Route {
    const fn params(mut self, params: &'static [Param]) -> Route {
        self.params = params;
        self
    }

    const fn body(mut self, schema: &'static str) -> Route {
        self.body = Body::Json(schema);
        self
    }

    const fn optional_body(mut self, schema: &'static str) -> Route {
        self.body = Body::OptionalJson(schema);
        self
    }

    const fn image_body(mut self) -> Route {
        self.body = Body::Image;
        self
    }

    const fn idem(mut self, idem: &'static str) -> Route {
        self.idem = idem;
        self
    }

    const fn created(mut self) -> Route {
        self.statuses = &[201];
        self
    }

    const fn or_accepted(mut self) -> Route {
        self.statuses = &[200, 202];
        self
    }

    const fn answer(mut self, schema: &'static str) -> Route {
        self.answer = schema;
        self
    }

    const fn or_csv(mut self) -> Route {
        self.csv = true;
        self
    }

    /// The component schema of the request body, if it has one.
    pub fn body_schema(&self) -> Option<&'static str> {
        match self.body {
            Body::Json(s) | Body::OptionalJson(s) => Some(s),
            Body::None | Body::Image => None,
        }
    }
}

/// Every operation of `/api/v1`.
pub const ROUTES: &[Route] = &[
    get(
        "/api/v1/program",
        "The programme this API key belongs to, with its settings",
    )
    .answer("Program"),
    put(
        "/api/v1/program",
        "Replace the programme's name, time zone and ledger policy",
    )
    .body("ProgramUpdate")
    .answer("Program"),
    post(
        "/api/v1/members",
        "Create a member with profile and external ids",
    )
    .body("NewMember")
    .idem("optional")
    .created()
    .answer("Member"),
    get(
        "/api/v1/members/lookup",
        "Find a member by channel and external id (?channel=&external_id=)",
    )
    .params(&[LOOKUP_CHANNEL, LOOKUP_EXTERNAL_ID])
    .answer("Member"),
    post(
        "/api/v1/members/merge",
        "Merge one member into another: lots, debt, identities and orders move",
    )
    .body("Merge")
    .idem("optional")
    .answer("MergeResult"),
    get(
        "/api/v1/members/{id}",
        "A member's profile, identities and balances",
    )
    .params(&[MEMBER])
    .answer("Member"),
    post(
        "/api/v1/members/{id}/identities",
        "Add an external id in a channel to a member",
    )
    .params(&[MEMBER])
    .body("Identity")
    .idem("optional")
    .answer("Member"),
    get(
        "/api/v1/members/{id}/balance",
        "Available, pending, reserved, debt, expiring within ?days=, lifetime counters",
    )
    .params(&[MEMBER, DAYS])
    .answer("MemberBalance"),
    get(
        "/api/v1/members/{id}/lots",
        "A member's lots with expiry and what became of them (?point_type=&include_closed=)",
    )
    .params(&[MEMBER, POINT_TYPE, INCLUDE_CLOSED])
    .answer("MemberLots"),
    get(
        "/api/v1/members/{id}/history",
        "Every ledger line with reason and source, newest first (?before=&limit=)",
    )
    .params(&[MEMBER, HISTORY_BEFORE, HISTORY_LIMIT])
    .answer("HistoryPage"),
    post(
        "/api/v1/purchases",
        "Record a purchase: points earned, pending through the return window",
    )
    .body("Purchase")
    .idem("order_id, or the header"),
    post(
        "/api/v1/refunds",
        "Refund an order fully or partly: the exact earned points are reversed",
    )
    .body("Refund")
    .idem("refund_id, or the header"),
    post(
        "/api/v1/spends",
        "Spend points now, soonest-expiring first",
    )
    .body("Spend")
    .idem("required")
    .answer("SpendResult"),
    get(
        "/api/v1/members/{id}/receipt",
        "A receipt proving a line of the member's history (?transfer_id=) is sealed in the hash chain",
    )
    .params(&[MEMBER, RECEIPT_TRANSFER]),
    get(
        "/api/v1/chain/links",
        "The programme's hash-chain links after ?after= (seq, previous hash, Merkle root, hash, totals)",
    )
    .params(&[LINKS_AFTER, LINKS_LIMIT])
    .answer("ChainLinks"),
    get(
        "/api/v1/members/{id}/export",
        "Everything held about a member (PIPL) as JSON, or CSV with ?format=csv; audited",
    )
    .params(&[MEMBER, EXPORT_FORMAT])
    .or_csv(),
    post(
        "/api/v1/members/{id}/centre-link/revoke",
        "Revoke every member-centre link of the member issued until now; audited",
    )
    .params(&[MEMBER]),
    post(
        "/api/v1/members/{id}/erase",
        "Erase a member's personal data (PIPL); amounts stay so the books balance; audited",
    )
    .params(&[MEMBER])
    .body("StatusChange")
    .idem("optional")
    .answer("Member"),
    patch(
        "/api/v1/members/{id}",
        "Change a member's name, phone, email or birthday (null clears a field); audited",
    )
    .params(&[MEMBER])
    .body("ProfileUpdate")
    .idem("optional")
    .answer("Member"),
    post(
        "/api/v1/members/{id}/identities/unbind",
        "Unbind one of a member's identities (never the last); audited",
    )
    .params(&[MEMBER])
    .body("Identity")
    .idem("optional")
    .answer("Member"),
    post(
        "/api/v1/members/{id}/freeze",
        "Freeze a member: earnings wait in pending; no spending, reserving or transfers; audited",
    )
    .params(&[MEMBER])
    .body("StatusChange")
    .idem("optional")
    .answer("Member"),
    post(
        "/api/v1/members/{id}/unfreeze",
        "Unfreeze a member: what they earned meanwhile vests as its return window says; audited",
    )
    .params(&[MEMBER])
    .body("StatusChange")
    .idem("optional")
    .answer("Member"),
    post(
        "/api/v1/spends/{id}/refunds",
        "Refund a spend or posted reservation: the same lots are restored",
    )
    .params(&[SPEND])
    .body("RedemptionRefund")
    .idem("required"),
    post(
        "/api/v1/reservations",
        "Reserve points for an order of the merchant's own (mall orders and checkout deductions hold theirs themselves)",
    )
    .body("Reserve")
    .idem("required")
    .created()
    .answer("Reservation"),
    post(
        "/api/v1/reservations/{id}/post",
        "Settle a reservation",
    )
    .params(&[RESERVATION])
    .idem("natural")
    .answer("Reservation"),
    post(
        "/api/v1/reservations/{id}/void",
        "Release a reservation: points return to their lots",
    )
    .params(&[RESERVATION])
    .optional_body("SettleReason")
    .idem("natural")
    .answer("Reservation"),
    post(
        "/api/v1/transfers",
        "Give points to another member; they keep their expiry",
    )
    .body("MemberTransfer")
    .idem("required")
    .answer("TransferResult"),
    post(
        "/api/v1/adjustments",
        "Manual adjustment by staff, with actor and reason",
    )
    .body("Adjustment")
    .idem("required")
    .or_accepted(),
    get(
        "/api/v1/rules",
        "Earning rules at their current version (?status=draft|active|paused|archived)",
    )
    .params(&[RULE_STATUS]),
    post(
        "/api/v1/rules",
        "Create an earning rule (draft unless status is active); validated when saved",
    )
    .body("Rule")
    .idem("optional")
    .created(),
    get(
        "/api/v1/rules/variables",
        "The variables and functions rule expressions may use, per event type",
    ),
    get(
        "/api/v1/rules/{id}",
        "A rule with its versions and what it issued",
    )
    .params(&[RULE]),
    put(
        "/api/v1/rules/{id}",
        "Save a new version of a rule (versions are immutable; awards name theirs)",
    )
    .params(&[RULE])
    .body("RuleUpdate")
    .idem("optional"),
    post(
        "/api/v1/rules/{id}/activate",
        "Activate a draft or paused rule",
    )
    .params(&[RULE]),
    post(
        "/api/v1/rules/{id}/pause",
        "Pause an active rule",
    )
    .params(&[RULE]),
    post(
        "/api/v1/rules/{id}/archive",
        "Archive a rule for good",
    )
    .params(&[RULE]),
    get(
        "/api/v1/earn-settings",
        "Sign-in streak settings and per-event-type caps",
    ),
    put(
        "/api/v1/earn-settings",
        "Replace sign-in streak settings and per-event-type caps",
    )
    .body("EarnSettings"),
    post(
        "/api/v1/events",
        "Record a behaviour event (sign_in, review, share, custom:...): rules pay, with an explanation of every rule",
    )
    .body("Event")
    .idem("optional"),
    post(
        "/api/v1/events/dry-run",
        "Evaluate a purchase or event against the active, stored or inline rules at a chosen time, writing nothing",
    )
    .body("DryRun"),
    post(
        "/api/v1/backtests",
        "Replay stored events of a range against a proposed rule set; poll for progress and the cost",
    )
    .body("Backtest")
    .created(),
    get(
        "/api/v1/backtests/{id}",
        "A backtest's progress and, when done, its result",
    )
    .params(&[BACKTEST]),
    get(
        "/api/v1/tiers",
        "The programme's tier ladder (会员等级)",
    ),
    put(
        "/api/v1/tiers",
        "Replace the tier ladder: metric (growth, spend, orders), window, tiers with thresholds",
    )
    .body("Ladder"),
    get(
        "/api/v1/members/{id}/tier",
        "A member's tier, metric and what the next tier needs (?locale=zh|en)",
    )
    .params(&[MEMBER, LOCALE]),
    post(
        "/api/v1/members/{id}/tier",
        "Set a member's tier by hand, with reason, actor and end date (shown as manual, never a floor)",
    )
    .params(&[MEMBER])
    .body("ManualTier")
    .idem("optional"),
    get(
        "/api/v1/members/{id}/benefits",
        "What a member's tier gives now: multiplier, member price, transfer permission, checkout ratio, priority flag, coupons",
    )
    .params(&[MEMBER]),
    get(
        "/api/v1/members/{id}/coupons",
        "A member's coupons, newest first (?status=issued|redeemed|expired|void)",
    )
    .params(&[MEMBER, COUPON_STATUS]),
    post(
        "/api/v1/members/{id}/coupons",
        "Issue a coupon of a template to a member; idempotency_key in the body makes a retry return the same coupon",
    )
    .params(&[MEMBER])
    .body("IssueCoupon")
    .created(),
    get(
        "/api/v1/coupon-templates",
        "Coupon templates with how many each issued",
    ),
    post(
        "/api/v1/coupon-templates",
        "Create a coupon template: amount_off, percent_off, free_shipping or gift, threshold, validity, limits",
    )
    .body("CouponTemplate")
    .idem("optional")
    .created(),
    post(
        "/api/v1/coupon-templates/{code}/archive",
        "Stop a template issuing coupons (issued coupons stay usable)",
    )
    .params(&[TEMPLATE]),
    post(
        "/api/v1/coupon-templates/{code}/activate",
        "Let an archived template issue coupons again",
    )
    .params(&[TEMPLATE]),
    post(
        "/api/v1/coupons/validate",
        "What a coupon takes off a cart, or why it cannot be used; writes nothing",
    )
    .body("CouponUse"),
    post(
        "/api/v1/coupons/redeem",
        "Redeem a coupon on an order (order_id required); again for the same order returns the first answer",
    )
    .body("CouponRedeem")
    .idem("optional"),
    post(
        "/api/v1/coupons/{code}/release",
        "Make a redeemed coupon usable again: its order was cancelled or refunded",
    )
    .params(&[COUPON])
    .body("CouponRelease")
    .idem("optional"),
    get(
        "/api/v1/outbox",
        "Events for webhooks and notifications, oldest first (?after=<event id>&topic=tier.changed&limit=)",
    )
    .params(&[OUTBOX_AFTER, OUTBOX_TOPIC, OUTBOX_LIMIT])
    .answer("OutboxPage"),
    get(
        "/api/v1/mall/items",
        "Mall items with SKUs and stock (?status=draft|on_sale|off_sale&category=&after=&limit=)",
    )
    .params(&[ITEM_STATUS, CATEGORY, ITEMS_AFTER, ITEMS_LIMIT]),
    post(
        "/api/v1/mall/items",
        "Create a mall item: names, kind, category, SKUs with points + cash prices and stock, audience, limits, sale window, flash sale",
    )
    .body("MallItem")
    .idem("optional")
    .created(),
    get(
        "/api/v1/mall/items/{id}",
        "A mall item with its SKUs' stock",
    )
    .params(&[ITEM]),
    put(
        "/api/v1/mall/items/{id}",
        "Replace an item's definition (SKUs matched by code; prices change, new SKUs are added)",
    )
    .params(&[ITEM])
    .body("MallItemDefinition"),
    post(
        "/api/v1/mall/items/{id}/status",
        "Put an item on sale, take it off sale or back to draft",
    )
    .params(&[ITEM])
    .body("ItemStatus"),
    post(
        "/api/v1/mall/skus/{sku}/stock",
        "Add (or remove) units of a SKU",
    )
    .params(&[SKU])
    .body("Restock")
    .idem("optional"),
    get(
        "/api/v1/members/{id}/mall",
        "The catalog as a member sees it: can afford now, or how many points short (?locale=zh|en&category=)",
    )
    .params(&[MEMBER, LOCALE, CATEGORY]),
    get(
        "/api/v1/mall/orders",
        "Mall orders, newest first (?member_id=&state=&before=&limit=)",
    )
    .params(&[ORDERS_MEMBER, ORDER_STATE, ORDERS_BEFORE, ORDERS_LIMIT]),
    post(
        "/api/v1/mall/orders",
        "Order a SKU: points reserved and stock taken at once; request_id makes a retry return the same order",
    )
    .body("PlaceOrder")
    .created(),
    get(
        "/api/v1/mall/orders/{id}",
        "A mall order with its history",
    )
    .params(&[ORDER]),
    post(
        "/api/v1/mall/orders/{id}/pay",
        "The merchant's payment system confirms the cash part: points posted, coupons issued",
    )
    .params(&[ORDER])
    .body("OrderUpdate")
    .idem("optional"),
    post(
        "/api/v1/mall/orders/{id}/cancel",
        "Cancel before fulfilment: points and stock return exactly",
    )
    .params(&[ORDER])
    .body("OrderUpdate")
    .idem("optional"),
    post(
        "/api/v1/mall/orders/{id}/ship",
        "Ship with carrier and tracking number",
    )
    .params(&[ORDER])
    .body("OrderUpdate")
    .idem("optional"),
    post(
        "/api/v1/mall/orders/{id}/deliver",
        "Mark delivered (or a virtual item fulfilled)",
    )
    .params(&[ORDER])
    .body("OrderUpdate")
    .idem("optional"),
    post(
        "/api/v1/mall/orders/{id}/refund",
        "After-sale refund, whole or partial: points to their original lots, cash reported to the merchant",
    )
    .params(&[ORDER])
    .body("OrderUpdate")
    .idem("optional"),
    post(
        "/api/v1/mall/skus/{sku}/arrivals",
        "Stock of a presale SKU arrived: waiting orders are released oldest first, the rest added to stock",
    )
    .params(&[SKU])
    .body("Arrival")
    .idem("optional"),
    get(
        "/api/v1/mall/items/{id}/alternatives",
        "Up to three items of the same category and similar price that are in stock",
    )
    .params(&[ITEM]),
    post(
        "/api/v1/mall/reports/slow-items",
        "Items whose redemption rate stayed under a threshold for months; apply=true takes them off sale",
    )
    .body("SlowItems"),
    get(
        "/api/v1/mall/candidates",
        "Candidate items members vote on, most votes first",
    ),
    post(
        "/api/v1/mall/candidates",
        "Add a candidate item for members to vote on (积分商品投票)",
    )
    .body("Candidate")
    .created(),
    post(
        "/api/v1/mall/candidates/{id}/close",
        "Close voting on a candidate",
    )
    .params(&[CANDIDATE]),
    post(
        "/api/v1/mall/candidates/{id}/votes",
        "A member's vote (one per member per candidate)",
    )
    .params(&[CANDIDATE])
    .body("Vote"),
    get(
        "/api/v1/checkout/settings",
        "The programme's points deduction settings (积分抵扣)",
    ),
    put(
        "/api/v1/checkout/settings",
        "Set the deduction ratio, share cap, minimum order and ladders",
    )
    .body("CheckoutSettings"),
    post(
        "/api/v1/checkout/quote",
        "How many points an order may use and what they are worth",
    )
    .body("CheckoutQuote"),
    post(
        "/api/v1/checkout/deductions",
        "Reserve points against an order within the allowance, for the programme's hold time",
    )
    .body("CheckoutDeduction")
    .idem("optional")
    .created(),
    post(
        "/api/v1/checkout/deductions/{id}/post",
        "The order was paid: spend the deduction's points (the reservation API refuses them)",
    )
    .params(&[DEDUCTION])
    .idem("natural")
    .answer("Reservation"),
    post(
        "/api/v1/checkout/deductions/{id}/void",
        "The order was not paid: the deduction's points go back to their lots",
    )
    .params(&[DEDUCTION])
    .optional_body("SettleReason")
    .idem("natural")
    .answer("Reservation"),
    post(
        "/api/v1/checkout/deductions/{id}/refunds",
        "The order was refunded in part or whole: points back to the lots they came from",
    )
    .params(&[DEDUCTION])
    .body("DeductionRefund")
    .idem("required"),
    get(
        "/api/v1/lotteries",
        "Lotteries with prizes, odds and what is left",
    ),
    post(
        "/api/v1/lotteries",
        "Create a lottery (大转盘/九宫格): cost, prizes with odds in ppm and stock, consolation, limits",
    )
    .body("Lottery")
    .created(),
    get(
        "/api/v1/lotteries/{code}",
        "A lottery with its prizes' stock",
    )
    .params(&[LOTTERY]),
    post(
        "/api/v1/lotteries/{code}/grants",
        "Give a member free draws",
    )
    .params(&[LOTTERY])
    .body("LotteryGrant")
    .idem("optional"),
    get(
        "/api/v1/lotteries/{code}/draws",
        "Every draw with its random input, recomputed for audit (?after=&limit=)",
    )
    .params(&[LOTTERY, DRAWS_AFTER, DRAWS_LIMIT]),
    post(
        "/api/v1/lotteries/{code}/draws",
        "Draw: costs points or a granted draw; request_id makes a retry return the same draw",
    )
    .params(&[LOTTERY])
    .body("LotteryDraw"),
    post(
        "/api/v1/mall/images",
        "Upload an item image (PNG, JPEG, GIF, WebP or SVG, up to 2 MiB; the body is the image, its type in Content-Type); served publicly at /media/{id}",
    )
    .image_body()
    .created(),
    get(
        "/api/v1/webhooks",
        "Webhook endpoints",
    ),
    post(
        "/api/v1/webhooks",
        "Add an endpoint (http://) for topics; the signing secret is shown once",
    )
    .body("Webhook")
    .created(),
    post(
        "/api/v1/webhooks/{id}/disable",
        "Stop delivering to an endpoint",
    )
    .params(&[WEBHOOK]),
    post(
        "/api/v1/webhooks/{id}/enable",
        "Deliver to an endpoint again",
    )
    .params(&[WEBHOOK]),
    get(
        "/api/v1/webhooks/{id}/deliveries",
        "An endpoint's recent deliveries with attempts and results",
    )
    .params(&[WEBHOOK]),
    post(
        "/api/v1/members/{id}/centre-link",
        "A signed link into the member points centre (valid 24 hours) for the merchant's app to open",
    )
    .params(&[MEMBER])
    .created(),
    get(
        "/api/v1/risk-holds",
        "Awards held for review by anti-fraud limits (?status=open|released|rejected&after=&limit=)",
    )
    .params(&[HOLD_STATUS, HOLDS_AFTER, HOLDS_LIMIT]),
    post(
        "/api/v1/risk-holds/{id}/release",
        "Release a risk hold: the held points vest now",
    )
    .params(&[HOLD])
    .body("HoldReview"),
    post(
        "/api/v1/risk-holds/{id}/reject",
        "Reject a risk hold: the held points are voided",
    )
    .params(&[HOLD])
    .body("HoldReview"),
];

// ---- component schemas ---------------------------------------------------------------------

/// An object whose unknown fields the server refuses (`#[serde(deny_unknown_fields)]`).
fn closed(required: &[&str], properties: Value) -> Value {
    let mut s = open(required, properties);
    s["additionalProperties"] = false.into();
    s
}

/// An object whose unknown fields the server ignores.
fn open(required: &[&str], properties: Value) -> Value {
    let mut s = json!({"type": "object", "properties": properties});
    if !required.is_empty() {
        s["required"] = json!(required);
    }
    s
}

/// One variant of an internally tagged enum: `{tag: name, ...fields}`.
fn variant(
    tag: &str,
    name: &str,
    required: &[&str],
    mut properties: Value,
    closed_: bool,
) -> Value {
    properties[tag] = json!({"const": name});
    let mut req = vec![tag];
    req.extend_from_slice(required);
    if closed_ {
        closed(&req, properties)
    } else {
        open(&req, properties)
    }
}

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn int(min: Option<i64>, max: Option<i64>) -> Value {
    let mut s = json!({"type": "integer", "format": "int64"});
    if let Some(v) = min {
        s["minimum"] = v.into();
    }
    if let Some(v) = max {
        s["maximum"] = v.into();
    }
    s
}

fn any_int() -> Value {
    int(None, None)
}

fn string() -> Value {
    json!({"type": "string"})
}

fn text(min: u64, max: u64) -> Value {
    json!({"type": "string", "minLength": min, "maxLength": max})
}

/// An external id: on one line, without invisible formatting characters, not blank (the
/// [`CONTROL`] and [`FORMAT`] characters refused around a character that is not white space).
const EXTERNAL_ID: &str = "^[^\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2069\\ufeff]*\
                           [^\\s\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2069\\ufeff]\
                           [^\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2069\\ufeff]*$";

/// Control characters (`char::is_control`), as a regular expression class's contents.
const CONTROL: &str = "\\x00-\\x1f\\x7f-\\x9f";
/// The same but the line feed, which multi-line texts may hold.
const CONTROL_BUT_LF: &str = "\\x00-\\x09\\x0b-\\x1f\\x7f-\\x9f";
/// Bidirectional and invisible formatting characters: text that shows one thing and is another.
const FORMAT: &str = "\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2069\\ufeff";

/// Text without these characters.
fn without(refused: &str) -> String {
    format!("^[^{refused}]*$")
}

/// Text without these characters and with one that is not white space: what is left after
/// the handlers trim it is not empty.
fn not_blank_without(refused: &str) -> String {
    format!("^[^{refused}]*[^\\s{refused}][^{refused}]*$")
}

/// A name the handlers trim and count: 1 to `max` characters, not blank.
fn named(max: u64) -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": max, "pattern": "\\S"})
}

/// A short code: 1 to 32 characters of a-z, 0-9 and _.
fn code() -> Value {
    json!({"type": "string", "pattern": "^[a-z0-9_]{1,32}$"})
}

/// A caller's id (order ids, references, keys): 1 to 128 bytes, no control characters.
fn id_text() -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": commands::ID_LEN_MAX, "pattern": without(CONTROL),
           "description": "1 to 128 bytes, no control characters"})
}

/// An id in one of the merchant's channels: 1 to 128 bytes on one line, with no invisible
/// characters (it is stored NFKC-normalised and trimmed).
fn external_id() -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": commands::ID_LEN_MAX,
           "pattern": EXTERNAL_ID, "example": "U100001"})
}

fn reason() -> Value {
    json!({"type": "string", "maxLength": commands::REASON_LEN_MAX, "pattern": without(&format!("{CONTROL}{FORMAT}")),
           "description": "one line, at most 500 characters"})
}

fn required_reason() -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": commands::REASON_LEN_MAX,
           "pattern": not_blank_without(&format!("{CONTROL}{FORMAT}")),
           "description": "one line, at most 500 characters, not blank"})
}

/// Profile text: at most `max` characters, no control characters; `null` clears it.
fn profile_text(max: u64) -> Value {
    json!({"type": ["string", "null"], "maxLength": max, "pattern": without(CONTROL)})
}

fn email() -> Value {
    json!({"type": ["string", "null"], "maxLength": 254, "pattern": format!("^[^{CONTROL}]*@[^{CONTROL}]*$"),
           "example": "li.lei@example.com"})
}

fn channel() -> Value {
    json!({"type": "string", "pattern": "^[a-z0-9_]{1,32}$", "example": "app"})
}

fn points_amount() -> Value {
    int(Some(1), Some(jifen_ledger::POINTS_PER_OPERATION_MAX))
}

fn millis(description: &str) -> Value {
    json!({"type": "integer", "format": "int64", "description": description})
}

fn date() -> Value {
    json!({"type": "string", "format": "date", "example": "1990-05-17"})
}

fn words(values: &[&str]) -> Value {
    json!({"type": "string", "enum": values})
}

fn array(items: Value) -> Value {
    json!({"type": "array", "items": items})
}

fn array_max(items: Value, max: usize) -> Value {
    json!({"type": "array", "items": items, "maxItems": max})
}

fn nullable(mut s: Value) -> Value {
    let t = s["type"].clone();
    s["type"] = json!([t, "null"]);
    s
}

fn boolean() -> Value {
    json!({"type": "boolean"})
}

/// An event type as rules name it: a built-in one or `custom:<name>`.
fn trigger(except: &[&str]) -> Value {
    let names: Vec<&str> = jifen_rules::rule::BUILT_IN_TRIGGERS
        .iter()
        .copied()
        .filter(|t| !except.contains(t))
        .collect();
    json!({"type": "string", "pattern": format!("^({}|custom:[a-z0-9_]{{1,32}})$", names.join("|")),
           "example": "review"})
}

fn member_ref() -> Value {
    schema_ref("MemberRef")
}

/// The request bodies.
fn request_schemas(s: &mut Map<String, Value>) {
    let mut add = |name: &str, v: Value| {
        s.insert(name.to_string(), v);
    };
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
    rule_schemas(&mut add);
    settings_schemas(&mut add);
    coupon_schemas(&mut add);
    mall_schemas(&mut add);
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
        "stacking": words(&["stack", "best_of", "exclusive"])
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

fn mall_schemas(add: &mut impl FnMut(&str, Value)) {
    use jifen_domain::mall::{CASH_MINOR_MAX, PRICE_POINTS_MAX, QUANTITY_MAX, SKUS_MAX, STOCK_MAX};
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
    add(
        "OrderUpdate",
        closed(
            &[],
            json!({"actor": id_text(), "reason": reason(), "payment_ref": string(),
                   "carrier": string(), "tracking_no": string(),
                   "points": {"type": "integer", "format": "int64", "minimum": 1, "description": "refund: points to give back; all that is left when absent"},
                   "cash_minor": {"type": "integer", "format": "int64", "minimum": 0, "description": "refund: cash the merchant refunds"},
                   "restock": {"type": "boolean", "description": "refund: the goods came back into stock"}}),
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

/// The answers with a stable shape. Answers are open: fields may be added.
fn answer_schemas(s: &mut Map<String, Value>) {
    let mut add = |name: &str, v: Value| {
        s.insert(name.to_string(), v);
    };
    let opt_int = || json!({"type": ["integer", "null"], "format": "int64"});
    let opt_text = || json!({"type": ["string", "null"]});
    add(
        "Error",
        open(
            &["error"],
            json!({"error": open(&["code", "message", "details"], json!({
                "code": {"type": "string", "example": "insufficient_points"},
                "message": string(),
                "details": {"type": "object"}}))}),
        ),
    );
    add(
        "Program",
        open(
            &[
                "program_id",
                "code",
                "name",
                "currency",
                "timezone",
                "policy",
            ],
            json!({"program_id": any_int(), "code": string(), "name": string(), "currency": string(),
                   "timezone": string(), "policy": {"type": "object"}}),
        ),
    );
    add(
        "PointBalance",
        open(
            &[
                "point_type",
                "available",
                "pending",
                "reserved",
                "debt",
                "expiring_within_days",
                "expiring",
                "lifetime",
            ],
            json!({
                "point_type": words(&["points", "growth"]),
                "available": {"type": "integer", "description": "spendable now"},
                "pending": {"type": "integer", "description": "earned, still in the return window"},
                "reserved": {"type": "integer", "description": "held by open reservations"},
                "debt": {"type": "integer", "description": "owed after refunds of spent points"},
                "expiring_within_days": any_int(), "expiring": any_int(),
                "lifetime": open(&["earned", "received", "spent", "expired", "reversed", "moved_out"], json!({
                    "earned": any_int(), "received": any_int(), "spent": any_int(), "expired": any_int(),
                    "reversed": any_int(), "moved_out": any_int()}))
            }),
        ),
    );
    add(
        "Member",
        open(
            &[
                "member_id",
                "name",
                "phone",
                "email",
                "birthday",
                "status",
                "merged_into",
                "created_at",
                "identities",
                "points",
                "growth",
            ],
            json!({
                "member_id": any_int(), "name": opt_text(), "phone": opt_text(), "email": opt_text(), "birthday": opt_text(),
                "status": {"type": "string", "description": "active, frozen, merged or erased"},
                "merged_into": opt_int(), "created_at": any_int(),
                "identities": array(schema_ref("Identity")),
                "points": schema_ref("PointBalance"), "growth": schema_ref("PointBalance"),
                "rewards": {"type": "array", "items": {"type": "object"}, "description": "on creation: what sign-up and referral rules paid"}
            }),
        ),
    );
    add(
        "MemberBalance",
        open(
            &["member_id", "points", "growth"],
            json!({"member_id": any_int(), "points": schema_ref("PointBalance"), "growth": schema_ref("PointBalance")}),
        ),
    );
    add(
        "Lot",
        open(
            &[
                "lot_id",
                "point_type",
                "status",
                "amount",
                "remaining",
                "reserved",
                "spent",
                "expired",
                "reversed",
                "transferred_out",
                "earned_at",
                "available_at",
                "expires_at",
                "order_ref",
                "transfer_id",
            ],
            json!({
                "lot_id": any_int(), "point_type": words(&["points", "growth"]),
                "status": words(&["available", "pending", "expiring", "closed"]),
                "amount": any_int(), "remaining": any_int(), "reserved": any_int(), "spent": any_int(),
                "expired": any_int(), "reversed": any_int(), "transferred_out": any_int(),
                "earned_at": any_int(), "available_at": any_int(), "expires_at": opt_int(),
                "order_ref": opt_text(), "transfer_id": any_int()
            }),
        ),
    );
    add(
        "MemberLots",
        open(
            &["member_id", "lots"],
            json!({"member_id": any_int(), "lots": array(schema_ref("Lot"))}),
        ),
    );
    add(
        "HistoryLine",
        open(
            &[
                "transfer_id",
                "point_type",
                "code",
                "phase",
                "amount",
                "member",
                "counterparty",
                "pending_of",
                "reversal_of",
                "order_ref",
                "reason",
                "actor",
                "created_at",
            ],
            json!({
                "transfer_id": any_int(), "point_type": words(&["points", "growth"]),
                "code": {"type": "string", "description": "what the line is: earn, redemption, expiry..."},
                "phase": string(),
                "amount": {"type": "integer", "description": "signed effect on the member: positive credits, negative debits"},
                "member": any_int(), "counterparty": opt_int(), "pending_of": opt_int(), "reversal_of": opt_int(),
                "order_ref": opt_text(), "reason": opt_text(), "actor": opt_text(), "created_at": any_int()
            }),
        ),
    );
    add(
        "HistoryPage",
        open(
            &["member_id", "lines", "next_before"],
            json!({"member_id": any_int(), "lines": array(schema_ref("HistoryLine")),
                   "next_before": {"type": ["integer", "null"], "description": "pass as ?before= for the next page; null on the last"}}),
        ),
    );
    add(
        "SpendResult",
        open(
            &["transfer_id", "member_id", "amount", "draws"],
            json!({"transfer_id": any_int(), "member_id": any_int(), "amount": any_int(),
                   "draws": array(open(&["lot_id", "amount"], json!({"lot_id": any_int(), "amount": any_int()})))}),
        ),
    );
    add(
        "TransferResult",
        open(
            &["transfer_id", "from_member_id", "to_member_id", "amount"],
            json!({"transfer_id": any_int(), "from_member_id": any_int(), "to_member_id": any_int(), "amount": any_int()}),
        ),
    );
    add(
        "MergeResult",
        open(
            &["from_member_id", "into_member_id"],
            json!({"from_member_id": any_int(), "into_member_id": any_int(), "moved": {"type": "object"}}),
        ),
    );
    add(
        "Reservation",
        open(
            &["reservation_id", "member_id", "amount", "state"],
            json!({"reservation_id": any_int(), "member_id": any_int(), "amount": any_int(),
                   "state": string(), "expires_at": opt_int(), "order_ref": opt_text()}),
        ),
    );
    add(
        "ChainLinks",
        open(
            &["links"],
            json!({"links": array(open(&["seq", "prev_hash", "root", "hash"], json!({
                "seq": any_int(), "prev_hash": string(), "root": string(), "hash": string(),
                "transfer_count": any_int(), "total_count": any_int(), "total_amount": any_int(), "created_at": any_int()})))}),
        ),
    );
    add(
        "OutboxPage",
        open(
            &["items", "next_after"],
            json!({"items": array(open(&["id", "topic", "member_id", "payload", "created_at"], json!({
                "id": any_int(), "topic": string(), "member_id": opt_int(), "payload": {},
                "created_at": any_int()}))),
                "next_after": {"type": ["integer", "null"], "description": "pass as ?after= for the next page"}}),
        ),
    );
}

/// Every component schema: request bodies and answers.
pub fn schemas() -> Value {
    let mut s = Map::new();
    request_schemas(&mut s);
    answer_schemas(&mut s);
    Value::Object(s)
}

/// `get_members_by_id_balance` for `get /api/v1/members/{id}/balance`.
fn operation_id(method: &str, path: &str) -> String {
    let mut id = method.to_string();
    for seg in path.trim_start_matches("/api/v1/").split('/') {
        id.push('_');
        match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => {
                id.push_str("by_");
                id.push_str(name);
            }
            None => id.extend(
                seg.chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }),
            ),
        }
    }
    id
}

/// The first segment after `/api/v1/`: members, rules, mall...
fn tag(path: &str) -> &str {
    path.trim_start_matches("/api/v1/")
        .split('/')
        .next()
        .unwrap_or_default()
}

fn operation(r: &Route) -> Value {
    let answer = if r.answer.is_empty() {
        json!({"type": "object"})
    } else {
        schema_ref(r.answer)
    };
    let mut content = json!({"application/json": {"schema": answer}});
    if r.csv {
        content["text/csv"] = json!({"schema": {"type": "string"}});
    }
    let mut responses = Map::new();
    for status in r.statuses {
        let description = match status {
            201 => "Created",
            202 => "Accepted: waiting for a second person's approval",
            _ => "OK",
        };
        responses.insert(
            status.to_string(),
            json!({"description": description, "content": content}),
        );
    }
    let error = json!({"application/json": {"schema": schema_ref("Error")}});
    responses.insert(
        "4XX".into(),
        json!({"description": "Refused; nothing was written", "content": error}),
    );
    responses.insert(
        "5XX".into(),
        json!({"description": "The server or its database failed or is busy; nothing was written; retry", "content": error}),
    );
    let mut op = json!({
        "operationId": operation_id(r.method, r.path),
        "tags": [tag(r.path)],
        "summary": r.summary,
        "security": [{"apiKey": []}, {"apiKeyHeader": []}],
        "responses": responses,
    });
    match r.body {
        Body::None => {}
        Body::Json(schema) | Body::OptionalJson(schema) => {
            op["requestBody"] = json!({"required": matches!(r.body, Body::Json(_)),
                "content": {"application/json": {"schema": schema_ref(schema)}}});
        }
        Body::Image => {
            let image = json!({"schema": {"type": "string", "format": "binary"}});
            op["requestBody"] = json!({"required": true, "description": "the image itself, at most 2 MiB",
                "content": {"image/png": image, "image/jpeg": image, "image/gif": image, "image/webp": image, "image/svg+xml": image}});
        }
    }
    let mut params: Vec<Value> = r.params.iter().map(Param::document).collect();
    if !r.idem.is_empty() {
        params.push(json!({"name": "Idempotency-Key", "in": "header", "required": r.idem == "required",
            "description": format!("Idempotency key ({}): a repeat returns the first answer", r.idem),
            "schema": {"type": "string", "minLength": 1, "maxLength": crate::extract::IDEMPOTENCY_KEY_LEN_MAX}}));
    }
    if !params.is_empty() {
        op["parameters"] = params.into();
    }
    op
}

pub fn document() -> Value {
    let mut paths = Map::new();
    let mut tags: Vec<&str> = Vec::new();
    for r in ROUTES {
        paths.entry(r.path.to_string()).or_insert_with(|| json!({}))[r.method] = operation(r);
        if !tags.contains(&tag(r.path)) {
            tags.push(tag(r.path));
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Jifen API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Loyalty points: members, purchases, refunds, spends, reservations, transfers. Points are integers; money is in minor units."},
        "tags": tags.iter().map(|t| json!({"name": t})).collect::<Vec<_>>(),
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
