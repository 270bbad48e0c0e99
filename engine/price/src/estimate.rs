use idp_model::{BillItem, BillingBasis, Schedule};
use serde::{Deserialize, Serialize};

use crate::rates::{Rule, RuleKind};
use crate::{PriceBook, PriceError, SourceKind};

/// One priced bill line, at the book's price (the organisation's rules are lines of their
/// own: [`Adjustment`]).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Line {
    /// Module call the resource belongs to.
    pub call: String,
    /// What is billed.
    pub description: String,
    /// Price List service code.
    pub service_code: String,
    /// Usage type.
    pub usage_type: String,
    /// Unit.
    pub unit: String,
    /// Price per unit.
    pub unit_price: f64,
    /// Units per hour or per month.
    pub quantity: f64,
    /// How the quantity accrues.
    pub basis: BillingBasis,
    /// Cost per month of existence.
    pub monthly: f64,
    /// Cost over the TTL; `None` for `never`.
    pub lifetime: Option<f64>,
    /// When the price was read.
    pub seen: String,
    /// Set when the price is the organisation's own rather than a list price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<OrganisationPrice>,
    /// Whether the line runs only in the scheduled hours, and so is billed for those
    /// (set only when the environment has a schedule and the line follows it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub scheduled: bool,
}

/// Where an organisation's price on a line came from.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum OrganisationPrice {
    /// Its price book (`pricing { book … }`).
    Book,
    /// Its explicit rate for the usage type (`pricing { rate … }`), where no book has one.
    Rate,
}

fn is_true(b: &bool) -> bool {
    *b
}

/// A bill line the book has no price for: the estimate leaves it out and says so.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Missing {
    /// Module call the resource belongs to.
    pub call: String,
    /// What is billed.
    pub description: String,
    /// Price List service code.
    pub service_code: String,
    /// Usage type.
    pub usage_type: String,
}

/// What one of the organisation's rules changes on an estimate.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Adjustment {
    /// The rule, for people (`discount 20 % on AmazonECS (idp.kdl line 4)`).
    pub label: String,
    /// Change per month (negative for a discount).
    pub monthly: f64,
    /// Change over the TTL; `None` for `never`.
    pub lifetime: Option<f64>,
}

fn yes() -> bool {
    true
}

/// What the environment's schedule changes on its estimate (`schedule { }` in the spec).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Scheduled {
    /// The window it runs each day it runs (`08:00-20:00`).
    pub window: String,
    /// The days it runs, cron style (`MON-FRI`).
    pub days: String,
    /// IANA time zone of the window.
    pub timezone: String,
    /// Hours it runs a week (60 for weekdays 08:00 to 20:00).
    pub hours_per_week: f64,
    /// Hours a line that follows the schedule is billed a month: `hours_per_week` ×
    /// 730 / 168 (AWS's 730-hour month over the 168 hours of a week).
    pub hours_per_month: f64,
    /// The effective total per month were it to run around the clock.
    pub always_on_monthly: f64,
    /// The effective total over the TTL around the clock; `None` for `never`.
    pub always_on_lifetime: Option<f64>,
    /// What the schedule saves a month: `always_on_monthly` − the estimate's `monthly`.
    pub saving_monthly: f64,
    /// What it saves over the TTL; `None` for `never`.
    pub saving_lifetime: Option<f64>,
}

/// An environment's priced bill.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Estimate {
    /// Region priced.
    pub region: String,
    /// Currency of every figure.
    pub currency: String,
    /// Date of the oldest price used.
    pub price_book: String,
    /// Hours the environment lives; `None` for `never`.
    pub lifetime_hours: Option<f64>,
    /// Every priced line.
    pub lines: Vec<Line>,
    /// Total per month, after the organisation's rules; a lower bound when incomplete.
    pub monthly: f64,
    /// Total over the TTL; `None` for `never`.
    pub lifetime: Option<f64>,
    /// Whether every line was priced; when not, the totals are lower bounds. Written only
    /// when false, so a complete estimate reads as it always did.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub complete: bool,
    /// The lines the book has no price for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<Missing>,
    /// The organisation's rules that changed the estimate, each a line of its own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub adjustments: Vec<Adjustment>,
    /// The total per month at the book's prices, before the rules (with adjustments only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_monthly: Option<f64>,
    /// The total over the TTL before the rules (with adjustments and a TTL only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_lifetime: Option<f64>,
    /// The schedule's hours and saving, when the environment has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Scheduled>,
}

impl Estimate {
    /// What policies receive: the effective figures, after the organisation's rules (a
    /// lower bound when the estimate is incomplete).
    pub fn for_policies(&self) -> idp_model::CostEstimate {
        idp_model::CostEstimate {
            monthly: self.monthly,
            lifetime: self.lifetime,
            list_monthly: self.list_monthly.unwrap_or(self.monthly),
            complete: self.complete,
        }
    }

    /// How to price what is missing, for people.
    pub fn remedy(&self) -> String {
        format!(
            "run `idp pricing refresh --region {}`, or give the organisation's own price book (`pricing {{ book \"…\" }}` in its idp.kdl)",
            self.region
        )
    }
}

/// Monthly and lifetime amounts of `quantity` units at `unit_price`.
struct Clock {
    hours: Option<f64>,
    per_month: f64,
    /// The share of the week a line that follows the schedule runs (1 without one).
    share: f64,
}

impl Clock {
    /// The share of its hours a line is billed: the schedule's for an hourly line that
    /// follows it, all of them otherwise (a monthly quantity is what a month uses).
    fn share_of(&self, item: &BillItem) -> f64 {
        match follows(item) {
            true => self.share,
            false => 1.0,
        }
    }

    fn amounts(&self, quantity: f64, unit_price: f64, basis: BillingBasis) -> (f64, Option<f64>) {
        match basis {
            BillingBasis::PerHour => (
                quantity * unit_price * self.per_month,
                self.hours.map(|h| quantity * unit_price * h),
            ),
            BillingBasis::PerMonth => (
                quantity * unit_price,
                self.hours
                    .map(|h| quantity * unit_price * h / self.per_month),
            ),
        }
    }
}

/// Prices a bill for a region, a TTL (`None` for `never`) and the environment's
/// schedule (`None`: around the clock), then applies the book's rates. Hourly lines that
/// follow the schedule are billed for its share of the week only, and the estimate says
/// what that saves against around the clock ([`Estimate::schedule`]). A line without a
/// price is named in [`Estimate::missing`], never counted as zero.
pub fn estimate(
    book: &PriceBook,
    region: &str,
    ttl_seconds: Option<u64>,
    bill: &[BillItem],
    schedule: Option<&Schedule>,
) -> Result<Estimate, PriceError> {
    if !book.prices.iter().any(|p| p.region == region) {
        return Err(PriceError::UnknownRegion {
            region: region.to_owned(),
            covered: book.regions().join(", "),
            snapshot: book.snapshot.clone(),
        });
    }
    let mut estimate = priced(book, region, ttl_seconds, bill, schedule);
    if let Some(s) = schedule {
        let always_on = priced(book, region, ttl_seconds, bill, None);
        estimate.schedule = Some(Scheduled {
            window: s.window(),
            days: days(s),
            timezone: s.timezone.clone(),
            hours_per_week: s.hours_per_week(),
            hours_per_month: s.share_of_week() * book.hours_per_month,
            always_on_monthly: always_on.monthly,
            always_on_lifetime: always_on.lifetime,
            saving_monthly: always_on.monthly - estimate.monthly,
            saving_lifetime: always_on
                .lifetime
                .zip(estimate.lifetime)
                .map(|(a, e)| a - e),
        });
    }
    if estimate.complete || book.accept_incomplete {
        return Ok(estimate);
    }
    let mut names: Vec<String> = estimate
        .missing
        .iter()
        .map(|m| format!("`{}` `{}`", m.service_code, m.usage_type))
        .collect();
    names.dedup();
    Err(PriceError::Incomplete {
        region: region.to_owned(),
        missing: names.join(", "),
        estimate: Box::new(estimate),
    })
}

/// The days of a schedule cron style: `MON-FRI` for the weekdays, else a list.
fn days(s: &Schedule) -> String {
    match s.days.as_slice() == idp_model::Weekday::WEEKDAYS {
        true => "MON-FRI".to_owned(),
        false => s
            .days
            .iter()
            .map(|d| d.cron())
            .collect::<Vec<_>>()
            .join(","),
    }
}

/// The bill priced line by line, with the rules' adjustments and the totals.
fn priced(
    book: &PriceBook,
    region: &str,
    ttl_seconds: Option<u64>,
    bill: &[BillItem],
    schedule: Option<&Schedule>,
) -> Estimate {
    let clock = Clock {
        hours: ttl_seconds.map(|s| s as f64 / 3600.0),
        per_month: book.hours_per_month,
        share: schedule.map_or(1.0, Schedule::share_of_week),
    };
    let mut lines = Vec::with_capacity(bill.len());
    let mut missing = Vec::new();
    // (rule index, rule, monthly change, lifetime change) per line a rule changed.
    let mut changes: Vec<(usize, &Rule, f64, Option<f64>)> = Vec::new();
    for item in bill {
        let rule = book
            .rates
            .for_line(region, &item.service_code, &item.usage_type);
        let (unit_price, seen, organisation) = match (
            book.find(region, &item.service_code, &item.usage_type),
            rule,
        ) {
            (Some(p), _) => {
                let own = p.source_kind == SourceKind::Organisation;
                (
                    p.usd,
                    p.seen.clone(),
                    own.then_some(OrganisationPrice::Book),
                )
            }
            // The organisation's own rate prices what the book lacks; it is the
            // price, so there is no list figure to adjust.
            (None, Some((_, r))) if matches!(r.kind, RuleKind::Rate { .. }) => {
                (rate_price(r), String::new(), Some(OrganisationPrice::Rate))
            }
            (None, _) => {
                missing.push(Missing {
                    call: item.call.clone(),
                    description: item.description.clone(),
                    service_code: item.service_code.clone(),
                    usage_type: item.usage_type.clone(),
                });
                continue;
            }
        };
        let (monthly, lifetime) = clock.amounts(item.quantity, unit_price, item.basis);
        let share = clock.share_of(item);
        let (monthly, lifetime) = (monthly * share, lifetime.map(|l| l * share));
        if let Some((i, r)) = rule
            && organisation != Some(OrganisationPrice::Rate)
        {
            let (m, l) = change(r, &clock, item, unit_price, monthly, lifetime);
            changes.push((
                i,
                r,
                m * share_if_rate(r, share),
                l.map(|l| l * share_if_rate(r, share)),
            ));
        }
        lines.push(Line {
            call: item.call.clone(),
            description: item.description.clone(),
            service_code: item.service_code.clone(),
            usage_type: item.usage_type.clone(),
            unit: item.unit.clone(),
            unit_price,
            quantity: item.quantity,
            basis: item.basis,
            monthly,
            lifetime,
            seen,
            organisation,
            scheduled: schedule.is_some() && follows(item),
        });
    }
    total(
        book,
        region,
        clock.hours,
        lines,
        missing,
        adjustments(book, changes),
    )
}

/// Whether the schedule bills `item` for its hours only: an hourly line that follows it.
fn follows(item: &BillItem) -> bool {
    item.follows_schedule && item.basis == BillingBasis::PerHour
}

/// What scales a rule's change by the line's share of the week: a discount is a share of
/// the (already scaled) amount, a rate's difference is per unit, so it scales too.
fn share_if_rate(rule: &Rule, share: f64) -> f64 {
    match rule.kind {
        RuleKind::Rate { .. } => share,
        _ => 1.0,
    }
}

fn rate_price(rule: &Rule) -> f64 {
    match rule.kind {
        RuleKind::Rate { price, .. } => price,
        _ => 0.0,
    }
}

/// What `rule` changes on a line priced `monthly`/`lifetime` at `unit_price`.
fn change(
    rule: &Rule,
    clock: &Clock,
    item: &BillItem,
    unit_price: f64,
    monthly: f64,
    lifetime: Option<f64>,
) -> (f64, Option<f64>) {
    match &rule.kind {
        RuleKind::Discount { percent } | RuleKind::ServiceDiscount { percent, .. } => {
            let f = percent / 100.0;
            (-monthly * f, lifetime.map(|l| -l * f))
        }
        RuleKind::Rate { price, .. } => {
            clock.amounts(item.quantity, price - unit_price, item.basis)
        }
    }
}

/// One adjustment per rule, in the order the rules were written.
fn adjustments(
    book: &PriceBook,
    mut changes: Vec<(usize, &Rule, f64, Option<f64>)>,
) -> Vec<Adjustment> {
    changes.sort_by_key(|c| c.0);
    let mut out: Vec<(usize, Adjustment)> = Vec::new();
    for (i, rule, m, l) in changes {
        match out.last_mut() {
            Some((j, a)) if *j == i => {
                a.monthly += m;
                a.lifetime = a.lifetime.zip(l).map(|(a, b)| a + b);
            }
            _ => out.push((
                i,
                Adjustment {
                    label: rule.label(&book.currency),
                    monthly: m,
                    lifetime: l,
                },
            )),
        }
    }
    out.into_iter().map(|(_, a)| a).collect()
}

/// The estimate with its totals: lines plus adjustments.
fn total(
    book: &PriceBook,
    region: &str,
    hours: Option<f64>,
    lines: Vec<Line>,
    missing: Vec<Missing>,
    adjustments: Vec<Adjustment>,
) -> Estimate {
    // `+ 0.0`: an empty float sum is -0.0, which would print as `-0.00`.
    let list_monthly = lines.iter().map(|l| l.monthly).sum::<f64>() + 0.0;
    let list_lifetime = hours.map(|_| lines.iter().filter_map(|l| l.lifetime).sum::<f64>() + 0.0);
    let monthly = list_monthly + adjustments.iter().map(|a| a.monthly).sum::<f64>();
    let lifetime =
        list_lifetime.map(|l| l + adjustments.iter().filter_map(|a| a.lifetime).sum::<f64>());
    let adjusted = !adjustments.is_empty();
    Estimate {
        region: region.to_owned(),
        currency: book.currency.clone(),
        price_book: lines
            .iter()
            .map(|l| l.seen.clone())
            .filter(|s| !s.is_empty())
            .min()
            .unwrap_or_else(|| book.snapshot.clone()),
        lifetime_hours: hours,
        lines,
        monthly,
        lifetime,
        complete: missing.is_empty(),
        missing,
        adjustments,
        list_monthly: adjusted.then_some(list_monthly),
        list_lifetime: list_lifetime.filter(|_| adjusted),
        schedule: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rates::Rates;

    fn item(usage_type: &str, quantity: f64, basis: BillingBasis) -> BillItem {
        BillItem {
            call: "c".into(),
            description: usage_type.into(),
            service_code: match usage_type {
                u if u.starts_with("Nat") => "AmazonEC2",
                u if u.contains("Invocation") => "AWSEvents",
                _ => "AmazonCloudWatch",
            }
            .into(),
            usage_type: usage_type.into(),
            unit: "u".into(),
            quantity,
            basis,
            follows_schedule: false,
        }
    }

    #[test]
    fn hourly_lines_bill_the_ttl_and_monthly_lines_pro_rata() {
        let book = PriceBook::embedded();
        let bill = [
            item("NatGateway-Hours", 1.0, BillingBasis::PerHour),
            item("DataProcessing-Bytes", 2.0, BillingBasis::PerMonth),
        ];
        let e = estimate(&book, "us-east-1", Some(7 * 86_400), &bill, None).expect("priced");
        // NAT: 0.045 $/h × 730 h = 32.85 a month; × 168 h = 7.56 over 7 days.
        // Logs: 2 GB × 0.50 $/GB = 1.00 a month; × 168/730 = 0.230137 over 7 days.
        assert!((e.lines[0].monthly - 32.85).abs() < 1e-9);
        assert!((e.lines[0].lifetime.unwrap_or_default() - 7.56).abs() < 1e-9);
        assert!((e.lines[1].monthly - 1.00).abs() < 1e-9);
        assert!((e.lifetime.unwrap_or_default() - (7.56 + 168.0 / 730.0)).abs() < 1e-9);
        assert!((e.monthly - 33.85).abs() < 1e-9);
        assert!(e.complete && e.adjustments.is_empty() && e.list_monthly.is_none());
        let forever = estimate(&book, "us-east-1", None, &bill, None).expect("priced");
        assert_eq!(forever.lifetime, None);
    }

    #[test]
    fn a_missing_price_makes_a_lower_bound_that_names_the_line() {
        let book = PriceBook::embedded();
        let err = estimate(&book, "sa-east-1", None, &[], None).expect_err("no prices there");
        assert_eq!(
            err.to_string(),
            "the price book has no prices for region `sa-east-1`"
        );
        let bill = [
            item("NatGateway-Hours", 1.0, BillingBasis::PerHour),
            item("Scheduler-Invocation", 1000.0, BillingBasis::PerMonth),
        ];
        // Singapore has no EventBridge Scheduler price.
        let err = estimate(&book, "ap-southeast-1", None, &bill, None).expect_err("incomplete");
        assert_eq!(
            err.to_string(),
            "the price book has no price in `ap-southeast-1` for `AWSEvents` `Scheduler-Invocation`"
        );
        let e = err.estimate().cloned().expect("a lower bound");
        assert!(!e.complete);
        assert_eq!(e.missing.len(), 1);
        assert_eq!(e.missing[0].usage_type, "Scheduler-Invocation");
        assert!((e.monthly - 0.059 * 730.0).abs() < 1e-9, "the NAT alone");
        // London has one, under the offer files' spelling: the template's old one finds it.
        let e = estimate(&book, "eu-west-2", None, &bill, None).expect("priced");
        assert!(e.complete);
        assert!((e.lines[1].monthly - 1000.0 * 0.00000115).abs() < 1e-12);
        // An organisation that accepts lower bounds gets them as estimates.
        let mut accepting = book.clone();
        accepting.accept_incomplete = true;
        let e = estimate(&accepting, "ap-southeast-1", None, &bill, None).expect("accepted");
        assert!(!e.complete && e.missing.len() == 1);
    }

    #[test]
    fn each_rule_is_a_line_of_its_own() {
        let mut book = PriceBook::embedded();
        book.rates = Rates {
            rules: vec![
                Rule {
                    kind: RuleKind::Discount { percent: 10.0 },
                    origin: "idp.kdl line 2".into(),
                },
                Rule {
                    kind: RuleKind::Rate {
                        service_code: "AWSEvents".into(),
                        usage_type: "ScheduledInvocation".into(),
                        region: Some("ap-southeast-1".into()),
                        price: 0.000002,
                    },
                    origin: "idp.kdl line 3".into(),
                },
            ],
        };
        let bill = [
            item("NatGateway-Hours", 1.0, BillingBasis::PerHour),
            item("Scheduler-Invocation", 1000.0, BillingBasis::PerMonth),
        ];
        let e = estimate(&book, "ap-southeast-1", Some(730 * 3600), &bill, None).expect("priced");
        assert!(e.complete, "the organisation's rate prices the gap");
        assert_eq!(e.lines[1].organisation, Some(OrganisationPrice::Rate));
        assert_eq!(e.adjustments.len(), 1);
        assert_eq!(e.adjustments[0].label, "discount 10 % (idp.kdl line 2)");
        let nat = 0.059 * 730.0;
        assert!((e.adjustments[0].monthly + nat * 0.1).abs() < 1e-9);
        assert!((e.list_monthly.unwrap_or_default() - (nat + 0.002)).abs() < 1e-9);
        assert!((e.monthly - (nat * 0.9 + 0.002)).abs() < 1e-9);
        assert!((e.lifetime.unwrap_or_default() - e.monthly).abs() < 1e-9);
    }

    #[test]
    fn a_schedule_bills_the_lines_that_follow_it_for_its_hours_only() {
        let mut book = PriceBook::embedded();
        book.rates = Rates {
            rules: vec![Rule {
                kind: RuleKind::Discount { percent: 10.0 },
                origin: "idp.kdl line 2".into(),
            }],
        };
        let mut nat = item("NatGateway-Hours", 1.0, BillingBasis::PerHour);
        // A NAT gateway keeps billing: its flag is what the template says, and it says no.
        nat.follows_schedule = false;
        let mut logs = item("DataProcessing-Bytes", 2.0, BillingBasis::PerMonth);
        logs.follows_schedule = true;
        let mut follows = item("NatGateway-Hours", 2.0, BillingBasis::PerHour);
        follows.follows_schedule = true;
        let bill = [nat, logs, follows];
        let week = Schedule::weekdays("08:00-20:00", "Europe/Berlin").expect("valid");
        let e = estimate(&book, "us-east-1", Some(7 * 86_400), &bill, Some(&week)).expect("priced");
        // 60 of 168 hours: 730 × 60 / 168 = 260.714… hours a month.
        let hours = 730.0 * 60.0 / 168.0;
        assert!((e.lines[0].monthly - 0.045 * 730.0).abs() < 1e-9, "24/7");
        assert!(
            (e.lines[1].monthly - 1.00).abs() < 1e-9,
            "a monthly quantity is not scaled"
        );
        assert!((e.lines[2].monthly - 2.0 * 0.045 * hours).abs() < 1e-9);
        assert!((e.lines[2].lifetime.unwrap_or_default() - 2.0 * 0.045 * 60.0).abs() < 1e-9);
        assert!(!e.lines[0].scheduled && !e.lines[1].scheduled && e.lines[2].scheduled);
        let s = e.schedule.as_ref().expect("the schedule's part");
        assert_eq!(
            (s.window.as_str(), s.days.as_str()),
            ("08:00-20:00", "MON-FRI")
        );
        assert!((s.hours_per_month - hours).abs() < 1e-9);
        let always = (0.045 * 730.0 * 3.0 + 1.0) * 0.9;
        assert!((s.always_on_monthly - always).abs() < 1e-9);
        assert!((s.saving_monthly - 2.0 * 0.045 * (730.0 - hours) * 0.9).abs() < 1e-9);
        assert!((e.monthly + s.saving_monthly - always).abs() < 1e-9);
        let p = e.for_policies();
        assert!(p.complete && (p.list_monthly - p.monthly / 0.9).abs() < 1e-9);
    }
}
