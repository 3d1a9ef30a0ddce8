//! The console over real HTTP: sign-in with the form's CSRF token, failed sign-ins limited per
//! login, pages behind the session, members found by phone, numbers with separators, the
//! language switch, malformed parameters answered without a 500, sign-out, and the audit log.

mod common;

use common::{hidden, set_cookie, start};
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_sign_in_and_browse_members_in_both_languages() {
    let s = start().await;
    // Pages need a session.
    let (st, _, h) = s.get("/console", "").await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(h["location"], "/console/login");
    // A sign-in without the form's token is refused.
    let r = s
        .client
        .post(format!("{}/console/login", s.base))
        .form(&[
            ("program", "shop"),
            ("login", "amy"),
            ("password", "correct horse battery"),
            ("csrf", "forged"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Five wrong passwords, then even the right one waits.
    for _ in 0..5 {
        assert_eq!(
            s.sign_in("sam", "wrong password!").await,
            (StatusCode::UNAUTHORIZED, None)
        );
    }
    assert_eq!(
        s.sign_in("sam", "correct horse battery").await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        s.sign_in("nobody", "correct horse battery").await.0,
        StatusCode::UNAUTHORIZED
    );
    // Another login is not affected.
    let (st, session) = s.sign_in("amy", "correct horse battery").await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let cookie = format!("jifen_session={}", session.unwrap());
    let (st, html, h) = s.get("/console", &cookie).await;
    assert_eq!(st, StatusCode::OK, "{html}");
    assert_eq!(h["cache-control"], "no-store");
    assert!(
        html.contains("会员总数") && html.contains("12,345"),
        "{html}"
    );
    // Members: found by phone, external id and name prefix; the reason is escaped.
    for q in ["13800138000", "U100001", "王小", "8000"] {
        let (st, html, _) = s
            .get(&format!("/console/members?q={}", urlencode(q)), &cookie)
            .await;
        assert_eq!(st, StatusCode::OK);
        assert!(html.contains("王小明"), "{q}: {html}");
    }
    // The list counts its matches; a filter that does not read is named next to its field,
    // keeping what was typed, in either language.
    let (st, html, _) = s.get("/console/members?sort=balance", &cookie).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        html.contains("共 1 位会员 · 第 1 / 1 页") && html.contains("王小明"),
        "{html}"
    );
    let (_, html, _) = s.get("/console/members?min_balance=20000", &cookie).await;
    assert!(
        html.contains("共 0 位会员") && !html.contains("王小明"),
        "{html}"
    );
    let (st, html, _) = s
        .get(
            "/console/members?min_balance=lots%3Cb%3E&joined_from=2026-01-01",
            &cookie,
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let at = html.find("id=\"min_balance\"").expect("the field");
    let within = &html[at..at + html[at..].find("</div>").unwrap()];
    assert!(
        within.contains("请填写整数积分") && within.contains("value=\"lots&#60;b&#62;\""),
        "{within}"
    );
    assert!(
        html.contains("value=\"2026-01-01\""),
        "the other filters are kept"
    );
    let (_, en, _) = s
        .get("/console/members?joined_to=someday&lang=en", &cookie)
        .await;
    assert!(en.contains("Enter a date as YYYY-MM-DD"), "{en}");
    let (_, html, _) = s.get("/console/members?q=nobody", &cookie).await;
    assert!(html.contains("没有找到会员"));
    let (st, html, _) = s.get("/console/members/1", &cookie).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        html.contains("12,345")
            && (html.contains("&lt;script&gt;") || html.contains("&#60;script&#62;"))
            && !html.contains("<script>alert"),
        "{html}"
    );
    // Malformed parameters never give a 500.
    for path in [
        "/console/members?before=abc",
        "/console/members?before=-5",
        "/console/members/abc",
        "/console/members/999999",
        "/console?lang=xx",
    ] {
        let (st, _, _) = s.get(path, &cookie).await;
        assert!(st.is_success() || st.is_client_error(), "{path}: {st}");
    }
    assert_eq!(
        s.get("/console/members/999999", &cookie).await.0,
        StatusCode::NOT_FOUND
    );
    // English, remembered in a cookie.
    let r = s
        .client
        .get(format!("{}/console/members?lang=en", s.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    let lang = set_cookie(&r, "jifen_lang").unwrap();
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Phone, last 4 digits of a phone, external id or name")
    );
    let (_, html, _) = s
        .get("/console", &format!("{cookie}; jifen_lang={lang}"))
        .await;
    assert!(html.contains("Points outstanding") && html.contains("lang=\"en\""));
    // Sign-out needs the session's token; then the session is gone.
    let csrf = hidden(&html, "csrf");
    let r = s
        .client
        .post(format!("{}/console/logout", s.base))
        .header("cookie", &cookie)
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        s.get("/console", &cookie).await.0,
        StatusCode::OK,
        "a forged sign-out does nothing"
    );
    s.client
        .post(format!("{}/console/logout", s.base))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(s.get("/console", &cookie).await.0, StatusCode::SEE_OTHER);
    // The audit log recorded the accounts, the six failed sign-ins (sam five times, an
    // unknown login once) and the sign-in.
    let pid = s.pid;
    let entries = s
        .app
        .read(move |tx| Ok(tx.audit_entries(pid, None, None, i64::MAX, 50)?))
        .await
        .unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    let mut expected = vec!["staff.sign_in"];
    expected.extend(["staff.sign_in_failed"; 6]);
    expected.extend(["staff.create", "staff.create"]);
    assert_eq!(actions, expected);
    assert_eq!(entries[0].actor, "staff:amy");
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adjustments_show_errors_next_to_the_field_and_large_ones_need_a_second_person() {
    let s = start().await;
    let amy = format!(
        "jifen_session={}",
        s.sign_in("amy", "correct horse battery").await.1.unwrap()
    );
    let sam = format!(
        "jifen_session={}",
        s.sign_in("sam", "correct horse battery").await.1.unwrap()
    );
    let (_, html, _) = s.get("/console/members/1", &amy).await;
    let csrf = hidden(&html, "csrf");
    let post = |cookie: &str, path: &str, form: Vec<(&str, String)>| {
        s.client
            .post(format!("{}{path}", s.base))
            .header("cookie", cookie)
            .form(&form)
            .send()
    };
    // Bad input: the message stands next to its field and nothing is written.
    let r = post(
        &amy,
        "/console/members/1/adjust",
        vec![
            ("delta", "abc".into()),
            ("reason", "x".into()),
            ("csrf", csrf.clone()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    let at = html.find("id=\"delta\"").unwrap();
    assert!(
        html[at..].find("field-error").unwrap() < html[at..].find("id=\"reason\"").unwrap(),
        "the error follows the delta field"
    );
    assert!(html.contains("请输入整数积分"));
    let r = post(
        &amy,
        "/console/members/1/adjust",
        vec![
            ("delta", "100".into()),
            ("reason", "  ".into()),
            ("csrf", csrf.clone()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("reason"));
    let r = post(
        &amy,
        "/console/members/1/adjust",
        vec![
            ("delta", "100".into()),
            ("reason", "补偿".into()),
            ("csrf", "forged".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        s.get("/console/members/1", &amy).await.1.contains("12,345"),
        "nothing was written"
    );
    // Up to the threshold: applied at once.
    let r = post(
        &amy,
        "/console/members/1/adjust",
        vec![
            ("delta", "100".into()),
            ("reason", "出餐延迟补偿".into()),
            ("csrf", csrf.clone()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html, _) = s.get(r.headers()["location"].to_str().unwrap(), &amy).await;
    assert!(
        html.contains("积分已调整") && html.contains("12,445"),
        "{html}"
    );
    // Above it: a request that the requester may not approve, and a colleague may.
    let r = post(
        &amy,
        "/console/members/1/adjust",
        vec![
            ("delta", "5,000".into()),
            ("reason", "大额补偿".into()),
            ("csrf", csrf.clone()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.headers()["location"], "/console/members/1?done=pending");
    assert!(s.get("/console/members/1", &amy).await.1.contains("12,445"));
    let (_, html, _) = s.get("/console/approvals", &amy).await;
    assert!(html.contains("大额补偿") && html.contains("+5,000"));
    let r = post(
        &amy,
        "/console/approvals/1/approve",
        vec![("csrf", csrf.clone())],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let (_, html, _) = s.get("/console/approvals", &sam).await;
    let sam_csrf = hidden(&html, "csrf");
    let r = post(
        &sam,
        "/console/approvals/1/approve",
        vec![("csrf", sam_csrf.clone())],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(s.get("/console/members/1", &sam).await.1.contains("17,445"));
    let r = post(
        &sam,
        "/console/approvals/1/approve",
        vec![("csrf", sam_csrf)],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT, "decided once");
    // The audit log has who did what, with the balance before and after.
    let pid = s.pid;
    let entries = s
        .app
        .read(move |tx| Ok(tx.audit_entries(pid, None, Some("points.adjust"), i64::MAX, 10)?))
        .await
        .unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].actor, "staff:amy approved by staff:sam");
    assert!(
        entries[0].before.as_deref().unwrap().contains("12445")
            && entries[0].after.as_deref().unwrap().contains("17445")
    );
    // The audit log page: owners and auditors only, filtered by action.
    assert_eq!(s.get("/console/audit", &sam).await.0, StatusCode::FORBIDDEN);
    let (st, html, _) = s
        .get("/console/audit?action=points.adjust_requested", &amy)
        .await;
    assert_eq!(st, StatusCode::OK);
    // Only the requests are listed (the action filter offers every action by its words).
    let rows = &html[html.find("<tbody>").unwrap()..];
    assert!(
        rows.contains("大额补偿")
            && rows.contains("申请调整积分")
            && !rows.contains("<td>登录</td>"),
        "{html}"
    );
    let (_, html, _) = s
        .get("/console/audit?actor=staff%3Asam&before=abc", &amy)
        .await;
    let rows = &html[html.find("<tbody>").unwrap()..];
    assert!(
        rows.contains("<td>登录</td>") && !rows.contains("申请调整积分"),
        "{html}"
    );
    // The members export: CSV, formulas neutralised, for owners, analysts and auditors.
    assert_eq!(
        s.get("/console/exports/members.csv", &sam).await.0,
        StatusCode::FORBIDDEN
    );
    let (st, csv, h) = s.get("/console/exports/members.csv", &amy).await;
    assert_eq!(st, StatusCode::OK);
    assert!(h["content-type"].to_str().unwrap().starts_with("text/csv"));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "\u{feff}id,name,phone,email,status,joined,available_points"
    );
    assert_eq!(
        lines[1],
        "1,王小明,13800138000,,active,2026-01-01 08:00,17445"
    );
    assert_eq!(lines.len(), 2);
    // Appeals: the member's own lines only; an answer is required, shown next to its field.
    let member = jifen_ledger::MemberId(1);
    let bad = jifen_app::appeals::AppealIn {
        subject: "line".into(),
        subject_id: 999_999,
        message: "不对劲的一笔".into(),
    };
    let r = s
        .app
        .write_view(s.pid, "m", None, move |tx, ctx, now| {
            jifen_app::appeals::submit(tx, ctx, now, member, &bad)
        })
        .await;
    assert!(matches!(r, Err(jifen_app::AppError::NotFound { .. })));
    let ok = jifen_app::appeals::AppealIn {
        subject: "line".into(),
        subject_id: 1,
        message: "开户赠送少了".into(),
    };
    let r = s
        .app
        .write_view(s.pid, "m", None, move |tx, ctx, now| {
            jifen_app::appeals::submit(tx, ctx, now, member, &ok)
        })
        .await
        .unwrap();
    let id = r.view.appeal_id;
    let (_, html, _) = s.get("/console/appeals", &amy).await;
    assert!(html.contains("开户赠送少了"));
    let r = post(
        &amy,
        &format!("/console/appeals/{id}"),
        vec![
            ("decision", "resolve".into()),
            ("answer", " ".into()),
            ("csrf", csrf.clone()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("field-error"));
    let r = post(
        &amy,
        &format!("/console/appeals/{id}"),
        vec![
            ("decision", "reject".into()),
            ("answer", "经核实无误".into()),
            ("csrf", csrf.clone()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = post(
        &amy,
        &format!("/console/appeals/{id}"),
        vec![
            ("decision", "reject".into()),
            ("answer", "again".into()),
            ("csrf", csrf),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT, "answered once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn risk_holds_are_released_from_the_console_and_counted_on_the_overview() {
    let s = start().await;
    s.held_shares(2).await;
    let amy = format!(
        "jifen_session={}",
        s.sign_in("amy", "correct horse battery").await.1.unwrap()
    );
    let (_, html, _) = s.get("/console", &amy).await;
    let at = html.find("<div class=\"label\">待审风控").unwrap();
    let card: String = html[at..].chars().take(60).collect();
    assert!(
        card.contains(">1<"),
        "one open hold on the overview: {card}"
    );
    let (st, html, _) = s.get("/console/risk-holds", &amy).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("/console/risk-holds/1/release"), "{html}");
    let csrf = hidden(&html, "csrf");
    let forged = s
        .client
        .post(format!("{}/console/risk-holds/1/release", s.base))
        .header("cookie", &amy)
        .form(&[("csrf", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let r = s
        .client
        .post(format!("{}/console/risk-holds/1/release", s.base))
        .header("cookie", &amy)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html, _) = s.get("/console/risk-holds", &amy).await;
    assert!(!html.contains("/console/risk-holds/1/release"));
    let again = s
        .client
        .post(format!("{}/console/risk-holds/1/release", s.base))
        .header("cookie", &amy)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);
    // Both shares paid now: 12,345 + 30 + 30.
    assert!(s.get("/console/members/1", &amy).await.1.contains("12,405"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_analyst_reads_dashboards_and_exports_but_not_members() {
    let s = start().await;
    let new = jifen_app::staff::NewStaff {
        login: "ana".into(),
        name: "Ana".into(),
        role: jifen_app::staff::Role::Analyst,
        password: "correct horse battery".into(),
    };
    s.app
        .write_view(s.pid, "staff", None, move |tx, ctx, now| {
            jifen_app::staff::create(tx, ctx, now, &new, "staff:amy")
        })
        .await
        .unwrap();
    let (cookie, _) = s.session("ana").await;
    for path in [
        "/console",
        "/console/rules",
        "/console/mall",
        "/console/orders",
        "/console/tiers",
    ] {
        let (st, _, _) = s.get(path, &cookie).await;
        assert_eq!(st, StatusCode::OK, "{path}");
    }
    for path in [
        "/console/members",
        "/console/members/1",
        "/console/approvals",
        "/console/appeals",
        "/console/risk-holds",
        "/console/audit",
    ] {
        let (st, html, _) = s.get(path, &cookie).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{path}");
        assert!(
            !html.contains("王小明") && !html.contains("13800138000"),
            "{path}"
        );
    }
    // The navigation offers only what the role may open.
    let (_, html, _) = s.get("/console", &cookie).await;
    let nav = &html[html.find("<nav").unwrap()..html.find("</nav>").unwrap()];
    assert!(
        nav.contains("/console/rules")
            && !nav.contains("/console/members")
            && !nav.contains("/console/audit"),
        "{nav}"
    );
    let (st, csv, _) = s.get("/console/exports/members.csv", &cookie).await;
    assert_eq!(st, StatusCode::OK);
    assert!(csv.contains("王小明"), "exports are the analyst's tool");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_staff_transfer_points_and_merge_a_duplicate_account() {
    let s = start().await;
    let mk = |name: &str, phone: &str| jifen_app::commands::NewMember {
        referrer: None,
        device_id: None,
        ip: None,
        profile: jifen_store::MemberProfile {
            name: Some(name.into()),
            phone: Some(phone.into()),
            ..Default::default()
        },
        identities: vec![],
    };
    for (name, phone) in [("李华", "13900139000"), ("李华（重复）", "13700137000")] {
        let m = mk(name, phone);
        s.app
            .write_view(s.pid, "m", None, move |tx, ctx, now| {
                jifen_app::commands::create_member(tx, ctx, now, &m)
            })
            .await
            .unwrap();
    }
    let (cookie, csrf) = s.session("sam").await;
    let path = "/console/members/1/transfer";
    // Bad input is named next to its field and moves nothing.
    let (st, html, _) = s
        .post_form(
            path,
            &cookie,
            &[("csrf", &csrf), ("to", "13900139000"), ("amount", "lots")],
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(common::error_after(&html, "amount").is_some(), "{html}");
    let (st, html, _) = s
        .post_form(
            path,
            &cookie,
            &[("csrf", &csrf), ("to", "19999999999"), ("amount", "10")],
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(common::error_after(&html, "to").is_some(), "{html}");
    let (st, html, _) = s
        .post_form(
            path,
            &cookie,
            &[("csrf", &csrf), ("to", "13900139000"), ("amount", "99999")],
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "more than the balance: {html}");
    assert!(html.contains("field-error"));
    // 345 points to member 2.
    let (st, _, _) = s
        .post_form(
            path,
            &cookie,
            &[
                ("csrf", &csrf),
                ("to", "13900139000"),
                ("amount", "345"),
                ("transfer_reason", "代付"),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (_, html, _) = s.get("/console/members/1", &cookie).await;
    assert!(html.contains("12,000"), "{html}");
    let (_, html, _) = s.get("/console/members/2", &cookie).await;
    assert!(html.contains("345"), "{html}");

    // Merge member 3 into member 2: only once confirmed; never into itself.
    let merge = "/console/members/2/merge";
    let (st, html, _) = s
        .post_form(
            merge,
            &cookie,
            &[("csrf", &csrf), ("merge_from", "13700137000")],
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("合并不可撤销"), "{html}");
    let (st, _, _) = s
        .post_form(
            merge,
            &cookie,
            &[("csrf", &csrf), ("merge_from", "2"), ("confirm", "1")],
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (st, _, _) = s
        .post_form(
            merge,
            &cookie,
            &[
                ("csrf", &csrf),
                ("merge_from", "13700137000"),
                ("confirm", "1"),
                ("merge_reason", "重复注册"),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let entries = s
        .app
        .read(|tx| Ok(tx.audit_entries(jifen_ledger::ProgramId(1), None, None, i64::MAX, 50)?))
        .await
        .unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert!(
        actions.contains(&"member.transfer") && actions.contains(&"member.merge"),
        "{actions:?}"
    );
    // A stale token and a role without member rights change nothing.
    let (st, _, _) = s
        .post_form(
            path,
            &cookie,
            &[("csrf", "old"), ("to", "2"), ("amount", "1")],
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_add_colleagues_reset_passwords_and_disable_accounts() {
    let s = start().await;
    let (cookie, csrf) = s.session("amy").await;
    let (st, html, _) = s.get("/console/staff", &cookie).await;
    assert_eq!(st, StatusCode::OK);
    let key = hidden(&html, "form_key");
    // A bad login is named next to its field and creates nothing.
    let (st, html, _) = s
        .post_form(
            "/console/staff",
            &cookie,
            &[
                ("csrf", &csrf),
                ("form_key", &key),
                ("login", "li hua"),
                ("name", "李华"),
                ("role", "analyst"),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(common::error_after(&html, "login").is_some(), "{html}");
    // A taken login too.
    let (st, html, _) = s
        .post_form(
            "/console/staff",
            &cookie,
            &[
                ("csrf", &csrf),
                ("form_key", &key),
                ("login", "sam"),
                ("name", "Sam 2"),
                ("role", "analyst"),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert!(common::error_after(&html, "login").is_some(), "{html}");
    // A good one: the generated password is shown once and signs in.
    let (st, html, _) = s
        .post_form(
            "/console/staff",
            &cookie,
            &[
                ("csrf", &csrf),
                ("form_key", &key),
                ("login", "li.hua"),
                ("name", "李华"),
                ("role", "analyst"),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let at = html
        .find("id=\"new-password\">")
        .expect("the password is shown")
        + 18;
    let password = html[at..at + html[at..].find('<').unwrap()].to_string();
    let (st, token) = s.sign_in("li.hua", &password).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let li = format!("jifen_session={}", token.unwrap());
    let (st, _, _) = s.get("/console/rules", &li).await;
    assert_eq!(st, StatusCode::OK);
    // The same form again creates nothing and shows no password.
    let (st, html, _) = s
        .post_form(
            "/console/staff",
            &cookie,
            &[
                ("csrf", &csrf),
                ("form_key", &key),
                ("login", "li.hua"),
                ("name", "李华"),
                ("role", "analyst"),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER, "{html}");
    let (_, page, _) = s.get("/console/staff", &cookie).await;
    assert_eq!(page.matches("<code>li.hua</code>").count(), 1);
    assert!(
        !page.contains(&password),
        "the password is never shown again"
    );
    let id = {
        let at = page.find("<code>li.hua</code>").unwrap();
        let row = &page[..at];
        let start = row.rfind("id=\"staff-").unwrap() + 10;
        row[start..start + row[start..].find('"').unwrap()].to_string()
    };
    // Disabling ends the colleague's session at once; the owner cannot disable themself.
    let (st, _, _) = s
        .post_form(
            &format!("/console/staff/{id}/disable"),
            &cookie,
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (st, _, _) = s.get("/console/rules", &li).await;
    assert_eq!(st, StatusCode::SEE_OTHER, "sent to sign in");
    let (st, _) = s.sign_in("li.hua", &password).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, html, _) = s
        .post_form("/console/staff/1/disable", &cookie, &[("csrf", &csrf)])
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "{html}");
    // Enable and reset: a new password, the old one no longer works.
    let (st, _, _) = s
        .post_form(
            &format!("/console/staff/{id}/enable"),
            &cookie,
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (st, html, _) = s
        .post_form(
            &format!("/console/staff/{id}/reset"),
            &cookie,
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let at = html.find("id=\"new-password\">").unwrap() + 18;
    let fresh = html[at..at + html[at..].find('<').unwrap()].to_string();
    assert_ne!(fresh, password);
    assert_eq!(
        s.sign_in("li.hua", &password).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(s.sign_in("li.hua", &fresh).await.0, StatusCode::SEE_OTHER);
    // Service staff may neither see nor change accounts; malformed ids are 404s.
    let (sam, sam_csrf) = s.session("sam").await;
    let (st, _, _) = s.get("/console/staff", &sam).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, _) = s
        .post_form(
            &format!("/console/staff/{id}/disable"),
            &sam,
            &[("csrf", &sam_csrf)],
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    for path in [
        "/console/staff/abc/disable",
        "/console/staff/999/disable",
        "/console/staff/1/explode",
    ] {
        let (st, _, _) = s.post_form(path, &cookie, &[("csrf", &csrf)]).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{path}");
    }
    let entries = s
        .app
        .read(|tx| Ok(tx.audit_entries(jifen_ledger::ProgramId(1), None, None, i64::MAX, 100)?))
        .await
        .unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    for a in [
        "staff.create",
        "staff.disable",
        "staff.enable",
        "staff.reset_password",
    ] {
        assert!(actions.contains(&a), "{actions:?}");
    }
    assert!(
        entries
            .iter()
            .all(|e| !e.after.as_deref().unwrap_or("").contains(&fresh)),
        "no password in the audit log"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_set_the_approval_threshold_and_the_invite_link() {
    let s = start().await;
    let (cookie, csrf) = s.session("amy").await;
    let path = "/console/settings/centre";
    let (st, html, _) = s
        .post_form(
            path,
            &cookie,
            &[("csrf", &csrf), ("threshold", "lots"), ("referral_url", "")],
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(common::error_after(&html, "threshold").is_some(), "{html}");
    assert!(html.contains("value=\"lots\""), "what was typed is kept");
    let (st, html, _) = s
        .post_form(
            path,
            &cookie,
            &[
                ("csrf", &csrf),
                ("threshold", "50"),
                ("referral_url", "javascript:alert(1)"),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    // Next to the field, in the page's language.
    let err = common::error_after(&html, "referral_url").expect("an error after the address");
    assert!(err.contains("须为 http:// 或 https://"), "{err}");
    assert!(
        html.contains("value=\"javascript:alert(1)\""),
        "what was typed is kept"
    );
    let (st, html, _) = s
        .post_form(
            path,
            &cookie,
            &[("csrf", &csrf), ("threshold", "-1"), ("referral_url", "")],
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let err = common::error_after(&html, "threshold").expect("an error after the threshold");
    assert!(err.contains("须在 0 到"), "{err}");
    let (st, _, _) = s
        .post_form(
            path,
            &cookie,
            &[
                ("csrf", &csrf),
                ("threshold", "50"),
                ("referral_url", "https://shop.example.com/join?src=app"),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    // The threshold applies at once: 100 points now wait for a colleague.
    let (st, _, h) = s
        .post_form(
            "/console/members/1/adjust",
            &cookie,
            &[("csrf", &csrf), ("delta", "100"), ("reason", "补偿")],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert!(common::location(&h).contains("done=pending"));
    // The invite card carries the code in a link to the shop's sign-up page.
    let rule: jifen_app::earn::RuleIn = serde_json::from_value(serde_json::json!({
        "definition": {"name": "邀请好友", "trigger": "referral", "points": "100"},
        "status": "active"
    }))
    .unwrap();
    s.app
        .write_view(s.pid, "rules", None, move |tx, ctx, now| {
            jifen_app::earn::create_rule(tx, ctx, now, "staff:test", &rule)
        })
        .await
        .unwrap();
    s.app.invalidate_program(s.pid);
    let link = s
        .app
        .write_view(s.pid, "centre", None, |tx, ctx, now| {
            jifen_app::centre::link(tx, ctx, now, jifen_ledger::MemberId(1))
        })
        .await
        .unwrap()
        .view
        .path;
    let (_, home, _) = s.get(&link, "").await;
    assert!(
        home.contains("https://shop.example.com/join?src=app&#38;ref=M1"),
        "{home}"
    );
    // Only owners change it; the change is audited.
    let (sam, sam_csrf) = s.session("sam").await;
    let (st, _, _) = s
        .post_form(
            path,
            &sam,
            &[
                ("csrf", &sam_csrf),
                ("threshold", "1000000"),
                ("referral_url", ""),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let entries = s
        .app
        .read(|tx| {
            Ok(tx.audit_entries(
                jifen_ledger::ProgramId(1),
                None,
                Some("centre_settings.update"),
                i64::MAX,
                10,
            )?)
        })
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
}

/// Guessing a password from one address makes its tries wait, growing, with `Retry-After`;
/// the owner signing in from another address is not locked out; every failure is audited with
/// where it came from. Every page carries the security headers, its inline scripts allowed by
/// hash only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_slows_the_guesser_not_the_owner_and_pages_carry_security_headers() {
    let s = start().await;
    let from = |ip: [u8; 4]| {
        reqwest::Client::builder()
            .local_address(std::net::IpAddr::from(ip))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    };
    let (attacker, owner) = (from([127, 0, 0, 2]), from([127, 0, 0, 3]));
    for _ in 0..5 {
        let r = s.sign_in_from(&attacker, "amy", "guess guess guess").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = s
        .sign_in_from(&attacker, "amy", "correct horse battery")
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&wait), "{wait}");
    // The owner, elsewhere, signs in at once.
    let r = s.sign_in_from(&owner, "amy", "correct horse battery").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let failed = s
        .app
        .read(move |tx| {
            Ok(tx.audit_entries(
                jifen_ledger::ProgramId(1),
                None,
                Some("staff.sign_in_failed"),
                i64::MAX,
                100,
            )?)
        })
        .await
        .unwrap();
    assert_eq!(failed.len(), 5);
    assert!(
        failed
            .iter()
            .all(|e| e.actor == "login:amy" && e.after.as_deref().unwrap().contains("127.0.0.2"))
    );
    // Security headers, on the console and on the member centre.
    let page = owner
        .get(format!("{}/console/login", s.base))
        .send()
        .await
        .unwrap();
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    assert_eq!(page.headers()["referrer-policy"], "same-origin");
    let centre = owner
        .get(format!("{}/m/not-a-token", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(centre.headers()["referrer-policy"], "no-referrer");
}

/// The member page's account card: freeze and unfreeze with a reason, revoke the member's
/// centre links, export everything held, and erase only once confirmed; each in the staff
/// member's name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_freeze_revoke_links_export_and_erase_from_the_member_page() {
    let s = start().await;
    let (st, session) = s.sign_in("amy", "correct horse battery").await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let cookie = format!("jifen_session={}", session.unwrap());
    let (_, html, _) = s.get("/console/members/1", &cookie).await;
    assert!(html.contains("/console/members/1/account"), "{html}");
    let csrf = hidden(&html, "csrf");
    let account = |form: Vec<(&'static str, String)>| {
        let (client, base, cookie) = (s.client.clone(), s.base.clone(), cookie.clone());
        async move {
            client
                .post(format!("{base}/console/members/1/account"))
                .header("cookie", cookie)
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    // A reason is required.
    let r = account(vec![("action", "freeze".into()), ("csrf", csrf.clone())]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = account(vec![
        ("action", "freeze".into()),
        ("reason", "疑似盗号".into()),
        ("csrf", csrf.clone()),
    ])
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html, _) = s.get("/console/members/1", &cookie).await;
    assert!(
        html.contains("已冻结") && html.contains("value=\"unfreeze\""),
        "{html}"
    );
    account(vec![
        ("action", "unfreeze".into()),
        ("reason", "已核实".into()),
        ("csrf", csrf.clone()),
    ])
    .await;
    // A member-centre link stops opening once revoked.
    let pid = s.pid;
    let link = s
        .app
        .write_view(pid, "m", None, |tx, ctx, now| {
            jifen_app::centre::link(tx, ctx, now, jifen_ledger::MemberId(1))
        })
        .await
        .unwrap()
        .view
        .path;
    let (st, html, _) = s.get(&link, "").await;
    assert_eq!(st, StatusCode::OK, "{html}");
    s.clock.set(jifen_app::Clock::now(&*s.clock) + 1);
    account(vec![
        ("action", "revoke_links".into()),
        ("reason", "手机丢失".into()),
        ("csrf", csrf.clone()),
    ])
    .await;
    let (_, html, _) = s.get(&link, "").await;
    assert!(html.contains("链接已失效"), "{html}");
    // Export, as CSV with a BOM.
    let r = s
        .client
        .get(format!("{}/console/members/1/export.csv", s.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.text().await.unwrap();
    assert!(body.starts_with("\u{feff}section,item,field,value\n") && body.contains("13800138000"));
    // Erasure waits for its confirmation, then the member is gone from the list.
    let r = account(vec![
        ("action", "erase".into()),
        ("reason", "会员申请注销".into()),
        ("csrf", csrf.clone()),
    ])
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = account(vec![
        ("action", "erase".into()),
        ("reason", "会员申请注销".into()),
        ("confirm", "1".into()),
        ("csrf", csrf.clone()),
    ])
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let entries = s
        .app
        .read(move |tx| Ok(tx.audit_entries(pid, Some("staff:amy"), None, i64::MAX, 50)?))
        .await
        .unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    for a in [
        "member.frozen",
        "member.unfrozen",
        "centre.links_revoked",
        "member.exported",
        "member.erased",
    ] {
        assert!(actions.contains(&a), "{a}: {actions:?}");
    }
}

/// Roles that do not need phone numbers see them masked (138****8000) on the list and the
/// member page; revealing one is audited. Service staff and owners see them whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_numbers_are_masked_for_roles_that_do_not_need_them() {
    let s = start().await;
    let new = jifen_app::staff::NewStaff {
        login: "olga".into(),
        name: "Olga".into(),
        role: jifen_app::staff::Role::Operator,
        password: "correct horse battery".into(),
    };
    s.app
        .write_view(s.pid, "staff", None, move |tx, ctx, now| {
            jifen_app::staff::create(tx, ctx, now, &new, "staff:amy")
        })
        .await
        .unwrap();
    let (olga, _) = s.session("olga").await;
    let (sam, _) = s.session("sam").await;
    for path in ["/console/members", "/console/members/1"] {
        let (st, html, _) = s.get(path, &olga).await;
        assert_eq!(st, StatusCode::OK, "{path}");
        assert!(
            html.contains("138****8000") && !html.contains("13800138000"),
            "{path}: {html}"
        );
        let (_, html, _) = s.get(path, &sam).await;
        assert!(html.contains("13800138000"), "{path}");
    }
    let (st, html, _) = s.get("/console/members/1/phone", &olga).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("13800138000"));
    let pid = s.pid;
    let seen = s
        .app
        .read(move |tx| {
            Ok(tx.audit_entries(
                pid,
                Some("staff:olga"),
                Some("member.phone_revealed"),
                i64::MAX,
                10,
            )?)
        })
        .await
        .unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].target, "member:1");
}

/// Staff correct a member's profile from the member page: saved in their name, a bad date
/// shown in the card and nothing changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_correct_a_members_profile_from_the_member_page() {
    let s = start().await;
    let (cookie, _) = s.session("sam").await;
    let (_, html, _) = s.get("/console/members/1", &cookie).await;
    let csrf = hidden(&html, "csrf");
    let post = |form: Vec<(&'static str, &'static str)>| {
        let (client, base, cookie, csrf) = (
            s.client.clone(),
            s.base.clone(),
            cookie.clone(),
            csrf.clone(),
        );
        async move {
            let mut form: Vec<(&str, String)> =
                form.into_iter().map(|(k, v)| (k, v.to_string())).collect();
            form.push(("csrf", csrf));
            client
                .post(format!("{base}/console/members/1/profile"))
                .header("cookie", cookie)
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    let r = post(vec![
        ("name", "王小明"),
        ("phone", "13800138000"),
        ("birthday", "1990-02-30"),
    ])
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("birthday"));
    let r = post(vec![
        ("name", "王晓明"),
        ("phone", "13800138000"),
        ("email", "wang@example.com"),
        ("birthday", "1990-05-17"),
    ])
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html, _) = s.get("/console/members/1", &cookie).await;
    assert!(
        html.contains("value=\"王晓明\"") && html.contains("value=\"1990-05-17\""),
        "{html}"
    );
    let pid = s.pid;
    let entries = s
        .app
        .read(move |tx| {
            Ok(tx.audit_entries(pid, Some("staff:sam"), Some("member.profile"), i64::MAX, 10)?)
        })
        .await
        .unwrap();
    assert_eq!(entries.len(), 1, "the refused change wrote nothing");
}

/// A page and the stylesheet asked for with `Accept-Encoding: gzip` come back gzip-encoded and
/// decode to what an uncompressed request gets; a client that does not ask gets plain text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_come_gzipped_to_a_browser_that_accepts_it() {
    let s = start().await;
    let (cookie, _) = s.session("amy").await;
    for path in ["/console/members/1", "/console/assets/console.css"] {
        let get = |gzip: bool| {
            let mut rb = s
                .client
                .get(format!("{}{path}", s.base))
                .header("cookie", &cookie);
            if gzip {
                rb = rb.header("accept-encoding", "gzip");
            }
            rb.send()
        };
        let plain = get(false).await.unwrap();
        assert_eq!(plain.status(), StatusCode::OK, "{path}");
        assert!(
            plain.headers().get("content-encoding").is_none(),
            "{path}: not asked, not compressed"
        );
        let plain = plain.bytes().await.unwrap();
        let zipped = get(true).await.unwrap();
        assert_eq!(zipped.status(), StatusCode::OK, "{path}");
        assert_eq!(
            zipped
                .headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap()),
            Some("gzip"),
            "{path}"
        );
        assert!(
            zipped.headers()["vary"]
                .to_str()
                .unwrap()
                .contains("accept-encoding"),
            "{path}: caches keep the two apart"
        );
        let body = zipped.bytes().await.unwrap();
        assert!(
            body.len() * 2 < plain.len(),
            "{path}: {} of {}",
            body.len(),
            plain.len()
        );
        let unzipped = jifen_testkit::gunzip(&body);
        // The same session at the same (test) time: the same page either way.
        assert_eq!(unzipped, plain.to_vec(), "{path}: the same page");
    }
}
