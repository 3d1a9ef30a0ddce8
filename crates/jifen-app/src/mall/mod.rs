//! The points mall in use: the catalog staff manage, what a member sees (can afford, or how
//! many points short), and orders: points reserved on the ledger and stock taken in one
//! transaction, cash confirmed by the merchant's payment system or timed out, then fulfilment
//! (shipping, coupons issued), cancellation and after-sale refunds that return points to the
//! lots they came from. The merchant's payment link and the payment window are in `payment.rs`,
//! the categories the merchant names and orders in `categories.rs`.

mod actions;
mod catalog;
mod categories;
mod fulfilment;
mod item_views;
mod items;
mod order_views;
mod orders;
mod payment;
mod renewal;
mod ship_batch;

pub use actions::{OrderUpdate, TIMEOUT_STEP_ORDERS, act, timeout_step};
pub use catalog::{member_catalog, member_price, money_text, spend_to_earn};
pub use categories::{
    CATEGORIES_MAX, CATEGORY_NAME_MAX, CategoryError, CategoryProblem, MallCategories,
    MallCategory, categories, check_categories, put_categories,
};
pub use fulfilment::{Arrival, ArrivalResult, arrival, fulfilled_by_webhook};
pub use item_views::{ItemView, ItemsPage, MemberCatalog, MemberItem, MemberSku, SkuView};
pub use items::{
    ITEMS_PAGE_MAX, ItemIn, Restock, RestockResult, create_item, get_item, list_items, restock,
    set_item_status, update_item,
};
pub use order_views::{
    ORDERS_PAGE_MAX, OrderEvent, OrderView, OrdersPage, get_order, list_orders, order_view,
    search_orders,
};
pub use orders::{
    Address, PAY_WINDOW_DEFAULT_SECONDS, PAY_WINDOW_MAX_SECONDS, PlaceOrder, place_order,
};
pub use payment::{
    PAY_WINDOW_MINUTES_DEFAULT, PAY_WINDOW_MINUTES_MAX, PAY_WINDOW_MINUTES_MIN,
    PAYMENT_PLACEHOLDERS, PAYMENT_URL_MAX, PaymentProblem, PaymentSettings, check_payment_settings,
    fill_link, payment_link, payment_settings, put_payment_settings, url_encode,
};
pub use renewal::{
    AlternativeItem, Candidate, CandidateList, CandidateStatus, CandidateView, ItemAlternatives,
    SlowItem, SlowItems, SlowItemsReport, Vote, VoteResult, add_candidate, alternatives,
    candidates, close_candidate, item_alternatives, slow_items, vote,
};
pub use ship_batch::{
    CsvLine, CsvProblem, SHIP_BATCH_MAX, ShipBatch, ShipBatchResult, ShipLine, ShipLineResult,
    ShipOutcome, numbered, parse_ship_csv, refusal_text,
};

// Images live in `images.rs`; their names stay reachable here.
pub use crate::images::{IMAGE_BYTES_MAX, IMAGE_SIDE_MAX, ImageUploaded, THUMB_SIDE, upload_image};
