//! Answer schemas generated from the view types the use cases return (`schemars`), so the
//! document and the answers come from one definition and cannot drift apart.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value};

use jifen_app::Backtest;
use jifen_app::centre::{CentreLink, LinksRevoked};
use jifen_app::chain::Receipt;
use jifen_app::checkout::{CheckoutDeductionView, CheckoutQuoteView};
use jifen_app::commands::{
    EventResult, MemberCreated, MergeResult, PurchaseResult, RedemptionRefundResult, RefundResult,
    ReservationView, SpendResult, TransferResult,
};
use jifen_app::coupons::{
    CouponList, CouponTemplateList, CouponTemplateView, CouponUseView, CouponView,
};
use jifen_app::earn::{DryRunView, HoldView, HoldsPage, RuleList, RuleView, VariablesView};
use jifen_app::lottery::{DrawAudit, DrawView, DrawsGranted, LotteryList, LotteryView};
use jifen_app::mall::{
    ArrivalResult, CandidateList, CandidateStatus, ImageUploaded, ItemAlternatives, ItemView,
    ItemsPage, MemberCatalog, OrderView, OrdersPage, RestockResult, SlowItemsReport, VoteResult,
};
use jifen_app::members::MemberExport;
use jifen_app::staff::AdjustmentOutcome;
use jifen_app::tiers::{MemberBenefits, TierProgress};
use jifen_app::views::{HistoryPage, MemberBalance, MemberView};
use jifen_app::webhooks::{DeliveryList, EndpointCreated, EndpointList, EndpointView};
use jifen_domain::tiers::Ladder;
use jifen_rules::signin::EarnSettings;

/// The component schemas of the typed views, and of every type they contain.
pub(super) fn typed_schemas(s: &mut Map<String, Value>) {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|settings| settings.definitions_path = "/components/schemas".into())
        .into_generator();
    let roots = [
        ("CouponView", generator.subschema_for::<CouponView>()),
        ("CouponList", generator.subschema_for::<CouponList>()),
        ("LotteryView", generator.subschema_for::<LotteryView>()),
        ("LotteryList", generator.subschema_for::<LotteryList>()),
        ("DrawsGranted", generator.subschema_for::<DrawsGranted>()),
        ("DrawView", generator.subschema_for::<DrawView>()),
        ("DrawAudit", generator.subschema_for::<DrawAudit>()),
        ("ImageUploaded", generator.subschema_for::<ImageUploaded>()),
        ("OrderView", generator.subschema_for::<OrderView>()),
        ("OrdersPage", generator.subschema_for::<OrdersPage>()),
        ("HistoryPage", generator.subschema_for::<HistoryPage>()),
        ("ItemView", generator.subschema_for::<ItemView>()),
        ("ItemsPage", generator.subschema_for::<ItemsPage>()),
        ("MemberCatalog", generator.subschema_for::<MemberCatalog>()),
        // Stock, presale arrivals and the catalog's renewal.
        ("RestockResult", generator.subschema_for::<RestockResult>()),
        ("ArrivalResult", generator.subschema_for::<ArrivalResult>()),
        (
            "ItemAlternatives",
            generator.subschema_for::<ItemAlternatives>(),
        ),
        (
            "SlowItemsReport",
            generator.subschema_for::<SlowItemsReport>(),
        ),
        ("CandidateList", generator.subschema_for::<CandidateList>()),
        (
            "CandidateStatus",
            generator.subschema_for::<CandidateStatus>(),
        ),
        ("VoteResult", generator.subschema_for::<VoteResult>()),
        ("TierProgress", generator.subschema_for::<TierProgress>()),
        // Members, their links and webhooks.
        ("MemberView", generator.subschema_for::<MemberView>()),
        ("MemberCreated", generator.subschema_for::<MemberCreated>()),
        ("MemberBalance", generator.subschema_for::<MemberBalance>()),
        ("MemberExport", generator.subschema_for::<MemberExport>()),
        ("CentreLink", generator.subschema_for::<CentreLink>()),
        ("LinksRevoked", generator.subschema_for::<LinksRevoked>()),
        (
            "EndpointCreated",
            generator.subschema_for::<EndpointCreated>(),
        ),
        ("EndpointView", generator.subschema_for::<EndpointView>()),
        ("EndpointList", generator.subschema_for::<EndpointList>()),
        ("DeliveryList", generator.subschema_for::<DeliveryList>()),
        ("RuleView", generator.subschema_for::<RuleView>()),
        ("RuleList", generator.subschema_for::<RuleList>()),
        ("VariablesView", generator.subschema_for::<VariablesView>()),
        (
            "EarnSettingsView",
            generator.subschema_for::<EarnSettings>(),
        ),
        ("DryRunView", generator.subschema_for::<DryRunView>()),
        ("BacktestState", generator.subschema_for::<Backtest>()),
        ("HoldsPage", generator.subschema_for::<HoldsPage>()),
        ("HoldView", generator.subschema_for::<HoldView>()),
        (
            "CouponTemplateView",
            generator.subschema_for::<CouponTemplateView>(),
        ),
        (
            "CouponTemplateList",
            generator.subschema_for::<CouponTemplateList>(),
        ),
        ("CouponUseView", generator.subschema_for::<CouponUseView>()),
        (
            "MemberBenefits",
            generator.subschema_for::<MemberBenefits>(),
        ),
        ("TierLadder", generator.subschema_for::<Ladder>()),
        // The ledger commands.
        (
            "PurchaseResult",
            generator.subschema_for::<PurchaseResult>(),
        ),
        ("EventResult", generator.subschema_for::<EventResult>()),
        ("RefundResult", generator.subschema_for::<RefundResult>()),
        ("SpendResult", generator.subschema_for::<SpendResult>()),
        ("Reservation", generator.subschema_for::<ReservationView>()),
        (
            "RedemptionRefundResult",
            generator.subschema_for::<RedemptionRefundResult>(),
        ),
        (
            "TransferResult",
            generator.subschema_for::<TransferResult>(),
        ),
        ("MergeResult", generator.subschema_for::<MergeResult>()),
        (
            "AdjustmentOutcome",
            generator.subschema_for::<AdjustmentOutcome>(),
        ),
        (
            "CheckoutQuoteView",
            generator.subschema_for::<CheckoutQuoteView>(),
        ),
        (
            "CheckoutDeductionView",
            generator.subschema_for::<CheckoutDeductionView>(),
        ),
        ("Receipt", generator.subschema_for::<Receipt>()),
    ];
    for (name, schema) in generator.take_definitions(true) {
        // A generated name must not replace a hand-written schema (a request body, say).
        debug_assert!(
            !s.contains_key(&name),
            "the typed schema {name} would replace a hand-written one"
        );
        s.insert(name, without_meta(schema));
    }
    for (name, schema) in roots {
        // A referenceable type comes back as a `$ref` to its definition, already added.
        let v = schema.to_value();
        if v.get("$ref").is_none() {
            s.insert(name.to_string(), without_meta(v));
        }
    }
}

/// A definition without the `$schema` a root schema carries (the document names its dialect).
fn without_meta(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("$schema");
    }
    v
}

/// Whether `T`'s schema is among the components (a check for tests).
pub fn documented<T: JsonSchema>() -> bool {
    super::schemas().get(T::schema_name().as_ref()).is_some()
}
