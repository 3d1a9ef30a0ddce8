//! Every code the system writes or shows has words in both languages, in the one table of its
//! vocabulary (`jifen_domain::words`).

use jifen_domain::mall::OrderState;
use jifen_domain::words::{self, COUPON_STATUSES, LEDGER_CODES, ORDER_STATES, TRIGGERS};
use jifen_ledger::code;
use jifen_rules::rule::{BUILT_IN_TRIGGERS, Trigger};

#[test]
fn every_event_type_has_words_an_icon_and_history_words() {
    for t in BUILT_IN_TRIGGERS {
        assert!(
            words::find(TRIGGERS, t).is_some(),
            "event type {t} has no words"
        );
        let award = match Trigger::parse(t).unwrap() {
            Trigger::Purchase => "purchase_bonus".to_string(),
            other => other.as_string(),
        };
        assert!(
            words::find(LEDGER_CODES, &award).is_some(),
            "the award code {award} has no history words"
        );
    }
    assert_eq!(
        TRIGGERS.len(),
        BUILT_IN_TRIGGERS.len(),
        "the table lists an event type the rules do not know"
    );
    assert!(words::trigger_text("custom:quiz_week", false).contains("quiz_week"));
}

#[test]
fn every_ledger_code_has_words() {
    let written = [
        code::PURCHASE,
        code::REFUND_REVERSAL,
        code::REDEMPTION,
        code::RESERVATION,
        code::RESERVATION_POST,
        code::RESERVATION_VOID,
        code::REDEMPTION_REFUND,
        code::EXPIRY,
        code::VEST,
        code::MEMBER_TRANSFER,
        code::MANUAL_ADJUSTMENT,
        code::DEBT_SHORTFALL,
        code::DEBT_REPAYMENT,
        code::WRITE_OFF,
        code::MERGE,
        code::RISK_REJECTED,
        code::TIER_GIFT,
        // Written by the application: lottery draws and prizes, make-up sign-ins.
        "lottery_draw",
        "lottery_prize",
        "makeup_sign_in",
    ];
    for c in written {
        let w = words::find(LEDGER_CODES, c).unwrap_or_else(|| panic!("{c} has no words"));
        assert_ne!(w.word.zh, c);
    }
}

#[test]
fn every_order_state_has_words_and_the_table_no_more() {
    use OrderState::*;
    let all = [
        PendingPayment,
        Paid,
        AwaitingStock,
        Shipped,
        Delivered,
        Cancelled,
        TimedOut,
        Refunded,
    ];
    // A new state must be added above (and to the table): this match stops compiling.
    for s in all {
        match s {
            PendingPayment | Paid | AwaitingStock | Shipped | Delivered | Cancelled | TimedOut
            | Refunded => {}
        }
        assert!(
            words::find(ORDER_STATES, s.as_str()).is_some(),
            "{} has no words",
            s.as_str()
        );
    }
    for w in ORDER_STATES {
        assert!(
            OrderState::parse(w.word.code).is_some(),
            "{} is not a state",
            w.word.code
        );
    }
    assert_eq!(ORDER_STATES.len(), all.len());
}

#[test]
fn coupon_statuses_are_the_ones_the_application_accepts() {
    for w in COUPON_STATUSES {
        assert!(
            jifen_app::coupons::is_status(w.word.code),
            "{}",
            w.word.code
        );
    }
    assert!(!jifen_app::coupons::is_status("used"));
}
