//! Rewrites a column expression (the argument of `filter`, `select`, `reduce`, a join
//! condition, ..) into the body of a closure over rows.
//!
//! A bare column name becomes a field of the row, spanned at the user's token, so a typo is
//! rustc's own "no field `amout` on type `&Order`" pointing at the typo. Where the field is
//! only read in place (a method receiver, a comparison operand, a field base, `&col`) it is
//! used as is; anywhere it is moved it is cloned (free for `Copy` columns).

use proc_macro2::{Span, TokenStream};
use quote::{quote_spanned, ToTokens};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Ident, Member, Token};

use super::reducers;
use super::scope::{bare_name, bindings, condition_bindings};
use crate::errors::{did_you_mean, Errors};

/// What names mean in the expression being rewritten.
pub enum Context {
    /// A bare name is a column of the row bound to `row`.
    Row {
        /// The closure parameter holding `&Row`.
        row: Ident,
    },
    /// Columns are reached through a named side, `left.amount`; a bare name is an error.
    Sides {
        /// The sides, e.g. `left` and `right`.
        sides: Vec<Side>,
        /// The operation, for messages: "a join".
        what: &'static str,
    },
    /// The output of `reduce(..)`: a bare name is a grouping column, read from the group's
    /// key; reducer calls aggregate the group's rows.
    Reduce {
        /// The grouping columns by position (`None` for a key expression without a name);
        /// after `windowby(..)`, the instance columns.
        keys: Vec<Option<String>>,
        /// The closure parameter holding `&Key`, or `&WindowKey<Instance>` after `windowby`.
        key: Ident,
        /// The closure parameter holding the `Reducers` builder.
        builder: Ident,
        /// Whether the groups are windows: `window_start` and `window_end` are columns too,
        /// and the grouping columns are the key's `instance`.
        windows: bool,
    },
}

/// One side of a two-row operation: `left`/`right` in a join.
pub struct Side {
    /// The name the user writes: `left`.
    pub name: &'static str,
    /// The closure parameter: `&T`, or `Option<&T>` when `optional`.
    pub var: Ident,
    /// Whether the side may be missing (the outer side of a join); its columns are `Option`.
    pub optional: bool,
}

/// The columns the `reduce` output of windows reads from the window itself.
pub const WINDOW_BOUNDS: [&str; 2] = ["window_start", "window_end"];

/// How a column is used where it appears.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Use {
    /// Read in place: a reference is enough.
    Place,
    /// Moved: an owned value is needed.
    Value,
}

/// The result of rewriting one expression.
pub struct Rewritten {
    /// The reducers the expression uses (`reduce` only), in order; the expression reads
    /// the output of the i-th as `output(i)`.
    pub reducers: Vec<TokenStream>,
}

/// Rewrites `expr` in place for `context`. `scope` holds the local names visible there.
pub fn rewrite(
    expr: &mut Expr,
    context: &Context,
    scope: &[String],
    errors: &mut Errors,
) -> Rewritten {
    let mut rewriter = Rewriter {
        context,
        scope: scope.to_vec(),
        errors,
        reducers: Vec::new(),
        unknown: None,
    };
    rewriter.expr(expr, Use::Value);
    Rewritten {
        reducers: rewriter.reducers,
    }
}

/// The closure variable holding the i-th reducer output in the generated `reduce`.
pub fn output(index: usize, span: Span) -> Ident {
    hygienic(&format!("__output{index}"), span)
}

/// An identifier of the generated code, hygienic (it cannot clash with user names) but
/// located at `span`, so errors about it point at the user's token.
pub fn hygienic(name: &str, span: Span) -> Ident {
    Ident::new(name, Span::mixed_site().located_at(span))
}

/// The same hygienic identifier, located at `span`.
fn relocated(ident: &Ident, span: Span) -> Ident {
    hygienic(&ident.to_string(), span)
}

/// An unknown function being called in a `reduce` output: a reducer name the user may have
/// invented. Reported once, when a row column appears in its arguments.
struct UnknownCall {
    /// The function's name.
    name: Ident,
    /// Whether the error was reported already.
    reported: bool,
}

/// The rewriting of one expression.
struct Rewriter<'a> {
    /// What names mean.
    context: &'a Context,
    /// The local names in scope at the current point.
    scope: Vec<String>,
    /// Where errors go.
    errors: &'a mut Errors,
    /// The reducer calls found so far (`reduce` only).
    reducers: Vec<TokenStream>,
    /// The innermost call of an unknown function, in `reduce`.
    unknown: Option<UnknownCall>,
}

/// An expression standing for generated tokens.
fn verbatim(tokens: TokenStream) -> Expr {
    Expr::Verbatim(tokens)
}

/// The placeholder put where an error was reported, so it causes no further errors.
fn reported(span: Span) -> Expr {
    verbatim(quote_spanned!(span=> ::core::unreachable!()))
}

impl Rewriter<'_> {
    /// Whether `ident` is a local binding here.
    fn is_local(&self, ident: &Ident) -> bool {
        let name = ident.to_string();
        self.scope.contains(&name)
    }

    /// The column name `expr` is, if it is a bare name that is not a local binding.
    fn column<'e>(&self, expr: &'e Expr) -> Option<&'e Ident> {
        bare_name(expr).filter(|ident| !self.is_local(ident))
    }

    /// Rewrites `expr`, used as `usage` by its parent.
    fn expr(&mut self, expr: &mut Expr, usage: Use) {
        if let Some(ident) = self.column(expr) {
            let ident = ident.clone();
            *expr = self.bare(&ident, usage);
            return;
        }
        match expr {
            Expr::Field(field) => {
                if let Some(replaced) = self.side_field(field, usage) {
                    *expr = replaced;
                } else {
                    self.expr(&mut field.base, Use::Place);
                }
            }
            Expr::MethodCall(call) => {
                self.expr(&mut call.receiver, Use::Place);
                for arg in &mut call.args {
                    self.expr(arg, Use::Value);
                }
            }
            Expr::Index(index) => {
                self.expr(&mut index.expr, Use::Place);
                self.expr(&mut index.index, Use::Value);
            }
            Expr::Reference(reference) => self.expr(&mut reference.expr, Use::Place),
            Expr::Binary(binary) if is_comparison(&binary.op) => {
                self.expr(&mut binary.left, Use::Place);
                self.expr(&mut binary.right, Use::Place);
            }
            Expr::Call(call) => {
                if let Some(replaced) = self.call(call) {
                    *expr = replaced;
                }
            }
            Expr::Struct(literal) => {
                for field in &mut literal.fields {
                    if field.colon_token.is_none() {
                        field.colon_token = Some(Token![:](field.member.span()));
                    }
                    self.expr(&mut field.expr, Use::Value);
                }
                if let Some(rest) = &mut literal.rest {
                    self.expr(rest, Use::Value);
                }
            }
            Expr::Macro(mac) => self.mac(&mut mac.mac),
            _ => visit_mut::visit_expr_mut(self, expr),
        }
    }

    /// A bare column name, as the context reads it.
    fn bare(&mut self, ident: &Ident, usage: Use) -> Expr {
        let span = ident.span();
        match self.context {
            Context::Row { row } => column_of(&relocated(row, span), ident, usage),
            Context::Sides { sides, what } => {
                if let Some(side) = sides.iter().find(|s| ident == s.name) {
                    let var = relocated(&side.var, span);
                    return verbatim(match (side.optional, usage) {
                        (_, Use::Place) => quote_spanned!(span=> #var),
                        (false, Use::Value) => {
                            quote_spanned!(span=> ::core::clone::Clone::clone(#var))
                        }
                        (true, Use::Value) => {
                            quote_spanned!(span=> ::core::option::Option::cloned(#var))
                        }
                    });
                }
                let names: Vec<String> = sides
                    .iter()
                    .map(|s| format!("`{}.{ident}`", s.name))
                    .collect();
                self.errors.at(
                    span,
                    format!(
                        "in {what}, say which row `{ident}` comes from: {}",
                        names.join(" or ")
                    ),
                );
                reported(span)
            }
            Context::Reduce {
                keys, key, windows, ..
            } => {
                let name = ident.to_string();
                let key = relocated(key, span);
                let index = keys
                    .iter()
                    .position(|k| k.as_deref() == Some(name.as_str()));
                let place = match index {
                    _ if *windows && WINDOW_BOUNDS.contains(&name.as_str()) => {
                        Some(quote_spanned!(span=> #key.#ident))
                    }
                    Some(index) => {
                        let base = if *windows {
                            quote_spanned!(span=> #key.instance)
                        } else {
                            quote_spanned!(span=> (*#key))
                        };
                        Some(if keys.len() == 1 {
                            base
                        } else {
                            let index = syn::Index {
                                index: index as u32,
                                span,
                            };
                            quote_spanned!(span=> #base.#index)
                        })
                    }
                    None => None,
                };
                if let Some(place) = place {
                    return verbatim(match usage {
                        Use::Place => place,
                        Use::Value => quote_spanned!(span=> ::core::clone::Clone::clone(&#place)),
                    });
                }
                if let Some(unknown) = &mut self.unknown {
                    if !unknown.reported {
                        unknown.reported = true;
                        let function = unknown.name.clone();
                        self.errors.at(function.span(), unknown_reducer(&function));
                    }
                } else if *windows {
                    self.errors.at(span, not_in_window_key(ident, keys));
                } else {
                    self.errors.at(span, not_grouped(ident, keys));
                }
                reported(span)
            }
        }
    }

    /// `left.amount` in a two-sided context.
    fn side_field(&mut self, field: &syn::ExprField, usage: Use) -> Option<Expr> {
        let Context::Sides { sides, .. } = self.context else {
            return None;
        };
        let base = bare_name(&field.base).filter(|i| !self.is_local(i))?;
        let side = sides.iter().find(|s| base == s.name)?;
        let member = &field.member;
        let span = member.span();
        let var = relocated(&side.var, base.span());
        Some(verbatim(if side.optional {
            let inner = hygienic("__side", span);
            quote_spanned! {span=>
                ::core::option::Option::map(#var, |#inner| ::core::clone::Clone::clone(&#inner.#member))
            }
        } else {
            match usage {
                Use::Place => quote_spanned!(span=> #var.#member),
                Use::Value => quote_spanned!(span=> ::core::clone::Clone::clone(&#var.#member)),
            }
        }))
    }

    /// A function call; in `reduce`, a reducer call or a call to an unknown function.
    fn call(&mut self, call: &mut syn::ExprCall) -> Option<Expr> {
        let Context::Reduce { builder, .. } = self.context else {
            match bare_name(&call.func).filter(|f| !self.is_local(f)) {
                Some(function) => {
                    let name = function.to_string();
                    if let Some(reducer) =
                        reducers::find(&name).filter(|r| r.args == call.args.len())
                    {
                        self.errors
                            .at(function.span(), reducer_outside_reduce(reducer));
                        return Some(reported(call.span()));
                    }
                }
                None => self.expr(&mut call.func, Use::Place),
            }
            for arg in &mut call.args {
                self.expr(arg, Use::Value);
            }
            return None;
        };
        let function = bare_name(&call.func).filter(|f| !self.is_local(f)).cloned();
        let Some(function) = function else {
            for arg in &mut call.args {
                self.expr(arg, Use::Value);
            }
            return None;
        };
        let span = call.span();
        if let Some(reducer) = reducers::find(&function.to_string()) {
            if call.args.len() != reducer.args {
                let takes = match reducer.args {
                    0 => "no arguments".to_owned(),
                    1 => "one argument".to_owned(),
                    n => format!("{n} arguments"),
                };
                self.errors.at(
                    span,
                    format!(
                        "the reducer `{function}` takes {takes}: `{}`",
                        reducer.usage
                    ),
                );
                return Some(reported(span));
            }
            let closures: Vec<TokenStream> = call
                .args
                .iter()
                .map(|arg| {
                    let arg_span = arg.span();
                    let row = hygienic("__row", arg_span);
                    let mut arg = arg.clone();
                    rewrite(
                        &mut arg,
                        &Context::Row { row: row.clone() },
                        &self.scope,
                        self.errors,
                    );
                    quote_spanned!(arg_span=> move |#row| #arg)
                })
                .collect();
            let builder = relocated(builder, span);
            self.reducers
                .push(quote_spanned!(span=> #builder.#function(#(#closures),*)));
            let output = output(self.reducers.len() - 1, span);
            return Some(verbatim(output.into_token_stream()));
        }
        let outer = self.unknown.replace(UnknownCall {
            name: function,
            reported: false,
        });
        for arg in &mut call.args {
            self.expr(arg, Use::Value);
        }
        let unknown = std::mem::replace(&mut self.unknown, outer);
        unknown.filter(|u| u.reported).map(|_| reported(span))
    }

    /// A macro call: its arguments are rewritten when they parse as expressions, and a
    /// format string's inline `{column}` arguments are made explicit.
    fn mac(&mut self, mac: &mut syn::Macro) {
        let Ok(mut args) = mac.parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated)
        else {
            return;
        };
        let name = mac
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        let usage = if FORMAT_MACROS.contains(&name.as_str()) {
            Use::Place
        } else {
            Use::Value
        };
        let mut named: Vec<String> = Vec::new();
        for arg in args.iter_mut() {
            match arg {
                Expr::Assign(assign) if bare_name(&assign.left).is_some() => {
                    named.extend(bare_name(&assign.left).map(ToString::to_string));
                    self.expr(&mut assign.right, usage);
                }
                _ => self.expr(arg, usage),
            }
        }
        if usage == Use::Place {
            let format = args.iter().take(2).find_map(|arg| match arg {
                Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(lit),
                    ..
                }) => Some(lit.clone()),
                _ => None,
            });
            for name in format.iter().flat_map(|lit| inline_arguments(&lit.value())) {
                if named.contains(&name) || self.scope.contains(&name) {
                    continue;
                }
                if syn::parse_str::<Ident>(&name).is_err() {
                    continue;
                }
                let ident = Ident::new(&name, format.as_ref().map_or(mac.span(), |l| l.span()));
                let mut value: Expr = syn::parse_quote!(#ident);
                self.expr(&mut value, Use::Place);
                named.push(name);
                args.push(syn::parse_quote!(#ident = #value));
            }
        }
        mac.tokens = args.into_token_stream();
    }
}

impl VisitMut for Rewriter<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        self.expr(expr, Use::Value);
    }

    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        let mark = self.scope.len();
        for stmt in &mut block.stmts {
            match stmt {
                syn::Stmt::Local(local) => {
                    if let Some(init) = &mut local.init {
                        self.expr(&mut init.expr, Use::Value);
                        if let Some((_, diverge)) = &mut init.diverge {
                            self.expr(diverge, Use::Value);
                        }
                    }
                    self.scope.extend(bindings(&local.pat));
                }
                syn::Stmt::Expr(expr, _) => self.expr(expr, Use::Value),
                syn::Stmt::Macro(stmt) => self.mac(&mut stmt.mac),
                syn::Stmt::Item(_) => {}
            }
        }
        self.scope.truncate(mark);
    }

    fn visit_expr_closure_mut(&mut self, closure: &mut syn::ExprClosure) {
        let mark = self.scope.len();
        for input in &closure.inputs {
            self.scope.extend(bindings(input));
        }
        self.expr(&mut closure.body, Use::Value);
        self.scope.truncate(mark);
    }

    fn visit_arm_mut(&mut self, arm: &mut syn::Arm) {
        let mark = self.scope.len();
        self.scope.extend(bindings(&arm.pat));
        if let Some((_, guard)) = &mut arm.guard {
            self.expr(guard, Use::Value);
        }
        self.expr(&mut arm.body, Use::Value);
        self.scope.truncate(mark);
    }

    fn visit_expr_let_mut(&mut self, expr_let: &mut syn::ExprLet) {
        self.expr(&mut expr_let.expr, Use::Place);
    }

    fn visit_expr_if_mut(&mut self, expr_if: &mut syn::ExprIf) {
        let mark = self.scope.len();
        self.expr(&mut expr_if.cond, Use::Value);
        self.scope.extend(condition_bindings(&expr_if.cond));
        self.visit_block_mut(&mut expr_if.then_branch);
        self.scope.truncate(mark);
        if let Some((_, otherwise)) = &mut expr_if.else_branch {
            self.expr(otherwise, Use::Value);
        }
    }

    fn visit_expr_while_mut(&mut self, expr_while: &mut syn::ExprWhile) {
        let mark = self.scope.len();
        self.expr(&mut expr_while.cond, Use::Value);
        self.scope.extend(condition_bindings(&expr_while.cond));
        self.visit_block_mut(&mut expr_while.body);
        self.scope.truncate(mark);
    }

    fn visit_expr_for_loop_mut(&mut self, for_loop: &mut syn::ExprForLoop) {
        self.expr(&mut for_loop.expr, Use::Value);
        let mark = self.scope.len();
        self.scope.extend(bindings(&for_loop.pat));
        self.visit_block_mut(&mut for_loop.body);
        self.scope.truncate(mark);
    }
}

/// Macros whose arguments are only read (formatting and assertions).
const FORMAT_MACROS: &[&str] = &[
    "format",
    "format_args",
    "print",
    "println",
    "eprint",
    "eprintln",
    "write",
    "writeln",
    "panic",
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "unreachable",
    "todo",
    "unimplemented",
];

/// The names used as inline arguments in a format string: `{name}`, `{name:?}`.
fn inline_arguments(format: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = format;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        if let Some(after) = rest.strip_prefix('{') {
            rest = after;
            continue;
        }
        let end = rest.find(['}', ':']).unwrap_or(rest.len());
        let name = rest[..end].trim();
        if name.starts_with(|c: char| c.is_alphabetic() || c == '_')
            && !names.iter().any(|n| n == name)
        {
            names.push(name.to_owned());
        }
        rest = &rest[end..];
    }
    names
}

/// A field of the row in `row`, read in place or cloned.
fn column_of(row: &Ident, ident: &Ident, usage: Use) -> Expr {
    let span = ident.span();
    let member = Member::Named(ident.clone());
    verbatim(match usage {
        Use::Place => quote_spanned!(span=> #row.#member),
        Use::Value => quote_spanned!(span=> ::core::clone::Clone::clone(&#row.#member)),
    })
}

/// Whether an operator compares its operands (and so only reads them).
fn is_comparison(op: &syn::BinOp) -> bool {
    matches!(
        op,
        syn::BinOp::Eq(_)
            | syn::BinOp::Ne(_)
            | syn::BinOp::Lt(_)
            | syn::BinOp::Le(_)
            | syn::BinOp::Gt(_)
            | syn::BinOp::Ge(_)
    )
}

/// The error for a call to a function that is not a reducer, with row columns as arguments.
fn unknown_reducer(function: &Ident) -> String {
    let names = reducers::names();
    let hint = match did_you_mean(&function.to_string(), &names) {
        Some(close) => format!("; did you mean `{close}`?"),
        None => String::new(),
    };
    format!(
        "`{function}` is not a pathflow reducer{hint}\n\
         the reducers are: {}\n\
         help: to apply your own function, call it on a reducer's result, e.g. `{function}(collect(x))`",
        reducers::listing()
    )
}

/// The error for a reducer call outside `reduce(..)`.
fn reducer_outside_reduce(reducer: &reducers::Reducer) -> String {
    let (function, usage) = (reducer.name, reducer.usage);
    format!(
        "`{function}` is a reducer: it aggregates the rows of a group, so it works only in \
         `reduce(..)` after `group_by(..)`\n\
         help: group first, e.g. `.group_by(customer).reduce(Total {{ customer, value: \
         {usage} }})`; to aggregate the whole table, group by a constant: \
         `.group_by(all = ()).reduce(..)`\n\
         note: if `{function}` is a function of yours, call it by its path: `self::{function}(..)`"
    )
}

/// The error for a column outside any reducer in the `reduce` output of windows.
fn not_in_window_key(ident: &Ident, keys: &[Option<String>]) -> String {
    let instance: Vec<String> = keys.iter().flatten().map(|k| format!("`{k}`")).collect();
    let per = if instance.is_empty() {
        String::new()
    } else {
        format!(", per {}", instance.join(", "))
    };
    format!(
        "`{ident}` is not a column of the window's key, so each window has many values of it\n\
         the window's key is `window_start`, `window_end`{per}\n\
         help: aggregate it with a reducer, e.g. `sum({ident})`, `max({ident})` or \
         `any({ident})`, or make windows per `{ident}`: `windowby(.., instance = {ident})`"
    )
}

/// The error for a column outside any reducer in a `reduce` output.
fn not_grouped(ident: &Ident, keys: &[Option<String>]) -> String {
    let grouped: Vec<String> = keys.iter().flatten().map(|k| format!("`{k}`")).collect();
    let by = if grouped.is_empty() {
        String::new()
    } else {
        format!(" (the rows are grouped by {})", grouped.join(", "))
    };
    format!(
        "`{ident}` is not a grouping column, so each group has many values of it{by}\n\
         help: aggregate it with a reducer, e.g. `sum({ident})`, `max({ident})` or \
         `any({ident})`, or add it to `group_by(..)`"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(expr: Expr, context: &Context, scope: &[&str]) -> (String, Vec<String>, String) {
        let mut expr = expr;
        let mut errors = Errors::default();
        let scope: Vec<String> = scope.iter().map(|s| s.to_string()).collect();
        let result = rewrite(&mut expr, context, &scope, &mut errors);
        (
            expr.into_token_stream().to_string(),
            result.reducers.iter().map(ToString::to_string).collect(),
            errors.to_compile_errors().to_string(),
        )
    }

    fn row() -> Context {
        Context::Row {
            row: hygienic("__row", Span::call_site()),
        }
    }

    #[test]
    fn columns_are_read_in_place_or_cloned() {
        let (out, _, errors) = rewritten(
            syn::parse_quote!(amount > limit && name.len() > 2),
            &row(),
            &["limit"],
        );
        assert_eq!(out, "__row . amount > limit && __row . name . len () > 2");
        assert!(errors.is_empty());
        let (out, _, _) = rewritten(
            syn::parse_quote!(Out {
                name,
                total: amount * 2.0
            }),
            &row(),
            &[],
        );
        assert_eq!(
            out,
            "Out { name : :: core :: clone :: Clone :: clone (& __row . name) , total : :: core :: clone :: Clone :: clone (& __row . amount) * 2.0 }"
        );
    }

    #[test]
    fn local_bindings_are_not_columns() {
        let (out, _, _) = rewritten(
            syn::parse_quote!(tags.iter().map(|tag| tag.len() + offset).sum::<usize>()),
            &row(),
            &["offset"],
        );
        assert_eq!(
            out,
            "__row . tags . iter () . map (| tag | tag . len () + offset) . sum :: < usize > ()"
        );
        let (out, _, _) = rewritten(
            syn::parse_quote!(match code {
                Some(c) => c,
                None => fallback,
            }),
            &row(),
            &[],
        );
        assert!(out.contains("Some (c) => c"), "{out}");
        assert!(out.contains("clone (& __row . fallback)"), "{out}");
    }

    #[test]
    fn format_strings_get_explicit_column_arguments() {
        let (out, _, _) = rewritten(syn::parse_quote!(format!("{first} {}", last)), &row(), &[]);
        assert_eq!(
            out,
            "format ! (\"{first} {}\" , __row . last , first = __row . first)"
        );
        assert_eq!(inline_arguments("{a} {{b}} {c:?} {0} {a}"), ["a", "c"]);
    }

    #[test]
    fn reduce_outputs_keys_and_reducers() {
        let context = Context::Reduce {
            keys: vec![Some("customer".into())],
            key: hygienic("__key", Span::call_site()),
            builder: hygienic("__reducers", Span::call_site()),
            windows: false,
        };
        let (out, reducers, errors) = rewritten(
            syn::parse_quote!(Out {
                customer,
                total: sum(amount),
                n: count(),
                label: fmt(customer)
            }),
            &context,
            &[],
        );
        assert!(errors.is_empty(), "{errors}");
        assert_eq!(
            out,
            "Out { customer : :: core :: clone :: Clone :: clone (& (* __key)) , total : __output0 , n : __output1 , label : fmt (:: core :: clone :: Clone :: clone (& (* __key))) }"
        );
        assert_eq!(
            reducers,
            [
                "__reducers . sum (move | __row | :: core :: clone :: Clone :: clone (& __row . amount))",
                "__reducers . count ()"
            ]
        );
    }

    #[test]
    fn reduce_reports_ungrouped_columns_and_unknown_reducers() {
        let context = Context::Reduce {
            keys: vec![Some("customer".into())],
            key: hygienic("__key", Span::call_site()),
            builder: hygienic("__reducers", Span::call_site()),
            windows: false,
        };
        let (_, _, errors) = rewritten(
            syn::parse_quote!(Out {
                a: amount,
                b: median(amount),
                c: sum()
            }),
            &context,
            &[],
        );
        assert!(
            errors.contains("`amount` is not a grouping column"),
            "{errors}"
        );
        assert!(
            errors.contains("`median` is not a pathflow reducer"),
            "{errors}"
        );
        assert!(
            errors.contains("the reducer `sum` takes one argument"),
            "{errors}"
        );
    }

    #[test]
    fn sides_name_their_rows() {
        let context = Context::Sides {
            sides: vec![
                Side {
                    name: "left",
                    var: hygienic("__left", Span::call_site()),
                    optional: false,
                },
                Side {
                    name: "right",
                    var: hygienic("__right", Span::call_site()),
                    optional: true,
                },
            ],
            what: "a join",
        };
        let (out, _, errors) = rewritten(
            syn::parse_quote!(Out {
                a: left.amount,
                b: right.name,
                c: city
            }),
            &context,
            &[],
        );
        assert!(out.contains("clone (& __left . amount)"), "{out}");
        assert!(out.contains("Option :: map (__right , | __side | :: core :: clone :: Clone :: clone (& __side . name))"), "{out}");
        assert!(
            errors.contains("say which row `city` comes from: `left.city` or `right.city`"),
            "{errors}"
        );
    }
}
