use jifen_ledger::LedgerError;
use jifen_store::StoreError;

/// Why a use case did not happen. Every variant but `Store` and `Internal` is the caller's to
/// fix, and none of them leaves a partial write behind.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    #[error("invalid {field}: {message}")]
    Invalid { field: String, message: String },
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The request conflicts with the state: an order recorded twice, a reservation settled.
    #[error("{message}")]
    Conflict {
        code: &'static str,
        message: String,
        details: serde_json::Value,
    },
    #[error("this Idempotency-Key was already used for a different request")]
    IdempotencyMismatch,
    #[error("the server is shutting down")]
    Unavailable,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

/// How an error reads to whoever asked, whatever answers them (a page, the API, a job).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// What was asked for does not exist.
    NotFound,
    /// The input is wrong: a field and what is wrong with it.
    Invalid,
    /// A business rule refuses it (not enough points, already settled, a key used for another
    /// request): the caller's to change, nothing written.
    Refused,
    /// The service cannot do it just now (shutting down, the database away or full): the same
    /// request may succeed later; nothing written.
    Busy,
    /// A fault of the service: logged with its cause, never shown in detail.
    Fault,
}

impl AppError {
    pub fn class(&self) -> ErrorClass {
        match self {
            AppError::NotFound { .. } => ErrorClass::NotFound,
            AppError::Invalid { .. } => ErrorClass::Invalid,
            AppError::Ledger(_) | AppError::Conflict { .. } | AppError::IdempotencyMismatch => {
                ErrorClass::Refused
            }
            AppError::Unavailable
            | AppError::Store(StoreError::Unavailable(_))
            | AppError::Store(StoreError::Full(_)) => ErrorClass::Busy,
            AppError::Store(_) | AppError::Internal(_) => ErrorClass::Fault,
        }
    }

    /// A refusal's code and details, as the API names them (`jifen_domain::words::REFUSALS`
    /// gives each code its words); none for other errors.
    pub fn refusal(&self) -> Option<(&'static str, serde_json::Value)> {
        use serde_json::json;
        Some(match self {
            AppError::Conflict { code, details, .. } => (*code, details.clone()),
            AppError::IdempotencyMismatch => ("idempotency_mismatch", json!({})),
            AppError::Ledger(l) => match l {
                LedgerError::InsufficientPoints {
                    available,
                    requested,
                } => (
                    "insufficient_points",
                    json!({"available": available, "requested": requested}),
                ),
                LedgerError::RestoreExceedsSpend { .. } => ("refund_exceeds_spend", json!({})),
                LedgerError::SameMember => ("same_member", json!({})),
                LedgerError::InvalidPolicy(_) => ("invalid_policy", json!({})),
                LedgerError::NonPositiveAmount { .. }
                | LedgerError::AmountTooLarge { .. }
                | LedgerError::Overflow => ("invalid_amount", json!({})),
            },
            _ => return None,
        })
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> AppError {
        AppError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn conflict(
        code: &'static str,
        message: impl Into<String>,
        details: serde_json::Value,
    ) -> AppError {
        AppError::Conflict {
            code,
            message: message.into(),
            details,
        }
    }
}
