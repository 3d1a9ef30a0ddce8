//! Evaluation: a compiled tree over the slots' values, with checked arithmetic.

use std::collections::BTreeMap;

use super::{BinOp, EvalError, Func, Node, Value};

/// A value during evaluation, borrowing strings and collections from the slots or the tree.
#[derive(Clone, Copy)]
pub(super) enum V<'a> {
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

pub(super) fn eval<'a>(n: &'a Node, slots: &'a [Value]) -> Result<V<'a>, EvalError> {
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
