//! The rule form's common shapes in a real headless Chromium: an operator opens the pickers,
//! fills in 满200送50 and has the condition and formula written into the form, unsaved; Enter in
//! a field saves the rule rather than pressing a picker; the saved rule's page shows its picker
//! filled in; the pickers in English. Screenshots are kept under `target/screenshots/`.

mod cdp;
mod common;

use common::start;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_writes_a_threshold_rule_from_its_picker() {
    let s = start().await;
    let base = s.base.clone();
    tokio::task::spawn_blocking(move || {
        let Some(mut b) = cdp::Browser::console(&base, "amy", 1440, 900) else {
            return;
        };
        b.goto(&format!("{base}/console/rules/new"));
        assert_eq!(b.eval("document.querySelector('details.shapes').open"), json!(false));
        b.eval("document.querySelector('details.shapes summary').click(); true");
        b.set_value("name", "满200送50");
        b.set_value("shape_min_amount", "200");
        b.set_value("shape_points", "50");
        b.eval("document.querySelector('button[value=threshold]').click(); true");
        b.wait_until("document.querySelector('.notice') !== null");
        assert_eq!(
            b.eval("document.getElementById('condition').value"),
            json!("order.amount >= 20000")
        );
        assert_eq!(b.eval("document.getElementById('points').value"), json!("50"));
        assert_eq!(b.eval("document.getElementById('trigger').value"), json!("purchase"));
        assert_eq!(b.eval("document.getElementById('name').value"), json!("满200送50"));
        assert_eq!(b.path(), "/console/rules/new", "nothing saved yet");
        b.screenshot("console-rule-shape-applied");

        // Enter in the name field saves the rule: the first submit button is the save.
        b.eval("document.getElementById('name').focus(); true");
        b.call(
            "Input.dispatchKeyEvent",
            json!({"type": "keyDown", "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13, "text": "\r"}),
        );
        b.call(
            "Input.dispatchKeyEvent",
            json!({"type": "keyUp", "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13}),
        );
        b.wait_until("location.search.includes('done=saved')");
        assert!(b.text().contains("已保存"));
        assert_eq!(b.eval("document.querySelector('details.shapes').open"), json!(true));
        assert_eq!(
            b.eval("document.getElementById('shape_min_amount').value"),
            json!("200")
        );
        b.screenshot("console-rule-shape-saved");
        let path = b.path();
        let path = path.split('?').next().unwrap();
        b.goto(&format!("{base}{path}?lang=en"));
        let text = b.text();
        assert!(text.contains("Common shapes"), "{text}");
        b.screenshot("console-rule-shape-en");
    })
    .await
    .unwrap();
}
