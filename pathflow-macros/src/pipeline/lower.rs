//! Lowers a pipeline function's body to the method API: each operator whose arguments are
//! written with column names becomes the same method called with closures.
//!
//! Only the table level is walked: the body's statements, method chains, and the arguments
//! of calls (a table can be passed on). An operator called with closures is left as written,
//! so the method API can be mixed in freely.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{Expr, ExprMethodCall, Ident};

use super::columns::{hygienic, output, rewrite, Context, Side};
use super::scope::{bare_name, bindings};
use crate::errors::{did_you_mean, Errors};

/// The core accepts tuples of up to this many reducers; more are nested.
const REDUCER_TUPLE: usize = 12;

/// A join operator: the core method that completes it, and which row may be missing.
struct JoinKind {
    /// The operator, as written: `join_left`.
    operator: &'static str,
    /// The method of the core's `Join` that completes it: `left`.
    complete: &'static str,
    /// Whether the left row may be missing (its columns are then `Option`s).
    left_optional: bool,
    /// Whether the right row may be missing.
    right_optional: bool,
}

/// The join operators.
const JOINS: &[JoinKind] = &[
    JoinKind {
        operator: "join",
        complete: "inner",
        left_optional: false,
        right_optional: false,
    },
    JoinKind {
        operator: "join_left",
        complete: "left",
        left_optional: false,
        right_optional: true,
    },
    JoinKind {
        operator: "join_right",
        complete: "right",
        left_optional: true,
        right_optional: false,
    },
    JoinKind {
        operator: "join_outer",
        complete: "outer",
        left_optional: true,
        right_optional: true,
    },
];

/// A window shape `windowby(..)` recognises: `tumbling(size)` and the others, lowered to the
/// core's `Window` constructor of the same name.
struct WindowShape {
    /// The name, as in `tumbling(size)` and `Window::tumbling`.
    name: &'static str,
    /// How it is written, for messages.
    usage: &'static str,
    /// The number of arguments (each a `Duration`).
    args: usize,
}

/// The window shapes.
const WINDOW_SHAPES: &[WindowShape] = &[
    WindowShape {
        name: "tumbling",
        usage: "tumbling(size)",
        args: 1,
    },
    WindowShape {
        name: "sliding",
        usage: "sliding(hop, size)",
        args: 2,
    },
    WindowShape {
        name: "session",
        usage: "session(max_gap)",
        args: 1,
    },
];

/// How `windowby` is written, for messages.
const WINDOWBY_USAGE: &str =
    "windowby(at, tumbling(Duration::from_secs(60)), Behavior::default(), instance = sensor)";

/// Lowers one function body, recording errors.
pub struct Lowerer<'a> {
    errors: &'a mut Errors,
    scope: Vec<String>,
}

impl<'a> Lowerer<'a> {
    /// A lowerer for a body where the names in `scope` (the parameters) are bound.
    pub fn new(errors: &'a mut Errors, scope: Vec<String>) -> Self {
        Lowerer { errors, scope }
    }

    /// Lowers a block's statements; its `let` bindings are local names from there on.
    pub fn block(&mut self, block: &mut syn::Block) {
        let mark = self.scope.len();
        for stmt in &mut block.stmts {
            match stmt {
                syn::Stmt::Local(local) => {
                    if let Some(init) = &mut local.init {
                        self.table(&mut init.expr);
                    }
                    self.scope.extend(bindings(&local.pat));
                }
                syn::Stmt::Expr(expr, _) => self.table(expr),
                syn::Stmt::Item(_) | syn::Stmt::Macro(_) => {}
            }
        }
        self.scope.truncate(mark);
    }

    /// Lowers an expression at the table level.
    fn table(&mut self, expr: &mut Expr) {
        match expr {
            Expr::MethodCall(call) => {
                if let Some(lowered) = self.operator(call) {
                    *expr = Expr::Verbatim(lowered);
                    return;
                }
                self.table(&mut call.receiver);
                call.args.iter_mut().for_each(|arg| self.table(arg));
            }
            Expr::Call(call) => call.args.iter_mut().for_each(|arg| self.table(arg)),
            Expr::Paren(paren) => self.table(&mut paren.expr),
            Expr::Group(group) => self.table(&mut group.expr),
            Expr::Reference(reference) => self.table(&mut reference.expr),
            Expr::Tuple(tuple) => tuple.elems.iter_mut().for_each(|e| self.table(e)),
            Expr::Block(block) => self.block(&mut block.block),
            Expr::Return(ret) => {
                if let Some(value) = &mut ret.expr {
                    self.table(value);
                }
            }
            Expr::If(expr_if) => {
                self.block(&mut expr_if.then_branch);
                if let Some((_, otherwise)) = &mut expr_if.else_branch {
                    self.table(otherwise);
                }
            }
            _ => {}
        }
    }

    /// An expression lowered at the table level.
    fn lowered(&mut self, expr: &Expr) -> Expr {
        let mut expr = expr.clone();
        self.table(&mut expr);
        expr
    }

    /// Lowers an operator call written with column syntax; `None` leaves it as written.
    fn operator(&mut self, call: &ExprMethodCall) -> Option<TokenStream> {
        let name = call.method.to_string();
        if matches!(name.as_str(), "select" | "map") {
            if let Some(join) = join_of(&call.receiver) {
                return Some(self.join_select(join, call));
            }
        }
        let lowered = match name.as_str() {
            _ if has_closure(call) => return None,
            "filter" | "map" | "select" | "flat_map" => self.row_operator(call),
            "with_columns" => self.with_columns(call),
            "group_by" => {
                let receiver = self.lowered(&call.receiver);
                let (_, key) = self.group_key(call);
                let method = &call.method;
                Some(quote!(#receiver.#method(#key)))
            }
            "reduce" => self.reduce(call),
            "windowby" => Some(self.windowby(call).0),
            "instance" if windowby_of(&call.receiver) => {
                self.errors.at(
                    call.method.span(),
                    format!(
                        "in `pipeline!`, windows per instance are written inside `windowby`, \
                         e.g. `{WINDOWBY_USAGE}`"
                    ),
                );
                None
            }
            "deduplicate" => self.deduplicate(call),
            _ if join_kind(&name).is_some() => {
                if name != "join" {
                    self.errors.at(
                        call.method.span(),
                        format!(
                            "`{name}(..)` is completed by `.select(..)`, which builds each \
                             output row, e.g. `.{name}(other, left.id == right.id)\
                             .select(Out {{ a: left.a, b: right.b }})`"
                        ),
                    );
                }
                self.join(call).map(|(join, _)| join)
            }
            _ => return None,
        };
        Some(lowered.unwrap_or_else(|| {
            let receiver = self.lowered(&call.receiver);
            quote_spanned!(call.span()=> { let _ = #receiver; ::core::unreachable!() })
        }))
    }

    /// A closure over one row whose body is `expr` rewritten.
    fn row_closure(&mut self, expr: &Expr) -> TokenStream {
        let span = expr.span();
        let row = hygienic("__row", span);
        let mut body = expr.clone();
        rewrite(
            &mut body,
            &Context::Row { row: row.clone() },
            &self.scope,
            self.errors,
        );
        quote_spanned!(span=> move |#row| #body)
    }

    /// The single argument of an operator, or an error showing how it is written.
    fn single<'c>(&mut self, call: &'c ExprMethodCall, example: &str) -> Option<&'c Expr> {
        if call.args.len() == 1 {
            return call.args.first();
        }
        let method = &call.method;
        self.errors.at(
            call.method.span(),
            format!("`{method}` takes one argument, e.g. `{method}({example})`"),
        );
        None
    }

    /// `filter(cond)`, `map(expr)`, `select(expr)`, `flat_map(expr)`: one row closure.
    fn row_operator(&mut self, call: &ExprMethodCall) -> Option<TokenStream> {
        let example = match call.method.to_string().as_str() {
            "filter" => "amount > 0.0 && customer != \"\"",
            "flat_map" => "tags",
            _ => "Out { customer, total: amount * 1.2 }",
        };
        let arg = self.single(call, example)?;
        let receiver = self.lowered(&call.receiver);
        let closure = self.row_closure(arg);
        let method = &call.method;
        Some(quote!(#receiver.#method(#closure)))
    }

    /// `with_columns(Row { col: expr, .. })`: a `map` whose other fields are the row's own.
    fn with_columns(&mut self, call: &ExprMethodCall) -> Option<TokenStream> {
        let arg = self.single(call, "Order { amount: amount * 1.2, .. }")?;
        let literal = match arg {
            Expr::Struct(literal) if literal.dot2_token.is_some() && literal.rest.is_none() => {
                literal
            }
            _ => {
                self.errors.at(
                    arg.span(),
                    "`with_columns` takes the row's struct with the columns to change, ending \
                     in `..` for the columns kept as they are, e.g. \
                     `with_columns(Order { amount: amount * 1.2, .. })`\n\
                     help: to build a row of another type, use `select(Out { .. })`",
                );
                return None;
            }
        };
        let receiver = self.lowered(&call.receiver);
        let dots = literal
            .dot2_token
            .as_ref()
            .map_or(Span::call_site(), Spanned::span);
        let row = hygienic("__row", arg.span());
        let mut body = Expr::Struct(literal.clone());
        rewrite(
            &mut body,
            &Context::Row { row: row.clone() },
            &self.scope,
            self.errors,
        );
        if let Expr::Struct(literal) = &mut body {
            let rest = quote_spanned!(dots=> ::core::clone::Clone::clone(#row));
            literal.rest = Some(Box::new(Expr::Verbatim(rest)));
        }
        let map = Ident::new("map", call.method.span());
        Some(quote_spanned!(arg.span()=> #receiver.#map(move |#row| #body)))
    }

    /// The grouping key of a `group_by(..)` call: the names of its columns (by position,
    /// `None` for an unnamed expression), and the key closure.
    fn group_key(&mut self, call: &ExprMethodCall) -> (Vec<Option<String>>, TokenStream) {
        if call.args.is_empty() {
            self.errors.at(
                call.method.span(),
                "`group_by` takes the grouping columns, e.g. `group_by(customer)` or \
                 `group_by(customer, day = at.day())`",
            );
        }
        let mut names = Vec::new();
        let mut exprs = Vec::new();
        for arg in &call.args {
            match arg {
                Expr::Assign(assign) if bare_name(&assign.left).is_some() => {
                    names.push(bare_name(&assign.left).map(ToString::to_string));
                    exprs.push((*assign.right).clone());
                }
                _ => {
                    let column = bare_name(arg).filter(|n| !self.scope.contains(&n.to_string()));
                    names.push(column.map(ToString::to_string));
                    exprs.push(arg.clone());
                }
            }
        }
        let key: Expr = match exprs.as_slice() {
            [single] => single.clone(),
            _ => syn::parse_quote_spanned!(call.method.span()=> (#(#exprs,)*)),
        };
        (names, self.row_closure(&key))
    }

    /// `group_by(keys..).reduce(Out { key, x: sum(col), n: count(), .. })`.
    fn reduce(&mut self, call: &ExprMethodCall) -> Option<TokenStream> {
        let arg = self.single(
            call,
            "Out { customer, total: sum(amount), orders: count() }",
        )?;
        let (grouped, keys, windows) = match &*call.receiver {
            Expr::MethodCall(group) if group.method == "group_by" && !has_closure(group) => {
                let receiver = self.lowered(&group.receiver);
                let (keys, key) = self.group_key(group);
                let method = &group.method;
                (quote!(#receiver.#method(#key)), keys, false)
            }
            Expr::MethodCall(instance)
                if instance.method == "instance" && windowby_of(&instance.receiver) =>
            {
                let reported = self.lowered(&call.receiver);
                return Some(quote!(#reported));
            }
            Expr::MethodCall(windows) if windowby_of(&call.receiver) => {
                match self.windowby(windows) {
                    (lowered, Some(instance)) => (lowered, instance, true),
                    (placeholder, None) => return Some(placeholder),
                }
            }
            receiver => {
                let receiver = self.lowered(receiver);
                (quote!(#receiver), Vec::new(), false)
            }
        };
        let span = arg.span();
        let key = hygienic("__key", span);
        let builder = hygienic("__reducers", span);
        let mut body = arg.clone();
        let context = Context::Reduce {
            keys,
            key: key.clone(),
            builder: builder.clone(),
            windows,
        };
        let mut reducers = rewrite(&mut body, &context, &self.scope, self.errors).reducers;
        let outputs: Vec<TokenStream> = if reducers.is_empty() {
            reducers.push(quote_spanned!(span=> #builder.count()));
            vec![quote_spanned!(span=> _)]
        } else {
            (0..reducers.len())
                .map(|i| {
                    let o = output(i, span);
                    quote!(#o)
                })
                .collect()
        };
        let reducers = nest(&reducers);
        let outputs = nest(&outputs);
        let method = &call.method;
        Some(quote! {
            #grouped.#method(
                move |#builder| #reducers,
                move |#key, #outputs| #body
            )
        })
    }

    /// `windowby(time, window, behavior, instance = columns)`: the core's `windowby` with
    /// the time closure, the window and the behavior (default `Behavior::default()`), then
    /// `instance` with the instance closure. Returns the lowered call and the names of the
    /// instance columns, or a placeholder and `None` after an error.
    fn windowby(&mut self, call: &ExprMethodCall) -> (TokenStream, Option<Vec<Option<String>>>) {
        let receiver = self.lowered(&call.receiver);
        let before = self.errors.count();
        let mut positional = Vec::new();
        let mut instance = None;
        for arg in &call.args {
            let Expr::Assign(assign) = arg else {
                positional.push(arg);
                continue;
            };
            match bare_name(&assign.left) {
                Some(name) if name == "instance" && instance.is_none() => {
                    instance = Some(&*assign.right);
                }
                Some(name) if name == "instance" => self.errors.at(
                    assign.left.span(),
                    "`instance` is given twice: name several instance columns at once, \
                     e.g. `instance = (region, sensor)`",
                ),
                _ => self.errors.at(
                    assign.left.span(),
                    format!(
                        "`windowby` takes no argument named `{}`: its only named argument is \
                         `instance = ..`, the columns windows are kept apart by, e.g. \
                         `{WINDOWBY_USAGE}`",
                        assign.left.to_token_stream()
                    ),
                ),
            }
        }
        let [time, window, behavior @ ..] = positional.as_slice() else {
            self.errors.at(
                call.method.span(),
                format!(
                    "`windowby` takes the event-time column and the window, then optionally \
                     the behavior and `instance = ..`, e.g. `{WINDOWBY_USAGE}`"
                ),
            );
            return (self.placeholder(call, &receiver), None);
        };
        if let Some(extra) = behavior.get(1) {
            self.errors.at(
                extra.span(),
                format!(
                    "`windowby` takes at most three arguments besides `instance = ..`: the \
                     event-time column, the window and the behavior, e.g. `{WINDOWBY_USAGE}`"
                ),
            );
        }
        let window = self.window(window);
        let span = time.span();
        // The time is bound first, so that a column of another type is reported at it.
        let timed: Expr = syn::parse_quote_spanned! {span=>
            { let __time = &#time; ::pathflow::__private::window_time(__time) }
        };
        let time = self.row_closure(&timed);
        let (instance, names) = match instance {
            Some(columns) => {
                let names = match columns {
                    Expr::Tuple(tuple) => tuple.elems.iter().map(|e| self.column_name(e)).collect(),
                    single => vec![self.column_name(single)],
                };
                let closure = self.row_closure(columns);
                let method = Ident::new("instance", columns.span());
                (quote!(.#method(#closure)), names)
            }
            None => (TokenStream::new(), Vec::new()),
        };
        if self.errors.count() > before {
            return (self.placeholder(call, &receiver), None);
        }
        let behavior = match behavior.first() {
            Some(behavior) => quote!(#behavior),
            None => quote_spanned!(call.method.span()=> ::pathflow::__private::Behavior::default()),
        };
        let method = &call.method;
        (
            quote!(#receiver.#method(#time, #window, #behavior)#instance),
            Some(names),
        )
    }

    /// The window argument of `windowby`: `tumbling(size)`, `sliding(hop, size)` or
    /// `session(max_gap)` lowered to the core's `Window`, or a `Window` value passed as it is.
    fn window(&mut self, expr: &Expr) -> TokenStream {
        let shapes = || {
            WINDOW_SHAPES
                .iter()
                .map(|w| format!("`{}`", w.usage))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let local = |ident: &Ident| self.scope.contains(&ident.to_string());
        let (function, args) = match expr {
            Expr::Call(call) => match bare_name(&call.func).filter(|f| !local(f)) {
                Some(function) => (function, Some(&call.args)),
                None => return quote!(#expr),
            },
            _ => match bare_name(expr).filter(|f| !local(f)) {
                Some(name) => (name, None),
                None => return quote!(#expr),
            },
        };
        let name = function.to_string();
        let Some(shape) = WINDOW_SHAPES.iter().find(|w| w.name == name) else {
            let names: Vec<&str> = WINDOW_SHAPES.iter().map(|w| w.name).collect();
            let hint = match did_you_mean(&name, &names) {
                Some(close) => format!("; did you mean `{close}`?"),
                None => String::new(),
            };
            self.errors.at(
                function.span(),
                format!(
                    "`{name}` is not a window{hint}\n\
                     the windows are {}, with `Duration`s, e.g. \
                     `tumbling(Duration::from_secs(60))`; a `Window` value of your own \
                     is passed as it is",
                    shapes()
                ),
            );
            return quote_spanned!(expr.span()=> ::core::unreachable!());
        };
        match args {
            Some(args) if args.len() == shape.args => {
                let args = args.iter();
                let ident = Ident::new(shape.name, function.span());
                quote_spanned!(expr.span()=> ::pathflow::__private::Window::#ident(#(#args),*))
            }
            _ => {
                let takes = if shape.args == 1 {
                    "one `Duration`".to_owned()
                } else {
                    format!("{} `Duration`s", shape.args)
                };
                self.errors.at(
                    expr.span(),
                    format!(
                        "the window `{name}` takes {takes}: `{}`, e.g. `{}`",
                        shape.usage,
                        shape
                            .usage
                            .replace("size", "Duration::from_secs(60)")
                            .replace("hop", "Duration::from_secs(10)")
                            .replace("max_gap", "Duration::from_secs(30)")
                    ),
                );
                quote_spanned!(expr.span()=> ::core::unreachable!())
            }
        }
    }

    /// The column an instance expression names, if it is a bare column name.
    fn column_name(&self, expr: &Expr) -> Option<String> {
        bare_name(expr)
            .filter(|n| !self.scope.contains(&n.to_string()))
            .map(ToString::to_string)
    }

    /// What an operator becomes after an error: its receiver, then `unreachable!()`.
    fn placeholder(&self, call: &ExprMethodCall, receiver: &Expr) -> TokenStream {
        quote_spanned!(call.span()=> { let _ = #receiver; ::core::unreachable!() })
    }

    /// `deduplicate(keys.., accept)`: per key, keep a new row when `accept` holds, with the
    /// new row as `new` and the kept one as `current`.
    fn deduplicate(&mut self, call: &ExprMethodCall) -> Option<TokenStream> {
        let Some((accept, keys)) = call
            .args
            .iter()
            .collect::<Vec<_>>()
            .split_last()
            .map(|(a, k)| (*a, k.to_vec()))
        else {
            self.errors.at(
                call.method.span(),
                "`deduplicate` takes the key columns and the condition to replace the kept \
                 row, e.g. `deduplicate(sensor, new.at > current.at)`",
            );
            return None;
        };
        let receiver = self.lowered(&call.receiver);
        let key: Expr = match keys.as_slice() {
            [single] => (*single).clone(),
            _ => syn::parse_quote_spanned!(call.method.span()=> (#(#keys,)*)),
        };
        let key = self.row_closure(&key);
        let span = accept.span();
        let sides = vec![
            Side {
                name: "new",
                var: hygienic("__new", span),
                optional: false,
            },
            Side {
                name: "current",
                var: hygienic("__current", span),
                optional: false,
            },
        ];
        let (new, current) = (sides[0].var.clone(), sides[1].var.clone());
        let mut body = accept.clone();
        rewrite(
            &mut body,
            &Context::Sides {
                sides,
                what: "`deduplicate`",
            },
            &self.scope,
            self.errors,
        );
        let method = &call.method;
        Some(quote!(#receiver.#method(#key, move |#new, #current| #body)))
    }

    /// `a.join(b, left.x == right.y, ..)`: the core's `join` with the two key closures, and
    /// the join's kind (`inner`, `left`, `right`, `outer`).
    fn join(&mut self, call: &ExprMethodCall) -> Option<(TokenStream, &'static JoinKind)> {
        let kind = join_kind(&call.method.to_string())?;
        let receiver = self.lowered(&call.receiver);
        let mut args = call.args.iter();
        let Some(other) = args.next() else {
            self.errors.at(
                call.method.span(),
                format!(
                    "`{0}` takes the other table and the condition, e.g. \
                     `{0}(customers, left.customer == right.id)`",
                    kind.operator
                ),
            );
            return None;
        };
        let other = self.lowered(other);
        let mut left_keys = Vec::new();
        let mut right_keys = Vec::new();
        let mut conditions = Vec::new();
        for arg in args {
            equalities(arg, &mut conditions);
        }
        if conditions.is_empty() {
            self.errors.at(
                call.method.span(),
                format!(
                    "`{0}` needs a join condition, e.g. \
                     `{0}(customers, left.customer == right.id)`",
                    kind.operator
                ),
            );
            return None;
        }
        for condition in conditions {
            let eq = match condition {
                Expr::Binary(eq) if matches!(eq.op, syn::BinOp::Eq(_)) => eq,
                other => {
                    let span = match other {
                        Expr::Binary(binary) => binary.op.span(),
                        _ => other.span(),
                    };
                    self.errors.at(
                        span,
                        "a join condition is an equality between the two rows, e.g. \
                         `left.customer == right.id`; join on several columns with `&&`",
                    );
                    continue;
                }
            };
            match (self.sides_used(&eq.left), self.sides_used(&eq.right)) {
                ((true, false), (false, true)) => {
                    left_keys.push((*eq.left).clone());
                    right_keys.push((*eq.right).clone());
                }
                ((false, true), (true, false)) => {
                    left_keys.push((*eq.right).clone());
                    right_keys.push((*eq.left).clone());
                }
                _ => self.errors.at(
                    eq.op.span(),
                    "each side of a join condition reads one row: `left.` columns on one \
                     side of `==`, `right.` columns on the other, e.g. `left.customer == right.id`",
                ),
            }
        }
        let span = call.method.span();
        let left = self.side_closure("left", &left_keys, span);
        let right = self.side_closure("right", &right_keys, span);
        let method = Ident::new("join", span);
        Some((quote!(#receiver.#method(#other, #left, #right)), kind))
    }

    /// A key closure over one side of a join.
    fn side_closure(&mut self, name: &'static str, keys: &[Expr], span: Span) -> TokenStream {
        let var = hygienic(&format!("__{name}"), span);
        let mut key: Expr = match keys {
            [single] => single.clone(),
            _ => syn::parse_quote_spanned!(span=> (#(#keys,)*)),
        };
        let sides = vec![Side {
            name,
            var: var.clone(),
            optional: false,
        }];
        rewrite(
            &mut key,
            &Context::Sides {
                sides,
                what: "a join condition",
            },
            &self.scope,
            self.errors,
        );
        quote_spanned!(key.span()=> move |#var| #key)
    }

    /// Which of `left` and `right` an expression reads.
    fn sides_used(&self, expr: &Expr) -> (bool, bool) {
        struct Sides<'s> {
            scope: &'s [String],
            left: bool,
            right: bool,
        }
        impl<'ast> Visit<'ast> for Sides<'_> {
            fn visit_expr_path(&mut self, path: &'ast syn::ExprPath) {
                if let Some(ident) = path.path.get_ident() {
                    let name = ident.to_string();
                    if !self.scope.contains(&name) {
                        self.left |= name == "left";
                        self.right |= name == "right";
                    }
                }
            }
        }
        let mut sides = Sides {
            scope: &self.scope,
            left: false,
            right: false,
        };
        sides.visit_expr(expr);
        (sides.left, sides.right)
    }

    /// `a.join(b, cond).select(Out { .. })`: the join completed by `inner`/`left`/`right`/
    /// `outer` with a closure over both rows.
    fn join_select(&mut self, join: &ExprMethodCall, select: &ExprMethodCall) -> TokenStream {
        let Some((joined, kind)) = self.join(join) else {
            return quote_spanned!(select.span()=> ::core::unreachable!());
        };
        let (complete, left_optional, right_optional) =
            (kind.complete, kind.left_optional, kind.right_optional);
        let method = Ident::new(complete, select.method.span());
        let Some(arg) = self.single(select, "Out { name: right.name, amount: left.amount }") else {
            return quote_spanned!(select.span()=> { let _ = #joined; ::core::unreachable!() });
        };
        if let Expr::Closure(_) = arg {
            return quote!(#joined.#method(#arg));
        }
        let span = arg.span();
        let sides = vec![
            Side {
                name: "left",
                var: hygienic("__left", span),
                optional: left_optional,
            },
            Side {
                name: "right",
                var: hygienic("__right", span),
                optional: right_optional,
            },
        ];
        let (left, right) = (sides[0].var.clone(), sides[1].var.clone());
        let mut body = arg.clone();
        rewrite(
            &mut body,
            &Context::Sides {
                sides,
                what: "a join",
            },
            &self.scope,
            self.errors,
        );
        quote!(#joined.#method(move |#left, #right| #body))
    }
}

/// The kind of join an operator name is.
fn join_kind(name: &str) -> Option<&'static JoinKind> {
    JOINS.iter().find(|j| j.operator == name)
}

/// The join call an expression is, if it is one written with a condition (not closures).
fn join_of(expr: &Expr) -> Option<&ExprMethodCall> {
    match expr {
        Expr::MethodCall(call)
            if join_kind(&call.method.to_string()).is_some() && !has_closure(call) =>
        {
            Some(call)
        }
        _ => None,
    }
}

/// Whether an expression is a `windowby` call written with columns (not closures).
fn windowby_of(expr: &Expr) -> bool {
    matches!(expr, Expr::MethodCall(call) if call.method == "windowby" && !has_closure(call))
}

/// Whether any argument of a call is a closure (the method API written by hand).
fn has_closure(call: &ExprMethodCall) -> bool {
    call.args.iter().any(|arg| matches!(arg, Expr::Closure(_)))
}

/// Splits a join condition on `&&` into its comparisons (binary expressions; anything
/// else is kept as is for the error).
fn equalities<'e>(expr: &'e Expr, out: &mut Vec<&'e Expr>) {
    match expr {
        Expr::Binary(binary) if matches!(binary.op, syn::BinOp::And(_)) => {
            equalities(&binary.left, out);
            equalities(&binary.right, out);
        }
        Expr::Paren(paren) => equalities(&paren.expr, out),
        _ => out.push(expr),
    }
}

/// A tuple of the items, nested in tuples of at most `REDUCER_TUPLE` when there are more.
fn nest(items: &[TokenStream]) -> TokenStream {
    if items.len() <= REDUCER_TUPLE {
        return quote!((#(#items,)*));
    }
    let chunks = items.chunks(REDUCER_TUPLE).map(nest);
    quote!((#(#chunks,)*))
}
