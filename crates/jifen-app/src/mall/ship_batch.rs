//! Shipping many orders at once from a list of `order, carrier, tracking number` lines (a CSV
//! file staff fill in, or the API's JSON rows). Every line is checked and applied on its own,
//! in its own transaction, through the same action as shipping one order (audited in the
//! caller's name): one bad line never stops the good ones. An order already shipped with the
//! same carrier and tracking number counts as done and is not shipped again, so sending the
//! same list twice (or twice at once) ships each order once.

use std::collections::HashMap;

use futures_util::stream::{self, StreamExt};
use jifen_domain::mall::{ItemKind, OrderAction, OrderState};
use jifen_domain::words::{self, CARRIERS};
use jifen_ledger::{Millis, ProgramId};
use jifen_store::Tx;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::commands::{self, ID_LEN_MAX};
use crate::{App, AppError, ProgramCtx};

use super::actions::{OrderUpdate, act};
use super::fulfilment::order_row;
use super::items::{item, parse_item};

/// Lines one batch may carry.
pub const SHIP_BATCH_MAX: usize = 2000;
/// Lines shipped at once (each its own transaction); the writers group them.
const IN_FLIGHT: usize = 16;

/// Orders to ship: one line per order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipBatch {
    pub rows: Vec<ShipLine>,
}

/// One order to ship, as staff write it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipLine {
    /// The order's number (`123` or `#123`).
    pub order: String,
    /// The carrier: its code (`SF`) or its name in Chinese or English (`顺丰速运`, `SF Express`).
    pub carrier: String,
    pub tracking_no: String,
}

/// What became of one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShipOutcome {
    /// Shipped now.
    Shipped,
    /// Already shipped with this carrier and tracking number: done, not applied again.
    AlreadyShipped,
    /// Not shipped; `refusal` says why.
    Refused,
}

/// One line's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ShipLineResult {
    /// The line's number: in the file (counting a header), or the row's place from 1.
    pub line: usize,
    /// The order as the line wrote it.
    pub order: String,
    /// The order it names, once found.
    pub order_id: Option<i64>,
    /// The carrier as the line wrote it.
    pub carrier: String,
    /// The carrier's code, once recognised.
    pub carrier_code: Option<String>,
    pub tracking_no: String,
    pub outcome: ShipOutcome,
    /// Why a refused line was not shipped: one of `jifen_domain::words::SHIP_REFUSALS`.
    pub refusal: Option<String>,
    /// The refusal in words (English), with what the code alone does not say.
    pub message: Option<String>,
    /// For `duplicate_line`: the line that names the same order first.
    pub duplicate_of: Option<usize>,
}

/// The batch's answer: the totals, then every line in the order given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ShipBatchResult {
    pub shipped: usize,
    pub already_shipped: usize,
    pub refused: usize,
    pub lines: Vec<ShipLineResult>,
}

/// A problem with a CSV file as a whole (rather than with one of its lines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsvProblem {
    /// No line to ship.
    Empty,
    /// More lines than [`SHIP_BATCH_MAX`]; how many there were.
    TooMany(usize),
}

/// A line of a CSV file: its number in the file, and its fields (`None` when it lacks one).
pub type CsvLine = (usize, Option<ShipLine>);

/// Reads `order,carrier,tracking_no` lines (a header line and columns after the third are
/// allowed, blank lines skipped); a line with fewer than three fields is kept as `None`, to be
/// reported as `bad_line`.
pub fn parse_ship_csv(text: &str) -> Result<Vec<CsvLine>, CsvProblem> {
    let text = text.trim_start_matches('\u{feff}');
    let mut lines = Vec::new();
    // Line by line, so a line's number is the one staff see in their editor (a quoted field
    // does not span lines in a list of tracking numbers).
    for (i, raw) in text.lines().enumerate() {
        let fields = csv_fields(raw);
        if fields.iter().all(String::is_empty) {
            continue;
        }
        if lines.is_empty() && is_header(&fields) {
            continue;
        }
        let parsed = (fields.len() >= 3).then(|| ShipLine {
            order: fields[0].clone(),
            carrier: fields[1].clone(),
            tracking_no: fields[2].clone(),
        });
        lines.push((i + 1, parsed));
    }
    if lines.is_empty() {
        return Err(CsvProblem::Empty);
    }
    if lines.len() > SHIP_BATCH_MAX {
        return Err(CsvProblem::TooMany(lines.len()));
    }
    Ok(lines)
}

/// The fields of one CSV line, trimmed; none when it does not read.
fn csv_fields(line: &str) -> Vec<String> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(line.as_bytes())
        .records()
        .next()
        .and_then(Result::ok)
        .map(|r| r.iter().map(str::to_string).collect())
        .unwrap_or_default()
}

/// A first line that names the columns rather than an order.
fn is_header(fields: &[String]) -> bool {
    let first = fields.first().map(|f| f.to_lowercase()).unwrap_or_default();
    let first = first.trim_start_matches('#');
    !first.is_empty() && first.parse::<i64>().is_err() && find_carrier(fields.get(1)).is_none()
}

/// A carrier's code from its code or its name in either language.
fn find_carrier(text: Option<&String>) -> Option<&'static str> {
    let t = text?.trim();
    CARRIERS
        .iter()
        .find(|w| w.code.eq_ignore_ascii_case(t) || w.zh == t || w.en.eq_ignore_ascii_case(t))
        .map(|w| w.code)
}

/// An order number as written: `123`, `#123` or `＃123`.
fn order_number(text: &str) -> Option<i64> {
    text.trim()
        .trim_start_matches(['#', '＃'])
        .parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
}

fn refused(line: usize, l: &ShipLine, code: &str, message: impl Into<String>) -> ShipLineResult {
    ShipLineResult {
        line,
        order: l.order.clone(),
        order_id: None,
        carrier: l.carrier.clone(),
        carrier_code: None,
        tracking_no: l.tracking_no.clone(),
        outcome: ShipOutcome::Refused,
        refusal: Some(code.to_string()),
        message: Some(message.into()),
        duplicate_of: None,
    }
}

fn boxed(line: usize, l: &ShipLine, code: &str, message: impl Into<String>) -> Box<ShipLineResult> {
    Box::new(refused(line, l, code, message))
}

/// A line checked without reading anything: the order's number, the carrier's code and the
/// tracking number, or why it cannot ship.
fn check_line(line: usize, l: &ShipLine) -> Result<(i64, &'static str), Box<ShipLineResult>> {
    if l.order.trim().is_empty() {
        return Err(boxed(line, l, "order_missing", "the line names no order"));
    }
    let Some(id) = order_number(&l.order) else {
        return Err(boxed(line, l, "unknown_order", "no order has this number"));
    };
    let Some(carrier) = find_carrier(Some(&l.carrier)) else {
        return Err(boxed(
            line,
            l,
            "unknown_carrier",
            "the carrier is not on the list",
        ));
    };
    let t = l.tracking_no.trim();
    if t.is_empty() {
        return Err(boxed(
            line,
            l,
            "tracking_missing",
            "the line has no tracking number",
        ));
    }
    if t.len() > ID_LEN_MAX || t.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(boxed(
            line,
            l,
            "tracking_invalid",
            format!("a tracking number is 1 to {ID_LEN_MAX} characters without spaces"),
        ));
    }
    Ok((id, carrier))
}

/// What shipping one order came to inside its transaction.
#[derive(Debug, Clone, Serialize, Deserialize)]
enum Step {
    Shipped,
    Already,
    Refused(String, String),
}

/// Ships one order, or says why not, without writing anything when it does not ship.
fn ship_one(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    actor: &str,
    id: i64,
    carrier: &str,
    tracking: &str,
) -> Result<Step, AppError> {
    let Some(first) = tx.mall_order(ctx.program.id, id)? else {
        return Ok(Step::Refused(
            "unknown_order".into(),
            "no order has this number".into(),
        ));
    };
    // Lock the member, then read the order again for the decision: a batch sent twice at
    // once sees the other's shipping here and counts the line as done.
    commands::books(tx, ctx, first.member)?;
    let o = order_row(tx, ctx, id)?;
    let state = OrderState::parse(&o.state);
    let same = o.tracking_no.as_deref() == Some(tracking) && o.carrier.as_deref() == Some(carrier);
    match state {
        Some(OrderState::Shipped | OrderState::Delivered) if same => return Ok(Step::Already),
        Some(OrderState::Shipped | OrderState::Delivered) if o.tracking_no.is_some() => {
            return Ok(Step::Refused(
                "shipped_other".into(),
                format!(
                    "the order shipped already with {} {}",
                    o.carrier.unwrap_or_default(),
                    o.tracking_no.unwrap_or_default()
                ),
            ));
        }
        Some(OrderState::Paid) => {}
        _ => {
            return Ok(Step::Refused(
                "not_shippable".into(),
                format!("the order is {}; only a paid order ships", o.state),
            ));
        }
    }
    let def = parse_item(&item(tx, ctx, o.item_id)?)?;
    if def.kind != ItemKind::Physical {
        return Ok(Step::Refused(
            "not_physical".into(),
            "the order's item does not ship".into(),
        ));
    }
    let u = OrderUpdate {
        carrier: Some(carrier.to_string()),
        tracking_no: Some(tracking.to_string()),
        ..Default::default()
    };
    act(tx, ctx, now, actor, id, OrderAction::Ship, &u)?;
    Ok(Step::Shipped)
}

/// One line to ship, checked: its order's id and its carrier's code.
struct Job {
    program: ProgramId,
    actor: String,
    line: usize,
    l: ShipLine,
    id: i64,
    carrier: &'static str,
}

impl App {
    /// Ships one checked line in its own transaction; its place in the batch and its result.
    async fn ship_line(&self, i: usize, job: Job) -> (usize, ShipLineResult) {
        let Job {
            program,
            actor,
            line,
            l,
            id,
            carrier,
        } = job;
        let tracking = l.tracking_no.trim().to_string();
        let t = tracking.clone();
        let out = self
            .write_view(
                program,
                &format!("mall-order:{id}"),
                None,
                move |tx, ctx, now| ship_one(tx, ctx, now, &actor, id, carrier, &t),
            )
            .await;
        let mut r = ShipLineResult {
            line,
            order: l.order.clone(),
            order_id: Some(id),
            carrier: l.carrier.clone(),
            carrier_code: Some(carrier.to_string()),
            tracking_no: tracking,
            outcome: ShipOutcome::Shipped,
            refusal: None,
            message: None,
            duplicate_of: None,
        };
        match out.map(|w| w.view) {
            Ok(Step::Shipped) => {}
            Ok(Step::Already) => r.outcome = ShipOutcome::AlreadyShipped,
            Ok(Step::Refused(code, msg)) => {
                if code == "unknown_order" {
                    r.order_id = None;
                }
                r.outcome = ShipOutcome::Refused;
                r.refusal = Some(code);
                r.message = Some(msg);
            }
            Err(e) => {
                tracing::warn!(error = %e, order = id, "a line of a shipping batch failed");
                r.outcome = ShipOutcome::Refused;
                r.refusal = Some("failed".into());
                r.message = Some(e.to_string());
            }
        }
        (i, r)
    }

    /// Ships the orders `lines` name (each with its line number), in `actor`'s name: every
    /// line checked and shipped in its own transaction, results in the order given. Refuses
    /// the whole batch only when it is empty or longer than [`SHIP_BATCH_MAX`].
    pub async fn ship_batch(
        &self,
        program: ProgramId,
        actor: &str,
        lines: Vec<CsvLine>,
    ) -> Result<ShipBatchResult, AppError> {
        if lines.is_empty() {
            return Err(AppError::invalid("rows", "there is no order to ship"));
        }
        if lines.len() > SHIP_BATCH_MAX {
            return Err(AppError::invalid(
                "rows",
                format!(
                    "at most {SHIP_BATCH_MAX} lines at once; this has {}",
                    lines.len()
                ),
            ));
        }
        let mut first_line: HashMap<i64, usize> = HashMap::new();
        let mut results: Vec<Option<ShipLineResult>> = Vec::with_capacity(lines.len());
        let mut todo = Vec::new();
        for (i, (line, l)) in lines.iter().enumerate() {
            let Some(l) = l else {
                let empty = ShipLine {
                    order: String::new(),
                    carrier: String::new(),
                    tracking_no: String::new(),
                };
                results.push(Some(refused(
                    *line,
                    &empty,
                    "bad_line",
                    "a line has three fields: order, carrier, tracking number",
                )));
                continue;
            };
            match check_line(*line, l) {
                Err(r) => results.push(Some(*r)),
                Ok((id, carrier)) => {
                    if let Some(first) = first_line.get(&id) {
                        let mut r = refused(
                            *line,
                            l,
                            "duplicate_line",
                            format!("line {first} names the same order"),
                        );
                        r.order_id = Some(id);
                        r.carrier_code = Some(carrier.to_string());
                        r.duplicate_of = Some(*first);
                        results.push(Some(r));
                        continue;
                    }
                    first_line.insert(id, *line);
                    results.push(None);
                    todo.push((i, *line, l.clone(), id, carrier));
                }
            }
        }
        let futures: Vec<_> = todo
            .into_iter()
            .map(|(i, line, l, id, carrier)| {
                let job = Job {
                    program,
                    actor: actor.to_string(),
                    line,
                    l,
                    id,
                    carrier,
                };
                self.ship_line(i, job)
            })
            .collect();
        let done: Vec<(usize, ShipLineResult)> =
            stream::iter(futures).buffered(IN_FLIGHT).collect().await;
        for (i, r) in done {
            results[i] = Some(r);
        }
        let lines: Vec<ShipLineResult> = results.into_iter().flatten().collect();
        let count = |o: ShipOutcome| lines.iter().filter(|l| l.outcome == o).count();
        Ok(ShipBatchResult {
            shipped: count(ShipOutcome::Shipped),
            already_shipped: count(ShipOutcome::AlreadyShipped),
            refused: count(ShipOutcome::Refused),
            lines,
        })
    }
}

/// The rows of a JSON batch, numbered from 1.
pub fn numbered(rows: Vec<ShipLine>) -> Vec<CsvLine> {
    rows.into_iter()
        .enumerate()
        .map(|(i, l)| (i + 1, Some(l)))
        .collect()
}

/// Why a line was refused, in the page's language, `{line}` filled.
pub fn refusal_text(r: &ShipLineResult, english: bool) -> String {
    let code = r.refusal.as_deref().unwrap_or("failed");
    let text = words::text(words::SHIP_REFUSALS, code, english);
    text.replace(
        "{line}",
        &r.duplicate_of.map(|l| l.to_string()).unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(o: &str, c: &str, t: &str) -> Option<ShipLine> {
        Some(ShipLine {
            order: o.into(),
            carrier: c.into(),
            tracking_no: t.into(),
        })
    }

    #[test]
    fn csv_lines_with_a_header_blank_lines_and_extra_columns() {
        let text = "\u{feff}订单号,快递公司,运单号\n#12,顺丰速运,SF100\n\n13, sf express ,YT2,张三\n14,SF\n\"15\",\"ZTO\",\"Z,9\"\n";
        let got = parse_ship_csv(text).unwrap();
        assert_eq!(
            got,
            vec![
                (2, line("#12", "顺丰速运", "SF100")),
                (4, line("13", "sf express", "YT2")),
                (5, None),
                (6, line("15", "ZTO", "Z,9")),
            ]
        );
        assert_eq!(find_carrier(Some(&"sf express".to_string())), Some("SF"));
        assert_eq!(find_carrier(Some(&"中通快递".to_string())), Some("ZTO"));
        assert_eq!(find_carrier(Some(&"DHL?".to_string())), None);
    }

    #[test]
    fn a_file_without_lines_or_with_too_many_is_refused_whole() {
        assert_eq!(parse_ship_csv(""), Err(CsvProblem::Empty));
        assert_eq!(
            parse_ship_csv("order,carrier,tracking_no\n"),
            Err(CsvProblem::Empty)
        );
        let big: String = (1..=SHIP_BATCH_MAX + 5)
            .map(|i| format!("{i},SF,T{i}\n"))
            .collect();
        assert_eq!(
            parse_ship_csv(&big),
            Err(CsvProblem::TooMany(SHIP_BATCH_MAX + 5))
        );
        let most: String = (1..=SHIP_BATCH_MAX)
            .map(|i| format!("{i},SF,T{i}\n"))
            .collect();
        assert_eq!(parse_ship_csv(&most).unwrap().len(), SHIP_BATCH_MAX);
    }

    #[test]
    fn a_line_is_checked_before_anything_is_read() {
        let l = |o: &str, c: &str, t: &str| check_line(1, &line(o, c, t).unwrap());
        assert_eq!(l("#7", "SF", "A1").unwrap(), (7, "SF"));
        let code = |r: Result<(i64, &str), Box<ShipLineResult>>| r.unwrap_err().refusal.unwrap();
        assert_eq!(code(l("", "SF", "A1")), "order_missing");
        assert_eq!(code(l("x7", "SF", "A1")), "unknown_order");
        assert_eq!(code(l("7", "Pigeon", "A1")), "unknown_carrier");
        assert_eq!(code(l("7", "SF", " ")), "tracking_missing");
        assert_eq!(code(l("7", "SF", "A 1")), "tracking_invalid");
    }
}
