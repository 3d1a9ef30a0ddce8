//! The lexer: expression source to tokens with their character positions.

use super::CompileError;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Int(i64),
    Str(String),
    Ident(String),
    Sym(&'static str),
}

pub(super) const SYMBOLS: [&str; 22] = [
    "==", "!=", "<=", ">=", "&&", "||", "<", ">", "+", "-", "*", "/", "%", "!", "(", ")", "[", "]",
    ",", ".", "?", ":",
];

pub(super) fn lex(src: &str) -> Result<Vec<(usize, Tok)>, CompileError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |at: usize, en: String, zh: String| CompileError::new(at, en, zh);
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
            let v = text.parse::<i64>().map_err(|_| {
                err(
                    start,
                    format!("number {text} is too large"),
                    format!("数字 {text} 太大"),
                )
            })?;
            if i < chars.len()
                && (chars[i] == '.' && chars.get(i + 1).is_some_and(|c| c.is_ascii_digit()))
            {
                return Err(err(
                    i,
                    "only whole numbers are allowed (points are integers)".into(),
                    "只能用整数（积分是整数）".into(),
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
                    None => {
                        return Err(err(
                            start,
                            "string is not closed".into(),
                            "文本缺少结尾的引号".into(),
                        ));
                    }
                    Some(&ch) if ch == quote => {
                        i += 1;
                        break;
                    }
                    Some('\\') => {
                        match chars.get(i + 1) {
                            Some(&e @ ('\\' | '"' | '\'')) => s.push(e),
                            Some('n') => s.push('\n'),
                            _ => {
                                return Err(err(
                                    i,
                                    "unknown escape in string".into(),
                                    "文本中有无法识别的转义符".into(),
                                ));
                            }
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
                let (hint, hint_zh) = match c {
                    '=' => (" (use == to compare)", "（比较请用 ==）"),
                    '&' => (" (use &&)", "（请用 &&）"),
                    '|' => (" (use ||)", "（请用 ||）"),
                    _ => ("", ""),
                };
                return Err(err(
                    start,
                    format!("unexpected character {c:?}{hint}"),
                    format!("无法识别的字符 {c:?}{hint_zh}"),
                ));
            }
        }
    }
    Ok(out)
}
