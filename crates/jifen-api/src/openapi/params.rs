//! Path and query parameters: their types, their JSON Schemas, and every parameter the routes use.

use jifen_app::{commands, earn, mall, overview, views};
use serde_json::{Value, json};

use super::helpers::EXTERNAL_ID;

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

    pub(super) fn document(&self) -> Value {
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

pub(super) const MEMBER: Param =
    path_id("The member's id (a merged member's id names the member it was merged into)");
pub(super) const SPEND: Param =
    path_id("The spend's transfer_id, or a posted reservation's reservation_id");
pub(super) const RESERVATION: Param = path_id("The reservation's reservation_id");
pub(super) const RULE: Param = path_id("The rule's rule_id");
pub(super) const BACKTEST: Param = path_text(
    "id",
    "The backtest_id its creation answered",
    "bt_0123456789abcdef",
);
pub(super) const TEMPLATE: Param = path_text("code", "The coupon template's code", "free_ship");
pub(super) const COUPON: Param = path_text(
    "code",
    "The coupon's code (case does not matter)",
    "CPN8K2M4Q7",
);
pub(super) const ITEM: Param = path_id("The mall item's item_id");
pub(super) const SKU: Param = path_text("sku", "The SKU's code", "BEANS-500");
pub(super) const ORDER: Param = path_id("The mall order's order_id");
pub(super) const CANDIDATE: Param = path_id("The candidate's candidate_id");
pub(super) const DEDUCTION: Param = path_id("The deduction's reservation_id");
pub(super) const LOTTERY: Param = path_text("code", "The lottery's code", "lucky_wheel");
pub(super) const WEBHOOK: Param = path_id("The webhook endpoint's endpoint_id");
pub(super) const HOLD: Param = path_id("The risk hold's hold_id");

// ---- query parameters ----------------------------------------------------------------------

pub(super) const LOOKUP_CHANNEL: Param = query(
    "channel",
    Ty::Text {
        max: Some(32),
        pattern: Some("^[a-z0-9_]{1,32}$"),
        example: Some("app"),
    },
    "The channel of the external id",
)
.required();
pub(super) const LOOKUP_EXTERNAL_ID: Param = query(
    "external_id",
    Ty::Text {
        max: Some(commands::ID_LEN_MAX as u64),
        pattern: Some(EXTERNAL_ID),
        example: Some("U100001"),
    },
    "The member's id in that channel",
)
.required();
pub(super) const DAYS: Param = query(
    "days",
    ty_int(Some(0), Some(views::EXPIRING_DAYS_MAX), Some(30)),
    "`expiring` counts the points that expire within this many days",
);
pub(super) const POINT_TYPE: Param = query(
    "point_type",
    ty_word(&["points", "growth"], Some("points")),
    "Which account's lots",
);
pub(super) const INCLUDE_CLOSED: Param = query(
    "include_closed",
    Ty::Bool { default: false },
    "Also list lots with nothing left",
);
pub(super) const HISTORY_BEFORE: Param = query(
    "before",
    ty_int(None, None, None),
    "Only lines older than this transfer id: the previous page's next_before",
);
pub(super) const HISTORY_LIMIT: Param = query(
    "limit",
    ty_int(Some(1), Some(views::HISTORY_PAGE_MAX), Some(50)),
    "Lines per page",
);
pub(super) const ACTIVITY_BEFORE: Param = query(
    "before",
    ty_int(Some(1), None, None),
    "Only lines older than this transfer id: the previous page's next_before",
);
pub(super) const ACTIVITY_CODE: Param = query(
    "code",
    ty_text(Some(64), Some("purchase")),
    "Only lines of this ledger code",
);
pub(super) const ACTIVITY_POINT_TYPE: Param = query(
    "point_type",
    ty_word(&["points", "growth"], None),
    "Only lines of this point type; both when not given",
);
pub(super) const ACTIVITY_DIRECTION: Param = query(
    "direction",
    ty_word(&["in", "out"], None),
    "Only what added to the balance (in) or took from it (out); both when not given",
);
pub(super) const ACTIVITY_FROM: Param = query(
    "from",
    ty_int(None, None, None),
    "Only lines made at or after this time (ms since the epoch)",
);
pub(super) const ACTIVITY_TO: Param = query(
    "to",
    ty_int(None, None, None),
    "Only lines made before this time (ms since the epoch); after from",
);
pub(super) const RECEIPT_TRANSFER: Param = query(
    "transfer_id",
    ty_int(None, None, None),
    "The history line's transfer_id",
)
.required();
pub(super) const LINKS_AFTER: Param = query(
    "after",
    ty_int(None, None, Some(0)),
    "Only links after this seq",
);
pub(super) const LINKS_LIMIT: Param = query(
    "limit",
    ty_int(Some(1), Some(1_000), Some(100)),
    "Links per page",
);
pub(super) const MEMBERS_TEXT: Param = query(
    "q",
    ty_text(Some(64), Some("8000")),
    "A phone, its last four digits, an external id or the start of a name: a search (at most \
     limit matches, one page); the filters then do not apply",
);
pub(super) const MEMBERS_TIER: Param = query(
    "tier",
    ty_text(Some(64), Some("gold")),
    "Only members of this tier (a code of the ladder)",
);
pub(super) const MEMBERS_MIN_BALANCE: Param = query(
    "min_balance",
    ty_int(Some(0), None, None),
    "Only members with at least this many available points",
);
pub(super) const MEMBERS_MAX_BALANCE: Param = query(
    "max_balance",
    ty_int(Some(0), None, None),
    "Only members with at most this many available points; not below min_balance",
);
const DAY: Ty = Ty::Text {
    max: Some(10),
    pattern: Some("^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
    example: Some("2026-12-01"),
};
pub(super) const MEMBERS_JOINED_FROM: Param = query(
    "joined_from",
    DAY,
    "Only members who joined on or after this day (YYYY-MM-DD, in the programme's time zone)",
);
pub(super) const MEMBERS_JOINED_TO: Param = query(
    "joined_to",
    DAY,
    "Only members who joined on or before this day (YYYY-MM-DD); not before joined_from",
);
pub(super) const MEMBERS_SORT: Param = query(
    "sort",
    ty_word(&["newest", "balance"], Some("newest")),
    "Newest first, or the highest available balance first",
);
pub(super) const MEMBERS_PAGE: Param = query(
    "page",
    ty_int(Some(1), Some(1_000_000), Some(1)),
    "The page, from 1",
);
pub(super) const MEMBERS_LIMIT: Param = query(
    "limit",
    ty_int(Some(1), Some(jifen_app::console::MEMBER_PAGE_MAX), Some(50)),
    "Members per page",
);
pub(super) const AUDIT_ACTOR: Param = query(
    "actor",
    ty_text(Some(100), Some("staff:ann")),
    "Only entries by this actor (staff:<login>, api_key:<id> (<name>), member:<id>)",
);
pub(super) const AUDIT_ACTION: Param = query(
    "action",
    ty_text(Some(100), Some("rule.update")),
    "Only entries of this action",
);
pub(super) const AUDIT_BEFORE: Param = query(
    "before",
    ty_int(Some(1), None, None),
    "Only entries older than this entry id: the previous page's next_before",
);
pub(super) const AUDIT_LIMIT: Param = query(
    "limit",
    ty_int(Some(1), Some(jifen_app::console::AUDIT_PAGE_MAX), Some(50)),
    "Entries per page",
);
pub(super) const EXPORT_FORMAT: Param = query(
    "format",
    ty_word(&["json", "csv"], Some("json")),
    "JSON, or CSV (UTF-8 with a byte order mark) to download",
);
pub(super) const RULE_STATUS: Param = query(
    "status",
    ty_word(&["draft", "active", "paused", "archived"], None),
    "Only rules in this status",
);
pub(super) const LOCALE: Param = query(
    "locale",
    ty_word(&["zh", "zh-CN", "en", "en-US"], Some("zh")),
    "The language of names and messages",
);
pub(super) const COUPON_STATUS: Param = query(
    "status",
    ty_word(&["issued", "redeemed", "expired", "void"], None),
    "Only coupons in this status",
);
pub(super) const OUTBOX_AFTER: Param = query(
    "after",
    ty_int(Some(0), None, Some(0)),
    "Only events after this event id: the last id the consumer saw",
);
pub(super) const OUTBOX_TOPIC: Param = query(
    "topic",
    ty_text(None, Some("tier.changed")),
    "Only events of this topic",
);
pub(super) const OUTBOX_LIMIT: Param = query(
    "limit",
    ty_int(Some(1), Some(1_000), Some(100)),
    "Events per page",
);
pub(super) const ITEM_STATUS: Param = query(
    "status",
    ty_word(&["draft", "on_sale", "off_sale"], None),
    "Only items in this status",
);
pub(super) const CATEGORY: Param = query(
    "category",
    ty_text(None, Some("coffee")),
    "Only items of this category",
);
pub(super) const ITEMS_AFTER: Param = query(
    "after",
    ty_int(None, None, Some(0)),
    "Only items after this item id: the previous page's next_after",
);
pub(super) const ITEMS_LIMIT: Param = query(
    "limit",
    ty_int(Some(1), Some(mall::ITEMS_PAGE_MAX), Some(50)),
    "Items per page",
);
pub(super) const ORDERS_MEMBER: Param = query(
    "member_id",
    ty_int(None, None, None),
    "Only this member's orders",
);
pub(super) const ORDER_STATE: Param = query(
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
pub(super) const ORDERS_BEFORE: Param = query(
    "before",
    ty_int(None, None, None),
    "Only orders older than this order id: the previous page's next_before",
);
pub(super) const ORDERS_LIMIT: Param = query(
    "limit",
    ty_int(Some(1), Some(mall::ORDERS_PAGE_MAX), Some(50)),
    "Orders per page",
);
pub(super) const ORDERS_Q: Param = query(
    "q",
    ty_text(Some(64), Some("SF1234567")),
    "Look orders up by order number, tracking number or member's phone (the other filters then do not apply)",
);
pub(super) const DRAWS_AFTER: Param = query(
    "after",
    ty_int(None, None, Some(0)),
    "Only draws after this draw id",
);
pub(super) const DRAWS_LIMIT: Param = query(
    "limit",
    ty_int(Some(1), Some(1_000), Some(100)),
    "Draws per page",
);
pub(super) const HOLD_STATUS: Param = query(
    "status",
    ty_word(&["open", "released", "rejected"], Some("open")),
    "Only holds in this status",
);
pub(super) const HOLDS_AFTER: Param = query(
    "after",
    ty_int(None, None, Some(0)),
    "Only holds after this hold id: the previous page's next_after",
);
pub(super) const HOLDS_LIMIT: Param = query(
    "limit",
    ty_int(Some(1), Some(earn::HOLDS_PAGE_MAX), Some(50)),
    "Holds per page",
);
pub(super) const OVERVIEW_DAYS: Param = query(
    "days",
    ty_int(
        Some(1),
        Some(overview::RANGE_DAYS_MAX),
        Some(overview::RANGE_DAYS_DEFAULT),
    ),
    "The last this many days, today included (in the programme's time zone); not with from and to",
);
pub(super) const OVERVIEW_FROM: Param = query(
    "from",
    Ty::Text {
        max: Some(10),
        pattern: Some("^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
        example: Some("2026-03-01"),
    },
    "The first day, YYYY-MM-DD in the programme's time zone; with to, at most 366 days in all",
);
pub(super) const OVERVIEW_TO: Param = query(
    "to",
    Ty::Text {
        max: Some(10),
        pattern: Some("^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
        example: Some("2026-03-31"),
    },
    "The last day (included), YYYY-MM-DD, not before from",
);
