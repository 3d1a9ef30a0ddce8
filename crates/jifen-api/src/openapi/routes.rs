//! The route table: every operation of `/api/v1` with its parameters, body, retry safety and
//! answer.

use super::params::*;

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
    get(
        "/api/v1/program/point-value",
        "What the programme's points are worth: minor units of its currency per 100 points (null until set); prices the outstanding points in the overview",
    )
    .answer("PointValue"),
    put(
        "/api/v1/program/point-value",
        "Set the value of points (1 to 1,000,000 minor units per 100 points, or null to clear it); audited",
    )
    .body("PointValueIn")
    .answer("PointValue"),
    get(
        "/api/v1/overview",
        "The programme at a glance over a range of days (the last 14 by default): points issued, spent and expired, members who joined and were active per day, members per tier, outstanding points and their worth, recent orders and what waits for staff; cached for a minute per range",
    )
    .params(&[OVERVIEW_DAYS, OVERVIEW_FROM, OVERVIEW_TO])
    .answer("Overview"),
    post(
        "/api/v1/members",
        "Create a member with profile and external ids",
    )
    .body("NewMember")
    .idem("optional")
    .created()
    .answer("MemberCreated"),
    get(
        "/api/v1/members/lookup",
        "Find a member by channel and external id (?channel=&external_id=)",
    )
    .params(&[LOOKUP_CHANNEL, LOOKUP_EXTERNAL_ID])
    .answer("MemberView"),
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
    .answer("MemberView"),
    post(
        "/api/v1/members/{id}/identities",
        "Add an external id in a channel to a member",
    )
    .params(&[MEMBER])
    .body("Identity")
    .idem("optional")
    .answer("MemberView"),
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
    get(
        "/api/v1/members/{id}/activity",
        "The member's history as people read it, one line per business event with its state (a purchase's points pending then vested, an order's points reserved then redeemed or released), newest first (?before=&limit=&code=&point_type=&direction=&from=&to=)",
    )
    .params(&[
        MEMBER,
        ACTIVITY_BEFORE,
        HISTORY_LIMIT,
        ACTIVITY_CODE,
        ACTIVITY_POINT_TYPE,
        ACTIVITY_DIRECTION,
        ACTIVITY_FROM,
        ACTIVITY_TO,
    ])
    .answer("ActivityPage"),
    post(
        "/api/v1/purchases",
        "Record a purchase: points earned, pending through the return window",
    )
    .body("Purchase")
    .idem("order_id, or the header")
    .answer("PurchaseResult"),
    post(
        "/api/v1/refunds",
        "Refund an order fully or partly: the exact earned points are reversed",
    )
    .body("Refund")
    .idem("refund_id, or the header")
    .answer("RefundResult"),
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
    .params(&[MEMBER, RECEIPT_TRANSFER])
    .answer("Receipt"),
    get(
        "/api/v1/chain/links",
        "The programme's hash-chain links after ?after= (seq, previous hash, Merkle root, hash, totals)",
    )
    .params(&[LINKS_AFTER, LINKS_LIMIT])
    .answer("ChainLinks"),
    get(
        "/api/v1/members",
        "Members narrowed by tier, available balance and join date, newest or highest balance first, a page at a time with the count of all matches; or a search by phone, its last four digits, external id or name (?q=)",
    )
    .params(&[
        MEMBERS_TEXT,
        MEMBERS_TIER,
        MEMBERS_MIN_BALANCE,
        MEMBERS_MAX_BALANCE,
        MEMBERS_JOINED_FROM,
        MEMBERS_JOINED_TO,
        MEMBERS_SORT,
        MEMBERS_PAGE,
        MEMBERS_LIMIT,
    ])
    .answer("MemberListPage"),
    get(
        "/api/v1/audit",
        "The audit log, newest first: who changed what (rules, the catalog, tiers, orders, settings, members), by the console or the API",
    )
    .params(&[AUDIT_ACTOR, AUDIT_ACTION, AUDIT_BEFORE, AUDIT_LIMIT])
    .answer("AuditPage"),
    get(
        "/api/v1/members/{id}/export",
        "Everything held about a member (PIPL) as JSON, or CSV with ?format=csv; audited",
    )
    .params(&[MEMBER, EXPORT_FORMAT])
    .or_csv()
    .answer("MemberExport"),
    post(
        "/api/v1/members/{id}/centre-link/revoke",
        "Revoke every member-centre link of the member issued until now; audited",
    )
    .params(&[MEMBER])
    .answer("LinksRevoked"),
    post(
        "/api/v1/members/{id}/erase",
        "Erase a member's personal data (PIPL); amounts stay so the books balance; audited",
    )
    .params(&[MEMBER])
    .body("StatusChange")
    .idem("optional")
    .answer("MemberView"),
    patch(
        "/api/v1/members/{id}",
        "Change a member's name, phone, email or birthday (null clears a field); audited",
    )
    .params(&[MEMBER])
    .body("ProfileUpdate")
    .idem("optional")
    .answer("MemberView"),
    post(
        "/api/v1/members/{id}/identities/unbind",
        "Unbind one of a member's identities (never the last); audited",
    )
    .params(&[MEMBER])
    .body("Identity")
    .idem("optional")
    .answer("MemberView"),
    post(
        "/api/v1/members/{id}/freeze",
        "Freeze a member: earnings wait in pending; no spending, reserving or transfers; audited",
    )
    .params(&[MEMBER])
    .body("StatusChange")
    .idem("optional")
    .answer("MemberView"),
    post(
        "/api/v1/members/{id}/unfreeze",
        "Unfreeze a member: what they earned meanwhile vests as its return window says; audited",
    )
    .params(&[MEMBER])
    .body("StatusChange")
    .idem("optional")
    .answer("MemberView"),
    post(
        "/api/v1/spends/{id}/refunds",
        "Refund a spend or posted reservation: the same lots are restored",
    )
    .params(&[SPEND])
    .body("RedemptionRefund")
    .idem("required")
    .answer("RedemptionRefundResult"),
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
    .or_accepted()
    .answer("AdjustmentOutcome"),
    get(
        "/api/v1/rules",
        "Earning rules at their current version (?status=draft|active|paused|archived)",
    )
    .params(&[RULE_STATUS])
    .answer("RuleList"),
    post(
        "/api/v1/rules",
        "Create an earning rule (draft unless status is active); validated when saved",
    )
    .body("Rule")
    .idem("optional")
    .created()
    .answer("RuleView"),
    get(
        "/api/v1/rules/variables",
        "The variables and functions rule expressions may use, per event type",
    )
    .answer("VariablesView"),
    get(
        "/api/v1/rules/{id}",
        "A rule with its versions and what it issued",
    )
    .params(&[RULE])
    .answer("RuleView"),
    put(
        "/api/v1/rules/{id}",
        "Save a new version of a rule (versions are immutable; awards name theirs)",
    )
    .params(&[RULE])
    .body("RuleUpdate")
    .idem("optional")
    .answer("RuleView"),
    post(
        "/api/v1/rules/{id}/activate",
        "Activate a draft or paused rule",
    )
    .params(&[RULE])
    .answer("RuleView"),
    post(
        "/api/v1/rules/{id}/pause",
        "Pause an active rule",
    )
    .params(&[RULE])
    .answer("RuleView"),
    post(
        "/api/v1/rules/{id}/archive",
        "Archive a rule for good",
    )
    .params(&[RULE])
    .answer("RuleView"),
    get(
        "/api/v1/earn-settings",
        "Sign-in streak settings and per-event-type caps",
    )
    .answer("EarnSettingsView"),
    put(
        "/api/v1/earn-settings",
        "Replace sign-in streak settings and per-event-type caps",
    )
    .body("EarnSettings")
    .answer("EarnSettingsView"),
    post(
        "/api/v1/events",
        "Record a behaviour event (sign_in, review, share, custom:...): rules pay, with an explanation of every rule",
    )
    .body("Event")
    .idem("optional")
    .answer("EventResult"),
    post(
        "/api/v1/events/dry-run",
        "Evaluate a purchase or event against the active, stored or inline rules at a chosen time, writing nothing",
    )
    .body("DryRun")
    .answer("DryRunView"),
    post(
        "/api/v1/backtests",
        "Replay stored events of a range against a proposed rule set; poll for progress and the cost",
    )
    .body("Backtest")
    .created()
    .answer("BacktestState"),
    get(
        "/api/v1/backtests/{id}",
        "A backtest's progress and, when done, its result",
    )
    .params(&[BACKTEST])
    .answer("BacktestState"),
    get(
        "/api/v1/tiers",
        "The programme's tier ladder (会员等级)",
    )
    .answer("TierLadder"),
    put(
        "/api/v1/tiers",
        "Replace the tier ladder: metric (growth, spend, orders), window, tiers with thresholds",
    )
    .body("Ladder")
    .answer("TierLadder"),
    get(
        "/api/v1/members/{id}/tier",
        "A member's tier, metric and what the next tier needs (?locale=zh|en)",
    )
    .params(&[MEMBER, LOCALE])
    .answer("TierProgress"),
    post(
        "/api/v1/members/{id}/tier",
        "Set a member's tier by hand, with reason, actor and end date (shown as manual, never a floor)",
    )
    .params(&[MEMBER])
    .body("ManualTier")
    .idem("optional")
    .answer("TierProgress"),
    get(
        "/api/v1/members/{id}/benefits",
        "What a member's tier gives now: multiplier, member price, transfer permission, checkout ratio, priority flag, coupons",
    )
    .params(&[MEMBER])
    .answer("MemberBenefits"),
    get(
        "/api/v1/members/{id}/coupons",
        "A member's coupons, newest first (?status=issued|redeemed|expired|void)",
    )
    .params(&[MEMBER, COUPON_STATUS])
    .answer("CouponList"),
    post(
        "/api/v1/members/{id}/coupons",
        "Issue a coupon of a template to a member; idempotency_key in the body makes a retry return the same coupon",
    )
    .params(&[MEMBER])
    .body("IssueCoupon")
    .created()
    .answer("CouponView"),
    get(
        "/api/v1/coupon-templates",
        "Coupon templates with how many each issued",
    )
    .answer("CouponTemplateList"),
    post(
        "/api/v1/coupon-templates",
        "Create a coupon template: amount_off, percent_off, free_shipping or gift, threshold, validity, limits",
    )
    .body("CouponTemplate")
    .idem("optional")
    .created()
    .answer("CouponTemplateView"),
    post(
        "/api/v1/coupon-templates/{code}/archive",
        "Stop a template issuing coupons (issued coupons stay usable)",
    )
    .params(&[TEMPLATE])
    .answer("CouponTemplateView"),
    post(
        "/api/v1/coupon-templates/{code}/activate",
        "Let an archived template issue coupons again",
    )
    .params(&[TEMPLATE])
    .answer("CouponTemplateView"),
    post(
        "/api/v1/coupons/validate",
        "What a coupon takes off a cart, or why it cannot be used; writes nothing",
    )
    .body("CouponUse")
    .answer("CouponUseView"),
    post(
        "/api/v1/coupons/redeem",
        "Redeem a coupon on an order (order_id required); again for the same order returns the first answer",
    )
    .body("CouponRedeem")
    .idem("optional")
    .answer("CouponUseView"),
    post(
        "/api/v1/coupons/{code}/release",
        "Make a redeemed coupon usable again: its order was cancelled or refunded",
    )
    .params(&[COUPON])
    .body("CouponRelease")
    .idem("optional")
    .answer("CouponView"),
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
    .params(&[ITEM_STATUS, CATEGORY, ITEMS_AFTER, ITEMS_LIMIT])
    .answer("ItemsPage"),
    post(
        "/api/v1/mall/items",
        "Create a mall item: names, kind, category, SKUs with points + cash prices and stock, audience, limits, sale window, flash sale",
    )
    .body("MallItem")
    .idem("optional")
    .created()
    .answer("ItemView"),
    get(
        "/api/v1/mall/items/{id}",
        "A mall item with its SKUs' stock",
    )
    .params(&[ITEM])
    .answer("ItemView"),
    put(
        "/api/v1/mall/items/{id}",
        "Replace an item's definition (SKUs matched by code; prices change, new SKUs are added)",
    )
    .params(&[ITEM])
    .body("MallItemDefinition")
    .answer("ItemView"),
    post(
        "/api/v1/mall/items/{id}/status",
        "Put an item on sale, take it off sale or back to draft",
    )
    .params(&[ITEM])
    .body("ItemStatus")
    .answer("ItemView"),
    post(
        "/api/v1/mall/skus/{sku}/stock",
        "Add (or remove) units of a SKU",
    )
    .params(&[SKU])
    .body("Restock")
    .idem("optional")
    .answer("RestockResult"),
    get(
        "/api/v1/members/{id}/mall",
        "The catalog as a member sees it: can afford now, or how many points short (?locale=zh|en&category=)",
    )
    .params(&[MEMBER, LOCALE, CATEGORY])
    .answer("MemberCatalog"),
    get(
        "/api/v1/mall/orders",
        "Mall orders, newest first (?member_id=&state=&before=&limit=, or ?q= an order number, tracking number or phone)",
    )
    .params(&[ORDERS_MEMBER, ORDER_STATE, ORDERS_BEFORE, ORDERS_LIMIT, ORDERS_Q])
    .answer("OrdersPage"),
    post(
        "/api/v1/mall/orders",
        "Order a SKU: points reserved and stock taken at once; request_id makes a retry return the same order",
    )
    .body("PlaceOrder")
    .created()
    .answer("OrderView"),
    get(
        "/api/v1/mall/orders/{id}",
        "A mall order with its history",
    )
    .params(&[ORDER])
    .answer("OrderView"),
    post(
        "/api/v1/mall/orders/{id}/pay",
        "The merchant's payment system confirms the cash part: points posted, coupons issued",
    )
    .params(&[ORDER])
    .body("OrderUpdate")
    .idem("optional")
    .answer("OrderView"),
    post(
        "/api/v1/mall/orders/{id}/cancel",
        "Cancel before fulfilment: points and stock return exactly",
    )
    .params(&[ORDER])
    .body("OrderUpdate")
    .idem("optional")
    .answer("OrderView"),
    post(
        "/api/v1/mall/orders/{id}/ship",
        "Ship with carrier and tracking number",
    )
    .params(&[ORDER])
    .body("OrderUpdate")
    .idem("optional")
    .answer("OrderView"),
    post(
        "/api/v1/mall/orders/ship-batch",
        "Ship many orders from order, carrier, tracking_no rows (at most 2,000): each row checked and applied on its own, the answer says per row shipped, already_shipped (done, not applied again) or refused with why; sending the same rows again ships nothing twice",
    )
    .body("ShipBatch")
    .answer("ShipBatchResult"),
    post(
        "/api/v1/mall/orders/{id}/deliver",
        "Mark delivered (or a virtual item fulfilled)",
    )
    .params(&[ORDER])
    .body("OrderUpdate")
    .idem("optional")
    .answer("OrderView"),
    post(
        "/api/v1/mall/orders/{id}/refund",
        "After-sale refund, whole or partial: points to their original lots, cash reported to the merchant",
    )
    .params(&[ORDER])
    .body("OrderUpdate")
    .idem("optional")
    .answer("OrderView"),
    post(
        "/api/v1/mall/skus/{sku}/arrivals",
        "Stock of a presale SKU arrived: waiting orders are released oldest first, the rest added to stock",
    )
    .params(&[SKU])
    .body("Arrival")
    .idem("optional")
    .answer("ArrivalResult"),
    get(
        "/api/v1/mall/items/{id}/alternatives",
        "Up to three items of the same category and similar price that are in stock",
    )
    .params(&[ITEM])
    .answer("ItemAlternatives"),
    post(
        "/api/v1/mall/reports/slow-items",
        "Items whose redemption rate stayed under a threshold for months; apply=true takes them off sale",
    )
    .body("SlowItems")
    .answer("SlowItemsReport"),
    get(
        "/api/v1/mall/candidates",
        "Candidate items members vote on, most votes first",
    )
    .answer("CandidateList"),
    post(
        "/api/v1/mall/candidates",
        "Add a candidate item for members to vote on (积分商品投票)",
    )
    .body("Candidate")
    .created()
    .answer("CandidateStatus"),
    post(
        "/api/v1/mall/candidates/{id}/close",
        "Close voting on a candidate",
    )
    .params(&[CANDIDATE])
    .answer("CandidateStatus"),
    post(
        "/api/v1/mall/candidates/{id}/votes",
        "A member's vote (one per member per candidate)",
    )
    .params(&[CANDIDATE])
    .body("Vote")
    .answer("VoteResult"),
    get(
        "/api/v1/mall/payment-settings",
        "How members pay the cash part of points + cash orders: the merchant's payment link and the payment window",
    )
    .answer("PaymentSettings"),
    put(
        "/api/v1/mall/payment-settings",
        "Set the merchant's payment link (an https:// template with {order_id}, {cash_minor}, {currency}, {member_id}, {pay_deadline}, {return_url}) and the minutes an order waits for its payment; audited",
    )
    .body("PaymentSettingsIn")
    .answer("PaymentSettings"),
    get(
        "/api/v1/mall/categories",
        "The mall's categories in the merchant's order (the member centre's chips), each with its names in Chinese and English",
    )
    .answer("MallCategories"),
    put(
        "/api/v1/mall/categories",
        "Replace the mall's categories: codes items name in their category, unique, each with a Chinese and an English name of 1 to 20 characters, at most 50, in the order shown; items whose code is not listed keep working; audited",
    )
    .body("MallCategoriesIn")
    .answer("MallCategories"),
    get(
        "/api/v1/checkout/settings",
        "The programme's points deduction settings (积分抵扣)",
    ),
    put(
        "/api/v1/checkout/settings",
        "Set the deduction ratio, share cap, minimum order and ladders",
    )
    .body("CheckoutSettings")
    .answer("CheckoutSettings"),
    post(
        "/api/v1/checkout/quote",
        "How many points an order may use and what they are worth",
    )
    .body("CheckoutQuote")
    .answer("CheckoutQuoteView"),
    post(
        "/api/v1/checkout/deductions",
        "Reserve points against an order within the allowance, for the programme's hold time",
    )
    .body("CheckoutDeduction")
    .idem("optional")
    .created()
    .answer("CheckoutDeductionView"),
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
    .idem("required")
    .answer("RedemptionRefundResult"),
    get(
        "/api/v1/lotteries",
        "Lotteries with prizes, odds and what is left",
    )
    .answer("LotteryList"),
    post(
        "/api/v1/lotteries",
        "Create a lottery (大转盘/九宫格): cost, prizes with odds in ppm and stock, consolation, limits",
    )
    .body("Lottery")
    .created()
    .answer("LotteryView"),
    get(
        "/api/v1/lotteries/{code}",
        "A lottery with its prizes' stock",
    )
    .params(&[LOTTERY])
    .answer("LotteryView"),
    post(
        "/api/v1/lotteries/{code}/grants",
        "Give a member free draws",
    )
    .params(&[LOTTERY])
    .body("LotteryGrant")
    .idem("optional")
    .answer("DrawsGranted"),
    get(
        "/api/v1/lotteries/{code}/draws",
        "Every draw with its random input, recomputed for audit (?after=&limit=)",
    )
    .params(&[LOTTERY, DRAWS_AFTER, DRAWS_LIMIT])
    .answer("DrawAudit"),
    post(
        "/api/v1/lotteries/{code}/draws",
        "Draw: costs points or a granted draw; request_id makes a retry return the same draw",
    )
    .params(&[LOTTERY])
    .body("LotteryDraw")
    .answer("DrawView"),
    post(
        "/api/v1/mall/images",
        "Upload an item image (PNG, JPEG, GIF, WebP or SVG, up to 2 MiB; the body is the image, its type in Content-Type); served publicly at /media/{id}",
    )
    .image_body()
    .created()
    .answer("ImageUploaded"),
    get(
        "/api/v1/webhooks",
        "Webhook endpoints",
    )
    .answer("EndpointList"),
    post(
        "/api/v1/webhooks",
        "Add an endpoint (http://) for topics; the signing secret is shown once",
    )
    .body("Webhook")
    .created()
    .answer("EndpointCreated"),
    post(
        "/api/v1/webhooks/{id}/disable",
        "Stop delivering to an endpoint",
    )
    .params(&[WEBHOOK])
    .answer("EndpointView"),
    post(
        "/api/v1/webhooks/{id}/enable",
        "Deliver to an endpoint again",
    )
    .params(&[WEBHOOK])
    .answer("EndpointView"),
    get(
        "/api/v1/webhooks/{id}/deliveries",
        "An endpoint's recent deliveries with attempts and results",
    )
    .params(&[WEBHOOK])
    .answer("DeliveryList"),
    post(
        "/api/v1/members/{id}/centre-link",
        "A signed link into the member points centre (valid 24 hours) for the merchant's app to open",
    )
    .params(&[MEMBER])
    .created()
    .answer("CentreLink"),
    get(
        "/api/v1/risk-holds",
        "Awards held for review by anti-fraud limits (?status=open|released|rejected&after=&limit=)",
    )
    .params(&[HOLD_STATUS, HOLDS_AFTER, HOLDS_LIMIT])
    .answer("HoldsPage"),
    post(
        "/api/v1/risk-holds/{id}/release",
        "Release a risk hold: the held points vest now",
    )
    .params(&[HOLD])
    .body("HoldReview")
    .answer("HoldView"),
    post(
        "/api/v1/risk-holds/{id}/reject",
        "Reject a risk hold: the held points are voided",
    )
    .params(&[HOLD])
    .body("HoldReview")
    .answer("HoldView"),
];
