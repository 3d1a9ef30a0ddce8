//! Tests of the expression language: evaluation, runtime errors and compile errors.

use super::*;

struct S(Vec<(&'static str, Type)>);
impl Schema for S {
    fn lookup(&self, name: &str) -> Option<(usize, Type)> {
        self.0
            .iter()
            .position(|(n, _)| *n == name)
            .map(|i| (i, self.0[i].1))
    }
    fn names(&self) -> Vec<&str> {
        self.0.iter().map(|(n, _)| *n).collect()
    }
}

fn schema() -> S {
    S(vec![
        ("order.amount", Type::Int),
        ("order.categories", Type::List),
        ("order.category_amount", Type::Map),
        ("member.tier", Type::Str),
        ("sign_in.makeup", Type::Bool),
    ])
}

fn slots() -> Vec<Value> {
    vec![
        Value::Int(12_800),
        Value::List(vec!["coffee".into(), "bakery".into()]),
        Value::Map([("coffee".to_string(), 3_000)].into_iter().collect()),
        Value::Str("gold".into()),
        Value::Bool(false),
    ]
}

fn int(src: &str) -> Result<i64, String> {
    let e = Expr::compile(src, &schema(), Type::Int).map_err(|e| e.to_string())?;
    e.eval_int(&slots()).map_err(|e| e.to_string())
}

fn boolean(src: &str) -> bool {
    Expr::compile(src, &schema(), Type::Bool)
        .unwrap()
        .eval_bool(&slots())
        .unwrap()
}

#[test]
fn arithmetic_follows_precedence_and_truncates_division() {
    assert_eq!(int("1 + 2 * 3"), Ok(7));
    assert_eq!(int("(1 + 2) * 3"), Ok(9));
    assert_eq!(int("order.amount / 100 * 2"), Ok(256));
    assert_eq!(int("7 % 3 - -1"), Ok(2));
    assert_eq!(int("1_000 * 3"), Ok(3000));
}

#[test]
fn maps_read_zero_for_missing_keys_and_lists_support_in() {
    assert_eq!(int("order.category_amount[\"coffee\"] / 100"), Ok(30));
    assert_eq!(int("order.category_amount['tea']"), Ok(0));
    assert!(boolean("\"coffee\" in order.categories"));
    assert!(!boolean("'tea' in order.categories"));
    assert!(boolean("member.tier in ['gold', 'diamond']"));
    assert!(boolean("'coffee' in order.category_amount"));
}

#[test]
fn logic_short_circuits_and_ternaries_choose() {
    assert!(boolean("order.amount >= 10000 && member.tier == 'gold'"));
    assert!(boolean("!sign_in.makeup || 1 / 0 == 1"));
    assert_eq!(int("member.tier == 'gold' ? 3 : 1"), Ok(3));
    assert!(!boolean("false && 1 / 0 == 1"));
}

#[test]
fn functions_compute() {
    assert_eq!(int("min(order.amount / 100, 50)"), Ok(50));
    assert_eq!(int("max(1, 5, 3)"), Ok(5));
    assert_eq!(int("clamp(500, 0, 100)"), Ok(100));
    assert_eq!(int("abs(-4)"), Ok(4));
    assert_eq!(int("size(order.categories) + size('积分')"), Ok(4));
    assert!(boolean("contains(member.tier, 'ol')"));
}

#[test]
fn runtime_errors_are_reported_not_panicked() {
    assert_eq!(
        int("1 / (order.amount - 12800)"),
        Err("division by zero".into())
    );
    assert_eq!(
        int("9223372036854775807 + 1"),
        Err("integer overflow".into())
    );
    assert_eq!(
        int("9223372036854775807 * order.amount"),
        Err("integer overflow".into())
    );
}

#[test]
fn compile_errors_name_the_problem_and_place() {
    let e = |src: &str, ty| Expr::compile(src, &schema(), ty).unwrap_err();
    let u = e("order.amont * 2", Type::Int);
    assert_eq!(u.at, 0);
    assert!(
        u.message.contains("unknown variable order.amont"),
        "{}",
        u.message
    );
    assert!(u.message.contains("order.amount"), "{}", u.message);
    assert!(
        e("order.amount", Type::Bool)
            .message
            .contains("it must be a bool")
    );
    assert!(
        e("member.tier + 1", Type::Int)
            .message
            .contains("arithmetic needs two ints")
    );
    assert!(e("1 = 1", Type::Bool).message.contains("use =="));
    assert!(e("1.5 * 2", Type::Int).message.contains("whole numbers"));
    assert!(e("'abc", Type::Str).message.contains("not closed"));
    assert!(e("1 +", Type::Int).message.contains("ends too early"));
    assert!(e("1 2", Type::Int).message.contains("after the end"));
    assert!(e("1 < 2 < 3", Type::Bool).message.contains("after the end"));
    assert!(
        e("foo(1)", Type::Int)
            .message
            .contains("unknown function foo")
    );
    assert!(e("min(1)", Type::Int).message.contains("two or more ints"));
    assert!(
        e("order.amount[\"x\"]", Type::Int)
            .message
            .contains("only maps")
    );
    assert_eq!(e("1 + (2 * )", Type::Int).at, 9);
    let deep = format!("{}1{}", "(".repeat(100), ")".repeat(100));
    assert!(e(&deep, Type::Int).message.contains("nested deeper"));
    let deep_not = format!("{}true", "!".repeat(100));
    assert!(e(&deep_not, Type::Bool).message.contains("nested deeper"));
    assert!(
        e(&"1+".repeat(1500), Type::Int)
            .message
            .contains("longer than")
    );
}

#[test]
fn referenced_variables_are_listed_once() {
    let x = Expr::compile(
        "order.amount + order.amount + order.category_amount['a']",
        &schema(),
        Type::Int,
    )
    .unwrap();
    assert_eq!(x.vars(), &[0, 2]);
}

/// Every refusal has its Chinese words too, naming the same thing: the console's 中文 pages show
/// those, never the English.
#[test]
fn every_compile_error_reads_in_chinese_too() {
    let e = |src: &str, ty| Expr::compile(src, &schema(), ty).unwrap_err();
    let cjk = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    for (src, ty, zh) in [
        ("order.amont * 2", Type::Int, "没有变量 order.amont"),
        ("order.amount", Type::Bool, "这里需要是/否"),
        ("member.tier + 1", Type::Int, "加减乘除需要两个整数"),
        ("1 = 1", Type::Bool, "比较请用 =="),
        ("1.5 * 2", Type::Int, "只能用整数"),
        ("'abc", Type::Str, "引号"),
        ("1 +", Type::Int, "不完整"),
        ("1 2", Type::Int, "多余"),
        ("foo(1)", Type::Int, "没有函数 foo"),
        ("min(1)", Type::Int, "两个或更多整数"),
        ("true ? 1 : 'a'", Type::Int, "同一类型"),
        ("member.tier[1]", Type::Int, "只有键值表"),
        ("!1", Type::Bool, "需要是/否"),
        ("1 in 2", Type::Bool, "in 的左边"),
        ("(1", Type::Int, "这里应为 )"),
        (&"1+".repeat(1_001), Type::Int, "超过"),
    ] {
        let err = e(src, ty);
        assert!(
            err.message_zh.contains(zh) && cjk(&err.message_zh),
            "{src}: {} / {}",
            err.message,
            err.message_zh
        );
        assert!(
            err.text(false)
                .starts_with(&format!("第 {} 个字符处", err.at + 1))
        );
        assert_eq!(err.text(true), err.to_string());
    }
}
