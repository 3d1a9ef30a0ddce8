//! Console pages for the points mall: items with images and stock (flash sales and presales
//! are items with those flags), the categories named and ordered, restocking and presale
//! arrivals, orders with their fulfilment actions (ship with a tracking number, deliver,
//! cancel, refund), and the definitions edited with forms, the use case's errors shown next to
//! their fields: coupon templates, lotteries and the tier ladder with its benefits. Every write
//! goes through the same use case as the JSON API.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use jifen_app::AppError;
use jifen_app::mall::{self, ItemIn, ItemView, OrderUpdate, SkuView};
use jifen_domain::mall::{ItemDef, ItemKind, ItemLimits, OrderAction, Sku};
use serde::Deserialize;
use serde_json::json;

use crate::forms::{expired, form_key, parse_money};
use crate::page::{fmt_time, num};
use crate::{Staff, Web};

mod categories;
mod def_form;
mod defs;
mod item_edit;
mod items;
mod ladder_form;
mod lotteries;
mod order_confirm;
mod orders;
mod ship_batch;
mod templates;
use categories::*;
use defs::*;
use item_edit::*;
use items::*;
use lotteries::*;
use order_confirm::*;
use orders::*;
use templates::*;

pub(crate) fn routes() -> Router<Web> {
    Router::new()
        .route("/console/mall", get(items))
        .route(
            "/console/mall/categories",
            get(categories).post(save_categories),
        )
        .route("/console/mall/items/new", get(new_item).post(create_item))
        .route("/console/mall/items/{id}", get(show_item).post(update_item))
        .route(
            "/console/mall/items/{id}/status/{status}",
            post(item_status),
        )
        .route("/console/mall/skus/{sku}/{what}", post(stock))
        .route("/console/mall/images", post(upload))
        .route("/console/orders", get(orders))
        .route(
            "/console/orders/ship-batch",
            get(ship_batch::ship_batch_form).post(ship_batch::ship_batch),
        )
        .route("/console/orders/to-ship.csv", get(ship_batch::to_ship_csv))
        .route("/console/orders/{id}", get(order))
        .route(
            "/console/orders/{id}/{action}",
            get(order_confirm::confirm).post(order_action),
        )
        .route("/console/tiers", get(tiers).post(put_tiers))
        .route(
            "/console/coupon-templates",
            get(templates).post(create_template_form),
        )
        .route("/console/coupon-templates/new", post(create_template_form))
        .route("/console/lotteries", get(lotteries).post(create_lottery))
}

fn money(st: &Staff, minor: i64) -> String {
    jifen_app::mall::money_text(&st.ctx.program.currency, minor)
}

fn state_label(st: &Staff, s: &str) -> String {
    use jifen_domain::words::{self, ITEM_STATUSES, ORDER_STATES};
    let table = if words::find(ITEM_STATUSES, s).is_some() {
        ITEM_STATUSES
    } else {
        ORDER_STATES
    };
    words::text(table, s, st.lang == crate::page::Lang::En)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_fields() {
        assert_eq!(item_field("skus[0].points"), "points");
        assert_eq!(item_field("skus[0].cash_minor"), "cash");
        assert_eq!(item_field("kind.template"), "template");
        assert_eq!(item_field("skus[3].sku"), "form");
    }
}
