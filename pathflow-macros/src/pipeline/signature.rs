//! Makes a pipeline function generic over the scope and the mode: `Table<Row>` in its
//! signature and body becomes `Table<'s, Row, M>`, and `<'s, M: Mode>` is added.

use proc_macro2::Span;
use syn::visit_mut::{self, VisitMut};
use syn::{GenericArgument, ItemFn, Lifetime, PathArguments, Type, TypePath};

/// Rewrites `Table<Row>` types throughout the function and adds the generic parameters if
/// any were rewritten. Returns whether the function takes or returns tables.
pub fn generalize(function: &mut ItemFn) -> bool {
    let mut tables = Tables { found: false };
    tables.visit_item_fn_mut(function);
    if tables.found {
        let generics = &mut function.sig.generics;
        generics.params.insert(0, syn::parse_quote!('s));
        generics
            .params
            .push(syn::parse_quote!(M: ::pathflow::__private::Mode));
    }
    tables.found
}

/// The visitor rewriting `Table<Row>`.
struct Tables {
    found: bool,
}

impl VisitMut for Tables {
    fn visit_type_path_mut(&mut self, path: &mut TypePath) {
        visit_mut::visit_type_path_mut(self, path);
        if path.qself.is_some() {
            return;
        }
        let Some(last) = path.path.segments.last() else {
            return;
        };
        if last.ident != "Table" {
            return;
        }
        let PathArguments::AngleBracketed(args) = &last.arguments else {
            return;
        };
        let [GenericArgument::Type(row)] = args.args.iter().collect::<Vec<_>>()[..] else {
            return;
        };
        let span = last.ident.span();
        let lifetime = Lifetime::new("'s", Span::call_site());
        let rewritten: Type = syn::parse_quote_spanned! {span=>
            ::pathflow::__private::Table<#lifetime, #row, M>
        };
        if let Type::Path(rewritten) = rewritten {
            *path = rewritten;
            self.found = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    #[test]
    fn tables_become_generic_over_scope_and_mode() {
        let mut function: ItemFn = syn::parse_quote! {
            pub fn totals(orders: Table<Order>, limit: f64) -> (Table<Out>, Table<Order>) {
                let kept: Table<Order> = orders;
                (kept.map(|o| Out::from(o)), kept)
            }
        };
        assert!(generalize(&mut function));
        let text = function.sig.to_token_stream().to_string();
        assert_eq!(
            text,
            "fn totals < 's , M : :: pathflow :: __private :: Mode > (orders : :: pathflow :: __private :: Table < 's , Order , M > , limit : f64) -> (:: pathflow :: __private :: Table < 's , Out , M > , :: pathflow :: __private :: Table < 's , Order , M >)"
        );
        let body = function.block.to_token_stream().to_string();
        assert!(
            body.contains("kept : :: pathflow :: __private :: Table < 's , Order , M >"),
            "{body}"
        );
    }
}
