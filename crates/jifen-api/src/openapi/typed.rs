//! Answer schemas generated from the view types the use cases return (`schemars`), so the
//! document and the answers come from one definition and cannot drift apart.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value};

use jifen_app::Backtest;
use jifen_app::activity::ActivityPage;
use jifen_app::centre::{CentreLink, LinksRevoked};
use jifen_app::chain::Receipt;
use jifen_app::checkout::{CheckoutDeductionView, CheckoutQuoteView};
use jifen_app::commands::{
    EventResult, MemberCreated, MergeResult, PurchaseResult, RedemptionRefundResult, RefundResult,
    ReservationView, SpendResult, TransferResult,
};
use jifen_app::console::{AuditPage, MemberListPage};
use jifen_app::coupons::{
    CouponList, CouponTemplateList, CouponTemplateView, CouponUseView, CouponView,
};
use jifen_app::earn::{DryRunView, HoldView, HoldsPage, RuleList, RuleView, VariablesView};
use jifen_app::lottery::{DrawAudit, DrawView, DrawsGranted, LotteryList, LotteryView};
use jifen_app::mall::{
    ArrivalResult, CandidateList, CandidateStatus, ImageUploaded, ItemAlternatives, ItemView,
    ItemsPage, MallCategories, MemberCatalog, OrderView, OrdersPage, PaymentSettings,
    RestockResult, ShipBatchResult, SlowItemsReport, VoteResult,
};
use jifen_app::members::MemberExport;
use jifen_app::overview::{OverviewView, PointValue};
use jifen_app::staff::AdjustmentOutcome;
use jifen_app::tiers::{MemberBenefits, TierProgress};
use jifen_app::views::{HistoryPage, MemberBalance, MemberView};
use jifen_app::webhooks::{DeliveryList, EndpointCreated, EndpointList, EndpointView};
use jifen_domain::tiers::Ladder;
use jifen_rules::signin::EarnSettings;

/// `(name, schema)` for each `"Name" => Type`, generated into `$g`.
macro_rules! roots {
    ($g:ident; $($name:literal => $t:ty,)*) => {
        [$(($name, $g.subschema_for::<$t>())),*]
    };
}

/// The component schemas of the typed views, and of every type they contain.
pub(super) fn typed_schemas(s: &mut Map<String, Value>) {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|settings| settings.definitions_path = "/components/schemas".into())
        .into_generator();
    let roots = roots!(generator;
        "CouponView" => CouponView,
        "CouponList" => CouponList,
        "LotteryView" => LotteryView,
        "LotteryList" => LotteryList,
        "DrawsGranted" => DrawsGranted,
        "DrawView" => DrawView,
        "DrawAudit" => DrawAudit,
        "ImageUploaded" => ImageUploaded,
        "OrderView" => OrderView,
        "OrdersPage" => OrdersPage,
        "ShipBatchResult" => ShipBatchResult,
        "PaymentSettings" => PaymentSettings,
        "MallCategories" => MallCategories,
        "HistoryPage" => HistoryPage,
        "ItemView" => ItemView,
        "ItemsPage" => ItemsPage,
        "MemberCatalog" => MemberCatalog,
        // Stock, presale arrivals and the catalog's renewal.
        "RestockResult" => RestockResult,
        "ArrivalResult" => ArrivalResult,
        "ItemAlternatives" => ItemAlternatives,
        "SlowItemsReport" => SlowItemsReport,
        "CandidateList" => CandidateList,
        "CandidateStatus" => CandidateStatus,
        "VoteResult" => VoteResult,
        "TierProgress" => TierProgress,
        // Members, their links and webhooks.
        "MemberView" => MemberView,
        "MemberCreated" => MemberCreated,
        "MemberBalance" => MemberBalance,
        "MemberExport" => MemberExport,
        "CentreLink" => CentreLink,
        "LinksRevoked" => LinksRevoked,
        "EndpointCreated" => EndpointCreated,
        "EndpointView" => EndpointView,
        "EndpointList" => EndpointList,
        "DeliveryList" => DeliveryList,
        "RuleView" => RuleView,
        "RuleList" => RuleList,
        "VariablesView" => VariablesView,
        "EarnSettingsView" => EarnSettings,
        "DryRunView" => DryRunView,
        "BacktestState" => Backtest,
        "HoldsPage" => HoldsPage,
        "HoldView" => HoldView,
        "CouponTemplateView" => CouponTemplateView,
        "CouponTemplateList" => CouponTemplateList,
        "CouponUseView" => CouponUseView,
        "MemberBenefits" => MemberBenefits,
        "TierLadder" => Ladder,
        // The ledger commands.
        "PurchaseResult" => PurchaseResult,
        "EventResult" => EventResult,
        "RefundResult" => RefundResult,
        "SpendResult" => SpendResult,
        "Reservation" => ReservationView,
        "RedemptionRefundResult" => RedemptionRefundResult,
        "TransferResult" => TransferResult,
        "MergeResult" => MergeResult,
        "AdjustmentOutcome" => AdjustmentOutcome,
        "CheckoutQuoteView" => CheckoutQuoteView,
        "CheckoutDeductionView" => CheckoutDeductionView,
        "Receipt" => Receipt,
        "AuditPage" => AuditPage,
        "MemberListPage" => MemberListPage,
        "ActivityPage" => ActivityPage,
        // The overview and the value of points.
        "Overview" => OverviewView,
        "PointValue" => PointValue,
    );
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
