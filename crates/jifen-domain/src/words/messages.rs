//! The longer vocabularies: what refusals say, and what the audit log's actions read as.

use super::Word;

/// A table of words, one `code, zh, en;` per line.
macro_rules! plain_words {
    ($($code:literal, $zh:literal, $en:literal;)*) => {
        &[$(Word { code: $code, zh: $zh, en: $en },)*]
    };
}

/// What a refusal says to people, by its code (the API's error codes for conflicts and ledger
/// refusals); `{name}` is filled from the refusal's details.
pub const REFUSALS: &[Word] = plain_words![
    "already_answered", "这条申诉已经处理过了", "This appeal was already answered";
    "already_decided", "这项申请已经处理过了", "This request was already decided";
    "already_signed_in", "这一天已经签到过了", "Already signed in that day";
    "already_voted", "你已经投过票了", "You already voted for this item";
    "coupon_already_redeemed", "这张券已经用过了", "The coupon was already used";
    "coupon_limit_reached", "这种券每人可领的张数已满", "The member already holds the most of this coupon one member may";
    "coupon_not_redeemed_on_order", "这张券没有用在这笔订单上", "The coupon was not used on this order";
    "coupon_out_of_stock", "这种券已经发完了", "This coupon has run out";
    "coupon_template_archived", "这种券已停止发放", "This coupon is no longer issued";
    "coupon_template_exists", "已有同样编码的券模板", "A coupon template with this code exists";
    "coupon_used", "这笔订单的券已使用，请不含券退积分", "The order's coupon was used; refund the points without it";
    "coupon_window_over", "这种券的使用期已过", "This coupon's period of use is over";
    "deduction_not_allowed", "这笔订单可抵扣的积分不够这么多", "This order may not use that many points";
    "draw_limit_reached", "今天的抽奖次数已用完", "No draws left today";
    "event_exists", "这个事件已经记录过了", "This event was already recorded";
    "forbidden", "你的角色不能做这件事", "Your role may not do this";
    "hold_decided", "这条风控记录已经处理过了", "This risk hold was already decided";
    "identity_taken", "这个账号已属于另一位会员", "This identity belongs to another member";
    "key_revoked", "这个密钥已经吊销", "The key is revoked already";
    "last_identity", "这是会员唯一的账号标识，请先添加另一个", "This is the member's only identity; add another first";
    "limit_reached", "每人限兑数量已满", "The most one member may redeem of this item is reached";
    "login_taken", "这个登录名已被使用", "This login is taken";
    "lottery_ended", "这个抽奖已经结束", "This lottery has ended";
    "lottery_exists", "已有同样编码的抽奖", "A lottery with this code exists";
    "lottery_not_open", "这个抽奖还未开始", "This lottery is not open";
    "makeup_not_allowed", "本计划不支持补签", "This programme has no make-up sign-ins";
    "makeup_too_old", "补签只能补最近几天", "A make-up sign-in cannot reach that far back";
    "member_erased", "该会员已按本人要求注销，账户已关闭", "The member's data was erased at their request; the account is closed";
    "member_frozen", "该会员已冻结，解冻前不能消费或转赠", "The member is frozen: no spending or transfers until unfrozen";
    "member_merged", "该会员已合并到另一账户", "The member was merged into another account";
    "no_draws_left", "这个抽奖只能用赠送的次数参与", "This lottery is entered with granted draws only";
    "not_on_sale", "这件商品不在售", "This item is not on sale";
    "not_sealed_yet", "这笔记录稍后才会上链，请一分钟后再查", "The line is sealed by the next jobs run; ask again in a minute";
    "open_orders", "该会员还有进行中的订单，请先完成或取消", "The member has orders under way; deliver or cancel them first";
    "open_reservations", "该会员还有未结算的积分冻结，请先结算或释放", "The member has open reservations; post or void them first";
    "order_exists", "这笔订单已经记录过了", "This order was already recorded";
    "order_fully_refunded", "这笔订单已全额退款", "The order is already fully refunded";
    "order_state", "订单当前的状态不能这样操作", "The order's state does not allow this now";
    "own_account", "不能停用自己的账号", "You cannot disable your own account";
    "payment_too_late", "支付时间已过，订单正在取消", "The payment window has passed; the order is being released";
    "program_exists", "已有同样编码的会员计划", "A programme with this code exists";
    "refund_exceeds_order", "退款金额超过订单可退金额", "The refund is more than the order has left to refund";
    "reservation_not_open", "这笔冻结已经结算", "This reservation is settled already";
    "reservation_owned", "这笔冻结属于一笔订单，请通过订单取消或退款", "This reservation belongs to an order; cancel or refund the order";
    "reservation_not_owned", "这笔冻结须通过冻结接口结算", "This reservation is settled through the reservation API";
    "reservation_not_posted", "这笔冻结还未扣除，请改为释放", "This reservation is not posted; void it instead";
    "rule_archived", "这条规则已归档", "This rule is archived";
    "rule_status", "规则当前的状态不能这样操作", "The rule's status does not allow this";
    "same_person", "需要另一位同事审批这笔调整", "A second person must approve this adjustment";
    "self_referral", "会员不能邀请自己", "A member cannot refer itself";
    "sold_out", "已兑完", "Sold out";
    "spend_fully_refunded", "这笔消费已全部退回", "This spend is already fully refunded";
    "stock_below_zero", "库存不够减", "Not that much in stock to remove";
    "too_many_active_rules", "生效中的规则已达上限，请先暂停或归档一条", "Too many active rules; pause or archive one first";
    "too_many_backtests", "回测进行中，请等一个完成后再试", "Backtests are running; wait for one to finish";
    "too_many_keys", "密钥数量已达上限，请先吊销一个", "Too many keys; revoke one first";
    "transfer_limit", "超过转赠限额", "Over the transfer limit";
    "transfer_not_allowed", "当前等级不能转赠积分", "Members at this tier may not transfer points";
    "transfer_risk", "风控拒绝了这次转赠", "Refused by the programme's risk checks";
    "voting_closed", "投票已结束", "Voting on this item has closed";
    "wrong_login", "账号或密码错误", "The login or the password is wrong";
    "insufficient_points", "积分不足：可用 {available}，需要 {requested}", "Not enough points: {available} available, {requested} needed";
    "refund_exceeds_spend", "退回的积分超过这笔消费可退的数量", "More than this spend can give back";
    "invalid_amount", "积分数量不对", "The amount is not valid";
    "same_member", "不能转给自己", "A member cannot transfer points to themselves";
    "invalid_policy", "积分规则设置有误", "The ledger policy is not valid";
    "idempotency_mismatch", "这个请求键已用于另一请求", "This request key was used for a different request";
];

/// Why a line of a shipping batch did not ship (`jifen_app::mall::ShipLineResult::refusal`);
/// `{line}` is the line that names the same order first.
pub const SHIP_REFUSALS: &[Word] = plain_words![
    "bad_line", "这一行应有订单号、快递公司、运单号三栏", "A line has three fields: order, carrier, tracking number";
    "order_missing", "没有填写订单号", "No order number";
    "unknown_order", "找不到这笔订单", "No such order";
    "unknown_carrier", "快递公司不在列表中", "The carrier is not on the list";
    "tracking_missing", "没有填写运单号", "No tracking number";
    "tracking_invalid", "运单号格式不对（不能有空格，最多 128 个字符）", "The tracking number is not valid (no spaces, at most 128 characters)";
    "duplicate_line", "与第 {line} 行是同一笔订单，未重复发货", "Same order as line {line}; not shipped twice";
    "not_shippable", "订单不是待发货状态", "The order is not waiting to ship";
    "not_physical", "这笔订单的商品无需发货", "The order's item does not ship";
    "shipped_other", "订单已用另一个运单号发货", "The order already shipped with another tracking number";
    "failed", "这一行没能保存，请再试一次", "This line could not be saved; please try again";
];

/// What the audit log's actions read as (`jifen_app` writes them; a test checks each has words).
pub const AUDIT_ACTIONS: &[Word] = plain_words![
    "rule.create", "新建规则", "Rule created";
    "rule.update", "修改规则", "Rule changed";
    "rule.activate", "启用规则", "Rule activated";
    "rule.pause", "暂停规则", "Rule paused";
    "rule.archive", "归档规则", "Rule archived";
    "earn_settings.put", "修改积分设置", "Earning settings changed";
    "tiers.put", "修改等级体系", "Tier ladder changed";
    "coupon_template.create", "新建券模板", "Coupon template created";
    "coupon_template.active", "启用券模板", "Coupon template activated";
    "coupon_template.archived", "停用券模板", "Coupon template archived";
    "lottery.create", "新建抽奖", "Lottery created";
    "mall_item.create", "新建商品", "Item created";
    "mall_item.update", "修改商品", "Item changed";
    "mall_item.draft", "商品转为草稿", "Item set to draft";
    "mall_item.on_sale", "商品上架", "Item put on sale";
    "mall_item.off_sale", "商品下架", "Item taken off sale";
    "mall_sku.stock", "调整库存", "Stock adjusted";
    "mall_sku.arrival", "预售到货", "Presale stock arrived";
    "mall_order.pay", "订单付款", "Order paid";
    "mall_order.cancel", "取消订单", "Order cancelled";
    "mall_order.ship", "订单发货", "Order shipped";
    "mall_order.deliver", "订单完成", "Order delivered";
    "mall_order.refund", "订单退款", "Order refunded";
    "mall_order.timeout", "订单超时", "Order timed out";
    "mall_payment.update", "修改支付设置", "Payment settings changed";
    "mall_categories.update", "修改商品分类", "Categories changed";
    "point_value.update", "修改积分价值", "Value of points changed";
    "member.transfer", "积分转赠", "Points transferred";
    "member.merge", "合并会员", "Members merged";
    "member.erased", "注销会员数据", "Member's data erased";
    "member.exported", "导出会员数据", "Member's data exported";
    "member.identity_unbound", "解绑账号", "Identity unbound";
    "member.phone_revealed", "查看完整手机号", "Phone number revealed";
    "member.profile", "修改会员资料", "Member's profile changed";
    "member.frozen", "冻结会员", "Member frozen";
    "member.unfrozen", "解冻会员", "Member unfrozen";
    "points.adjust", "调整积分", "Points adjusted";
    "points.adjust_requested", "申请调整积分", "Adjustment requested";
    "points.adjust_rejected", "驳回调整", "Adjustment rejected";
    "risk_hold.release", "风控放行", "Risk hold released";
    "risk_hold.reject", "风控驳回", "Risk hold rejected";
    "appeal.resolved", "处理申诉", "Appeal resolved";
    "appeal.rejected", "驳回申诉", "Appeal rejected";
    "program.update", "修改计划设置", "Programme settings changed";
    "centre_settings.update", "修改会员中心设置", "Centre settings changed";
    "centre.links_revoked", "作废会员中心链接", "Centre links revoked";
    "export.members", "导出会员", "Members exported";
    "export.ledger", "导出积分流水", "Ledger exported";
    "export.orders", "导出订单", "Orders exported";
    "webhook.create", "新建推送地址", "Webhook created";
    "webhook.enable", "启用推送地址", "Webhook enabled";
    "webhook.disable", "停用推送地址", "Webhook disabled";
    "api_key.create", "新建接口密钥", "API key created";
    "api_key.revoke", "吊销接口密钥", "API key revoked";
    "staff.create", "新建员工", "Staff added";
    "staff.disable", "停用员工", "Staff disabled";
    "staff.enable", "启用员工", "Staff enabled";
    "staff.password_reset", "重置密码", "Password reset";
    "staff.reset_password", "修改密码", "Password changed";
    "staff.sign_in", "登录", "Signed in";
    "staff.sign_in_failed", "登录失败", "Sign-in failed";
];
