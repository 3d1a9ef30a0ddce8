//! Every page and form, as an owner and as a member, with missing, malformed and hostile
//! parameters: the answer is a page or a 4xx, never a 5xx, and nothing is written by a refused
//! form (the ledger still verifies and the member's balance is unchanged).

mod common;

use common::start;

/// Path segments and query values that are not what a route expects.
const BAD_IDS: [&str; 7] = [
    "0",
    "-1",
    "abc",
    "99999999",
    "1.5",
    "%00",
    "9223372036854775808",
];
const BAD_VALUES: [&str; 6] = [
    "",
    "-5",
    "x",
    "%3Cscript%3E",
    "99999999999999999999",
    "2026-13-45",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_page_or_form_answers_5xx_on_malformed_input() {
    let s = start().await;
    let (cookie, csrf) = s.session("amy").await;
    let link = s
        .app
        .write_view(s.pid, "centre", None, |tx, ctx, now| {
            jifen_app::centre::link(tx, ctx, now, jifen_ledger::MemberId(1))
        })
        .await
        .unwrap()
        .view
        .path;

    let mut gets: Vec<String> = Vec::new();
    for id in BAD_IDS {
        for p in [
            "/console/members/{}",
            "/console/rules/{}",
            "/console/backtests/{}",
            "/console/mall/items/{}",
            "/console/orders/{}",
            "{link}/mall/{}",
            "{link}/orders/{}",
            "{link}/lottery/{}",
            "{link}/mall/{}/confirm?sku=X&qty=1",
        ] {
            gets.push(p.replace("{link}", &link).replace("{}", id));
        }
    }
    for v in BAD_VALUES {
        for p in [
            "/console?lang={}",
            "/console/members?q={}&before={}",
            "/console/rules?status={}",
            "/console/mall?status={}&after={}",
            "/console/mall/categories?done={}",
            "/console/orders?state={}&before={}",
            "/console/audit?actor={}&action={}&before={}",
            "/console/approvals?done={}",
            "/console/exports/ledger.csv?from={}&to={}",
            "/console/exports/orders.csv?from={}",
            "{link}?lang={}&done={}",
            "{link}/mall?category={}",
            "{link}/mall/1/confirm?sku={}&qty={}",
            "{link}/appeal?subject={}&id={}",
        ] {
            gets.push(p.replace("{link}", &link).replace("{}", v));
        }
    }
    let mut seen = std::collections::BTreeMap::<u16, usize>::new();
    for path in &gets {
        let (st, body, _) = s.get(path, &cookie).await;
        assert!(st.as_u16() < 500, "GET {path}: {st} {body}");
        *seen.entry(st.as_u16()).or_default() += 1;
    }

    // Forms: empty, with malformed fields, and with a wrong CSRF token.
    let posts = [
        "/console/members/1/adjust",
        "/console/members/1/transfer",
        "/console/members/1/merge",
        "/console/members/abc/adjust",
        "/console/approvals/1/approve",
        "/console/approvals/x/explode",
        "/console/appeals/1",
        "/console/appeals/x",
        "/console/risk-holds/1/release",
        "/console/risk-holds/x/y",
        "/console/rules/new",
        "/console/rules/1",
        "/console/rules/1/status/activate",
        "/console/rules/1/dry-run",
        "/console/rules/1/backtest",
        "/console/mall/categories",
        "/console/mall/items/new",
        "/console/mall/items/1",
        "/console/mall/items/1/status/on_sale",
        "/console/mall/skus/NOPE/stock",
        "/console/mall/skus/NOPE/arrival",
        "/console/orders/1/ship",
        "/console/orders/x/refund",
        "/console/tiers",
        "/console/coupon-templates",
        "/console/coupon-templates/new",
        "/console/lotteries",
        "/console/settings/program",
        "/console/settings/centre",
        "/console/settings/payment",
        "/console/settings/keys",
        "/console/settings/keys/x/revoke",
        "/console/settings/webhooks",
        "/console/settings/webhooks/x/disable",
        "/console/staff",
        "/console/staff/x/reset",
    ];
    let centre_posts = [
        format!("{link}/sign-in"),
        format!("{link}/appeal"),
        format!("{link}/mall/1/redeem"),
        format!("{link}/mall/abc/redeem"),
        format!("{link}/lottery/none/draw"),
        format!("{link}/orders/1/cancel"),
        format!("{link}/orders/x/cancel"),
    ];
    let all: Vec<String> = posts
        .iter()
        .map(|p| p.to_string())
        .chain(centre_posts)
        .collect();
    let forms: [Vec<(&str, &str)>; 4] = [
        vec![],
        vec![("csrf", csrf.as_str())],
        vec![
            ("csrf", csrf.as_str()),
            ("delta", "x"),
            ("amount", "-99999999999999999999"),
            ("to", "%%%"),
            ("points", "order.amount /"),
            ("definition", "{\"nope\": "),
            ("name", "<script>alert(1)</script>"),
            ("from", "2026-99-99"),
            ("to", "yesterday"),
            ("qty", "-3"),
            ("sku", ""),
            ("form_key", "short"),
            ("url", "ftp://x"),
            ("role", "emperor"),
            ("login", ""),
            ("decision", "maybe"),
            ("time_zone", "Mars/Olympus"),
            ("pos_0", "99999999999999999999"),
            ("code_0", "<script>"),
            ("name_zh_99999999999999999999", "x"),
            ("remove_", "1"),
        ],
        vec![("csrf", "stale"), ("delta", "5"), ("reason", "r")],
    ];
    for path in &all {
        for form in &forms {
            let (st, body, _) = s.post_form(path, &cookie, form).await;
            assert!(st.as_u16() < 500, "POST {path} {form:?}: {st} {body}");
            *seen.entry(st.as_u16()).or_default() += 1;
        }
    }

    // The requests reached the pages (signed in, routed), not a blanket redirect.
    for code in [200, 403, 404, 422] {
        assert!(
            seen.get(&code).copied().unwrap_or(0) > 0,
            "no {code} among {seen:?}"
        );
    }

    // None of it moved a point: the member still has what the setup gave, and the books balance.
    assert_eq!(s.available().await, 12_345);
    let app = s.app.clone();
    let pid = s.pid;
    let drift = tokio::task::spawn_blocking(move || app.verify(pid))
        .await
        .unwrap()
        .unwrap();
    assert!(drift.is_empty(), "{drift:?}");
}
