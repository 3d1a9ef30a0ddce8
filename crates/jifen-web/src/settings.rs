//! Console pages: settings (the programme, API keys, webhooks) and the ledger and orders exports.
//!
//! Everyone signed in sees the programme; owners and auditors see the keys and webhooks, and only
//! owners change them. A new API key or webhook secret is shown once, on the page answering the
//! form, and never again (only a key's hash is stored). Every form checks the session's CSRF token,
//! shows a problem next to its field and keeps what was typed. The exports stream a page of rows
//! at a time, for owners, analysts and auditors, and are audited.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use jifen_app::access::Exporter;
use jifen_app::console::{DeliveryRow, EndpointRow};
use jifen_app::mall::PaymentSettings;
use jifen_app::staff;
use jifen_app::{AppError, keys, webhooks};
use jifen_ledger::Millis;
use jifen_ledger::policy::{ShortfallPolicy, Validity};
use jiff::tz::TimeZone;
use serde::Deserialize;

use askama::Template;

use crate::forms::FormState;
use crate::frame::Frame;
use crate::page::{L, Lang, code_label, fmt_time, num, pick};
use crate::{EXPORT_PAGE, Staff, Web, csv_field};

mod exports;
pub(crate) use exports::export_range;
mod forms;
mod key_revoke;
mod value;
mod view;
use exports::*;
use forms::*;
use value::*;
use view::*;

pub(crate) fn routes() -> Router<Web> {
    Router::new()
        .route("/console/settings", get(settings))
        .route("/console/settings/program", post(update_program))
        .route("/console/settings/centre", post(update_centre))
        .route("/console/settings/payment", post(update_payment))
        .route("/console/settings/point-value", post(update_point_value))
        .route("/console/settings/keys", post(create_key))
        .route(
            "/console/settings/keys/{id}/revoke",
            get(key_revoke::revoke_key_form).post(key_revoke::revoke_key),
        )
        .route("/console/settings/webhooks", post(create_webhook))
        .route(
            "/console/settings/webhooks/{id}/{action}",
            post(webhook_status),
        )
        .route("/console/exports/ledger.csv", get(export_ledger))
        .route("/console/exports/orders.csv", get(export_orders))
}

/// Recent deliveries summarised per webhook endpoint.
const RECENT_DELIVERIES: i64 = 20;

fn title(st: &Staff) -> &'static str {
    pick(st.lang, "设置", "Settings")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn export_dates_are_whole_local_days_and_malformed_ones_are_refused() {
        let tz = TimeZone::get("Asia/Shanghai").unwrap();
        // 2026-01-01 00:00 in Shanghai is 2025-12-31 16:00 UTC.
        let (from, to) = export_range(
            &q(&[("from", "2026-01-01"), ("to", "2026-01-01")]),
            &tz,
            Lang::En,
        )
        .unwrap();
        assert_eq!(from, 1_767_225_600_000 - 8 * 3_600_000);
        assert_eq!(to - from, 86_400_000);
        assert_eq!(
            export_range(&q(&[]), &tz, Lang::En).unwrap(),
            (i64::MIN, i64::MAX)
        );
        for bad in [
            "2026-13-01",
            "2026-02-30",
            "01/02/2026",
            "2026-1-1",
            "2026-01-01T00:00",
            "'; DROP",
        ] {
            let e = export_range(&q(&[("from", bad)]), &tz, Lang::En).unwrap_err();
            assert!(e.contains("YYYY-MM-DD"), "{bad}: {e}");
        }
        assert!(
            export_range(
                &q(&[("from", "2026-02-01"), ("to", "2026-01-01")]),
                &tz,
                Lang::Zh
            )
            .is_err()
        );
    }

    #[test]
    fn money_has_two_decimals() {
        assert_eq!(money(0), "0.00");
        assert_eq!(money(1234), "12.34");
        assert_eq!(money(5), "0.05");
        assert_eq!(money(-150), "-1.50");
    }
}
