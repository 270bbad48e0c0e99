//! `pricing { … }` in the organisation's `idp.kdl`: its own price book, its discounts and
//! rates, and whether an incomplete estimate may pass `--budget`. Only the organisation's
//! file may say any of it: a nested 100 % discount would defeat every cost limit.

use std::path::{Path, PathBuf};

use idp_price::{PriceBook, Rates, Rule, RuleKind};
use idp_spec::{Problem, Problems, SourceFile};
use kdl::{KdlNode, KdlValue};

/// The organisation's pricing settings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pricing {
    /// `book "file.json"`: the book read, and where from.
    pub book: Option<(PathBuf, PriceBook)>,
    /// `discount` and `rate` rules, in the order written.
    pub rates: Rates,
    /// `incomplete "accept"`: an estimate that lacks prices may pass `idp cost --budget`.
    pub accept_incomplete: bool,
}

impl Pricing {
    /// `prices` with the organisation's book and rates on top.
    pub fn apply(&self, prices: PriceBook) -> PriceBook {
        let mut book = prices.with_organisation(
            self.book.as_ref().map(|(_, b)| b.clone()),
            self.rates.clone(),
        );
        book.accept_incomplete = self.accept_incomplete;
        book
    }
}

/// What `pricing` takes, for the help.
const CHILDREN: &str = "`book \"prices.json\"`, `discount 5`, `discount 20 service=\"AmazonECS\"`, `rate \"AmazonRDS\" \"InstanceUsage:db.t4g.micro\" 0.012 region=\"eu-west-1\"` and `incomplete \"accept\"`";

/// Reads the `pricing` node; the book path is relative to `root` (the organisation's
/// directory).
pub(crate) fn read(
    source: &SourceFile,
    node: &KdlNode,
    root: &Path,
    problems: &mut Problems,
) -> Pricing {
    let mut out = Pricing::default();
    for child in node.children().map(|d| d.nodes()).unwrap_or_default() {
        let origin = origin(source, child);
        let bad = |message: String, help: &str| {
            Problem::error(
                source,
                child.span(),
                "idp::config::pricing_setting",
                message,
            )
            .help(help.to_owned())
        };
        match child.name().value() {
            "book" => match crate::single_string(child) {
                Some((path, _)) => match read_book(&root.join(&path)) {
                    Ok(book) => out.book = Some((root.join(&path), book)),
                    Err(reason) => problems.push(
                        Problem::error(
                            source,
                            child.span(),
                            "idp::config::price_book",
                            format!("the price book `{path}` cannot be used: {reason}"),
                        )
                        .help("point `book` at a JSON price book in the shape of `idp pricing refresh --output FILE` (docs/cost.md), relative to this idp.kdl"),
                    ),
                },
                None => problems.push(bad(
                    "`book` names one file".into(),
                    "write `book \"pricing/negotiated.json\"`",
                )),
            },
            "discount" => match discount(child) {
                Ok(kind) => out.rates.rules.push(Rule { kind, origin }),
                Err(message) => problems.push(bad(
                    message,
                    "write `discount 5` (percent off everything) or `discount 20 service=\"AmazonECS\"`",
                )),
            },
            "rate" => match rate(child) {
                Ok(kind) => out.rates.rules.push(Rule { kind, origin }),
                Err(message) => problems.push(bad(
                    message,
                    "write `rate \"AmazonRDS\" \"InstanceUsage:db.t4g.micro\" 0.012` (the price per unit in the book's currency), with `region=\"eu-west-1\"` for one region only",
                )),
            },
            "incomplete" => match crate::single_string(child).map(|(s, _)| s) {
                Some(s) if s == "accept" => out.accept_incomplete = true,
                Some(s) if s == "refuse" => out.accept_incomplete = false,
                _ => problems.push(bad(
                    "`incomplete` is `\"accept\"` or `\"refuse\"`".into(),
                    "write `incomplete \"accept\"` to let an estimate that lacks prices pass `--budget` as a lower bound",
                )),
            },
            other => problems.push(bad(
                format!("`pricing` takes no `{other}`"),
                &format!("`pricing` takes {CHILDREN}"),
            )),
        }
    }
    out
}

/// `idp.kdl line 7`, for the estimate's line that shows the rule.
fn origin(source: &SourceFile, node: &KdlNode) -> String {
    let (line, _) = source.line_col(node.span().offset());
    let name = source.path.file_name().map_or_else(
        || source.path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    format!("{name} line {line}")
}

fn read_book(path: &Path) -> Result<PriceBook, String> {
    PriceBook::read(path).map_err(|e| e.to_string())
}

fn args(node: &KdlNode) -> Vec<&KdlValue> {
    node.entries()
        .iter()
        .filter(|e| e.name().is_none())
        .map(|e| e.value())
        .collect()
}

fn prop<'n>(node: &'n KdlNode, key: &str) -> Result<Option<&'n str>, String> {
    for e in node.entries() {
        match e.name().map(|n| n.value()) {
            Some(k) if k == key => {
                return e
                    .value()
                    .as_string()
                    .map(Some)
                    .ok_or_else(|| format!("`{key}=` is a string"));
            }
            Some(k) => return Err(format!("`{}` takes no `{k}=`", node.name().value())),
            None => {}
        }
    }
    Ok(None)
}

fn number(v: &KdlValue) -> Option<f64> {
    match v {
        KdlValue::Integer(i) => i64::try_from(*i).ok().map(|i| i as f64),
        KdlValue::Float(f) => Some(*f),
        _ => None,
    }
}

fn discount(node: &KdlNode) -> Result<RuleKind, String> {
    let percent = match args(node).as_slice() {
        [v] => number(v).ok_or("a discount is a percentage, a number")?,
        _ => return Err("`discount` takes one percentage".into()),
    };
    if !(percent > 0.0 && percent <= 100.0) {
        return Err(format!(
            "a discount of `{percent}` % is not more than 0 and at most 100"
        ));
    }
    Ok(match prop(node, "service")? {
        Some(service) => RuleKind::ServiceDiscount {
            service_code: service.to_owned(),
            percent,
        },
        None => RuleKind::Discount { percent },
    })
}

fn rate(node: &KdlNode) -> Result<RuleKind, String> {
    let [service, usage, price] = args(node)[..] else {
        return Err("`rate` takes a service code, a usage type and a price".into());
    };
    let (Some(service), Some(usage)) = (service.as_string(), usage.as_string()) else {
        return Err("a rate's service code and usage type are strings".into());
    };
    let price = number(price).ok_or("a rate's price is a number")?;
    if !(price.is_finite() && price >= 0.0) {
        return Err(format!("a rate of `{price}` is not a price"));
    }
    Ok(RuleKind::Rate {
        service_code: service.to_owned(),
        usage_type: usage.to_owned(),
        region: prop(node, "region")?.map(str::to_owned),
        price,
    })
}

#[cfg(test)]
mod tests {
    use crate::ProjectConfig;
    use std::path::Path;

    fn parse(text: &str) -> Result<ProjectConfig, Vec<(String, usize)>> {
        ProjectConfig::parse(Path::new("/nonexistent/idp.kdl"), text).map_err(|p| {
            p.0.iter()
                .map(|p| (p.code.clone(), p.line_col().0))
                .collect()
        })
    }

    #[test]
    fn discounts_and_rates_are_read_with_their_lines() {
        let c = parse(
            "pricing {\n    discount 5\n    discount 20 service=\"AmazonECS\"\n    rate \"AmazonRDS\" \"InstanceUsage:db.t4g.micro\" 0.012 region=\"eu-west-1\"\n    incomplete \"accept\"\n}\n",
        )
        .expect("valid");
        let rules = &c.pricing.rates.rules;
        assert_eq!(rules.len(), 3);
        assert_eq!(rules[0].label("USD"), "discount 5 % (idp.kdl line 2)");
        assert_eq!(
            rules[1].label("USD"),
            "discount 20 % on AmazonECS (idp.kdl line 3)"
        );
        assert_eq!(
            rules[2].label("USD"),
            "rate AmazonRDS InstanceUsage:db.t4g.micro in eu-west-1 at 0.012 USD (idp.kdl line 4)"
        );
        assert!(c.pricing.accept_incomplete);
    }

    #[test]
    fn bad_settings_are_errors_at_their_line() {
        let errs = parse(
            "pricing {\n    discount 150\n    discount \"ten\"\n    rate \"AmazonRDS\" 0.01\n    incomplete yes\n    book \"missing.json\"\n    refund 3\n}\n",
        )
        .expect_err("invalid");
        let setting = "idp::config::pricing_setting".to_owned();
        assert_eq!(
            errs,
            [
                (setting.clone(), 2),
                (setting.clone(), 3),
                (setting.clone(), 4),
                (setting.clone(), 5),
                ("idp::config::price_book".to_owned(), 6),
                (setting, 7),
            ]
        );
    }
}
