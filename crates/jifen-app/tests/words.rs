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

/// Every refusal the application writes (`AppError::conflict`, the mall's `refuse`) has words in
/// both languages, so a page never shows the API's English message: the codes are read from
/// the application's own source.
#[test]
fn every_refusal_has_words() {
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let mut files = vec![std::path::PathBuf::from(src)];
    let mut codes = std::collections::BTreeSet::new();
    while let Some(p) = files.pop() {
        if p.is_dir() {
            files.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        // `refuse` is the mall's conflict; elsewhere a closure of that name takes other words.
        let mall = p.components().any(|c| c.as_os_str() == "mall");
        let calls: &[&str] = if mall {
            &["conflict(", "refuse("]
        } else {
            &["conflict("]
        };
        for call in calls {
            for (at, _) in text.match_indices(call) {
                let rest = text[at + call.len()..].trim_start();
                if let Some(rest) = rest.strip_prefix('"') {
                    let code = &rest[..rest.find('"').unwrap()];
                    if code.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                        codes.insert(code.to_string());
                    }
                }
            }
        }
    }
    assert!(codes.len() > 40, "the scan finds the refusals: {codes:?}");
    let missing: Vec<&String> = codes
        .iter()
        .filter(|c| words::find(words::REFUSALS, c).is_none())
        .collect();
    assert!(missing.is_empty(), "refusals without words: {missing:?}");
    // The ledger's refusals too, by the codes the API gives them.
    for c in [
        "insufficient_points",
        "refund_exceeds_spend",
        "invalid_amount",
        "same_member",
    ] {
        assert!(words::find(words::REFUSALS, c).is_some(), "{c}");
    }
}

/// Every action the audit log is given has words: the literal ones read from the application's
/// source (`tx.audit(program, actor, "action", ...)`, `action: "..."`), and the families
/// built from a value (an order's action, an item's status, a rule's verb...) listed here.
#[test]
fn every_audit_action_has_words() {
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let mut files = vec![std::path::PathBuf::from(src)];
    let mut actions = std::collections::BTreeSet::new();
    while let Some(p) = files.pop() {
        if p.is_dir() {
            files.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        for (at, _) in text.match_indices("tx.audit(") {
            // The third argument, when it is a literal.
            let args = &text[at + "tx.audit(".len()..];
            let mut commas = args.match_indices(',').map(|(i, _)| i);
            let (_, second) = (commas.next(), commas.next());
            if let Some(second) = second {
                let third = args[second + 1..].trim_start();
                if let Some(rest) = third.strip_prefix('"') {
                    actions.insert(rest[..rest.find('"').unwrap()].to_string());
                }
            }
        }
        for (at, _) in text.match_indices("action: \"") {
            let rest = &text[at + "action: \"".len()..];
            actions.insert(rest[..rest.find('"').unwrap()].to_string());
        }
    }
    actions.retain(|a| a.contains('.'));
    assert!(
        actions.len() > 20,
        "the scan finds the actions: {actions:?}"
    );
    let families: &[(&str, &[&str])] = &[
        (
            "mall_order",
            &["pay", "cancel", "ship", "deliver", "refund", "timeout"],
        ),
        ("mall_item", &["draft", "on_sale", "off_sale"]),
        ("rule", &["activate", "pause", "archive"]),
        ("coupon_template", &["active", "archived"]),
        ("risk_hold", &["release", "reject"]),
        ("appeal", &["resolved", "rejected"]),
        ("export", &["members", "ledger", "orders"]),
        ("webhook", &["enable", "disable"]),
    ];
    for (family, verbs) in families {
        for v in *verbs {
            actions.insert(format!("{family}.{v}"));
        }
    }
    let missing: Vec<&String> = actions
        .iter()
        .filter(|a| words::find(words::AUDIT_ACTIONS, a).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "audit actions without words: {missing:?}"
    );
}
