//! The one error shape every endpoint answers with:
//! `{"error": {"code": "...", "message": "...", "details": {...}}}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jifen_app::AppError;
use jifen_ledger::LedgerError;
use jifen_store::StoreError;
use serde_json::json;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: serde_json::Value,
    /// Seconds after which a retry may succeed (`Retry-After`).
    pub retry_after: Option<u32>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            details: json!({}),
            retry_after: None,
        }
    }

    pub fn retry_after(mut self, seconds: u32) -> ApiError {
        self.retry_after = Some(seconds);
        self
    }

    pub fn with_details(mut self, details: serde_json::Value) -> ApiError {
        self.details = details;
        self
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> ApiError {
        let message = message.into();
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            format!("{field}: {message}"),
        )
        .with_details(json!({"field": field}))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body =
            json!({"error": {"code": self.code, "message": self.message, "details": self.details}});
        let mut r = (self.status, axum::Json(body)).into_response();
        if let Some(s) = self.retry_after {
            r.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, s.into());
        }
        r
    }
}

fn not_found_code(what: &str) -> &'static str {
    match what {
        "member" => "member_not_found",
        "order" => "order_not_found",
        "reservation" => "reservation_not_found",
        "spend" => "spend_not_found",
        "programme" => "program_not_found",
        "rule" => "rule_not_found",
        "risk hold" => "risk_hold_not_found",
        "backtest" => "backtest_not_found",
        "tier ladder" => "tier_ladder_not_found",
        "coupon" => "coupon_not_found",
        "sku" => "sku_not_found",
        "mall item" => "mall_item_not_found",
        "mall order" => "mall_order_not_found",
        "lottery" => "lottery_not_found",
        "webhook endpoint" => "webhook_endpoint_not_found",
        "candidate" => "candidate_not_found",
        "checkout settings" => "checkout_settings_not_found",
        "coupon template" => "coupon_template_not_found",
        "checkout deduction" => "checkout_deduction_not_found",
        "transfer" => "transfer_not_found",
        "identity" => "identity_not_found",
        _ => "not_found",
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> ApiError {
        use StatusCode as S;
        match e {
            AppError::NotFound { what, id } => ApiError::new(
                S::NOT_FOUND,
                not_found_code(what),
                format!("{what} {id} not found"),
            )
            .with_details(json!({"id": id})),
            AppError::Invalid { field, message } => ApiError::invalid(&field, message),
            AppError::Ledger(l) => {
                let msg = l.to_string();
                match l {
                    LedgerError::InsufficientPoints {
                        available,
                        requested,
                    } => ApiError::new(S::UNPROCESSABLE_ENTITY, "insufficient_points", msg)
                        .with_details(json!({"available": available, "requested": requested})),
                    LedgerError::RestoreExceedsSpend {
                        restorable,
                        requested,
                    } => ApiError::new(S::UNPROCESSABLE_ENTITY, "refund_exceeds_spend", msg)
                        .with_details(json!({"restorable": restorable, "requested": requested})),
                    LedgerError::NonPositiveAmount { .. }
                    | LedgerError::AmountTooLarge { .. }
                    | LedgerError::Overflow => {
                        ApiError::new(S::UNPROCESSABLE_ENTITY, "invalid_amount", msg)
                    }
                    LedgerError::SameMember => {
                        ApiError::new(S::UNPROCESSABLE_ENTITY, "same_member", msg)
                    }
                    LedgerError::InvalidPolicy(_) => {
                        ApiError::new(S::UNPROCESSABLE_ENTITY, "invalid_policy", msg)
                    }
                }
            }
            AppError::Conflict {
                code,
                message,
                details,
            } => ApiError::new(S::CONFLICT, code, message).with_details(details),
            AppError::IdempotencyMismatch => ApiError::new(
                S::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "this Idempotency-Key was already used with a different request; use a new key for a new request",
            ),
            AppError::Unavailable => ApiError::new(
                S::SERVICE_UNAVAILABLE,
                "unavailable",
                "the server is busy or shutting down; retry with the same Idempotency-Key",
            ),
            AppError::Store(StoreError::Unavailable(err)) => {
                tracing::warn!(error = %err, "the database is unavailable");
                ApiError::new(
                    S::SERVICE_UNAVAILABLE,
                    "store_unavailable",
                    "the database cannot be reached just now; nothing was written; retry with the same Idempotency-Key",
                )
                .retry_after(5)
            }
            AppError::Store(StoreError::Full(err)) => {
                tracing::error!(error = %err, "the database's disk is full");
                ApiError::new(
                    S::INSUFFICIENT_STORAGE,
                    "storage_full",
                    "the server's disk is full; nothing was written; retry with the same Idempotency-Key once space is freed",
                )
                .retry_after(30)
            }
            AppError::Store(err) => {
                tracing::error!(error = %err, "store error");
                ApiError::new(
                    S::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error; retry with the same Idempotency-Key",
                )
            }
            AppError::Internal(err) => {
                tracing::error!(error = %err, "internal error");
                ApiError::new(S::INTERNAL_SERVER_ERROR, "internal", "internal error")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_or_full_store_is_told_apart_from_a_bug() {
        let r = ApiError::from(AppError::Store(StoreError::Unavailable("refused".into())))
            .into_response();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()["retry-after"], "5");
        let r = ApiError::from(AppError::Store(StoreError::Full("no space".into())));
        assert_eq!(
            (r.status, r.code, r.retry_after),
            (StatusCode::INSUFFICIENT_STORAGE, "storage_full", Some(30))
        );
        let r = ApiError::from(AppError::Store(StoreError::Db("syntax".into())));
        assert_eq!(
            (r.status, r.code),
            (StatusCode::INTERNAL_SERVER_ERROR, "internal")
        );
    }
}
