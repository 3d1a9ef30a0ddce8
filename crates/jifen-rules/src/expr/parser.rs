//! The parser and type checker: tokens to a typed tree with variables compiled to slots, and
//! errors that name the problem and its place.

use super::lexer::{SYMBOLS, Tok};
use super::{BinOp, CompileError, DEPTH_MAX, Func, Node, Schema, Type};

pub(super) struct Parser<'s> {
    pub(super) tokens: Vec<(usize, Tok)>,
    pub(super) pos: usize,
    pub(super) schema: &'s dyn Schema,
    pub(super) vars: Vec<usize>,
    pub(super) depth: usize,
}

type Parsed = Result<(Node, Type), CompileError>;

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos).map(|t| &t.1)
    }

    fn at(&self) -> usize {
        self.tokens
            .get(self.pos)
            .or(self.tokens.last())
            .map_or(0, |t| t.0)
    }

    pub(super) fn error_here(&self, en: impl Into<String>, zh: impl Into<String>) -> CompileError {
        CompileError::new(self.at(), en, zh)
    }

    fn eat(&mut self, sym: &str) -> bool {
        if self.peek() == Some(&Tok::Sym(sym_static(sym))) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, sym: &str) -> Result<(), CompileError> {
        if self.eat(sym) {
            Ok(())
        } else {
            Err(self.error_here(format!("expected {sym}"), format!("这里应为 {sym}")))
        }
    }

    pub(super) fn expr(&mut self) -> Parsed {
        self.depth += 1;
        if self.depth > DEPTH_MAX {
            return Err(self.error_here(
                format!("nested deeper than {DEPTH_MAX} levels"),
                format!("嵌套超过 {DEPTH_MAX} 层"),
            ));
        }
        let r = self.ternary();
        self.depth -= 1;
        r
    }

    fn ternary(&mut self) -> Parsed {
        let at = self.at();
        let (c, ct) = self.binary(0)?;
        if !self.eat("?") {
            return Ok((c, ct));
        }
        want(at, ("the condition of ?:", "?: 的条件"), ct, Type::Bool)?;
        let at_then = self.at();
        let (a, at_ty) = self.expr()?;
        self.expect(":")?;
        let (b, bt) = self.expr()?;
        if at_ty != bt {
            return Err(CompileError::new(
                at_then,
                format!("both branches of ?: must have one type, got {at_ty} and {bt}"),
                format!(
                    "?: 的两个分支须为同一类型，现在是{}和{}",
                    at_ty.zh(),
                    bt.zh()
                ),
            ));
        }
        Ok((Node::Cond(Box::new(c), Box::new(a), Box::new(b)), at_ty))
    }

    /// Binary operators by precedence level: 0 `||`, 1 `&&`, 2 comparisons, 3 `+ -`, 4 `* / %`.
    fn binary(&mut self, level: usize) -> Parsed {
        if level == 5 {
            return self.unary();
        }
        let (mut lhs, mut lt) = self.binary(level + 1)?;
        loop {
            let op = match (level, self.peek()) {
                (0, Some(Tok::Sym("||"))) => BinOp::Or,
                (1, Some(Tok::Sym("&&"))) => BinOp::And,
                (2, Some(Tok::Sym("=="))) => BinOp::Eq,
                (2, Some(Tok::Sym("!="))) => BinOp::Ne,
                (2, Some(Tok::Sym("<"))) => BinOp::Lt,
                (2, Some(Tok::Sym("<="))) => BinOp::Le,
                (2, Some(Tok::Sym(">"))) => BinOp::Gt,
                (2, Some(Tok::Sym(">="))) => BinOp::Ge,
                (2, Some(Tok::Ident(s))) if s == "in" => BinOp::In,
                (3, Some(Tok::Sym("+"))) => BinOp::Add,
                (3, Some(Tok::Sym("-"))) => BinOp::Sub,
                (4, Some(Tok::Sym("*"))) => BinOp::Mul,
                (4, Some(Tok::Sym("/"))) => BinOp::Div,
                (4, Some(Tok::Sym("%"))) => BinOp::Rem,
                _ => return Ok((lhs, lt)),
            };
            let at = self.at();
            self.pos += 1;
            let (rhs, rt) = self.binary(level + 1)?;
            let ty = check_bin(at, op, lt, rt)?;
            lhs = Node::Bin(op, Box::new(lhs), Box::new(rhs));
            lt = ty;
            // Comparisons do not chain: `a < b < c` is almost always a mistake.
            if level == 2 {
                return Ok((lhs, lt));
            }
        }
    }

    fn unary(&mut self) -> Parsed {
        let at = self.at();
        if self.eat("!") {
            self.depth += 1;
            if self.depth > DEPTH_MAX {
                return Err(self.error_here(
                    format!("nested deeper than {DEPTH_MAX} levels"),
                    format!("嵌套超过 {DEPTH_MAX} 层"),
                ));
            }
            let (n, t) = self.unary()?;
            self.depth -= 1;
            want(at, ("!", "! "), t, Type::Bool)?;
            return Ok((Node::Not(Box::new(n)), Type::Bool));
        }
        if self.eat("-") {
            self.depth += 1;
            if self.depth > DEPTH_MAX {
                return Err(self.error_here(
                    format!("nested deeper than {DEPTH_MAX} levels"),
                    format!("嵌套超过 {DEPTH_MAX} 层"),
                ));
            }
            let (n, t) = self.unary()?;
            self.depth -= 1;
            want(at, ("unary -", "负号 "), t, Type::Int)?;
            return Ok((Node::Neg(Box::new(n)), Type::Int));
        }
        self.postfix()
    }

    fn postfix(&mut self) -> Parsed {
        let (mut n, mut t) = self.primary()?;
        while self.peek() == Some(&Tok::Sym("[")) {
            let at = self.at();
            self.pos += 1;
            let (k, kt) = self.expr()?;
            self.expect("]")?;
            if t != Type::Map {
                return Err(CompileError::new(
                    at,
                    format!("only maps can be indexed, this is a {t}"),
                    format!("只有键值表可以用 [ ] 取值，这里是{}", t.zh()),
                ));
            }
            want(at, ("a map key", "键值表的键"), kt, Type::Str)?;
            n = Node::Index(Box::new(n), Box::new(k));
            t = Type::Int;
        }
        Ok((n, t))
    }

    fn primary(&mut self) -> Parsed {
        let at = self.at();
        let Some((_, tok)) = self.tokens.get(self.pos).cloned() else {
            return Err(self.error_here("the expression ends too early", "表达式不完整"));
        };
        self.pos += 1;
        match tok {
            Tok::Int(v) => Ok((Node::Int(v), Type::Int)),
            Tok::Str(s) => Ok((Node::Str(s), Type::Str)),
            Tok::Sym("(") => {
                let r = self.expr()?;
                self.expect(")")?;
                Ok(r)
            }
            Tok::Sym("[") => {
                let mut items = Vec::new();
                if !self.eat("]") {
                    loop {
                        match self.tokens.get(self.pos) {
                            Some((_, Tok::Str(s))) => {
                                items.push(s.clone());
                                self.pos += 1;
                            }
                            _ => {
                                return Err(self.error_here(
                                    "list literals hold strings only",
                                    "列表中只能写文本",
                                ));
                            }
                        }
                        if self.eat("]") {
                            break;
                        }
                        self.expect(",")?;
                    }
                }
                Ok((Node::StrList(items), Type::List))
            }
            Tok::Ident(name) if name == "true" => Ok((Node::Bool(true), Type::Bool)),
            Tok::Ident(name) if name == "false" => Ok((Node::Bool(false), Type::Bool)),
            Tok::Ident(name) => {
                if self.peek() == Some(&Tok::Sym("(")) {
                    self.pos += 1;
                    return self.call(at, &name);
                }
                let mut path = name;
                while self.peek() == Some(&Tok::Sym(".")) {
                    self.pos += 1;
                    match self.tokens.get(self.pos) {
                        Some((_, Tok::Ident(part))) => {
                            path.push('.');
                            path.push_str(part);
                            self.pos += 1;
                        }
                        _ => {
                            return Err(
                                self.error_here("expected a name after .", ". 后面应为名称")
                            );
                        }
                    }
                }
                match self.schema.lookup(&path) {
                    Some((slot, ty)) => {
                        self.vars.push(slot);
                        Ok((Node::Var(slot), ty))
                    }
                    None => {
                        let (en, zh) = unknown_variable(&path, &self.schema.names());
                        Err(CompileError::new(at, en, zh))
                    }
                }
            }
            Tok::Sym(s) => Err(CompileError::new(
                at,
                format!("unexpected {s}"),
                format!("这里不应出现 {s}"),
            )),
        }
    }

    fn call(&mut self, at: usize, name: &str) -> Parsed {
        let func = match name {
            "min" => Func::Min,
            "max" => Func::Max,
            "abs" => Func::Abs,
            "clamp" => Func::Clamp,
            "size" => Func::Size,
            "contains" => Func::Contains,
            _ => {
                return Err(CompileError::new(
                    at,
                    format!(
                        "unknown function {name}; the functions are min, max, abs, clamp, size, contains"
                    ),
                    format!("没有函数 {name}；可用的函数：min、max、abs、clamp、size、contains"),
                ));
            }
        };
        let mut args = Vec::new();
        let mut types = Vec::new();
        if !self.eat(")") {
            loop {
                let (n, t) = self.expr()?;
                args.push(n);
                types.push(t);
                if self.eat(")") {
                    break;
                }
                self.expect(",")?;
            }
        }
        let bad = |expected: &str, expected_zh: &str| {
            let got = |zh: bool| {
                types
                    .iter()
                    .map(|t| {
                        if zh {
                            t.zh().to_string()
                        } else {
                            t.to_string()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            CompileError::new(
                at,
                format!("{name} takes {expected}, got ({})", got(false)),
                format!("{name} 需要{expected_zh}，现在是（{}）", got(true)),
            )
        };
        let ty = match func {
            Func::Min | Func::Max => {
                if types.len() < 2 || types.iter().any(|t| *t != Type::Int) {
                    return Err(bad("two or more ints", "两个或更多整数"));
                }
                Type::Int
            }
            Func::Abs => {
                if types != [Type::Int] {
                    return Err(bad("one int", "一个整数"));
                }
                Type::Int
            }
            Func::Clamp => {
                if types != [Type::Int; 3] {
                    return Err(bad(
                        "three ints (value, low, high)",
                        "三个整数（值、下限、上限）",
                    ));
                }
                Type::Int
            }
            Func::Size => {
                if types.len() != 1 || !matches!(types[0], Type::List | Type::Map | Type::Str) {
                    return Err(bad("one list, map or string", "一个列表、键值表或文本"));
                }
                Type::Int
            }
            Func::Contains => {
                if types != [Type::Str, Type::Str] {
                    return Err(bad("two strings", "两个文本"));
                }
                Type::Bool
            }
        };
        Ok((Node::Call(func, args), ty))
    }
}

fn sym_static(s: &str) -> &'static str {
    SYMBOLS.iter().find(|x| **x == s).copied().unwrap_or("")
}

fn want(at: usize, what: (&str, &str), got: Type, expected: Type) -> Result<(), CompileError> {
    if got == expected {
        Ok(())
    } else {
        Err(CompileError::new(
            at,
            format!("{} needs a {expected}, got a {got}", what.0),
            format!("{}需要{}，现在是{}", what.1, expected.zh(), got.zh()),
        ))
    }
}

fn check_bin(at: usize, op: BinOp, l: Type, r: Type) -> Result<Type, CompileError> {
    let fail = |en: String, zh: String| Err(CompileError::new(at, en, zh));
    let (lz, rz) = (l.zh(), r.zh());
    match op {
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem => {
            if l == Type::Int && r == Type::Int {
                Ok(Type::Int)
            } else {
                fail(
                    format!("arithmetic needs two ints, got {l} and {r}"),
                    format!("加减乘除需要两个整数，现在是{lz}和{rz}"),
                )
            }
        }
        BinOp::And | BinOp::Or => {
            if l == Type::Bool && r == Type::Bool {
                Ok(Type::Bool)
            } else {
                fail(
                    format!("&& and || need two bools, got {l} and {r}"),
                    format!("&& 和 || 需要两个是/否值，现在是{lz}和{rz}"),
                )
            }
        }
        BinOp::Eq | BinOp::Ne => {
            if l == r && matches!(l, Type::Int | Type::Bool | Type::Str) {
                Ok(Type::Bool)
            } else {
                fail(
                    format!(
                        "== and != compare two values of one type (int, bool or string), got {l} and {r}"
                    ),
                    format!("== 和 != 比较同一类型的两个值（整数、是/否或文本），现在是{lz}和{rz}"),
                )
            }
        }
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            if l == Type::Int && r == Type::Int {
                Ok(Type::Bool)
            } else {
                fail(
                    format!("< <= > >= compare two ints, got {l} and {r}"),
                    format!("< <= > >= 比较两个整数，现在是{lz}和{rz}"),
                )
            }
        }
        BinOp::In => {
            if l == Type::Str && matches!(r, Type::List | Type::Map) {
                Ok(Type::Bool)
            } else {
                fail(
                    format!(
                        "`in` needs a string on the left and a list or map on the right, got {l} and {r}"
                    ),
                    format!("in 的左边应为文本，右边应为列表或键值表，现在是{lz}和{rz}"),
                )
            }
        }
    }
}

fn unknown_variable(path: &str, names: &[&str]) -> (String, String) {
    let head = path.split('.').next().unwrap_or(path);
    let mut near: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| n.split('.').next() == Some(head) || edit_distance(n, path) <= 2)
        .collect();
    near.sort_unstable();
    if near.is_empty() {
        let mut all = names.to_vec();
        all.sort_unstable();
        (
            format!(
                "unknown variable {path}; this trigger has: {}",
                all.join(", ")
            ),
            format!("没有变量 {path}；这个触发事件可用：{}", all.join("、")),
        )
    } else {
        (
            format!(
                "unknown variable {path}; did you mean one of: {}",
                near.join(", ")
            ),
            format!("没有变量 {path}；是否想用：{}", near.join("、")),
        )
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
