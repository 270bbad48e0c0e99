//! The fast path held against the `kdl` crate on any text, for the differential fuzz
//! harness (`tests/integration/parser.rs`), which cannot see this crate's internals.

use kdl::{KdlDocument, KdlNode};
use serde_json::Value;

use crate::{Problems, SourceFile, SpanMap, nodes_to_json};

/// Which parser decided a text, when the two agreed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decided {
    /// Refused by the bounds every text is held to, before either parser.
    Prescan,
    /// Read by the fast path, and by `kdl` with the same nodes, values, spans and JSON.
    Fast,
    /// Left to `kdl` (accepted or refused), the only parser of such a text.
    Kdl,
}

/// How the two parsers read `text`, or how they disagree. Also checks what must hold of
/// every accepted document: its depth is within the prescan's bound, and reading it as a
/// spec does not panic.
pub fn compare(text: &str) -> Result<Decided, String> {
    let source = SourceFile::new("fuzz.kdl", text);
    if let Err(problems) = crate::prescan::check(&source) {
        // Its syntax rules name sequences KDL 2.0 does not allow: `kdl` must refuse them
        // too. (A file KDL 1.0 reads another way, e.g. with U+000B, which is no line end
        // in 1.0, may be refused: docs/decisions/0002-kdl-parser.md.)
        // Not on floods: what the prescan refuses there is what `kdl` cannot survive.
        let syntax = text.len() <= 4096 && problems.0.iter().any(|p| p.code == "idp::spec::syntax");
        let v2 = || crate::spec::with_kdl_stack(|| KdlDocument::parse_v2(text).is_ok());
        if syntax && v2().unwrap_or(false) {
            return Err(format!(
                "the prescan refused what kdl reads: {}",
                problems.0[0].message
            ));
        }
        return Ok(Decided::Prescan);
    }
    let kdl = crate::spec::parse_with_kdl(&source);
    if let Ok(doc) = &kdl {
        let depth = depth(doc);
        if depth > crate::MAX_DEPTH {
            return Err(format!("the prescan let through a depth of {depth}"));
        }
    }
    let _ = crate::SpecFile::parse(source.clone());
    let Some(fast) = crate::fast_kdl::parse(text) else {
        return Ok(Decided::Kdl);
    };
    let kdl = kdl.map_err(|e| format!("the fast path accepted what kdl refuses: {e}"))?;
    let (f, k) = (
        crate::fast_kdl::projection(&fast),
        crate::fast_kdl::projection(&kdl),
    );
    if f != k {
        return Err(format!("different documents:\nfast {f:#?}\nkdl  {k:#?}"));
    }
    let (f, k) = (json(&source, &fast), json(&source, &kdl));
    if f != k {
        return Err(format!("different JSON:\nfast {f}\nkdl  {k}"));
    }
    Ok(Decided::Fast)
}

fn json(source: &SourceFile, doc: &KdlDocument) -> Value {
    let nodes: Vec<&KdlNode> = doc.nodes().iter().collect();
    let mut map = SpanMap::new((0, 0).into());
    let mut problems = Problems::default();
    let object = nodes_to_json(&nodes, None, "", source, &mut map, &mut problems);
    let codes: Vec<Value> = problems.0.iter().map(|p| p.code.clone().into()).collect();
    serde_json::json!({"value": object, "problems": codes})
}

fn depth(doc: &KdlDocument) -> usize {
    let mut deepest = 0;
    let mut stack: Vec<(&KdlNode, usize)> = doc.nodes().iter().map(|n| (n, 0)).collect();
    while let Some((node, d)) = stack.pop() {
        if let Some(children) = node.children() {
            deepest = deepest.max(d + 1);
            stack.extend(children.nodes().iter().map(|n| (n, d + 1)));
        }
    }
    deepest
}
