//! One property given twice in a node is refused everywhere idp reads KDL.
//!
//! KDL 2.0 lets the last of them win; idp used to read the first in some places and the
//! last in others. Refusing is clearer for a reviewer than either: `until="2026-01-01"`
//! followed far to the right by `until="2099-01-01"` is easy to miss in a pull request.

use std::collections::HashMap;

use kdl::{KdlDocument, KdlNode};

use crate::{Problem, Problems, SourceFile};

/// Every node in `doc` (children included) with a property name given twice.
pub(crate) fn check(source: &SourceFile, doc: &KdlDocument) -> Result<(), Problems> {
    let mut problems = Problems::default();
    // A stack, not recursion: the prescan bounds the depth, but this stays flat anyway.
    let mut stack: Vec<&KdlNode> = doc.nodes().iter().rev().collect();
    let mut seen = HashMap::new();
    while let Some(node) = stack.pop() {
        seen.clear();
        for entry in node.entries() {
            let Some(key) = entry.name() else { continue };
            if let Some(first) = seen.insert(key.value(), entry.span()) {
                let line = if problems.is_full() {
                    0
                } else {
                    source.line_col(first.offset()).0
                };
                problems.push(
                    Problem::error(
                        source,
                        entry.span(),
                        "idp::spec::duplicate_property",
                        format!(
                            "`{}` is given twice in `{}`",
                            key.value(),
                            node.name().value()
                        ),
                    )
                    .label("again here")
                    .help(format!("the first is on line {line}; keep one")),
                );
            }
        }
        if let Some(children) = node.children() {
            stack.extend(children.nodes().iter().rev());
        }
    }
    problems.into_result()
}
