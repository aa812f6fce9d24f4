//! `pipeline!`: parses pipeline functions, makes them generic over the mode, and lowers
//! their column syntax to the method API.

mod columns;
mod lower;
mod reducers;
mod scope;
mod signature;

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{FnArg, Item, ItemFn};

use crate::errors::Errors;

/// The functions of one `pipeline! { .. }`.
struct Pipeline {
    /// The functions, in order.
    functions: Vec<ItemFn>,
}

impl Parse for Pipeline {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut functions = Vec::new();
        while !input.is_empty() {
            match input.parse::<Item>()? {
                Item::Fn(function) => functions.push(function),
                other => {
                    return Err(syn::Error::new(
                        other.span(),
                        "`pipeline!` holds pipeline functions, e.g. \
                         `pub fn totals(orders: Table<Order>) -> Table<Total> { .. }`; \
                         declare other items outside it",
                    ))
                }
            }
        }
        Ok(Pipeline { functions })
    }
}

/// `pipeline! { .. }`: the functions, lowered, and every error found.
pub fn expand(input: TokenStream) -> TokenStream {
    let pipeline = match syn::parse2::<Pipeline>(input) {
        Ok(pipeline) => pipeline,
        Err(error) => return error.to_compile_error(),
    };
    let mut errors = Errors::default();
    let mut out = TokenStream::new();
    for mut function in pipeline.functions {
        if !signature::generalize(&mut function) {
            errors.at(
                function.sig.ident.span(),
                format!(
                    "the pipeline function `{}` neither takes nor returns a table\n\
                     help: declare its inputs and output as tables, e.g. \
                     `fn {}(orders: Table<Order>) -> Table<Total>`",
                    function.sig.ident, function.sig.ident
                ),
            );
        }
        let parameters = function
            .sig
            .inputs
            .iter()
            .flat_map(|input| match input {
                FnArg::Typed(typed) => scope::bindings(&typed.pat),
                FnArg::Receiver(_) => vec!["self".to_owned()],
            })
            .collect();
        let before = errors.count();
        lower::Lowerer::new(&mut errors, parameters).block(&mut function.block);
        if errors.count() > before {
            // Where an error was reported, the generated code holds `unreachable!()` so that
            // the error causes no others; it must not cause warnings either (nor the
            // parameters it leaves unused).
            function
                .attrs
                .push(syn::parse_quote!(#[allow(unreachable_code, unused_variables)]));
        }
        function.to_tokens(&mut out);
    }
    let errors = errors.to_compile_errors();
    quote::quote!(#errors #out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn expanded(input: TokenStream) -> String {
        expand(input).to_string()
    }

    #[test]
    fn lowers_the_column_syntax_to_the_method_api() {
        let out = expanded(quote! {
            /// Revenue per customer.
            pub fn totals(orders: Table<Order>) -> Table<CustomerTotal> {
                orders
                    .filter(amount > 0.0)
                    .group_by(customer)
                    .reduce(CustomerTotal { customer, total: sum(amount), orders: count() })
            }
        });
        assert_eq!(
            out,
            "# [doc = r\" Revenue per customer.\"] \
             pub fn totals < 's , M : :: pathflow :: __private :: Mode > \
             (orders : :: pathflow :: __private :: Table < 's , Order , M >) \
             -> :: pathflow :: __private :: Table < 's , CustomerTotal , M > { \
             orders . filter (move | __row | __row . amount > 0.0) \
             . group_by (move | __row | :: core :: clone :: Clone :: clone (& __row . customer)) \
             . reduce (move | __reducers | \
             (__reducers . sum (move | __row | :: core :: clone :: Clone :: clone (& __row . amount)) , \
             __reducers . count () ,) , \
             move | __key , (__output0 , __output1 ,) | CustomerTotal { \
             customer : :: core :: clone :: Clone :: clone (& (* __key)) , \
             total : __output0 , orders : __output1 }) }"
        );
    }

    #[test]
    fn lowers_joins_with_their_optional_side() {
        let out = expanded(quote! {
            fn named(orders: Table<Order>, customers: Table<Customer>) -> Table<Named> {
                orders
                    .join_left(customers, right.id == left.customer)
                    .select(Named { name: right.name, amount: left.amount })
            }
        });
        assert!(
            out.contains(
                "orders . join (customers , \
                 move | __left | :: core :: clone :: Clone :: clone (& __left . customer) , \
                 move | __right | :: core :: clone :: Clone :: clone (& __right . id)) \
                 . left (move | __left , __right |"
            ),
            "{out}"
        );
        assert!(
            out.contains("name : :: core :: option :: Option :: map (__right"),
            "{out}"
        );
    }

    #[test]
    fn nests_reducers_beyond_a_tuple() {
        let fields = (0..13).map(|i| {
            let name = quote::format_ident!("f{i}");
            quote!(#name: count())
        });
        let out = expanded(quote! {
            fn many(t: Table<Row>) -> Table<Out> {
                t.group_by(k).reduce(Out { k, #(#fields),* })
            }
        });
        assert!(out.contains("((__output0 , "), "{out}");
        assert!(out.contains("__output11 ,) , (__output12 ,) ,)"), "{out}");
    }

    #[test]
    fn passes_closures_through_and_reports_other_items() {
        let out = expanded(quote! {
            fn positive(t: Table<i64>) -> Table<i64> { t.filter(|n| *n > 0) }
        });
        assert!(out.contains("t . filter (| n | * n > 0)"), "{out}");
        let out = expanded(quote!(
            struct Order;
        ));
        assert!(out.contains("holds pipeline functions"), "{out}");
        let out = expanded(quote!(
            fn helper(x: u64) -> u64 {
                x
            }
        ));
        assert!(out.contains("neither takes nor returns a table"), "{out}");
    }
}
