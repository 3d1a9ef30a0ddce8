//! The rule pages over real HTTP: create a rule through the form (errors next to the field,
//! what was typed kept, a double submit creating one rule), edit it into a new version,
//! activate it, dry-run an event, run a backtest, and the roles that may not edit.

mod common;

use common::{error_after, hidden, location, start};
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_creates_edits_activates_and_tries_a_rule() {
    let s = start().await;
    let (cookie, csrf) = s.session("amy").await;
    let (st, html, _) = s.get("/console/rules/new", &cookie).await;
    assert_eq!(st, StatusCode::OK);
    let key = hidden(&html, "form_key");
    assert!(!key.is_empty());

    // A formula that does not compile is named next to the points field; nothing is saved.
    let bad = [
        ("csrf", csrf.as_str()),
        ("form_key", key.as_str()),
        ("name", "周末双倍"),
        ("trigger", "purchase"),
        ("points", "order.amount / "),
        ("days_of_week", "6, 7"),
    ];
    let (st, html, _) = s.post_form("/console/rules/new", &cookie, &bad).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_after(&html, "points").is_some(), "{html}");
    assert!(
        html.contains("value=\"周末双倍\""),
        "the name typed is kept"
    );
    assert!(html.contains("value=\"6, 7\""), "the days typed are kept");
    let (_, list, _) = s.get("/console/rules", &cookie).await;
    assert!(!list.contains("周末双倍"), "a refused form saves nothing");

    // A malformed number is refused by the page before any use case runs.
    let mut bad_cap = bad.to_vec();
    bad_cap[4] = ("points", "order.amount / 100");
    bad_cap.push(("cap_points", "lots"));
    bad_cap.push(("cap_period", "day"));
    let (st, html, _) = s.post_form("/console/rules/new", &cookie, &bad_cap).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_after(&html, "cap_points").is_some(), "{html}");

    // An end before the start is the use case's refusal, shown next to the end.
    let mut bad_end = bad.to_vec();
    bad_end[4] = ("points", "order.amount / 100");
    bad_end.push(("starts_at", "2026-12-10"));
    bad_end.push(("ends_at", "2026-12-01"));
    let (st, html, _) = s.post_form("/console/rules/new", &cookie, &bad_end).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_after(&html, "ends_at").is_some(), "{html}");

    // A good form creates the rule; sending it again with the same key creates no second one.
    let good = [
        ("csrf", csrf.as_str()),
        ("form_key", key.as_str()),
        ("name", "周末双倍"),
        ("trigger", "purchase"),
        ("points", "order.amount / 100"),
        ("cap_period", "day"),
        ("cap_points", "1,000"),
    ];
    let (st, _, h) = s.post_form("/console/rules/new", &cookie, &good).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let rule_page = location(&h);
    let path = rule_page.split('?').next().unwrap().to_string();
    let (st, _, h2) = s.post_form("/console/rules/new", &cookie, &good).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(
        location(&h2),
        rule_page,
        "the repeat answers with the same rule"
    );
    let ctx = s.app.program_ctx(s.pid).await.unwrap();
    let rules = s
        .app
        .read(move |tx| jifen_app::earn::list_rules(tx, &ctx, None))
        .await
        .unwrap();
    let all = &rules.rules;
    assert_eq!(all.len(), 1, "{rules:?}");
    assert_eq!(all[0].status, "draft");
    assert_eq!(all[0].definition.caps[0].max_points, Some(1000));

    let (st, html, _) = s.get(&rule_page, &cookie).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("已保存") && html.contains("草稿"), "{html}");

    // Edit: a new version, the audit log has both.
    let edit = [
        ("csrf", csrf.as_str()),
        ("name", "周末双倍积分"),
        ("trigger", "purchase"),
        ("points", "order.amount / 50"),
        ("cap_period", "day"),
        ("cap_points", "1000"),
    ];
    let (st, _, _) = s.post_form(&path, &cookie, &edit).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (_, html, _) = s.get(&path, &cookie).await;
    assert!(
        html.contains("v2") && html.contains("order.amount / 50"),
        "{html}"
    );
    // A stale form token changes nothing.
    let mut stale = edit.to_vec();
    stale[0] = ("csrf", "nope");
    stale[1] = ("name", "hijacked");
    let (st, _, _) = s.post_form(&path, &cookie, &stale).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (_, html, _) = s.get(&path, &cookie).await;
    assert!(!html.contains("hijacked"));

    // Activate.
    let (st, _, _) = s
        .post_form(
            &format!("{path}/status/activate"),
            &cookie,
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (_, html, _) = s.get(&path, &cookie).await;
    assert!(html.contains("生效中"), "{html}");
    // Activating twice is refused with the reason on the page, not a 500.
    let (st, html, _) = s
        .post_form(
            &format!("{path}/status/activate"),
            &cookie,
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert!(html.contains("active"), "{html}");

    // Dry run: 300 yuan at 1 point per 0.5 yuan is 600 rule points; nothing is written.
    let (st, html, _) = s
        .post_form(
            &format!("{path}/dry-run"),
            &cookie,
            &[
                ("csrf", &csrf),
                ("member", "13800138000"),
                ("amount", "300"),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{html}");
    assert!(
        html.contains("id=\"dry-result\"") && html.contains("+600"),
        "{html}"
    );
    let (_, html, _) = s
        .post_form(
            &format!("{path}/dry-run"),
            &cookie,
            &[("csrf", &csrf), ("member", "999999"), ("amount", "3")],
        )
        .await;
    assert!(error_after(&html, "dry_member").is_some(), "{html}");
    let (st, html, _) = s
        .post_form(
            &format!("{path}/dry-run"),
            &cookie,
            &[("csrf", &csrf), ("member", "1"), ("amount", "abc")],
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_after(&html, "dry_amount").is_some(), "{html}");
    let (ctx, now) = (s.app.program_ctx(s.pid).await.unwrap(), s.app.now());
    let b = s
        .app
        .read(move |tx| {
            jifen_app::views::balance(
                tx,
                &ctx,
                jifen_ledger::MemberId(1),
                jifen_ledger::PointType::Points,
                now,
                30,
            )
        })
        .await
        .unwrap();
    assert_eq!(b.available, 12_345, "a dry run writes nothing");

    // Backtest: a bad range is named; a good one replays the stored purchase.
    let p = jifen_app::commands::Purchase {
        order_id: "O-1".into(),
        member: jifen_app::commands::MemberRef::Id { member_id: 1 },
        amount_minor: 30_000,
        currency: "CNY".into(),
        lines: Vec::new(),
        occurred_at: None,
        shipping_minor: None,
        channel: None,
        tags: Vec::new(),
    };
    s.app
        .write_view(s.pid, "m:1", None, move |tx, ctx, now| {
            jifen_app::commands::purchase(tx, ctx, now, &p)
        })
        .await
        .unwrap();
    let (st, html, _) = s
        .post_form(
            &format!("{path}/backtest"),
            &cookie,
            &[
                ("csrf", &csrf),
                ("from", "2026-12-10"),
                ("to", "2026-12-01"),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_after(&html, "bt_to").is_some(), "{html}");
    let (st, _, h) = s
        .post_form(
            &format!("{path}/backtest"),
            &cookie,
            &[
                ("csrf", &csrf),
                ("from", "2025-12-01"),
                ("to", "2026-01-31"),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let bt = location(&h);
    assert!(bt.starts_with("/console/backtests/bt_"), "{bt}");
    let mut done = String::new();
    for _ in 0..100 {
        let (st, html, _) = s.get(&bt, &cookie).await;
        assert_eq!(st, StatusCode::OK);
        if !html.contains("http-equiv=\"refresh\"") {
            done = html;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        done.contains("重放事件") && done.contains("周末双倍积分"),
        "{done}"
    );
    // The rule is active, so the purchase was paid its 600 already: no change.
    assert!(
        done.contains("<td class=\"num\">600</td>") && done.contains("value pos\">0<"),
        "{done}"
    );
    let (st, _, _) = s.get("/console/backtests/bt_nope", &cookie).await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // The audit log names who did what.
    let entries = s
        .app
        .read(|tx| Ok(tx.audit_entries(jifen_ledger::ProgramId(1), None, None, i64::MAX, 50)?))
        .await
        .unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    for a in ["rule.create", "rule.update", "rule.activate"] {
        assert!(actions.contains(&a), "{actions:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_service_reads_rules_but_cannot_change_them() {
    let s = start().await;
    let (cookie, csrf) = s.session("sam").await;
    let (st, html, _) = s.get("/console/rules", &cookie).await;
    assert_eq!(st, StatusCode::OK);
    assert!(!html.contains("/console/rules/new"), "no create button");
    let (st, _, _) = s.get("/console/rules/new", &cookie).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, _) = s
        .post_form(
            "/console/rules/new",
            &cookie,
            &[
                ("csrf", &csrf),
                ("name", "x"),
                ("trigger", "purchase"),
                ("points", "1"),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // Malformed ids and actions are 404 pages, never a 500.
    for path in [
        "/console/rules/abc",
        "/console/rules/0",
        "/console/rules/99999",
        "/console/rules/-1",
    ] {
        let (st, _, _) = s.get(path, &cookie).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{path}");
    }
    let (st, _, _) = s
        .post_form(
            "/console/rules/1/status/explode",
            &cookie,
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _, _) = s.get("/console/rules?status=nonsense", &cookie).await;
    assert_eq!(st, StatusCode::OK);
}
