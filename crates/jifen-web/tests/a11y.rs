//! Accessibility of every console and member-centre page, checked by axe-core (vendored in
//! `tests/support/`, see its README) in a real headless Chromium: the console in Chinese at
//! 1440×900 as an owner, the member centre at 375×812 with a phone's user agent. A page with a
//! critical or serious violation fails the test, which names the rule, its impact and the first
//! nodes; so do the lesser rules in `ALSO_REQUIRED`. On the member centre's pages the pictures
//! are checked too: given their size, copies sized for where they show. Screenshots of some of
//! the pages are kept under `target/screenshots/a11y-*`.

mod cdp;
mod common;

use jifen_app::App;
use jifen_ledger::MemberId;
use serde_json::{Value, json};

/// axe-core, injected into each page checked.
const AXE: &str = include_str!("support/axe.min.js");

/// Moderate and minor rules that still fail a page: every page has its main content marked, a
/// title heading and headings in order, landmarks told apart, and every column a heading.
const ALSO_REQUIRED: &[&str] = &[
    "landmark-one-main",
    "page-has-heading-one",
    "heading-order",
    "landmark-unique",
    "empty-table-header",
];

/// Runs axe-core on the page in `b` and returns, one line each, the violations that fail it:
/// rule id, impact, what the rule asks, and the first nodes with what is wrong there.
fn axe(b: &mut cdp::Browser, page: &str) -> Vec<String> {
    if b.eval("typeof axe === 'undefined'") == json!(true) {
        b.eval(&format!("{AXE}\n;true"));
    }
    let r = b.eval(
        "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 240)),
            count: v.nodes.length
        })))",
    );
    let mut out = Vec::new();
    for v in r.as_array().expect("axe answers a list") {
        let id = v["id"].as_str().unwrap_or_default();
        let impact = v["impact"].as_str().unwrap_or_default();
        if !(matches!(impact, "critical" | "serious") || ALSO_REQUIRED.contains(&id)) {
            eprintln!(
                "{page}: {id} ({impact}): {}",
                v["help"].as_str().unwrap_or_default()
            );
            continue;
        }
        let nodes: Vec<&str> = v["nodes"]
            .as_array()
            .map(|n| n.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        out.push(format!(
            "{page}: {id} ({impact}, {} nodes) {}\n      {}",
            v["count"],
            v["help"].as_str().unwrap_or_default(),
            nodes.join("\n      ")
        ));
    }
    out
}

/// Opens `url` and checks it, adding what fails to `failures`; keeps a screenshot named `shot`
/// when there is one.
fn visit(b: &mut cdp::Browser, base: &str, url: &str, shot: &str, failures: &mut Vec<String>) {
    b.goto(&format!("{base}{url}"));
    b.wait_until("[...document.images].every(i => i.complete)");
    b.wait_until(CHARTS_DRAWN);
    failures.extend(axe(b, url));
    if !shot.is_empty() {
        b.screenshot(&format!("a11y-{shot}"));
    }
}

/// A screenshot's name for the page at `url` in language `lang`: `tour-console-members-1-en`.
fn tour_name(url: &str, lang: &str) -> String {
    let path: String = url
        .split('?')
        .next()
        .unwrap()
        .trim_matches('/')
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("tour-{path}-{lang}")
}

/// Every chart of the page has been drawn by ECharts (true on a page without charts).
const CHARTS_DRAWN: &str = "[...document.querySelectorAll('.chart-box')].every(c => c.dataset.drawn === '1' && c.querySelector('svg'))";

/// The pictures of the page in `b`: where each comes from, how it loads, the size it is given, the
/// size it shows at and the size of what was served (0 while not loaded).
const PICTURES_JS: &str = "[...document.images].map(i => ({src: i.getAttribute('src'), lazy: i.loading === 'lazy',
    given: +i.getAttribute('width'), given_h: +i.getAttribute('height'), shown: Math.round(i.getBoundingClientRect().width),
    shown_h: Math.round(i.getBoundingClientRect().height), natural: i.naturalWidth}))";

/// Every picture of the page is given its size and shown square at no more than it; a copy
/// (`/thumb`, loaded lazily) is at most 480 px and still at least the size shown; the item's
/// own picture is the whole one (`whole` px wide), loaded at once.
fn pictures_fit(b: &mut cdp::Browser, page: &str, whole: i64) {
    let pictures = b.eval(PICTURES_JS);
    for p in pictures.as_array().unwrap() {
        let n = |k: &str| p[k].as_i64().unwrap_or(0);
        let at = format!("{page}: {p}");
        assert!(n("given") > 0 && n("given") == n("given_h"), "{at}");
        assert!(
            n("shown") <= n("given") && (n("shown") - n("shown_h")).abs() <= 1,
            "{at}"
        );
        if p["src"].as_str().unwrap().ends_with("/thumb") {
            assert_eq!(p["lazy"], true, "{at}");
            assert!(n("natural") <= 480, "{at}");
            assert!(n("natural") == 0 || n("natural") >= n("shown"), "{at}");
        } else {
            assert_eq!(
                (p["lazy"].clone(), n("natural")),
                (json!(false), whole),
                "{at}"
            );
        }
    }
}

/// What the pages show: an item with two pictures, a member's order, a coupon, a lottery, a
/// rule, an adjustment waiting for approval and an open appeal. The item's and the order's ids.
async fn furnish(s: &common::Site) -> (i64, i64, i64) {
    let (app, pid) = (&s.app, s.pid);
    let mut images = Vec::new();
    for (w, h) in [(1200, 1200), (900, 1200)] {
        images.push(s.upload_photo(w, h).await.image_id);
    }
    let item = s.create_item(json!({
            "name_zh": "双层真空保温杯 500ml", "name_en": "Vacuum flask 500 ml", "category": "home",
            "description_zh": "304不锈钢内胆，保温12小时。", "description_en": "Keeps drinks hot for 12 hours.",
            "kind": {"type": "physical"},
            "skus": [
                {"sku": "CUP-RED", "name": "砖红", "points": 1200, "stock": 36, "market_price_minor": 12900},
                {"sku": "CUP-BLK", "name": "曜黑", "points": 1200, "stock": 0}
            ],
            "images": images, "status": "on_sale"
        }),
    )
    .await;
    s.create_item(json!({
        "name_zh": "电影票兑换券", "name_en": "Cinema ticket", "category": "fun",
        "kind": {"type": "virtual"}, "skus": [{"sku": "MOVIE-1", "points": 800, "cash_minor": 1990, "stock": 120}],
        "status": "on_sale", "flash_sale": true, "sale_from": common::START - 3_600_000
    }))
    .await;
    let order = s.order_posted_home("CUP-RED", 1, "a11y-1").await;
    s.coupon_and_wheel(&["welcome"]).await;
    let rule = s
        .rule(
            json!({"name": "消费积分", "trigger": "purchase", "points": "order.amount / 100"}),
            "active",
        )
        .await;
    // The centre's cards: the sign-in, tasks (one done), the invite, the tier.
    for (def, status) in [
        (
            json!({"name": "每日签到", "trigger": "sign_in", "points": "5 + streak.day * 5"}),
            "active",
        ),
        (
            json!({"name": "晒单评价", "trigger": "review", "points": "20",
                "caps": [{"period": "day", "max_count": 2}], "task_url": "https://shop.example/review"}),
            "active",
        ),
        (
            json!({"name": "注册有礼", "trigger": "sign_up", "points": "50"}),
            "active",
        ),
        (
            json!({"name": "邀请有礼", "trigger": "referral", "points": "100"}),
            "active",
        ),
        (
            json!({"name": "关注公众号", "trigger": "follow", "points": "10"}),
            "draft",
        ),
    ] {
        s.rule(def, status).await;
    }
    s.event(json!({"type": "review", "event_id": "review-1"}))
        .await;
    let (cookie, csrf) = s.session("amy").await;
    let (status, _, _) = s
        .post_form(
            "/console/tiers",
            &cookie,
            &[
                ("csrf", &csrf),
                ("rows", "2"),
                ("metric", "growth"),
                ("window", "rolling_months"),
                ("months", "12"),
                ("t0_code", "silver"),
                ("t0_name_zh", "银卡"),
                ("t0_name_en", "Silver"),
                ("t0_threshold", "0"),
                ("t0_transfer", "1"),
                ("t1_code", "gold"),
                ("t1_name_zh", "金卡"),
                ("t1_name_en", "Gold"),
                ("t1_threshold", "50000"),
                ("t1_earn", "150"),
                ("t1_transfer", "1"),
            ],
        )
        .await;
    assert!(status.is_redirection(), "{status}");
    // An adjustment above the approval threshold, and a member's appeal.
    let (status, _, _) = s
        .post_form(
            "/console/members/1/adjust",
            &cookie,
            &[
                ("delta", "2000"),
                ("reason", "会员投诉补偿"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert!(status.is_redirection(), "{status}");
    let appeal = jifen_app::appeals::AppealIn {
        subject: "line".into(),
        subject_id: 1,
        message: "开户赠送少了".into(),
    };
    app.write_view(pid, "m:1", None, move |tx, ctx, now| {
        jifen_app::appeals::submit(tx, ctx, now, MemberId(1), &appeal)
    })
    .await
    .unwrap();
    (item, order, rule)
}

/// The pages and the API (which serves the pictures), as the binary serves them; its address.
async fn serve_all(app: &App) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = jifen_web::router(app.clone()).merge(jifen_api::router(app.clone()));
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    base
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_console_page_passes_axe() {
    let s = common::start().await;
    let (item, order, rule) = furnish(&s).await;
    let base = serve_all(&s.app).await;
    let m = s.member;
    let pid = s.pid;
    let key = s.app.read(move |tx| Ok(tx.api_keys(pid)?)).await.unwrap()[0]
        .key_id
        .clone();
    tokio::task::spawn_blocking(move || {
        let Some(mut b) = cdp::Browser::start() else {
            return;
        };
        b.viewport(1440, 900);
        let mut failures = Vec::new();
        visit(&mut b, &base, "/console/login?lang=zh", "console-login-1440", &mut failures);
        b.eval("document.querySelector('#login').value = 'amy'; document.querySelector('#password').value = 'correct horse battery'; document.querySelector('form').submit(); true");
        b.wait_until("location.pathname === '/console'");
        assert_eq!(b.path(), "/console", "signed in");
        b.wait_until(CHARTS_DRAWN);
        failures.extend(axe(&mut b, "/console"));
        b.screenshot("a11y-console-overview-1440");
        let pages: Vec<(String, &str)> = vec![
            ("/console/members".to_string(), ""),
            (format!("/console/members/{m}"), ""),
            (format!("/console/members/{m}/history"), ""),
            ("/console/rules".into(), "console-rules-1440"),
            (format!("/console/rules/{rule}"), ""),
            ("/console/rules/new".into(), "console-rule-new-1440"),
            ("/console/tiers".into(), "console-tiers-1440"),
            ("/console/mall".into(), "console-mall-1440"),
            (format!("/console/mall/items/{item}"), "console-item-1440"),
            ("/console/mall/items/new".into(), ""),
            (
                "/console/coupon-templates".into(),
                "console-coupon-templates-1440",
            ),
            ("/console/lotteries".into(), "console-lotteries-1440"),
            ("/console/orders".into(), "console-orders-1440"),
            (format!("/console/orders/{order}"), "console-order-1440"),
            ("/console/orders/ship-batch".into(), ""),
            (format!("/console/orders/{order}/refund"), ""),
            (format!("/console/settings/keys/{key}/revoke"), ""),
            ("/console/approvals".into(), "console-approvals-1440"),
            ("/console/appeals".into(), ""),
            ("/console/risk-holds".into(), ""),
            ("/console/audit".into(), "console-audit-1440"),
            ("/console/settings".into(), "console-settings-1440"),
            ("/console/staff".into(), ""),
            // The one error page.
            ("/console/members/999999".into(), ""),
        ];
        for (url, shot) in &pages {
            visit(&mut b, &base, url, shot, &mut failures);
            // Every page photographed in both languages, for people to look at.
            b.screenshot(&tour_name(url, "zh"));
        }
        for (url, _) in &pages {
            let en = format!("{url}{}lang=en", if url.contains('?') { '&' } else { '?' });
            visit(&mut b, &base, &en, "", &mut failures);
            b.screenshot(&tour_name(url, "en"));
        }
        b.goto(&format!("{base}/console?lang=zh"));
        // The answer to a shipping list, line by line.
        b.goto(&format!("{base}/console/orders/ship-batch"));
        b.eval(&format!(
            "document.getElementById('csv').value = {}; document.querySelector('form.ship-batch button').click(); true",
            serde_json::json!(format!("{order},SF,SF1\n999999,SF,SF2\n{order},SF,SF1\n"))
        ));
        b.wait_until("document.querySelector('.ship-results') !== null");
        failures.extend(axe(&mut b, "/console/orders/ship-batch (answer)"));
        // The catalog's list shows each item's smaller copy, as the member centre does.
        b.goto(&format!("{base}/console/mall"));
        b.wait_until("[...document.images].every(i => i.complete)");
        let list = b.eval(PICTURES_JS);
        assert!(
            list.as_array().is_some_and(|l| !l.is_empty()
                && l.iter().all(|p| p["src"].as_str().unwrap().ends_with("/thumb")
                    && p["lazy"] == true
                    && p["natural"].as_i64().unwrap() <= 480
                    && p["given"].as_i64().unwrap() >= p["shown"].as_i64().unwrap())),
            "{list}"
        );
        // A few pages in English.
        for (url, shot) in [
            ("/console?lang=en".to_string(), "console-overview-en-1440"),
            (format!("/console/mall/items/{item}"), "console-item-en-1440"),
            ("/console/settings".into(), "console-settings-en-1440"),
            ("/console/audit".into(), "console-audit-en-1440"),
            ("/console/tiers".into(), "console-tiers-en-1440"),
            ("/console/lotteries".into(), "console-lotteries-en-1440"),
            (
                "/console/coupon-templates".into(),
                "console-coupon-templates-en-1440",
            ),
        ] {
            visit(&mut b, &base, &url, shot, &mut failures);
        }
        // The rest of the settings, below the first screen.
        b.goto(&format!("{base}/console/settings"));
        for part in 2..=4 {
            b.eval(&format!("window.scrollTo(0, {}); true", (part - 1) * 800));
            b.screenshot(&format!("console-settings-en-1440-{part}"));
        }
        visit(&mut b, &base, "/console/orders?lang=zh", "", &mut failures);
        // A dry run, its result in place on the rule's page.
        b.goto(&format!("{base}/console/rules/{rule}"));
        b.eval("document.querySelector('#dry_member').value = '13800138000'; document.querySelector('#dry_amount').value = '300'; document.querySelector('#dry_member').form.submit(); true");
        b.wait_until("document.querySelector('#dry-result')");
        failures.extend(axe(&mut b, "dry run"));
        b.screenshot("a11y-console-dry-run-1440");
        // A backtest over the last month, its page once the replay is done.
        b.eval("document.querySelector('#bt_from').value = '2025-12-01'; document.querySelector('#bt_to').value = '2025-12-31'; document.querySelector('#bt_from').form.submit(); true");
        b.settle("location.pathname.startsWith('/console/backtests/') && !document.querySelector('meta[http-equiv=refresh]')");
        failures.extend(axe(&mut b, "backtest"));
        assert!(failures.is_empty(), "axe-core found:\n{}", failures.join("\n"));
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_member_centre_page_passes_axe_on_a_phone() {
    let s = common::start().await;
    let (item, order, _) = furnish(&s).await;
    let base = serve_all(&s.app).await;
    let link = s.centre_link().await;
    tokio::task::spawn_blocking(move || {
        let Some(mut b) = cdp::Browser::start() else {
            return;
        };
        b.call(
            "Emulation.setUserAgentOverride",
            json!({"userAgent": cdp::MOBILE_UA}),
        );
        b.viewport(375, 812);
        let mut failures = Vec::new();
        let pages = [
            (format!("{link}?lang=zh"), "centre-home-375", "home"),
            (format!("{link}/history"), "centre-history-375", "history"),
            (format!("{link}/mall"), "centre-mall-375", "mall"),
            (format!("{link}/mall/{item}"), "centre-item-375", "item"),
            (format!("{link}/orders"), "", "orders"),
            (
                format!("{link}/orders/{order}"),
                "centre-order-375",
                "order",
            ),
            (format!("{link}/coupons"), "centre-coupons-375", "coupons"),
            (
                format!("{link}/lottery/spring"),
                "centre-wheel-375",
                "wheel",
            ),
        ];
        for (url, shot, name) in &pages {
            visit(&mut b, &base, url, shot, &mut failures);
            pictures_fit(&mut b, url, 1200);
            b.screenshot(&format!("tour-centre-{name}-zh"));
        }
        // Every page in English too, photographed for people to look at.
        for (url, _, name) in &pages {
            let en = format!("{}?lang=en", url.split('?').next().unwrap());
            visit(&mut b, &base, &en, "", &mut failures);
            b.screenshot(&format!("tour-centre-{name}-en"));
        }
        b.goto(&format!("{base}{link}?lang=zh"));
        // The home page's mall section, and a few pages in English.
        b.goto(&format!("{base}{link}"));
        b.eval("document.querySelector('.items').scrollIntoView({block: 'center'}); true");
        b.screenshot("a11y-centre-home-mall-375");
        for (url, shot) in [
            (format!("{link}?lang=en"), "centre-home-en-375"),
            (format!("{link}/mall/{item}"), "centre-item-en-375"),
            (format!("{link}/history"), ""),
        ] {
            visit(&mut b, &base, &url, shot, &mut failures);
            pictures_fit(&mut b, &url, 1200);
        }
        b.goto(&format!("{base}{link}?lang=zh"));
        // Confirm: from the item page's buy button.
        b.goto(&format!("{base}{link}/mall/{item}"));
        b.act("document.querySelector('form.buy button[type=submit]').click()");
        b.settle("location.pathname.endsWith('/confirm')");
        failures.extend(axe(&mut b, "confirm"));
        // The appeal form: from a line of the history.
        b.goto(&format!("{base}{link}"));
        b.act("document.querySelector('a[href*=\"/appeal?\"]').click()");
        b.settle("location.pathname.endsWith('/appeal')");
        failures.extend(axe(&mut b, "appeal form"));
        b.screenshot("a11y-centre-appeal-375");
        // A link that is no longer good.
        let last = if link.ends_with('0') { '1' } else { '0' };
        let forged = format!("{}{last}", &link[..link.len() - 1]);
        b.goto(&format!("{base}{forged}"));
        assert!(b.text().contains("链接已失效"), "{}", b.text());
        failures.extend(axe(&mut b, "expired link"));
        b.screenshot("a11y-centre-expired-375");
        assert!(
            failures.is_empty(),
            "axe-core found:\n{}",
            failures.join("\n")
        );
    })
    .await
    .unwrap();
}

/// The overview at 1440 px in Chinese and in English: ECharts draws the three charts (points
/// issued above the baseline and spent and expired below it, members per day, members per
/// tier) with their legends and axis names in the page's language and no English on the
/// Chinese page; the page passes axe with the charts drawn. Screenshots:
/// `target/screenshots/overview-charts-{zh,en}-1440.png`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_draws_its_charts_in_the_pages_language_and_passes_axe() {
    let s = common::start().await;
    furnish(&s).await;
    // A ladder for the tier chart, and points moving over a week.
    s.silver_and_gold().await;
    for day in 1..7 {
        s.clock.set(common::START + day * 86_400_000);
        let a = jifen_app::commands::Adjustment {
            member: jifen_app::commands::MemberRef::Id {
                member_id: s.member,
            },
            delta: 100 * day,
            point_type: jifen_ledger::PointType::Points,
            reason: Some("活动赠送".into()),
            actor: Some("system:import".into()),
        };
        s.app
            .write_view(s.pid, "m", None, move |tx, ctx, now| {
                jifen_app::commands::adjust(tx, ctx, now, &a)
            })
            .await
            .unwrap();
        let spend = jifen_app::commands::Spend {
            member: jifen_app::commands::MemberRef::Id {
                member_id: s.member,
            },
            amount: 30 * day,
            reason: Some("兑换".into()),
            order_ref: None,
        };
        s.app
            .write_view(s.pid, "m", None, move |tx, ctx, now| {
                jifen_app::commands::spend(tx, ctx, now, &spend)
            })
            .await
            .unwrap();
    }
    let base = serve_all(&s.app).await;
    tokio::task::spawn_blocking(move || {
        let Some(mut b) = cdp::Browser::start() else {
            return;
        };
        b.viewport(1440, 2000);
        b.sign_in(&base, "amy");
        let mut failures = Vec::new();
        for (lang, words, not) in [
            ("zh", ["发放", "使用", "过期", "积分", "新会员", "活跃会员", "银卡"], "Issued|Spent|Expired|Points|Members|Silver|Day"),
            ("en", ["Issued", "Spent", "Expired", "Points", "New members", "Active members", "Silver"], "发放|使用|过期|会员"),
        ] {
            b.goto(&format!("{base}/console?days=7&lang={lang}"));
            b.wait_until(CHARTS_DRAWN);
            // The library itself has the charts.
            assert_eq!(
                b.eval("['chart-points', 'chart-trends', 'chart-tiers'].every(id => !!echarts.getInstanceByDom(document.getElementById(id)))"),
                json!(true)
            );
            let drawn = b
                .eval("[...document.querySelectorAll('.chart-box svg')].map(s => s.textContent).join(' | ')")
                .as_str()
                .unwrap()
                .to_string();
            for w in words {
                assert!(drawn.contains(w), "{lang}: {w} in {drawn}");
            }
            let foreign = b.eval(&format!(
                "(/{not}/).test([...document.querySelectorAll('.chart-box svg')].map(s => s.textContent).join(' ') + [...document.querySelectorAll('.chart-box')].map(c => c.getAttribute('aria-label')).join(' '))"
            ));
            assert_eq!(foreign, json!(false), "{lang}: words of the other language in {drawn}");
            // Values on the bars without hovering: the last day's 600 issued and 180 spent.
            assert!(drawn.contains("600") && drawn.contains("-180"), "{drawn}");
            failures.extend(axe(&mut b, &format!("/console?days=7&lang={lang}")));
            b.screenshot(&format!("overview-charts-{lang}-1440"));
        }
        assert!(failures.is_empty(), "axe-core found:\n{}", failures.join("\n"));
    })
    .await
    .unwrap();
}
