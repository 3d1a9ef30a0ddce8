//! The console's queues keep their history: approvals, appeals and risk holds each have a
//! 待处理 tab (what waits) and an 已处理 tab listing what was decided, the latest decision
//! first, with the outcome, who decided and when; in Chinese and in English.

mod common;

use common::{Site, start};
use reqwest::StatusCode;

/// The rows of the page's table body, in order.
fn rows(html: &str) -> Vec<String> {
    let at = html.find("<tbody>").expect("a table");
    let body = &html[at..at + html[at..].find("</tbody>").unwrap()];
    body.split("<tr").skip(1).map(str::to_string).collect()
}

impl Site {
    /// An appeal from member 1 about history line 1; its id.
    async fn appeal(&self, message: &str) -> i64 {
        let a = jifen_app::appeals::AppealIn {
            subject: "line".into(),
            subject_id: 1,
            message: message.into(),
        };
        self.app
            .write_view(self.pid, "m", None, move |tx, ctx, now| {
                jifen_app::appeals::submit(tx, ctx, now, jifen_ledger::MemberId(1), &a)
            })
            .await
            .unwrap()
            .view
            .appeal_id
    }

    /// An hour passes.
    fn hour_later(&self) {
        self.clock
            .set(jifen_app::Clock::now(&*self.clock) + 3_600_000);
    }
}

#[tokio::test]
async fn decided_approvals_and_appeals_move_to_the_decided_tab_newest_first() {
    let s = start().await;
    let (amy, amy_csrf) = s.session("amy").await;
    let (sam, sam_csrf) = s.session("sam").await;
    for reason in ["大额补偿甲", "大额补偿乙"] {
        let (st, _, _) = s
            .post_form(
                "/console/members/1/adjust",
                &amy,
                &[("delta", "5000"), ("reason", reason), ("csrf", &amy_csrf)],
            )
            .await;
        assert_eq!(st, StatusCode::SEE_OTHER);
    }
    let (_, html, _) = s.get("/console/approvals?tab=done", &amy).await;
    assert!(html.contains("aria-current=\"page\">已处理</a>"), "{html}");
    assert!(!html.contains("大额补偿"), "nothing decided yet");
    // Sam approves the first, then an hour later rejects the second.
    let (st, _, _) = s
        .post_form("/console/approvals/1/approve", &sam, &[("csrf", &sam_csrf)])
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    s.hour_later();
    let (st, _, _) = s
        .post_form("/console/approvals/2/reject", &sam, &[("csrf", &sam_csrf)])
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);

    let (_, pending, _) = s.get("/console/approvals", &amy).await;
    assert!(
        pending.contains("aria-current=\"page\">待处理</a>"),
        "{pending}"
    );
    assert!(!pending.contains("大额补偿"), "{pending}");
    let (_, html, _) = s.get("/console/approvals?tab=done", &amy).await;
    let r = rows(&html);
    assert_eq!(r.len(), 2, "{html}");
    assert!(
        r[0].contains("大额补偿乙") && r[0].contains("已驳回"),
        "{}",
        r[0]
    );
    assert!(
        r[1].contains("大额补偿甲") && r[1].contains("已批准"),
        "{}",
        r[1]
    );
    for row in &r {
        assert!(row.contains("员工 sam"), "who decided: {row}");
    }
    // The times differ by the hour that passed (Shanghai time).
    assert!(r[0].contains("2026-01-01 09:00"), "{}", r[0]);
    assert!(r[1].contains("2026-01-01 08:00"), "{}", r[1]);
    let (_, en, _) = s
        .get(
            "/console/approvals?tab=done",
            &format!("{amy}; jifen_lang=en"),
        )
        .await;
    assert!(
        en.contains(">Decided</a>") && en.contains("Rejected"),
        "{en}"
    );
    assert!(en.contains("Decided by") && !en.contains("已驳回"), "{en}");

    // Appeals: the answered ones, newest answer first, with the answer.
    let first = s.appeal("开户赠送少了").await;
    let second = s.appeal("签到没到账").await;
    let (st, _, _) = s
        .post_form(
            &format!("/console/appeals/{second}"),
            &amy,
            &[
                ("decision", "reject"),
                ("answer", "经核实无误"),
                ("csrf", &amy_csrf),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    s.hour_later();
    let (st, _, _) = s
        .post_form(
            &format!("/console/appeals/{first}"),
            &sam,
            &[
                ("decision", "resolve"),
                ("answer", "已补发"),
                ("delta", "50"),
                ("csrf", &sam_csrf),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (_, pending, _) = s.get("/console/appeals", &amy).await;
    assert!(!pending.contains("开户赠送少了"), "{pending}");
    let (_, html, _) = s.get("/console/appeals?tab=done", &amy).await;
    let r = rows(&html);
    assert_eq!(r.len(), 2, "{html}");
    assert!(
        r[0].contains("开户赠送少了") && r[0].contains("已补发") && r[0].contains("+50"),
        "{}",
        r[0]
    );
    assert!(
        r[0].contains("已解决") && r[0].contains("员工 sam"),
        "{}",
        r[0]
    );
    assert!(
        r[1].contains("经核实无误") && r[1].contains("已驳回"),
        "{}",
        r[1]
    );
    assert!(r[1].contains("员工 amy"), "{}", r[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decided_risk_holds_are_listed_with_who_decided() {
    let s = start().await;
    s.held_shares(3).await;
    let (amy, csrf) = s.session("amy").await;
    let (_, html, _) = s.get("/console/risk-holds", &amy).await;
    assert_eq!(rows(&html).len(), 2, "two held: {html}");
    let (_, html, _) = s.get("/console/risk-holds?tab=done", &amy).await;
    assert!(
        html.contains("暂无") || rows(&html)[0].contains("class=\"muted\""),
        "{html}"
    );
    let (st, _, _) = s
        .post_form("/console/risk-holds/1/release", &amy, &[("csrf", &csrf)])
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    s.hour_later();
    let (st, _, _) = s
        .post_form("/console/risk-holds/2/reject", &amy, &[("csrf", &csrf)])
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (_, pending, _) = s.get("/console/risk-holds", &amy).await;
    assert!(
        !pending.contains("/console/risk-holds/1/release"),
        "{pending}"
    );
    let (_, html, _) = s.get("/console/risk-holds?tab=done", &amy).await;
    let r = rows(&html);
    assert_eq!(r.len(), 2, "{html}");
    assert!(
        r[0].starts_with("><td>#2<") && r[0].contains("已驳回"),
        "{}",
        r[0]
    );
    assert!(
        r[1].starts_with("><td>#1<") && r[1].contains("已放行"),
        "{}",
        r[1]
    );
    assert!(r.iter().all(|row| row.contains("员工 amy")), "{r:?}");
    assert!(
        !html.contains("/release\""),
        "no decisions on the decided tab"
    );
}

/// The navigation link to `href` as HTML, with its badge if any.
fn nav_link(html: &str, href: &str) -> String {
    let nav = &html[html.find("<nav aria-label=").unwrap()..];
    let nav = &nav[..nav.find("</nav>").unwrap()];
    let at = nav
        .find(&format!("<a href=\"{href}\""))
        .unwrap_or_else(|| panic!("no {href} in {nav}"));
    nav[at..at + nav[at..].find("</a>").unwrap()].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_navigation_counts_what_waits_for_roles_that_see_it() {
    let s = start().await;
    let (amy, amy_csrf) = s.session("amy").await;
    let (sam, sam_csrf) = s.session("sam").await;
    // Nothing waits: no badge anywhere.
    let (_, html, _) = s.get("/console/members", &amy).await;
    assert!(!html.contains("class=\"badge\""), "{html}");

    for reason in ["大额补偿甲", "大额补偿乙"] {
        s.post_form(
            "/console/members/1/adjust",
            &amy,
            &[("delta", "5000"), ("reason", reason), ("csrf", &amy_csrf)],
        )
        .await;
    }
    s.appeal("开户赠送少了").await;
    s.held_shares(4).await;
    s.create_item(serde_json::json!({
        "name_zh": "保温杯", "name_en": "Flask", "category": "home", "kind": {"type": "physical"},
        "skus": [{"sku": "CUP", "points": 100, "stock": 9}], "status": "on_sale"
    }))
    .await;
    s.order_posted_home("CUP", 1, "q-1").await;

    let (_, html, _) = s.get("/console/members", &amy).await;
    let approvals = nav_link(&html, "/console/approvals");
    assert!(
        approvals.contains("<span class=\"badge\" aria-hidden=\"true\">2</span>")
            && approvals.contains("<span class=\"sr\"> 2 条待审批</span>"),
        "{approvals}"
    );
    assert!(nav_link(&html, "/console/appeals").contains(">1</span>"));
    assert!(nav_link(&html, "/console/risk-holds").contains("3 条待审核"));
    assert!(nav_link(&html, "/console/orders").contains("1 单待发货"));
    assert!(!nav_link(&html, "/console/rules").contains("badge"));
    // In English, in English words.
    let (_, en, _) = s
        .get("/console/members", &format!("{amy}; jifen_lang=en"))
        .await;
    assert!(
        nav_link(&en, "/console/approvals").contains("2 waiting for approval"),
        "{en}"
    );
    assert!(nav_link(&en, "/console/orders").contains("1 waiting to ship"));

    // Service staff do not act on orders: no count there; the queues they work, counted.
    let (_, html, _) = s.get("/console/members", &sam).await;
    assert!(
        !nav_link(&html, "/console/orders").contains("badge"),
        "{html}"
    );
    assert!(nav_link(&html, "/console/approvals").contains(">2</span>"));

    // Deciding one request leaves one; deciding both, no badge.
    s.post_form("/console/approvals/1/approve", &sam, &[("csrf", &sam_csrf)])
        .await;
    let (_, html, _) = s.get("/console/approvals", &sam).await;
    assert!(nav_link(&html, "/console/approvals").contains(">1</span>"));
    s.post_form("/console/approvals/2/reject", &sam, &[("csrf", &sam_csrf)])
        .await;
    let (_, html, _) = s.get("/console/approvals", &sam).await;
    assert!(
        !nav_link(&html, "/console/approvals").contains("badge"),
        "{html}"
    );
}

#[allow(dead_code)]
mod cdp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_decided_tab_and_the_badges_at_1440_px() {
    let s = start().await;
    let (amy, amy_csrf) = s.session("amy").await;
    let (sam, sam_csrf) = s.session("sam").await;
    for reason in ["大额补偿甲", "大额补偿乙", "生日补发"] {
        s.post_form(
            "/console/members/1/adjust",
            &amy,
            &[("delta", "5000"), ("reason", reason), ("csrf", &amy_csrf)],
        )
        .await;
    }
    s.post_form("/console/approvals/1/approve", &sam, &[("csrf", &sam_csrf)])
        .await;
    s.hour_later();
    s.post_form("/console/approvals/2/reject", &sam, &[("csrf", &sam_csrf)])
        .await;
    s.appeal("开户赠送少了").await;
    s.held_shares(3).await;
    let base = s.base.clone();
    tokio::task::spawn_blocking(move || {
        let Some(mut b) = cdp::Browser::start() else {
            return;
        };
        b.viewport(1440, 900);
        b.sign_in(&base, "amy");
        b.goto(&format!("{base}/console/approvals?tab=done&lang=zh"));
        assert_eq!(
            b.eval("[...document.querySelectorAll('header nav a')].filter(a => a.querySelector('.badge')).map(a => a.textContent)"),
            serde_json::json!(["调整审批1 1 条待审批", "申诉处理1 1 条待处理", "风控2 2 条待审核"])
        );
        b.screenshot("console-approvals-done-1440");
        b.goto(&format!("{base}/console/approvals?tab=done&lang=en"));
        assert!(b.text().contains("Decided by"), "{}", b.text());
        b.screenshot("console-approvals-done-1440-en");
    })
    .await
    .unwrap();
}

/// The audit log's link to its next page carries the filter URL-encoded: an actor with spaces,
/// parentheses, `&`, `#` and `+` (an API key's name) reads the same on the next page.
#[tokio::test]
async fn the_audit_pager_keeps_an_actor_of_any_characters() {
    let s = start().await;
    let (amy, _) = s.session("amy").await;
    let (actor, pid) = ("api_key:3 (POS & co #1+)", s.pid);
    s.app
        .write_view(pid, "staff", None, move |tx, _ctx, now| {
            for i in 0..60 {
                let target = format!("member:{i}");
                tx.audit(pid, actor, "points.adjust", &target, None, None, now)?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let q = serde_urlencoded::to_string([("actor", actor), ("action", "points.adjust")]).unwrap();
    let (st, html, _) = s.get(&format!("/console/audit?{q}"), &amy).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(rows(&html).len(), 50, "{html}");
    let pager = &html[html.find("class=\"pager\"").expect("a next page")..];
    let href = &pager[pager.find("href=\"").unwrap() + 6..];
    // The address as a browser reads it from the attribute.
    let href = href[..href.find('"').unwrap()]
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    let (st, next, _) = s.get(&href, &amy).await;
    assert_eq!(st, StatusCode::OK, "{href}");
    let next_rows = rows(&next);
    assert_eq!(next_rows.len(), 10, "{href}: {next}");
    assert!(next_rows.iter().all(|r| r.contains("会员 #")), "{next}");
    assert!(
        next.contains("value=\"api_key:3 (POS &#38; co #1+)\""),
        "the filter is kept: {next}"
    );
}
