//! A small, typed, integer-only expression language for rule conditions and points formulas.
//!
//! ```text
//! order.amount >= 10000 && "coffee" in order.categories
//! base_points * 2 + order.category_amount["tea"] / 100
//! streak.day == 7 ? 100 : 10
//! ```
//!
//! Why not CEL: points are integers, and CEL mixes `int`, `uint` and `double` in ways that turn a
//! JSON number into a type error at evaluation time; its evaluator also costs about 1.5 µs per
//! rule. This language has exactly the types a rule needs (int, bool, string, list of strings,
//! map of string to int), is checked when the rule is saved (unknown variables, wrong types,
//! a condition that is not a bool, a formula that is not an int), compiles variables to slot
//! indices, and evaluates with checked arithmetic in well under a microsecond.
//!
//! Operators, loosest first: `?:`, `||`, `&&`, `== != < <= > >= in`, `+ -`, `* / %`, `! -`
//! (unary), then `a.b` paths, `m["key"]` (a missing key reads 0) and calls. Functions: `min`,
//! `max` (two or more ints), `abs`, `clamp(x, lo, hi)`, `size` (of a list, map or string, in
//! characters), `contains(string, part)`.

use std::collections::BTreeMap;
use std::fmt;

/// Longest expression source accepted: rules are written by people, not generated.
pub const SOURCE_LEN_MAX: usize = 2_000;
/// Deepest nesting accepted, so that a hostile expression cannot overflow the stack.
pub const DEPTH_MAX: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Type {
    Int,
    Bool,
    Str,
    /// A list of strings (categories, SKUs, tags).
    List,
    /// A map from string to int (amount per category); a missing key reads 0.
    Map,
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Type::Int => "int",
            Type::Bool => "bool",
            Type::Str => "string",
            Type::List => "list",
            Type::Map => "map",
        })
    }
}

/// A variable's value for one evaluation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Value {
    Int(i64),
    Bool(bool),
    Str(String),
    List(Vec<String>),
    Map(BTreeMap<String, i64>),
}

impl Value {
    pub fn ty(&self) -> Type {
        match self {
            Value::Int(_) => Type::Int,
            Value::Bool(_) => Type::Bool,
            Value::Str(_) => Type::Str,
            Value::List(_) => Type::List,
            Value::Map(_) => Type::Map,
        }
    }

    /// The value a variable of this type has when an event does not supply it.
    pub fn zero(ty: Type) -> Value {
        match ty {
            Type::Int => Value::Int(0),
            Type::Bool => Value::Bool(false),
            Type::Str => Value::Str(String::new()),
            Type::List => Value::List(Vec::new()),
            Type::Map => Value::Map(BTreeMap::new()),
        }
    }
}

/// The variables an expression may use, each with its type. A variable's position is its slot.
pub trait Schema {
    fn lookup(&self, name: &str) -> Option<(usize, Type)>;
    /// Names to suggest when a variable is unknown.
    fn names(&self) -> Vec<&str>;
}

/// Why an expression was refused when it was saved. `at` is the character offset (0-based).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("at character {at}: {message}")]
pub struct CompileError {
    pub at: usize,
    pub message: String,
}

/// Why an evaluation failed (the rule then does not fire and says why).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
pub enum EvalError {
    #[error("integer overflow")]
    Overflow,
    #[error("division by zero")]
    DivisionByZero,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    In,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Func {
    Min,
    Max,
    Abs,
    Clamp,
    Size,
    Contains,
}

#[derive(Debug, Clone)]
enum Node {
    Int(i64),
    Bool(bool),
    Str(String),
    StrList(Vec<String>),
    Var(usize),
    Not(Box<Node>),
    Neg(Box<Node>),
    Bin(BinOp, Box<Node>, Box<Node>),
    Cond(Box<Node>, Box<Node>, Box<Node>),
    Index(Box<Node>, Box<Node>),
    Call(Func, Vec<Node>),
}

/// A checked expression, ready to evaluate against slot values.
#[derive(Debug, Clone)]
pub struct Expr {
    node: Node,
    ty: Type,
    /// Slots the expression reads, sorted and unique.
    vars: Vec<usize>,
}

impl Expr {
    /// Parses and type-checks `source` against `schema`; the result must have type `want`.
    pub fn compile(source: &str, schema: &dyn Schema, want: Type) -> Result<Expr, CompileError> {
        if source.chars().count() > SOURCE_LEN_MAX {
            return Err(CompileError {
                at: 0,
                message: format!("expression is longer than {SOURCE_LEN_MAX} characters"),
            });
        }
        let tokens = lex(source)?;
        let mut p = Parser {
            tokens,
            pos: 0,
            schema,
            vars: Vec::new(),
            depth: 0,
        };
        let (node, ty) = p.expr()?;
        if p.pos < p.tokens.len() {
            return Err(p.error_here("unexpected text after the end of the expression"));
        }
        if ty != want {
            return Err(CompileError {
                at: 0,
                message: format!("the expression is a {ty}, it must be a {want}"),
            });
        }
        let mut vars = p.vars;
        vars.sort_unstable();
        vars.dedup();
        Ok(Expr { node, ty, vars })
    }

    pub fn ty(&self) -> Type {
        self.ty
    }

    /// The slots this expression reads.
    pub fn vars(&self) -> &[usize] {
        &self.vars
    }

    pub fn eval_int(&self, slots: &[Value]) -> Result<i64, EvalError> {
        match eval(&self.node, slots)? {
            V::Int(v) => Ok(v),
            _ => unreachable!("type-checked as int"),
        }
    }

    pub fn eval_bool(&self, slots: &[Value]) -> Result<bool, EvalError> {
        match eval(&self.node, slots)? {
            V::Bool(v) => Ok(v),
            _ => unreachable!("type-checked as bool"),
        }
    }
}

// ---- lexer ---------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Int(i64),
    Str(String),
    Ident(String),
    Sym(&'static str),
}

const SYMBOLS: [&str; 22] = [
    "==", "!=", "<=", ">=", "&&", "||", "<", ">", "+", "-", "*", "/", "%", "!", "(", ")", "[", "]",
    ",", ".", "?", ":",
];

fn lex(src: &str) -> Result<Vec<(usize, Tok)>, CompileError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |at: usize, message: String| CompileError { at, message };
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        if c.is_ascii_digit() {
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '_') {
                i += 1;
            }
            let text: String = chars[start..i].iter().filter(|c| **c != '_').collect();
            let v = text
                .parse::<i64>()
                .map_err(|_| err(start, format!("number {text} is too large")))?;
            if i < chars.len()
                && (chars[i] == '.' && chars.get(i + 1).is_some_and(|c| c.is_ascii_digit()))
            {
                return Err(err(
                    i,
                    "only whole numbers are allowed (points are integers)".into(),
                ));
            }
            out.push((start, Tok::Int(v)));
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push((start, Tok::Ident(chars[start..i].iter().collect())));
            continue;
        }
        if c == '"' || c == '\'' {
            let quote = c;
            i += 1;
            let mut s = String::new();
            loop {
                match chars.get(i) {
                    None => return Err(err(start, "string is not closed".into())),
                    Some(&ch) if ch == quote => {
                        i += 1;
                        break;
                    }
                    Some('\\') => {
                        match chars.get(i + 1) {
                            Some(&e @ ('\\' | '"' | '\'')) => s.push(e),
                            Some('n') => s.push('\n'),
                            _ => return Err(err(i, "unknown escape in string".into())),
                        }
                        i += 2;
                    }
                    Some(&ch) => {
                        s.push(ch);
                        i += 1;
                    }
                }
            }
            out.push((start, Tok::Str(s)));
            continue;
        }
        let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
        match SYMBOLS.iter().find(|s| rest.starts_with(**s)) {
            Some(s) => {
                i += s.chars().count();
                out.push((start, Tok::Sym(s)));
            }
            None => {
                let hint = match c {
                    '=' => " (use == to compare)",
                    '&' => " (use &&)",
                    '|' => " (use ||)",
                    _ => "",
                };
                return Err(err(start, format!("unexpected character {c:?}{hint}")));
            }
        }
    }
    Ok(out)
}

// ---- parser and type checker ---------------------------------------------------------------

struct Parser<'s> {
    tokens: Vec<(usize, Tok)>,
    pos: usize,
    schema: &'s dyn Schema,
    vars: Vec<usize>,
    depth: usize,
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

    fn error_here(&self, message: impl Into<String>) -> CompileError {
        CompileError {
            at: self.at(),
            message: message.into(),
        }
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
            Err(self.error_here(format!("expected {sym}")))
        }
    }

    fn expr(&mut self) -> Parsed {
        self.depth += 1;
        if self.depth > DEPTH_MAX {
            return Err(self.error_here(format!("nested deeper than {DEPTH_MAX} levels")));
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
        want(at, "the condition of ?:", ct, Type::Bool)?;
        let at_then = self.at();
        let (a, at_ty) = self.expr()?;
        self.expect(":")?;
        let (b, bt) = self.expr()?;
        if at_ty != bt {
            return Err(CompileError {
                at: at_then,
                message: format!("both branches of ?: must have one type, got {at_ty} and {bt}"),
            });
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
                return Err(self.error_here(format!("nested deeper than {DEPTH_MAX} levels")));
            }
            let (n, t) = self.unary()?;
            self.depth -= 1;
            want(at, "!", t, Type::Bool)?;
            return Ok((Node::Not(Box::new(n)), Type::Bool));
        }
        if self.eat("-") {
            self.depth += 1;
            if self.depth > DEPTH_MAX {
                return Err(self.error_here(format!("nested deeper than {DEPTH_MAX} levels")));
            }
            let (n, t) = self.unary()?;
            self.depth -= 1;
            want(at, "unary -", t, Type::Int)?;
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
                return Err(CompileError {
                    at,
                    message: format!("only maps can be indexed, this is a {t}"),
                });
            }
            want(at, "a map key", kt, Type::Str)?;
            n = Node::Index(Box::new(n), Box::new(k));
            t = Type::Int;
        }
        Ok((n, t))
    }

    fn primary(&mut self) -> Parsed {
        let at = self.at();
        let Some((_, tok)) = self.tokens.get(self.pos).cloned() else {
            return Err(self.error_here("the expression ends too early"));
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
                                return Err(self.error_here("list literals hold strings only"));
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
                        _ => return Err(self.error_here("expected a name after .")),
                    }
                }
                match self.schema.lookup(&path) {
                    Some((slot, ty)) => {
                        self.vars.push(slot);
                        Ok((Node::Var(slot), ty))
                    }
                    None => Err(CompileError {
                        at,
                        message: unknown_variable(&path, &self.schema.names()),
                    }),
                }
            }
            Tok::Sym(s) => Err(CompileError {
                at,
                message: format!("unexpected {s}"),
            }),
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
                return Err(CompileError {
                    at,
                    message: format!(
                        "unknown function {name}; the functions are min, max, abs, clamp, size, contains"
                    ),
                });
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
        let bad = |expected: &str| CompileError {
            at,
            message: format!(
                "{name} takes {expected}, got ({})",
                types
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let ty = match func {
            Func::Min | Func::Max => {
                if types.len() < 2 || types.iter().any(|t| *t != Type::Int) {
                    return Err(bad("two or more ints"));
                }
                Type::Int
            }
            Func::Abs => {
                if types != [Type::Int] {
                    return Err(bad("one int"));
                }
                Type::Int
            }
            Func::Clamp => {
                if types != [Type::Int; 3] {
                    return Err(bad("three ints (value, low, high)"));
                }
                Type::Int
            }
            Func::Size => {
                if types.len() != 1 || !matches!(types[0], Type::List | Type::Map | Type::Str) {
                    return Err(bad("one list, map or string"));
                }
                Type::Int
            }
            Func::Contains => {
                if types != [Type::Str, Type::Str] {
                    return Err(bad("two strings"));
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

fn want(at: usize, what: &str, got: Type, expected: Type) -> Result<(), CompileError> {
    if got == expected {
        Ok(())
    } else {
        Err(CompileError {
            at,
            message: format!("{what} needs a {expected}, got a {got}"),
        })
    }
}

fn check_bin(at: usize, op: BinOp, l: Type, r: Type) -> Result<Type, CompileError> {
    let fail = |msg: String| Err(CompileError { at, message: msg });
    match op {
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem => {
            if l == Type::Int && r == Type::Int {
                Ok(Type::Int)
            } else {
                fail(format!("arithmetic needs two ints, got {l} and {r}"))
            }
        }
        BinOp::And | BinOp::Or => {
            if l == Type::Bool && r == Type::Bool {
                Ok(Type::Bool)
            } else {
                fail(format!("&& and || need two bools, got {l} and {r}"))
            }
        }
        BinOp::Eq | BinOp::Ne => {
            if l == r && matches!(l, Type::Int | Type::Bool | Type::Str) {
                Ok(Type::Bool)
            } else {
                fail(format!(
                    "== and != compare two values of one type (int, bool or string), got {l} and {r}"
                ))
            }
        }
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            if l == Type::Int && r == Type::Int {
                Ok(Type::Bool)
            } else {
                fail(format!("< <= > >= compare two ints, got {l} and {r}"))
            }
        }
        BinOp::In => {
            if l == Type::Str && matches!(r, Type::List | Type::Map) {
                Ok(Type::Bool)
            } else {
                fail(format!(
                    "`in` needs a string on the left and a list or map on the right, got {l} and {r}"
                ))
            }
        }
    }
}

fn unknown_variable(path: &str, names: &[&str]) -> String {
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
        format!(
            "unknown variable {path}; this trigger has: {}",
            all.join(", ")
        )
    } else {
        format!(
            "unknown variable {path}; did you mean one of: {}",
            near.join(", ")
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

// ---- evaluation ----------------------------------------------------------------------------

/// A value during evaluation, borrowing strings and collections from the slots or the tree.
#[derive(Clone, Copy)]
enum V<'a> {
    Int(i64),
    Bool(bool),
    Str(&'a str),
    List(&'a [String]),
    Map(&'a BTreeMap<String, i64>),
}

impl V<'_> {
    fn int(self) -> i64 {
        match self {
            V::Int(v) => v,
            _ => unreachable!("type-checked as int"),
        }
    }
    fn bool(self) -> bool {
        match self {
            V::Bool(v) => v,
            _ => unreachable!("type-checked as bool"),
        }
    }
}

fn slot(v: &Value) -> V<'_> {
    match v {
        Value::Int(i) => V::Int(*i),
        Value::Bool(b) => V::Bool(*b),
        Value::Str(s) => V::Str(s),
        Value::List(l) => V::List(l),
        Value::Map(m) => V::Map(m),
    }
}

fn as_str<'a>(v: V<'a>) -> &'a str {
    match v {
        V::Str(s) => s,
        _ => unreachable!("type-checked as string"),
    }
}

fn eval<'a>(n: &'a Node, slots: &'a [Value]) -> Result<V<'a>, EvalError> {
    Ok(match n {
        Node::Int(v) => V::Int(*v),
        Node::Bool(b) => V::Bool(*b),
        Node::Str(s) => V::Str(s),
        Node::StrList(l) => V::List(l),
        Node::Var(i) => slot(&slots[*i]),
        Node::Not(x) => V::Bool(!eval(x, slots)?.bool()),
        Node::Neg(x) => V::Int(
            eval(x, slots)?
                .int()
                .checked_neg()
                .ok_or(EvalError::Overflow)?,
        ),
        Node::Cond(c, a, b) => {
            if eval(c, slots)?.bool() {
                eval(a, slots)?
            } else {
                eval(b, slots)?
            }
        }
        Node::Bin(BinOp::And, a, b) => V::Bool(eval(a, slots)?.bool() && eval(b, slots)?.bool()),
        Node::Bin(BinOp::Or, a, b) => V::Bool(eval(a, slots)?.bool() || eval(b, slots)?.bool()),
        Node::Bin(op, a, b) => {
            let (l, r) = (eval(a, slots)?, eval(b, slots)?);
            match op {
                BinOp::Add => V::Int(l.int().checked_add(r.int()).ok_or(EvalError::Overflow)?),
                BinOp::Sub => V::Int(l.int().checked_sub(r.int()).ok_or(EvalError::Overflow)?),
                BinOp::Mul => V::Int(l.int().checked_mul(r.int()).ok_or(EvalError::Overflow)?),
                BinOp::Div | BinOp::Rem => {
                    let d = r.int();
                    if d == 0 {
                        return Err(EvalError::DivisionByZero);
                    }
                    let v = if *op == BinOp::Div {
                        l.int().checked_div(d)
                    } else {
                        l.int().checked_rem(d)
                    };
                    V::Int(v.ok_or(EvalError::Overflow)?)
                }
                BinOp::Eq | BinOp::Ne => {
                    let eq = match (l, r) {
                        (V::Int(x), V::Int(y)) => x == y,
                        (V::Bool(x), V::Bool(y)) => x == y,
                        (V::Str(x), V::Str(y)) => x == y,
                        _ => unreachable!("type-checked comparison"),
                    };
                    V::Bool(eq == (*op == BinOp::Eq))
                }
                BinOp::Lt => V::Bool(l.int() < r.int()),
                BinOp::Le => V::Bool(l.int() <= r.int()),
                BinOp::Gt => V::Bool(l.int() > r.int()),
                BinOp::Ge => V::Bool(l.int() >= r.int()),
                BinOp::In => {
                    let k = as_str(l);
                    V::Bool(match r {
                        V::List(items) => items.iter().any(|i| i == k),
                        V::Map(m) => m.contains_key(k),
                        _ => unreachable!("type-checked in"),
                    })
                }
                BinOp::And | BinOp::Or => unreachable!("handled above"),
            }
        }
        Node::Index(m, k) => {
            let V::Map(m) = eval(m, slots)? else {
                unreachable!("type-checked index")
            };
            V::Int(m.get(as_str(eval(k, slots)?)).copied().unwrap_or(0))
        }
        Node::Call(f, args) => match f {
            Func::Min | Func::Max => {
                let mut acc = eval(&args[0], slots)?.int();
                for a in &args[1..] {
                    let v = eval(a, slots)?.int();
                    acc = if *f == Func::Min {
                        acc.min(v)
                    } else {
                        acc.max(v)
                    };
                }
                V::Int(acc)
            }
            Func::Abs => V::Int(
                eval(&args[0], slots)?
                    .int()
                    .checked_abs()
                    .ok_or(EvalError::Overflow)?,
            ),
            Func::Clamp => {
                let (v, lo, hi) = (
                    eval(&args[0], slots)?.int(),
                    eval(&args[1], slots)?.int(),
                    eval(&args[2], slots)?.int(),
                );
                V::Int(v.max(lo).min(hi.max(lo)))
            }
            Func::Size => V::Int(match eval(&args[0], slots)? {
                V::List(l) => l.len() as i64,
                V::Map(m) => m.len() as i64,
                V::Str(s) => s.chars().count() as i64,
                _ => unreachable!("type-checked size"),
            }),
            Func::Contains => {
                let (s, part) = (
                    as_str(eval(&args[0], slots)?),
                    as_str(eval(&args[1], slots)?),
                );
                V::Bool(s.contains(part))
            }
        },
    })
}

#[cfg(test)]
mod tests {
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
}
