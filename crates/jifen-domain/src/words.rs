//! The vocabularies people read: event types (triggers), ledger codes, order states, coupon,
//! item and rule statuses. Each is one table, the only place its codes get their Chinese and
//! English words (and, where a page shows one, an icon or a tone); the console, the member
//! centre, the API's document and the checks on input all read these tables. A test checks
//! that every code the system writes has words in both languages.

mod messages;
pub use messages::{AUDIT_ACTIONS, REFUSALS, SHIP_REFUSALS};

/// A code as stored and sent on the wire, with what people read for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Word {
    pub code: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
}

impl Word {
    /// The word in English when `english`, else in Chinese.
    pub fn text(&self, english: bool) -> &'static str {
        if english { self.en } else { self.zh }
    }
}

/// Where a ledger line counts in the programme's figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Points given to members (earning, bonuses, gifts, prizes, positive adjustments).
    Issued,
    /// Points members used (redemptions, lottery draws).
    Spent,
    /// Points that reached their expiry date.
    Expired,
    /// Moves within the books: holds, releases, vesting, transfers, merges, debt, reversals.
    Internal,
}

/// How a state reads at a glance: the colour class of its badge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Waiting on someone.
    Wait,
    /// Under way.
    Go,
    /// Finished as hoped.
    Done,
    /// Ended another way (cancelled, expired, withdrawn).
    Off,
}

impl Tone {
    /// The CSS class of the badge.
    pub fn class(self) -> &'static str {
        match self {
            Tone::Wait => "wait",
            Tone::Go => "go",
            Tone::Done => "done",
            Tone::Off => "off",
        }
    }
}

/// An event type: its name in the rule form and the icon of its task in the member centre.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TriggerWord {
    pub word: Word,
    /// SVG path elements for a 24×24 view box, drawn with the current colour.
    pub icon: &'static str,
}

/// A ledger code: what a history line says, and where it counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerWord {
    pub word: Word,
    pub flow: Flow,
}

/// A state or status, and its tone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateWord {
    pub word: Word,
    pub tone: Tone,
}

macro_rules! words {
    ($(#[$doc:meta])* $table:ident: $entry:ident { $($code:literal, $zh:literal, $en:literal, $extra_name:ident: $extra:expr;)* }) => {
        $(#[$doc])*
        pub const $table: &[$entry] = &[$($entry { word: Word { code: $code, zh: $zh, en: $en }, $extra_name: $extra },)*];
    };
}

words! {
    /// Every built-in event type. Custom ones (`custom:<name>`) read as [`CUSTOM_TRIGGER`].
    TRIGGERS: TriggerWord {
        "purchase", "消费", "Purchase", icon: "<path d=\"M5 8h14l-1.2 12H6.2z\"/><path d=\"M9 8V6.5a3 3 0 0 1 6 0V8\"/>";
        "sign_up", "注册", "Sign-up", icon: "<circle cx=\"10\" cy=\"8\" r=\"4\"/><path d=\"M2.5 21c0-4 3.4-7 7.5-7 1.6 0 3 .4 4.2 1.1M18 14v6M15 17h6\"/>";
        "sign_in", "签到", "Sign-in", icon: "<rect x=\"4\" y=\"5\" width=\"16\" height=\"15\" rx=\"2\"/><path d=\"M8 3v4M16 3v4M4 10h16M9 15l2 2 4-4\"/>";
        "review", "评价", "Review", icon: "<path d=\"M12 3.5l2.6 5.3 5.9.9-4.3 4.1 1 5.8L12 16.9l-5.2 2.7 1-5.8-4.3-4.1 5.9-.9z\"/>";
        "share", "分享", "Share", icon: "<circle cx=\"18\" cy=\"5.5\" r=\"2.5\"/><circle cx=\"6\" cy=\"12\" r=\"2.5\"/><circle cx=\"18\" cy=\"18.5\" r=\"2.5\"/><path d=\"M8.2 10.8l7.6-4.1M8.2 13.2l7.6 4.1\"/>";
        "browse", "浏览", "Browse", icon: "<path d=\"M2.5 12S6 5.5 12 5.5 21.5 12 21.5 12 18 18.5 12 18.5 2.5 12 2.5 12z\"/><circle cx=\"12\" cy=\"12\" r=\"3\"/>";
        "profile_complete", "完善资料", "Profile completed", icon: "<circle cx=\"12\" cy=\"8\" r=\"4\"/><path d=\"M4 21c0-4 3.6-7 8-7s8 3 8 7\"/>";
        "follow", "关注", "Follow", icon: "<path d=\"M12 20s-7.5-4.6-7.5-10.2A4.1 4.1 0 0 1 12 7.4a4.1 4.1 0 0 1 7.5 2.4C19.5 15.4 12 20 12 20z\"/>";
        "survey", "问卷", "Survey", icon: "<rect x=\"5\" y=\"4\" width=\"14\" height=\"17\" rx=\"2\"/><path d=\"M9 3h6v3H9zM8.5 12l2 2 4-4M9 17h6\"/>";
        "referral", "邀请", "Referral", icon: "<rect x=\"4\" y=\"9\" width=\"16\" height=\"11\" rx=\"1.5\"/><path d=\"M3 9h18v3H3zM12 9v11M12 9c-1.5-4-6-4-5-1.2C7.5 9 12 9 12 9zM12 9c1.5-4 6-4 5-1.2C16.5 9 12 9 12 9z\"/>";
        "birthday", "生日", "Birthday", icon: "<rect x=\"4\" y=\"11\" width=\"16\" height=\"9\" rx=\"1.5\"/><path d=\"M4 15c2 1.5 4 1.5 5.3 0 1.4 1.5 4 1.5 5.4 0 1.3 1.5 3.3 1.5 5.3 0M12 11V7M12 3.5c-1 1.2-1 2.3 0 3 1-.7 1-1.8 0-3z\"/>";
        "anniversary", "入会周年", "Anniversary", icon: "<circle cx=\"12\" cy=\"9\" r=\"5.5\"/><path d=\"M8.5 13.5L7 21l5-2.5 5 2.5-1.5-7.5\"/>";
    }
}

/// A merchant-defined event type, `custom:<name>`: its words precede the name.
pub const CUSTOM_TRIGGER: TriggerWord = TriggerWord {
    word: Word {
        code: "custom",
        zh: "自定义",
        en: "Custom",
    },
    icon: "<path d=\"M12 3l1.8 5.2L19 10l-5.2 1.8L12 17l-1.8-5.2L5 10l5.2-1.8zM18.5 16l.8 2.2 2.2.8-2.2.8-.8 2.2-.8-2.2-2.2-.8 2.2-.8z\"/>",
};

words! {
    /// Every ledger code the system writes: the ledger's own, the application's, and one per
    /// built-in event type (the code of a rule's award). A custom event's award, `custom:<name>`,
    /// reads as "自定义：<name>" and counts as issued.
    LEDGER_CODES: LedgerWord {
        "purchase", "消费积分", "Purchase", flow: Flow::Issued;
        "purchase_bonus", "消费奖励", "Purchase bonus", flow: Flow::Issued;
        "refund_reversal", "退款扣回", "Refund reversal", flow: Flow::Internal;
        "redemption", "积分兑换", "Redemption", flow: Flow::Spent;
        "reservation", "积分冻结", "Reserved", flow: Flow::Internal;
        "reservation_post", "积分兑换", "Redemption", flow: Flow::Spent;
        "reservation_void", "冻结释放", "Released", flow: Flow::Internal;
        "redemption_refund", "兑换退回", "Redemption refund", flow: Flow::Internal;
        "expiry", "积分过期", "Expired", flow: Flow::Expired;
        "vest", "积分到账", "Became available", flow: Flow::Internal;
        "member_transfer", "积分转赠", "Transfer", flow: Flow::Internal;
        "manual_adjustment", "人工调整", "Adjustment", flow: Flow::Issued;
        "debt_shortfall", "欠分", "Debt", flow: Flow::Internal;
        "debt_repayment", "欠分抵扣", "Debt repaid", flow: Flow::Internal;
        "write_off", "核销", "Write-off", flow: Flow::Internal;
        "merge", "账户合并", "Merge", flow: Flow::Internal;
        "risk_rejected", "风控作废", "Rejected on review", flow: Flow::Internal;
        "tier_gift", "等级礼包", "Tier gift", flow: Flow::Issued;
        "lottery_draw", "抽奖消耗", "Lottery draw", flow: Flow::Spent;
        "lottery_prize", "抽奖奖品", "Lottery prize", flow: Flow::Issued;
        "makeup_sign_in", "补签消耗", "Make-up sign-in", flow: Flow::Internal;
        "sign_up", "注册礼", "Sign-up", flow: Flow::Issued;
        "sign_in", "每日签到", "Daily sign-in", flow: Flow::Issued;
        "review", "评价奖励", "Review", flow: Flow::Issued;
        "share", "分享奖励", "Share", flow: Flow::Issued;
        "browse", "浏览奖励", "Browsing", flow: Flow::Issued;
        "profile_complete", "完善资料奖励", "Profile completed", flow: Flow::Issued;
        "follow", "关注奖励", "Follow", flow: Flow::Issued;
        "survey", "问卷奖励", "Survey", flow: Flow::Issued;
        "referral", "邀请奖励", "Referral", flow: Flow::Issued;
        "birthday", "生日礼", "Birthday", flow: Flow::Issued;
        "anniversary", "入会周年", "Anniversary", flow: Flow::Issued;
    }
}

words! {
    /// A mall order's states, as `OrderState::as_str` names them.
    ORDER_STATES: StateWord {
        "pending_payment", "待支付", "Awaiting payment", tone: Tone::Wait;
        "paid", "待发货", "To ship", tone: Tone::Wait;
        "awaiting_stock", "预售待到货", "Presale, awaiting stock", tone: Tone::Wait;
        "shipped", "已发货", "Shipped", tone: Tone::Go;
        "delivered", "已完成", "Delivered", tone: Tone::Done;
        "cancelled", "已取消", "Cancelled", tone: Tone::Off;
        "timed_out", "支付超时", "Payment timed out", tone: Tone::Off;
        "refunded", "已退款", "Refunded", tone: Tone::Off;
    }
}

/// A paid order of an item that does not ship (a coupon, a virtual item) reads this way.
pub const PAID_NOT_SHIPPED: Word = Word {
    code: "paid",
    zh: "待发放",
    en: "Being fulfilled",
};

words! {
    /// A member coupon's statuses.
    COUPON_STATUSES: StateWord {
        "issued", "可使用", "Available", tone: Tone::Go;
        "redeemed", "已使用", "Used", tone: Tone::Done;
        "expired", "已过期", "Expired", tone: Tone::Off;
        "void", "已作废", "Withdrawn", tone: Tone::Off;
    }
}

words! {
    /// A mall item's statuses.
    ITEM_STATUSES: StateWord {
        "draft", "草稿", "Draft", tone: Tone::Wait;
        "on_sale", "在售", "On sale", tone: Tone::Go;
        "off_sale", "已下架", "Off sale", tone: Tone::Off;
    }
}

words! {
    /// An earning rule's statuses.
    RULE_STATUSES: StateWord {
        "draft", "草稿", "Draft", tone: Tone::Wait;
        "active", "生效中", "Active", tone: Tone::Go;
        "paused", "已暂停", "Paused", tone: Tone::Off;
        "archived", "已归档", "Archived", tone: Tone::Off;
    }
}

/// The carriers staff choose from when an order ships, by the code the API takes (it also
/// takes any other carrier's name, shown as sent).
pub const CARRIERS: &[Word] = &[
    Word {
        code: "SF",
        zh: "顺丰速运",
        en: "SF Express",
    },
    Word {
        code: "ZTO",
        zh: "中通快递",
        en: "ZTO Express",
    },
    Word {
        code: "YTO",
        zh: "圆通速递",
        en: "YTO Express",
    },
    Word {
        code: "YD",
        zh: "韵达快递",
        en: "Yunda Express",
    },
    Word {
        code: "STO",
        zh: "申通快递",
        en: "STO Express",
    },
    Word {
        code: "JD",
        zh: "京东物流",
        en: "JD Logistics",
    },
    Word {
        code: "EMS",
        zh: "中国邮政",
        en: "China Post EMS",
    },
];

/// Staff roles (`jifen_app::staff::Role`).
pub const STAFF_ROLES: &[Word] = &[
    Word {
        code: "owner",
        zh: "店主",
        en: "Owner",
    },
    Word {
        code: "operator",
        zh: "运营",
        en: "Operator",
    },
    Word {
        code: "service",
        zh: "客服",
        en: "Service",
    },
    Word {
        code: "analyst",
        zh: "分析师",
        en: "Analyst",
    },
    Word {
        code: "auditor",
        zh: "审计",
        en: "Auditor",
    },
];

words! {
    /// A member's statuses (`jifen_store::Member::status`).
    MEMBER_STATUSES: StateWord {
        "active", "正常", "Active", tone: Tone::Go;
        "frozen", "已冻结", "Frozen", tone: Tone::Off;
        "merged", "已合并", "Merged", tone: Tone::Off;
        "erased", "已注销", "Erased", tone: Tone::Off;
    }
}

words! {
    /// A lot's statuses (`jifen_app::views::LotView`).
    LOT_STATUSES: StateWord {
        "available", "可用", "Available", tone: Tone::Go;
        "pending", "待生效", "Pending", tone: Tone::Wait;
        "expiring", "到期待处理", "Expiring", tone: Tone::Off;
        "closed", "已用完", "Used up", tone: Tone::Off;
    }
}

words! {
    /// Where a line of a member's history stands (`jifen_app::activity::LineState`).
    LINE_STATES: StateWord {
        "done", "已完成", "Done", tone: Tone::Done;
        "pending", "待生效", "Pending", tone: Tone::Wait;
        "held", "风控审核中", "Under review", tone: Tone::Wait;
        "vested", "已到账", "Available", tone: Tone::Done;
        "voided", "已作废", "Voided", tone: Tone::Off;
        "reserved", "冻结中", "Reserved", tone: Tone::Wait;
        "redeemed", "已兑换", "Redeemed", tone: Tone::Done;
        "released", "已释放", "Released", tone: Tone::Off;
    }
}

/// What a dry run notes about an event it evaluated though a real one would be refused.
pub const DRY_RUN_NOTES: &[Word] = &[Word {
    code: "already_signed_in",
    zh: "该会员当天已签到，真实签到会被拒绝；以下按当天的签到试算",
    en: "The member already signed in that day, so a real sign-in would be refused; below is what that day's sign-in pays",
}];

/// The entry of `code` in a table of words.
pub fn find<T: HasWord>(table: &'static [T], code: &str) -> Option<&'static T> {
    table.iter().find(|e| e.word().code == code)
}

/// The codes of a table, in its order.
pub fn codes<T: HasWord>(table: &'static [T]) -> Vec<&'static str> {
    table.iter().map(|e| e.word().code).collect()
}

/// The words of `code` in a table, or the code itself when the table does not know it.
pub fn text<T: HasWord>(table: &'static [T], code: &str, english: bool) -> String {
    find(table, code).map_or_else(|| code.to_string(), |e| e.word().text(english).to_string())
}

/// An event type's name: a built-in one's words, "自定义：name" for `custom:name`.
pub fn trigger_text(code: &str, english: bool) -> String {
    match code.strip_prefix("custom:") {
        Some(name) => custom_text(name, english),
        None => text(TRIGGERS, code, english),
    }
}

/// An event type's icon: a built-in one's own, the custom one's otherwise.
pub fn trigger_icon(code: &str) -> &'static str {
    find(TRIGGERS, code).map_or(CUSTOM_TRIGGER.icon, |t| t.icon)
}

/// What a ledger line says for its code.
pub fn ledger_text(code: &str, english: bool) -> String {
    match code.strip_prefix("custom:") {
        Some(name) => custom_text(name, english),
        None => text(LEDGER_CODES, code, english),
    }
}

/// Where a ledger line of `code` counts: a code not in the table (a custom event's award)
/// counts as issued.
pub fn ledger_flow(code: &str) -> Flow {
    find(LEDGER_CODES, code).map_or(Flow::Issued, |e| e.flow)
}

fn custom_text(name: &str, english: bool) -> String {
    if english {
        format!("{}: {name}", CUSTOM_TRIGGER.word.en)
    } else {
        format!("{}：{name}", CUSTOM_TRIGGER.word.zh)
    }
}

/// A table entry with a word.
pub trait HasWord {
    fn word(&self) -> &Word;
}

impl HasWord for Word {
    fn word(&self) -> &Word {
        self
    }
}
impl HasWord for TriggerWord {
    fn word(&self) -> &Word {
        &self.word
    }
}
impl HasWord for LedgerWord {
    fn word(&self) -> &Word {
        &self.word
    }
}
impl HasWord for StateWord {
    fn word(&self) -> &Word {
        &self.word
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check<T: HasWord>(name: &str, table: &'static [T]) {
        check_shaped(name, table, |c| c.is_ascii_lowercase() || c == '_');
    }

    /// A table whose codes are of another shape (carriers' codes are their capital letters).
    fn check_shaped<T: HasWord>(name: &str, table: &'static [T], shape: fn(char) -> bool) {
        let mut seen = std::collections::HashSet::new();
        for e in table {
            let w = e.word();
            assert!(seen.insert(w.code), "{name}: {} twice", w.code);
            assert!(
                !w.zh.is_empty() && !w.zh.is_ascii(),
                "{name}: {} has no Chinese words ({:?})",
                w.code,
                w.zh
            );
            assert!(
                !w.en.is_empty() && w.en.is_ascii(),
                "{name}: {} has no English words ({:?})",
                w.code,
                w.en
            );
            assert!(
                w.code.chars().all(shape),
                "{name}: {:?} is not a code",
                w.code
            );
        }
    }

    /// Audit actions are `family.verb` codes.
    fn check_actions(table: &[Word]) {
        let mut seen = std::collections::BTreeSet::new();
        for w in table {
            assert!(seen.insert(w.code), "audit action {} twice", w.code);
            assert!(
                !w.zh.is_empty() && !w.en.is_empty(),
                "{} lacks words",
                w.code
            );
            let (family, verb) = w.code.split_once('.').expect("family.verb");
            for part in [family, verb] {
                assert!(
                    !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                    "{:?} is not an action code",
                    w.code
                );
            }
        }
    }

    #[test]
    fn every_code_has_words_in_both_languages_once() {
        check("triggers", TRIGGERS);
        check("ledger codes", LEDGER_CODES);
        check("order states", ORDER_STATES);
        check("coupon statuses", COUPON_STATUSES);
        check("item statuses", ITEM_STATUSES);
        check("rule statuses", RULE_STATUSES);
        check("history line states", LINE_STATES);
        check("lot statuses", LOT_STATUSES);
        check("member statuses", MEMBER_STATUSES);
        check("staff roles", STAFF_ROLES);
        check_shaped("carriers", CARRIERS, |c| c.is_ascii_uppercase());
        check("custom", &[CUSTOM_TRIGGER.word, PAID_NOT_SHIPPED][..]);
        check("dry run notes", DRY_RUN_NOTES);
        check("refusals", REFUSALS);
        check("shipping refusals", SHIP_REFUSALS);
        check_actions(AUDIT_ACTIONS);
    }

    #[test]
    fn every_event_type_has_an_icon_and_an_award_line() {
        for t in TRIGGERS {
            assert!(t.icon.starts_with('<'), "{} has no icon", t.word.code);
            if t.word.code != "purchase" {
                assert!(
                    find(LEDGER_CODES, t.word.code).is_some(),
                    "an award for {} has no history words",
                    t.word.code
                );
            }
        }
    }

    #[test]
    fn custom_and_unknown_codes_read_sensibly() {
        assert_eq!(trigger_text("custom:quiz", false), "自定义：quiz");
        assert_eq!(ledger_text("custom:quiz", true), "Custom: quiz");
        assert_eq!(ledger_flow("custom:quiz"), Flow::Issued);
        assert_eq!(trigger_icon("custom:quiz"), CUSTOM_TRIGGER.icon);
        assert_eq!(trigger_text("follow", false), "关注");
        assert_eq!(ledger_text("browse", false), "浏览奖励");
        assert_eq!(ledger_flow("reservation"), Flow::Internal);
        assert_eq!(text(ORDER_STATES, "no_such_state", true), "no_such_state");
    }
}
