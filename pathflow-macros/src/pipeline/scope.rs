//! Which names in a pipeline are local bindings rather than columns.
//!
//! Inside a column expression a bare lowercase name is a column of the row, unless it is
//! bound locally: a parameter of the pipeline function, a `let` in its body, a closure
//! parameter, a `match` arm's binding, and so on.

use syn::visit::Visit;
use syn::{Expr, Pat, PatIdent};

/// The names bound by a pattern.
pub fn bindings(pat: &Pat) -> Vec<String> {
    struct Collect(Vec<String>);
    impl<'ast> Visit<'ast> for Collect {
        fn visit_pat_ident(&mut self, pat: &'ast PatIdent) {
            self.0.push(pat.ident.to_string());
            syn::visit::visit_pat_ident(self, pat);
        }
    }
    let mut collect = Collect(Vec::new());
    collect.visit_pat(pat);
    collect.0
}

/// The names bound by the `let` conditions of an `if` or `while` (`if let Some(x) = ..`,
/// also chained with `&&`).
pub fn condition_bindings(cond: &Expr) -> Vec<String> {
    match cond {
        Expr::Let(expr_let) => bindings(&expr_let.pat),
        Expr::Binary(binary) if matches!(binary.op, syn::BinOp::And(_)) => {
            let mut names = condition_bindings(&binary.left);
            names.extend(condition_bindings(&binary.right));
            names
        }
        Expr::Paren(paren) => condition_bindings(&paren.expr),
        _ => Vec::new(),
    }
}

/// The single identifier an expression is, if it is a plain lowercase name that could be a
/// column: no path, no generics, not a keyword path, not `CONSTANT` or `Variant` case.
pub fn bare_name(expr: &Expr) -> Option<&syn::Ident> {
    let Expr::Path(path) = expr else { return None };
    if path.qself.is_some() || path.path.leading_colon.is_some() || !path.attrs.is_empty() {
        return None;
    }
    let ident = path.path.get_ident()?;
    let name = ident.to_string();
    let first = name.trim_start_matches("r#").chars().next()?;
    if first.is_uppercase() || name == "self" {
        return None;
    }
    Some(ident)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_pattern_bindings() {
        let pat: Pat = syn::parse_quote!((a, Some(b), Point { x, y: c }, ref d @ _));
        assert_eq!(bindings(&pat), ["a", "b", "x", "c", "d"]);
        let cond: Expr = syn::parse_quote!(let Some(v) = x && let Ok(w) = y);
        assert_eq!(condition_bindings(&cond), ["v", "w"]);
    }

    #[test]
    fn bare_names_are_lowercase_single_idents() {
        let name = |tokens: Expr| bare_name(&tokens).map(ToString::to_string);
        assert_eq!(name(syn::parse_quote!(amount)), Some("amount".into()));
        assert_eq!(name(syn::parse_quote!(r#type)), Some("r#type".into()));
        assert_eq!(name(syn::parse_quote!(None)), None);
        assert_eq!(name(syn::parse_quote!(MAX)), None);
        assert_eq!(name(syn::parse_quote!(std::f64::consts::PI)), None);
        assert_eq!(name(syn::parse_quote!(self)), None);
    }
}
