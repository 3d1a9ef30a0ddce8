//! The console in a real headless Chromium: sign in through the form, read the overview, find
//! a member and open their page, switch to English, sign out. Screenshots of each page are kept
//! under `target/screenshots/` as test artifacts.

mod cdp;
mod common;

use common::start;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_use_the_console_in_a_real_browser() {
    let s = start().await;
    let base = s.base.clone();
    let link = s.centre_link().await;
    tokio::task::spawn_blocking(move || {
        let Some(mut b) = cdp::Browser::start() else {
            return;
        };
        b.viewport(1280, 900);
        b.goto(&format!("{base}/console"));
        assert_eq!(b.path(), "/console/login", "the console asks to sign in");
        b.screenshot("console-login");
        // A wrong password is answered next to the form.
        b.eval("document.querySelector('#login').value = 'amy'; document.querySelector('#password').value = 'not it at all'; document.querySelector('form').submit(); true");
        b.wait_until("document.querySelector('.error')");
        assert!(b.text().contains("账号或密码错误"), "{}", b.text());
        b.eval("document.querySelector('#password').value = 'correct horse battery'; document.querySelector('form').submit(); true");
        b.wait_until("location.pathname === '/console'");
        let text = b.text();
        assert!(text.contains("会员总数") && text.contains("12,345"), "{text}");
        b.screenshot("console-overview");
        // Members: search by phone, open the member.
        b.eval("document.querySelector('header nav a[href=\"/console/members\"]').click(); true");
        b.wait_until("location.pathname === '/console/members'");
        b.eval("document.querySelector('input[name=q]').value = '13800138000'; document.querySelector('form.search').submit(); true");
        b.wait_until("location.search.includes('q=')");
        assert!(b.text().contains("王小明"));
        b.screenshot("console-members");
        b.goto(&format!("{base}/console/members?q=8000"));
        assert!(b.text().contains("王小明"), "found by the phone's last four digits");
        b.screenshot("console-members-tail");
        b.goto(&format!("{base}/console/members?sort=balance&min_balance=abc"));
        assert!(b.text().contains("请填写整数积分"), "{}", b.text());
        b.screenshot("console-members-filter-error");
        b.goto(&format!("{base}/console/members?sort=balance&lang=en"));
        assert!(b.text().contains("1 found"), "{}", b.text());
        b.screenshot("console-members-filters-en");
        b.goto(&format!("{base}/console/members?q=8000&lang=zh"));
        b.eval("document.querySelector('td a[href^=\"/console/members/\"]').click(); true");
        b.wait_until("/^\\/console\\/members\\/\\d+$/.test(location.pathname)");
        let text = b.text();
        assert!(text.contains("积分明细") && text.contains("人工调整") && text.contains("<script>alert(1)</script>"), "{text}");
        b.screenshot("console-member");
        // The account card at the bottom: freeze, revoke links, export, erase.
        assert!(text.contains("使会员中心链接失效") && text.contains("注销个人信息"), "{text}");
        b.eval("document.querySelector('#account-reason').scrollIntoView(); true");
        b.screenshot("console-member-account");
        // The language switch, remembered on the next page.
        b.eval("[...document.querySelectorAll('.lang a')].find(a => a.textContent === 'English').click(); true");
        b.wait_until("document.documentElement.lang === 'en'");
        assert!(b.text().contains("Points history"));
        b.goto(&format!("{base}/console"));
        assert!(b.text().contains("Points outstanding"));
        b.screenshot("console-overview-en");
        // An adjustment above the approval threshold waits for a colleague.
        b.goto(&format!("{base}/console/members/1?lang=zh"));
        b.eval("document.querySelector('#delta').value = '2000'; document.querySelector('#reason').value = '会员投诉补偿'; document.querySelector('form.adjust').submit(); true");
        b.wait_until("location.search.includes('done=pending')");
        assert!(b.text().contains("已提交给另一位同事审批"));
        b.screenshot("console-adjust-pending");
        // Sign out; the colleague signs in and approves.
        b.eval("document.querySelector('header form button').click(); true");
        b.wait_until("location.pathname === '/console/login'");
        b.goto(&format!("{base}/console"));
        assert_eq!(b.path(), "/console/login");
        b.eval("document.querySelector('#login').value = 'sam'; document.querySelector('#password').value = 'correct horse battery'; document.querySelector('form').submit(); true");
        b.wait_until("location.pathname === '/console'");
        b.goto(&format!("{base}/console/approvals"));
        assert!(b.text().contains("会员投诉补偿"));
        b.screenshot("console-approvals");
        b.eval("document.querySelector('button.approve').click(); true");
        b.wait_until("location.search.includes('done=approved')");
        b.goto(&format!("{base}/console/members/1"));
        assert!(b.text().contains("14,345"), "{}", b.text());
        // The member points centre on a phone: balance, sign-in, history.
        b.viewport(375, 812);
        b.goto(&format!("{base}{link}?lang=zh"));
        let text = b.text();
        assert!(text.contains("可用积分") && text.contains("14,345") && text.contains("积分明细"), "{text}");
        assert_eq!(b.eval("document.documentElement.scrollWidth <= 375"), serde_json::json!(true), "no sideways scrolling at 375 px");
        b.screenshot("centre-home-375");
        b.eval("document.querySelector('.signin button').click(); true");
        b.wait_until("location.search.includes('done=')");
        assert!(b.text().contains("签到成功"), "{}", b.text());
        assert_eq!(b.eval("document.querySelector('.signin button').disabled"), serde_json::json!(true));
        b.screenshot("centre-signed-in-375");
        // One-tap appeal on a history line; the colleague answers it with 100 points.
        b.eval("document.querySelector('ul.lines a[href*=\"/appeal?\"]').click(); true");
        b.wait_until("location.pathname.endsWith('/appeal')");
        b.eval("document.querySelector('#message').value = '这笔补偿少给了100积分'; document.querySelector('form').submit(); true");
        b.wait_until("location.search.includes('done=appealed')");
        assert!(b.text().contains("申诉已提交") && b.text().contains("处理中"), "{}", b.text());
        b.viewport(1280, 900);
        b.goto(&format!("{base}/console/appeals"));
        assert!(b.text().contains("这笔补偿少给了100积分"));
        b.screenshot("console-appeals");
        b.eval("let f = document.querySelector('form.answer'); f.querySelector('[name=answer]').value = '已核实，补发100积分'; f.querySelector('[name=delta]').value = '100'; f.querySelector('button[value=resolve]').click(); true");
        b.wait_until("location.search.includes('done=answered')");
        b.viewport(375, 812);
        b.goto(&format!("{base}{link}"));
        let text = b.text();
        assert!(text.contains("已核实，补发100积分") && text.contains("已处理") && text.contains("14,445"), "{text}");
        b.screenshot("centre-appeal-answered-375");
        // A link with a forged signature opens nothing.
        // The last hex digit changed: never the same as the real one.
        let last = if link.ends_with('0') { '1' } else { '0' };
        let forged = format!("{}{last}", &link[..link.len() - 1]);
        b.goto(&format!("{base}{forged}"));
        assert!(b.text().contains("链接已失效"));
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_creates_a_rule_and_ships_an_order_in_a_real_browser() {
    let s = start().await;
    let base = s.base.clone();
    // A physical item on sale and a member's order for it, waiting to be shipped.
    let item = serde_json::json!({
        "name_zh": "保温杯", "name_en": "Thermos cup", "category": "home",
        "kind": {"type": "physical"},
        "skus": [{"sku": "CUP-500", "points": 1500, "stock": 10}],
        "status": "on_sale"
    });
    let item: jifen_app::mall::ItemIn = serde_json::from_value(item).unwrap();
    s.app
        .write_view(s.pid, "mall", None, move |tx, ctx, now| {
            jifen_app::mall::create_item(tx, ctx, now, "staff:test", &item)
        })
        .await
        .unwrap();
    let order_id = s.order_posted_home("CUP-500", 1, "b-1").await;
    tokio::task::spawn_blocking(move || {
        let Some(mut b) = cdp::Browser::start() else {
            return;
        };
        b.viewport(1280, 900);
        b.sign_in(&base, "amy");
        // Create a rule: a formula with a mistake first, answered next to the field.
        b.eval("document.querySelector('header nav a[href=\"/console/rules\"]').click(); true");
        b.wait_until("location.pathname === '/console/rules'");
        assert!(b.text().contains("还没有规则"));
        b.eval("document.querySelector('a.button[href=\"/console/rules/new\"]').click(); true");
        b.wait_until("location.pathname === '/console/rules/new'");
        b.eval("document.querySelector('#name').value = '周末双倍积分'; document.querySelector('#points').value = 'order.amount /'; document.querySelector('#days_of_week').value = '6, 7'; document.querySelector('form.rule').submit(); true");
        b.wait_until("document.querySelector('#points + .field-error')");
        assert_eq!(
            b.eval("document.querySelector('#name').value"),
            serde_json::json!("周末双倍积分"),
            "what was typed is kept"
        );
        b.screenshot("console-rule-error");
        b.eval("document.querySelector('#points').value = 'order.amount / 50'; document.querySelector('#cap_period').value = 'day'; document.querySelector('#cap_points').value = '2000'; document.querySelector('input[name=activate]').checked = true; document.querySelector('form.rule').submit(); true");
        b.wait_until("location.search.includes('done=saved')");
        let text = b.text();
        assert!(text.contains("已保存") && text.contains("生效中"), "{text}");
        // Dry-run 300 yuan on a Saturday-less clock: the rule is outside its days, so it
        // says why; nothing is written.
        b.eval("document.querySelector('#dry_member').value = '13800138000'; document.querySelector('#dry_amount').value = '300'; document.querySelector('#dry_member').form.submit(); true");
        b.wait_until("document.querySelector('#dry-result')");
        let text = b.text();
        assert!(text.contains("周末双倍积分"), "{text}");
        b.screenshot("console-rule");
        // The rule is in the list.
        b.goto(&format!("{base}/console/rules"));
        assert!(b.text().contains("周末双倍积分") && b.text().contains("order.amount / 50"));
        b.screenshot("console-rules");
        // Ship the order: the tracking number is required, then it shows on the order.
        b.eval("document.querySelector('header nav a[href=\"/console/orders\"]').click(); true");
        b.wait_until("location.pathname === '/console/orders'");
        assert!(b.text().contains("保温杯") && b.text().contains("待发货"), "{}", b.text());
        b.screenshot("console-orders");
        b.goto(&format!("{base}/console/orders?lang=en"));
        b.screenshot("console-orders-en");
        b.goto(&format!("{base}/console/orders?lang=zh"));
        b.eval(&format!("let f = document.querySelector('#order-{order_id} form.ship'); f.querySelector('[name=carrier]').value = 'SF'; f.submit(); true"));
        b.wait_until("document.querySelector('.field-error')");
        assert!(b.text().contains("请填写运单号"));
        b.eval(&format!("let f = document.querySelector('#order-{order_id} form.ship'); f.querySelector('[name=carrier]').value = 'SF'; f.querySelector('[name=tracking_no]').value = 'SF1234567890'; f.submit(); true"));
        b.wait_until("location.search.includes('done=1')");
        let text = b.text();
        assert!(text.contains("已发货") && text.contains("顺丰速运 SF1234567890"), "{text}");
        // Found again by its tracking number, in both languages.
        b.goto(&format!("{base}/console/orders?q=SF1234567890"));
        assert!(b.text().contains("顺丰速运 SF1234567890"), "{}", b.text());
        b.screenshot("console-orders-search");
        b.goto(&format!("{base}/console/orders?q=SF1234567890&lang=en"));
        assert!(b.text().contains("SF Express SF1234567890"), "{}", b.text());
        b.screenshot("console-orders-search-en");
        b.goto(&format!("{base}/console/orders?lang=zh"));
        b.goto(&format!("{base}/console/orders/{order_id}"));
        assert!(b.text().contains("南京路1号"));
        b.screenshot("console-order");
        b.goto(&format!("{base}/console/mall"));
        assert!(b.text().contains("保温杯"));
        let picture = b.screenshot("console-mall").canonicalize().unwrap();
        b.goto(&format!("{base}/console/mall/items/new"));
        b.screenshot("console-item-new");
        // A picture chosen in the form is uploaded at once (the form's CSRF token in its
        // header) and its id and preview join the form.
        let doc = b.call("DOM.getDocument", serde_json::json!({}));
        let input = b.call(
            "DOM.querySelector",
            serde_json::json!({"nodeId": doc["root"]["nodeId"], "selector": "#image-file"}),
        );
        b.call(
            "DOM.setFileInputFiles",
            serde_json::json!({"nodeId": input["nodeId"], "files": [picture.to_string_lossy()]}),
        );
        b.wait_until("document.querySelectorAll('#previews img').length === 1");
        let images = b.eval("document.getElementById('images').value");
        assert!(
            images.as_str().is_some_and(|v| v.parse::<i64>().is_ok()),
            "{images}"
        );
    })
    .await
    .unwrap();
}

/// Signs in to the console as amy through the form.
fn sign_in_amy(b: &mut cdp::Browser, base: &str) {
    b.goto(&format!("{base}/console/login"));
    b.eval("document.querySelector('#login').value = 'amy'; document.querySelector('#password').value = 'correct horse battery'; document.querySelector('form').submit(); true");
    b.wait_until("location.pathname === '/console'");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_of_the_sign_in_rule_after_signing_in_shows_its_result_in_place() {
    let s = start().await;
    let base = s.base.clone();
    let rule = s
        .rule(
            serde_json::json!({"name": "每日签到", "trigger": "sign_in", "points": "5 + streak.day * 5"}),
            "active",
        )
        .await;
    // The member signed in today.
    s.event(serde_json::json!({"type": "sign_in"})).await;
    tokio::task::spawn_blocking(move || {
        let Some(mut b) = cdp::Browser::start() else {
            return;
        };
        b.viewport(1280, 900);
        sign_in_amy(&mut b, &base);
        for (lang, note, title) in [
            ("zh", "已签到", "试算"),
            ("en", "already signed in", "Dry run"),
        ] {
            b.goto(&format!("{base}/console/rules/{rule}?lang={lang}"));
            b.eval("document.querySelector('#dry_member').value = '13800138000'; document.querySelector('#dry_member').form.submit(); true");
            b.wait_until("document.querySelector('#dry-result') || document.querySelector('.error')");
            let text = b.text();
            // The rule's page with the panel: the result, the note, and the form as typed.
            assert!(text.contains(title) && text.contains(note), "{text}");
            assert!(text.contains("+10"), "the first day's sign-in pays 10: {text}");
            assert_eq!(
                b.eval("document.querySelector('#dry_member').value"),
                serde_json::json!("13800138000"),
                "the form keeps the member typed"
            );
            if lang == "zh" {
                assert!(!text.contains("already"), "{text}");
            }
            b.eval("document.querySelector('#dry-result').scrollIntoView(); true");
            b.screenshot(&format!("console-dry-run-signed-in-{lang}"));
            // The rule form's task link: a bad one is named next to it, what was typed kept.
            b.eval("document.querySelector('#trigger').value = 'review'; document.querySelector('#points').value = '20'; document.querySelector('#task_url').value = 'ftp://shop.example/review'; document.querySelector('form.rule').submit(); true");
            b.wait_until("document.querySelector('#task_url + .field-error')");
            assert_eq!(
                b.eval("document.querySelector('#task_url').value"),
                serde_json::json!("ftp://shop.example/review")
            );
            b.eval("document.querySelector('#task_url').scrollIntoView({block: 'center'}); true");
            b.screenshot(&format!("console-rule-task-link-error-{lang}"));
        }
    })
    .await
    .unwrap();
}

/// How the merge form lays out: the reason input's width, the lines its label, the check's
/// words and the button take, and whether the checkbox sits on the line of its words.
const MERGE_LAYOUT_JS: &str = "(() => {
  const f = document.querySelector('form[action$=\"/merge\"]');
  const rangeLines = r => new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top))).size;
  const lines = el => { const r = document.createRange(); r.selectNodeContents(el); return rangeLines(r); };
  const reason = f.querySelector('#merge_reason');
  const label = f.querySelector('label[for=merge_reason]');
  const box = f.querySelector('input[type=checkbox]');
  const words = document.createRange(); words.selectNodeContents(box.parentElement); words.setStartAfter(box);
  const w = words.getBoundingClientRect(), c = box.getBoundingClientRect();
  const button = f.querySelector('button[type=submit]');
  return { reason: Math.round(reason.getBoundingClientRect().width), label: lines(label), check: rangeLines(words),
           same_line: c.top < w.bottom && c.bottom > w.top && c.right <= w.left + 1, button: lines(button),
           inside: f.getBoundingClientRect().right >= button.getBoundingClientRect().right };
})()";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_merge_form_keeps_its_shape_on_wide_screens() {
    let s = start().await;
    let base = s.base.clone();
    let member = s.member;
    tokio::task::spawn_blocking(move || {
        let Some(mut b) = cdp::Browser::start() else {
            return;
        };
        b.viewport(1280, 900);
        sign_in_amy(&mut b, &base);
        for width in [1280, 1440] {
            for lang in ["zh", "en"] {
                b.viewport(width, 900);
                b.goto(&format!("{base}/console/members/{member}?lang={lang}"));
                b.wait_until("document.querySelector('#merge_reason')");
                let m = b.eval(MERGE_LAYOUT_JS);
                let at = format!("{width} px, {lang}: {m}");
                assert!(m["reason"].as_i64().unwrap() >= 200, "the reason input is wide enough at {at}");
                assert_eq!(m["label"], 1, "the reason's label is one line at {at}");
                assert_eq!(m["check"], 1, "the check's words are one line at {at}");
                assert_eq!(m["same_line"], true, "the checkbox sits before its words at {at}");
                assert_eq!(m["button"], 1, "the button is one line at {at}");
                assert_eq!(m["inside"], true, "the button stays in the form at {at}");
                if width == 1280 {
                    b.eval("document.querySelector('form[action$=\"/merge\"]').scrollIntoView({block: 'center'}); true");
                    b.screenshot(&format!("console-member-merge-{width}-{lang}"));
                }
            }
        }
    })
    .await
    .unwrap();
}
