//! Lotteries (积分抽奖 / 大转盘 / 九宫格): prizes with published odds and stock, a consolation
//! result, and the outcome of a draw as a pure function of its random input, so that an auditor
//! can recompute every draw.

use serde::{Deserialize, Serialize};

/// Odds are in parts per million.
pub const ODDS_SCALE: u64 = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Style {
    /// 大转盘
    Wheel,
    /// 九宫格
    Grid,
}

/// What a prize gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Reward {
    Points {
        points: i64,
    },
    Coupon {
        template: String,
    },
    /// Nothing but the message ("谢谢参与").
    Nothing,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Prize {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// The published chance of this prize, in parts per million.
    pub odds_ppm: u64,
    /// How many may be won in all.
    pub stock: i64,
    pub reward: Reward,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Consolation {
    pub name_zh: String,
    pub name_en: String,
    pub reward: Reward,
}

use crate::name_in;

impl Prize {
    /// The prize's name in English when `english` and there is one, else in Chinese.
    pub fn name(&self, english: bool) -> &str {
        name_in(&self.name_zh, &self.name_en, english)
    }
}

impl Consolation {
    /// The consolation's name in English when `english` and there is one, else in Chinese.
    pub fn name(&self, english: bool) -> &str {
        name_in(&self.name_zh, &self.name_en, english)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LotteryDef {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub style: Style,
    /// Points one draw costs; 0 for lotteries entered only with granted draws.
    pub cost_points: i64,
    pub prizes: Vec<Prize>,
    /// What every draw that wins no prize gets (including a prize that ran out).
    pub consolation: Consolation,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_member_per_day: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_member_lifetime: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<i64>,
    /// Behaviour events that grant one free draw each (`review`, `share`, `sign_in`...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub granted_on: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{field}: {message}")]
pub struct LotteryError {
    pub field: String,
    pub message: String,
}

fn bad(field: impl Into<String>, message: impl Into<String>) -> LotteryError {
    LotteryError {
        field: field.into(),
        message: message.into(),
    }
}

pub const PRIZES_MAX: usize = 12;
pub const PRIZE_POINTS_MAX: i64 = 10_000_000;

fn check_reward(field: &str, r: &Reward) -> Result<(), LotteryError> {
    match r {
        Reward::Points { points } if !(1..=PRIZE_POINTS_MAX).contains(points) => Err(bad(
            format!("{field}.points"),
            format!("must be between 1 and {PRIZE_POINTS_MAX}"),
        )),
        Reward::Coupon { template } if template.is_empty() => {
            Err(bad(format!("{field}.template"), "names a coupon template"))
        }
        _ => Ok(()),
    }
}

impl LotteryDef {
    pub fn validate(&self) -> Result<(), LotteryError> {
        crate::check::code(&self.code)
            .and_then(|_| crate::check::names(&self.name_zh, &self.name_en))
            .map_err(|(f, m)| bad(f, m))?;
        if !(0..=PRIZE_POINTS_MAX).contains(&self.cost_points) {
            return Err(bad(
                "cost_points",
                format!("must be between 0 and {PRIZE_POINTS_MAX}"),
            ));
        }
        if self.prizes.is_empty() || self.prizes.len() > PRIZES_MAX {
            return Err(bad(
                "prizes",
                format!("a lottery has 1 to {PRIZES_MAX} prizes"),
            ));
        }
        let mut total = 0u64;
        for (i, p) in self.prizes.iter().enumerate() {
            let f = |n: &str| format!("prizes[{i}].{n}");
            if p.code.is_empty()
                || p.code.len() > 32
                || self.prizes[..i].iter().any(|o| o.code == p.code)
            {
                return Err(bad(
                    f("code"),
                    "must be 1 to 32 characters and unique in the lottery",
                ));
            }
            for (n, v) in [("name_zh", &p.name_zh), ("name_en", &p.name_en)] {
                if v.trim().is_empty() || v.chars().count() > 60 {
                    return Err(bad(f(n), "must be 1 to 60 characters"));
                }
            }
            if p.odds_ppm == 0 || p.odds_ppm > ODDS_SCALE {
                return Err(bad(
                    f("odds_ppm"),
                    "must be between 1 and 1000000 (parts per million)",
                ));
            }
            if !(0..=1_000_000_000).contains(&p.stock) {
                return Err(bad(f("stock"), "must be between 0 and 10^9"));
            }
            check_reward(&f("reward"), &p.reward)?;
            total += p.odds_ppm;
        }
        if total > ODDS_SCALE {
            return Err(bad(
                "prizes",
                format!("the odds add up to {total} ppm, more than 1000000"),
            ));
        }
        check_reward("consolation.reward", &self.consolation.reward)?;
        for (f, v) in [
            ("per_member_per_day", self.per_member_per_day),
            ("per_member_lifetime", self.per_member_lifetime),
        ] {
            if v == Some(0) {
                return Err(bad(f, "must be at least 1 (leave it out for no limit)"));
            }
        }
        if let (Some(a), Some(b)) = (self.starts_at, self.ends_at)
            && b <= a
        {
            return Err(bad("ends_at", "must be after starts_at"));
        }
        Ok(())
    }

    /// The chance of the consolation when every prize is in stock, in ppm.
    pub fn consolation_ppm(&self) -> u64 {
        ODDS_SCALE - self.prizes.iter().map(|p| p.odds_ppm).sum::<u64>()
    }
}

/// Where a draw landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// The point on the odds scale the random input maps to: `random % 1000000`.
    pub ticket: u64,
    /// The prize whose band the ticket fell in, if any.
    pub band: Option<usize>,
    /// The prize won: the band's prize if it had stock, else none (the consolation).
    pub prize: Option<usize>,
}

/// The outcome of a draw with `random` when `in_stock[i]` says whether prize `i` has any left.
/// Prizes take consecutive bands of the scale in their order; the rest is the consolation's. A
/// prize that ran out keeps its band, which now pays the consolation: the other prizes' odds
/// never change, and the exhausted prize's chance goes to the consolation.
pub fn outcome(def: &LotteryDef, random: u64, in_stock: &[bool]) -> Outcome {
    let ticket = random % ODDS_SCALE;
    let mut start = 0;
    for (i, p) in def.prizes.iter().enumerate() {
        if ticket < start + p.odds_ppm {
            let prize = in_stock.get(i).copied().unwrap_or(false).then_some(i);
            return Outcome {
                ticket,
                band: Some(i),
                prize,
            };
        }
        start += p.odds_ppm;
    }
    Outcome {
        ticket,
        band: None,
        prize: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wheel() -> LotteryDef {
        let prize = |code: &str, odds: u64, stock: i64, reward: Reward| Prize {
            code: code.into(),
            name_zh: code.into(),
            name_en: code.into(),
            odds_ppm: odds,
            stock,
            reward,
        };
        LotteryDef {
            code: "wheel".into(),
            name_zh: "幸运大转盘".into(),
            name_en: "Lucky wheel".into(),
            style: Style::Wheel,
            cost_points: 20,
            prizes: vec![
                prize("p1000", 10_000, 5, Reward::Points { points: 1000 }),
                prize("p100", 90_000, 100, Reward::Points { points: 100 }),
                prize("p10", 300_000, 1000, Reward::Points { points: 10 }),
            ],
            consolation: Consolation {
                name_zh: "谢谢参与".into(),
                name_en: "Better luck next time".into(),
                reward: Reward::Nothing,
            },
            per_member_per_day: None,
            per_member_lifetime: None,
            starts_at: None,
            ends_at: None,
            granted_on: vec![],
        }
    }

    /// SplitMix64: a uniform stream for the frequency test.
    fn splitmix(state: &mut u64) -> u64 {
        *state = state.wrapping_add(0x9E3779B97F4A7C15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        z ^ (z >> 31)
    }

    #[test]
    fn observed_frequencies_over_100k_draws_match_the_published_odds() {
        let def = wheel();
        let n = 100_000u64;
        let mut counts = [0u64; 4];
        let mut s = 20261201;
        for _ in 0..n {
            let o = outcome(&def, splitmix(&mut s), &[true, true, true]);
            counts[o.prize.unwrap_or(3)] += 1;
        }
        let odds = [10_000u64, 90_000, 300_000, def.consolation_ppm()];
        // Chi-square with 3 degrees of freedom: 16.27 is the 0.1% critical value.
        let chi2: f64 = counts
            .iter()
            .zip(odds)
            .map(|(&c, p)| {
                let e = n as f64 * p as f64 / ODDS_SCALE as f64;
                (c as f64 - e).powi(2) / e
            })
            .sum();
        assert!(
            chi2 < 16.27,
            "counts {counts:?} do not fit the odds (chi² {chi2:.2})"
        );
        for (c, p) in counts.iter().zip(odds) {
            let observed = *c as f64 / n as f64;
            let published = p as f64 / ODDS_SCALE as f64;
            assert!(
                (observed - published).abs() < 0.01,
                "{observed} vs {published}"
            );
        }
    }

    #[test]
    fn an_exhausted_prize_pays_the_consolation_and_leaves_the_other_odds_alone() {
        let def = wheel();
        // A ticket in the first band wins it while in stock, the consolation after.
        assert_eq!(outcome(&def, 5_000, &[true, true, true]).prize, Some(0));
        let o = outcome(&def, 5_000, &[false, true, true]);
        assert_eq!((o.band, o.prize), (Some(0), None));
        // Bands of the others do not move.
        assert_eq!(outcome(&def, 10_000, &[false, true, true]).prize, Some(1));
        assert_eq!(outcome(&def, 99_999, &[false, true, true]).prize, Some(1));
        assert_eq!(outcome(&def, 100_000, &[false, true, true]).prize, Some(2));
        assert_eq!(outcome(&def, 400_000, &[true, true, true]).prize, None);
        // The same random input always gives the same outcome: draws can be recomputed.
        assert_eq!(
            outcome(&def, 1_234_567_891, &[true; 3]),
            outcome(&def, 1_234_567_891, &[true; 3])
        );
        assert_eq!(outcome(&def, 1_000_000 + 5_000, &[true; 3]).ticket, 5_000);
    }

    #[test]
    fn lotteries_are_validated_with_the_field() {
        let field = |f: &dyn Fn(&mut LotteryDef)| {
            let mut d = wheel();
            f(&mut d);
            d.validate().unwrap_err().field
        };
        assert!(wheel().validate().is_ok());
        assert_eq!(field(&|d| d.prizes[0].odds_ppm = 0), "prizes[0].odds_ppm");
        assert_eq!(field(&|d| d.prizes[1].odds_ppm = 950_000), "prizes");
        assert_eq!(
            field(&|d| d.prizes[2].code = "p1000".into()),
            "prizes[2].code"
        );
        assert_eq!(
            field(&|d| d.prizes[0].reward = Reward::Points { points: 0 }),
            "prizes[0].reward.points"
        );
        assert_eq!(field(&|d| d.cost_points = -1), "cost_points");
        assert_eq!(
            field(&|d| d.per_member_per_day = Some(0)),
            "per_member_per_day"
        );
        assert_eq!(field(&|d| d.prizes.clear()), "prizes");
    }
}
