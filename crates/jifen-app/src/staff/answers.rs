//! What the manual adjustments answer, as typed views: applied at once (the ledger's
//! [`AdjustmentResult`]), or waiting for a second person's approval, and the decision on a
//! waiting one.

use jifen_ledger::{MemberId, PointType, TransferId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::commands::AdjustmentResult;

/// The schema of a point type: `points` or `growth`.
fn point_type_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"type": "string", "enum": ["points", "growth"]})
}

/// The answer to an adjustment through the API, told apart by `status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum AdjustmentOutcome {
    /// Applied at once (200): the adjustment's transfer.
    Applied(AdjustmentResult),
    /// Above the approval threshold (202): waits in the approval queue; nothing moved.
    PendingApproval(PendingApproval),
}

/// An adjustment through the API waiting for a second person's approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PendingApproval {
    /// The request in the approval queue.
    pub approval_id: i64,
    /// The member to adjust.
    #[schemars(with = "i64")]
    pub member_id: MemberId,
    /// Positive to credit, negative to debit.
    pub delta: i64,
    /// What is to be adjusted.
    #[schemars(schema_with = "point_type_schema")]
    pub point_type: PointType,
    /// The programme's approval threshold.
    pub threshold: i64,
    /// What the same key adjusted to the member today before this one.
    pub adjusted_today: i64,
}

/// The answer to an adjustment from the console: applied at once, or a request that a second
/// person approves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum StaffAdjustmentResult {
    /// Applied at once.
    Applied {
        /// The adjustment.
        applied: AdjustmentResult,
    },
    /// Above the approval threshold: waits for a second person.
    Pending {
        /// The request in the approval queue.
        pending: i64,
        /// The programme's approval threshold.
        threshold: i64,
    },
}

impl StaffAdjustmentResult {
    /// Whether the adjustment waits for a second person.
    pub fn is_pending(&self) -> bool {
        matches!(self, StaffAdjustmentResult::Pending { .. })
    }
}

/// A second person's decision on a waiting adjustment, told apart by `status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum AdjustmentDecision {
    /// Approved and applied.
    Approved {
        /// The request decided.
        request_id: i64,
        /// The adjustment's transfer.
        #[schemars(with = "i64")]
        transfer_id: TransferId,
    },
    /// Rejected: nothing moved.
    Rejected {
        /// The request decided.
        request_id: i64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn applied() -> AdjustmentResult {
        AdjustmentResult {
            transfer_id: TransferId(9),
            member_id: MemberId(3),
            delta: 50,
            point_type: PointType::Points,
        }
    }

    /// The typed answers are the JSON the adjustments answered before they were typed, and
    /// read back as what they were.
    #[test]
    fn the_answers_keep_their_json() {
        let cases = [
            (
                serde_json::to_value(AdjustmentOutcome::Applied(applied())).unwrap(),
                json!({"status": "applied", "transfer_id": 9, "member_id": 3, "delta": 50,
                       "point_type": "points"}),
            ),
            (
                serde_json::to_value(AdjustmentOutcome::PendingApproval(PendingApproval {
                    approval_id: 4,
                    member_id: MemberId(3),
                    delta: -600,
                    point_type: PointType::Points,
                    threshold: 1_000,
                    adjusted_today: 600,
                }))
                .unwrap(),
                json!({"status": "pending_approval", "approval_id": 4, "member_id": 3,
                       "delta": -600, "point_type": "points", "threshold": 1000,
                       "adjusted_today": 600}),
            ),
            (
                serde_json::to_value(StaffAdjustmentResult::Applied { applied: applied() })
                    .unwrap(),
                json!({"applied": {"transfer_id": 9, "member_id": 3, "delta": 50,
                                   "point_type": "points"}}),
            ),
            (
                serde_json::to_value(StaffAdjustmentResult::Pending {
                    pending: 4,
                    threshold: 1_000,
                })
                .unwrap(),
                json!({"pending": 4, "threshold": 1000}),
            ),
            (
                serde_json::to_value(AdjustmentDecision::Approved {
                    request_id: 4,
                    transfer_id: TransferId(9),
                })
                .unwrap(),
                json!({"request_id": 4, "status": "approved", "transfer_id": 9}),
            ),
            (
                serde_json::to_value(AdjustmentDecision::Rejected { request_id: 4 }).unwrap(),
                json!({"request_id": 4, "status": "rejected"}),
            ),
        ];
        for (typed, before) in cases {
            assert_eq!(typed, before);
        }
        let pending: StaffAdjustmentResult =
            serde_json::from_value(json!({"pending": 4, "threshold": 1000})).unwrap();
        assert!(pending.is_pending());
        let outcome: AdjustmentOutcome = serde_json::from_value(json!({"status": "applied",
            "transfer_id": 9, "member_id": 3, "delta": 50, "point_type": "points"}))
        .unwrap();
        assert_eq!(outcome, AdjustmentOutcome::Applied(applied()));
    }
}
