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
    assert_eq!(s.available().await, 12_345, "a dry run writes nothing");

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

/// The dry run's panel: from its box to the next box of the page.
fn dry_panel(html: &str) -> &str {
    let form = html.find("/dry-run\"").expect("a dry-run form");
    let at = html[..form]
        .rfind("<div class=\"panel\">")
        .expect("in a panel");
    let rest = &html[at..];
    let end = rest[1..]
        .find("<div class=\"panel\">")
        .map_or(rest.len(), |e| e + 1);
    &rest[..end]
}

/// What a page shows a person, without its tags (and so without attribute values).
fn words_of(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// A dry run evaluates, it does not refuse: for a member who signed in today, the sign-in rule's
/// dry run shows what that day's sign-in pays and says, in the page's language, that a real
/// sign-in would be refused; the form keeps what was typed. Other refusals of the dry run show
/// next to the form in the page's language.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_of_the_sign_in_rule_after_signing_in_shows_what_it_pays() {
    let s = start().await;
    let (cookie, csrf) = s.session("amy").await;
    // Ten points per sign-in the member has made, this one included.
    let rule = s
        .rule(
            serde_json::json!({"name": "每日签到", "trigger": "sign_in", "points": "streak.total * 10"}),
            "active",
        )
        .await;
    let path = format!("/console/rules/{rule}/dry-run");
    let form = [
        ("csrf", csrf.as_str()),
        ("member", "13800138000"),
        ("channel", "app"),
    ];
    // Before signing in: the first sign-in pays 10, with no note.
    let (st, html, _) = s.post_form(&path, &cookie, &form).await;
    assert_eq!(st, StatusCode::OK, "{html}");
    assert!(
        html.contains("id=\"dry-result\"") && html.contains("+10"),
        "{html}"
    );
    assert!(!html.contains("class=\"dry-note\""), "{html}");

    let signed = s.event(serde_json::json!({"type": "sign_in"})).await;
    assert_eq!(signed.awarded.points, 10);
    let (st, html, _) = s.post_form(&path, &cookie, &form).await;
    assert_eq!(st, StatusCode::OK, "{html}");
    let panel = dry_panel(&html);
    assert!(panel.contains("id=\"dry-result\""), "{panel}");
    // Evaluated as today's sign-in (the first in all): 10 points, not 20.
    assert!(panel.contains("+10"), "{panel}");
    assert!(panel.contains("class=\"dry-note\""), "{panel}");
    assert!(
        panel.contains("已签到") && panel.contains("会被拒绝"),
        "{panel}"
    );
    let words = words_of(panel);
    assert!(
        !words.contains("already") && !words.contains("already_signed_in"),
        "no English or codes on the Chinese page: {words}"
    );
    assert!(
        panel.contains("value=\"13800138000\""),
        "the member typed is kept"
    );
    assert!(panel.contains("value=\"app\""), "the channel typed is kept");
    // In English, the same in English.
    let (st, html, _) = s
        .post_form(&format!("{path}?lang=en"), &cookie, &form)
        .await;
    assert_eq!(st, StatusCode::OK, "{html}");
    let panel = dry_panel(&html);
    assert!(
        panel.contains("+10") && panel.contains("already signed in") && panel.contains("refused"),
        "{panel}"
    );
    assert!(!words_of(panel).contains("已签到"), "{panel}");

    // An attribute the use case refuses: next to the attributes, in Chinese, the form kept.
    let bad = [
        ("csrf", csrf.as_str()),
        ("member", "13800138000"),
        ("attributes", "photos=9999999999999"),
    ];
    let (st, html, _) = s.post_form(&path, &cookie, &bad).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    let e = error_after(&html, "dry_attributes").unwrap_or_else(|| panic!("{html}"));
    assert!(
        !e.chars().any(|c| c.is_ascii_alphabetic()),
        "the error is in Chinese: {e}"
    );
    assert!(html.contains("value=\"photos=9999999999999\""), "{html}");
    // A birthday rule is paid by the daily job: its dry run says why on the form, in Chinese.
    let birthday = s
        .rule(
            serde_json::json!({"name": "生日礼", "trigger": "birthday", "points": "100"}),
            "active",
        )
        .await;
    let (st, html, _) = s
        .post_form(
            &format!("/console/rules/{birthday}/dry-run"),
            &cookie,
            &form,
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    let panel = dry_panel(&html);
    assert!(panel.contains("field-error"), "{panel}");
    assert!(
        !words_of(panel).contains("daily job"),
        "no English on the Chinese page: {panel}"
    );
    assert!(panel.contains("value=\"13800138000\""), "{panel}");
    // Nothing was written: one sign-in, 10 points.
    assert_eq!(s.available().await, 12_355, "a dry run writes nothing");
}

/// Where a task's 去完成 button goes is set on the rule form: a bad link is named next to its
/// field in the page's language with what was typed kept; a good one is saved and shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_link_is_set_in_the_rule_form_and_checked_next_to_its_field() {
    let s = start().await;
    let (cookie, csrf) = s.session("amy").await;
    let (_, html, _) = s.get("/console/rules/new", &cookie).await;
    assert!(
        html.contains("id=\"task_url\""),
        "the form has the link: {html}"
    );
    let key = hidden(&html, "form_key");
    let form = |url: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("form_key", key.clone()),
            ("name", "晒单评价".to_string()),
            ("trigger", "review".to_string()),
            ("points", "20".to_string()),
            ("task_url", url.to_string()),
        ]
    };
    for (url, lang) in [
        ("ftp://shop.example/review", "zh"),
        ("//evil.example", "en"),
    ] {
        let f = form(url);
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (st, html, _) = s
            .post_form(&format!("/console/rules/new?lang={lang}"), &cookie, &f)
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
        let e = error_after(&html, "task_url").unwrap_or_else(|| panic!("{html}"));
        if lang == "zh" {
            assert!(e.contains("链接") && !e.contains("must"), "{e}");
        } else {
            assert!(e.contains("https://") && e.contains("link"), "{e}");
        }
        assert!(
            html.contains(&format!("value=\"{url}\"")),
            "what was typed is kept"
        );
    }
    let f = form("https://shop.example/review?from=jifen");
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (st, _, h) = s.post_form("/console/rules/new", &cookie, &f).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let page = location(&h);
    let (_, html, _) = s.get(&page, &cookie).await;
    assert!(
        html.contains("value=\"https://shop.example/review?from=jifen\""),
        "{html}"
    );
    // A bad link on edit is named next to the field too, in the page's words.
    let path = page.split('?').next().unwrap().to_string();
    let bad_edit = [
        ("csrf", csrf.as_str()),
        ("name", "晒单评价"),
        ("trigger", "review"),
        ("points", "20"),
        ("task_url", "http://shop.example/review"),
    ];
    let (st, html, _) = s.post_form(&path, &cookie, &bad_edit).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    let e = error_after(&html, "task_url").unwrap_or_else(|| panic!("{html}"));
    assert!(e.contains("链接") && !e.contains("must"), "{e}");
    // Cleared on edit: the rule has no link.
    let edit = [
        ("csrf", csrf.as_str()),
        ("name", "晒单评价"),
        ("trigger", "review"),
        ("points", "20"),
        ("task_url", ""),
    ];
    let (st, _, _) = s.post_form(&path, &cookie, &edit).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let ctx = s.app.program_ctx(s.pid).await.unwrap();
    let id: i64 = path.rsplit('/').next().unwrap().parse().unwrap();
    let rule = s
        .app
        .read(move |tx| jifen_app::earn::get_rule(tx, &ctx, id))
        .await
        .unwrap();
    let def = serde_json::to_value(&rule.definition).unwrap();
    assert!(def.get("task_url").is_none_or(|u| u.is_null()), "{def}");
    assert_eq!(rule.version, 2);
}

/// The shape pickers write a purchase rule's condition and formula into the form without saving
/// it; a parameter that does not read is named next to it in the page's language; the saved
/// rule pays what the shape said, and its page shows the picker filled in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shape_picker_writes_the_condition_and_formula_and_saves_nothing() {
    let s = start().await;
    let (cookie, csrf) = s.session("amy").await;
    let (_, html, _) = s.get("/console/rules/new", &cookie).await;
    assert!(html.contains("id=\"shape_min_amount\""), "{html}");
    let key = hidden(&html, "form_key");
    let form = |extra: &[(&'static str, &'static str)]| {
        let mut f = vec![
            ("csrf", csrf.clone()),
            ("form_key", key.clone()),
            ("name", "满200送50".to_string()),
            ("trigger", "sign_in".to_string()),
            ("points", "".to_string()),
        ];
        f.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        f
    };
    let post = |f: Vec<(&'static str, String)>, lang: &'static str| {
        let s = &s;
        let cookie = cookie.clone();
        async move {
            let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            s.post_form(&format!("/console/rules/new?lang={lang}"), &cookie, &f)
                .await
        }
    };

    // Threshold: the trigger becomes purchase, the condition and points are written, the name
    // typed stays, and nothing is saved.
    let f = form(&[
        ("apply_shape", "threshold"),
        ("shape_min_amount", "200"),
        ("shape_points", "50"),
    ]);
    let (st, html, _) = post(f, "zh").await;
    assert_eq!(st, StatusCode::OK, "{html}");
    let html = plain(&html);
    assert!(html.contains("order.amount >= 20000</textarea>"), "{html}");
    assert!(
        html.contains("id=\"points\" name=\"points\" value=\"50\""),
        "{html}"
    );
    assert!(
        html.contains("<option value=\"purchase\" selected>"),
        "{html}"
    );
    assert!(html.contains("value=\"满200送50\""));
    assert!(html.contains("已写入触发事件、条件和积分公式"));
    let (_, list, _) = s.get("/console/rules", &cookie).await;
    assert!(!list.contains("满200送50"), "a picker saves nothing");

    // Bad parameters are named next to their field, in the page's words, keeping what was typed.
    for (extra, field, zh, en) in [
        (
            [("apply_shape", "multiplier"), ("shape_times", "1")].as_slice(),
            "shape_times",
            "倍数须大于 1",
            "above 1",
        ),
        (
            &[("apply_shape", "multiplier"), ("shape_times", "两倍")],
            "shape_times",
            "倍数如 2",
            "such as 2",
        ),
        (
            &[
                ("apply_shape", "category_bonus"),
                ("shape_category", "it's"),
                ("shape_per_amount", "10"),
                ("shape_bonus_points", "5"),
            ],
            "shape_category",
            "分类编码",
            "category code",
        ),
        (
            &[
                ("apply_shape", "threshold"),
                ("shape_min_amount", "-5"),
                ("shape_points", "50"),
            ],
            "shape_min_amount",
            "金额",
            "amount in yuan",
        ),
    ] {
        for (lang, words) in [("zh", zh), ("en", en)] {
            let (st, html, _) = post(form(extra), lang).await;
            assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
            let e = error_after(&html, field).unwrap_or_else(|| panic!("{field}: {html}"));
            assert!(e.contains(words), "{lang} {field}: {e}");
            let typed = extra.iter().find(|(k, _)| *k == field).unwrap().1;
            assert!(
                plain(&html).contains(&format!("value=\"{typed}\"")),
                "{typed}: {html}"
            );
        }
    }

    // Category bonus, then saved as filled in: the rule pays 5 per full ¥10 of coffee.
    let f = form(&[
        ("apply_shape", "category_bonus"),
        ("shape_category", "coffee"),
        ("shape_per_amount", "10"),
        ("shape_bonus_points", "5"),
    ]);
    let (st, html, _) = post(f, "zh").await;
    assert_eq!(st, StatusCode::OK, "{html}");
    let condition = "order.category_amount['coffee'] >= 1000";
    let points = "order.category_amount['coffee'] / 1000 * 5";
    assert!(plain(&html).contains(condition), "{html}");
    let mut save = form(&[]);
    save.retain(|(k, _)| !matches!(*k, "trigger" | "points"));
    save.push(("trigger", "purchase".into()));
    save.push(("condition", condition.into()));
    save.push(("points", points.into()));
    save.push(("activate", "1".into()));
    let (st, _, h) = post(save, "zh").await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let page = location(&h);
    let (_, html, _) = s.get(&page, &cookie).await;
    assert!(html.contains("<details class=\"shapes\" open>"), "{html}");
    assert!(html.contains("id=\"shape_category\" name=\"shape_category\" value=\"coffee\""));
    assert!(html.contains("id=\"shape_per_amount\" name=\"shape_per_amount\" value=\"10\""));

    // What the rule pays for a purchase with ¥35 of coffee: 3 full steps of ¥10.
    let ctx = s.app.program_ctx(s.pid).await.unwrap();
    let id: i64 = page
        .split('?')
        .next()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let rule = s
        .app
        .read(move |tx| jifen_app::earn::get_rule(tx, &ctx, id))
        .await
        .unwrap();
    assert_eq!(rule.definition.condition.as_deref(), Some(condition));
    assert_eq!(rule.definition.points, points);
    assert_eq!(rule.status, "active");
}

/// Page text with the escapes of quotes, angle brackets and ampersands read back.
fn plain(html: &str) -> String {
    html.replace("&#62;", ">")
        .replace("&gt;", ">")
        .replace("&#60;", "<")
        .replace("&lt;", "<")
        .replace("&#39;", "'")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// A formula or condition that does not compile is refused next to its field in the page's
/// language: 中文 on a 中文 page (where the problem is, what is wrong, what to use instead),
/// English on an English one; nothing is saved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expression_errors_read_in_the_pages_language() {
    let s = start().await;
    let (cookie, csrf) = s.session("amy").await;
    let (_, html, _) = s.get("/console/rules/new", &cookie).await;
    let key = hidden(&html, "form_key");
    for (field, points, condition, zh, en) in [
        (
            "points",
            "order.amount / ",
            "",
            "表达式不完整",
            "ends too early",
        ),
        (
            "points",
            "order.amont / 100",
            "",
            "没有变量 order.amont",
            "unknown variable",
        ),
        (
            "condition",
            "10",
            "order.amount",
            "需要是/否",
            "must be a bool",
        ),
        ("condition", "10", "1 = 1", "比较请用 ==", "use =="),
        ("points", "1 / 0", "", "除以零", "division by zero"),
    ] {
        for (lang, words) in [("zh", zh), ("en", en)] {
            let f = [
                ("csrf", csrf.as_str()),
                ("form_key", key.as_str()),
                ("name", "表达式"),
                ("trigger", "purchase"),
                ("points", points),
                ("condition", condition),
            ];
            let (st, html, _) = s
                .post_form(&format!("/console/rules/new?lang={lang}"), &cookie, &f)
                .await;
            assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
            let e = error_after(&html, field).unwrap_or_else(|| panic!("{field}: {html}"));
            let e = plain(&e);
            assert!(e.contains(words), "{lang} {points} {condition}: {e}");
            if lang == "zh" {
                assert!(!e.contains("unknown") && !e.contains("must"), "{e}");
            }
        }
    }
    let (_, list, _) = s.get("/console/rules", &cookie).await;
    assert!(!list.contains("表达式"), "nothing saved");
}
