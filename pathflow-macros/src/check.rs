//! Judges a parsed `#[derive(Schema)]` input: what its shape and attributes mean together.
//! Every problem is recorded with the span of the token that causes it, and a model is
//! still built from what is valid, so the expansion goes on and one mistake stays one error.

use syn::spanned::Spanned;
use syn::{Ident, Type};

use crate::ast::{AttrKind, FieldAttr, FieldDef, Input, Shape};
use crate::errors::Errors;

/// A valid schema: what `expand` generates code from.
pub struct Model<'a> {
    /// The struct's name.
    pub ident: &'a Ident,
    /// Its fields, in declaration order.
    pub columns: Vec<Column<'a>>,
}

/// One field of a valid schema.
pub struct Column<'a> {
    /// The field's name in Rust.
    pub ident: &'a Ident,
    /// The field's type.
    pub ty: &'a Type,
    /// The column's name in files: the `rename`, else the field's name.
    pub name: String,
    /// Part of the primary key.
    pub primary_key: bool,
    /// The event-time column.
    pub event_time: bool,
    /// A missing value is `Default::default()`.
    pub default: bool,
}

/// What the derive can generate for an input.
pub enum Checked<'a> {
    /// A struct with named fields: the real implementation (the model drops invalid
    /// attributes, whose errors are recorded).
    Model(Model<'a>),
    /// Another shape: implementations whose bodies panic, so that the error in the
    /// derive is the only one the user sees.
    Placeholder,
    /// Nothing can be generated: a generic type, or a union (which cannot even be `Debug`).
    Nothing,
}

/// Checks the input, records every problem in `errors`, and says what can be generated.
pub fn check<'a>(input: &Input<'a>, errors: &mut Errors) -> Checked<'a> {
    let name = input.ident;
    let fields = match &input.shape {
        Shape::Named(fields) => fields,
        Shape::Tuple(span) => {
            errors.at(
                *span,
                format!(
                    "`#[derive(Schema)]` needs named fields: each field is a column, and a \
                     column needs a name\nhelp: write `struct {name} {{ first: T, second: U }}`"
                ),
            );
            return Checked::Placeholder;
        }
        Shape::Unit(span) => {
            errors.at(
                *span,
                format!(
                    "`#[derive(Schema)]` needs named fields, and the unit struct `{name}` has \
                     none\nhelp: give it its columns: `struct {name} {{ value: T }}`"
                ),
            );
            return Checked::Placeholder;
        }
        Shape::Enum(span) => {
            errors.at(
                *span,
                "`#[derive(Schema)]` works on structs with named fields, not on enums: a row \
                 has one fixed set of columns\nhelp: use a struct, with an `Option` field for \
                 each column that only some rows have",
            );
            return Checked::Placeholder;
        }
        Shape::Union(span) => {
            errors.at(
                *span,
                "`#[derive(Schema)]` works on structs with named fields, not on unions\n\
                 help: use a struct with named fields",
            );
            return Checked::Nothing;
        }
    };
    if let Some(param) = input.generics.params.first() {
        errors.at(
            param.span(),
            format!(
                "`#[derive(Schema)]` does not support generic parameters: a row type must be \
                 concrete\nhelp: declare `{name}` with concrete field types, or one struct \
                 per instantiation"
            ),
        );
        return Checked::Nothing;
    }
    let mut columns: Vec<Column<'a>> = Vec::new();
    let mut event_time: Option<&Ident> = None;
    for field in fields {
        let column = check_field(field, &mut event_time, errors);
        if let Some(first) = columns.iter().find(|c| c.name == column.name) {
            let span = field
                .attrs
                .iter()
                .find_map(|a| match &a.kind {
                    AttrKind::Rename(lit) => Some(lit.span()),
                    _ => None,
                })
                .unwrap_or_else(|| field.ident.span());
            errors.at(
                span,
                format!(
                    "the fields `{}` and `{}` both have the column name `{}`; each column \
                     needs its own name\nhelp: give one of them \
                     `#[pathflow(rename = \"other_name\")]`",
                    first.ident, column.ident, column.name
                ),
            );
        }
        columns.push(column);
    }
    Checked::Model(Model {
        ident: name,
        columns,
    })
}

/// Checks one field's attributes and builds its column from the valid ones.
fn check_field<'a>(
    field: &FieldDef<'a>,
    event_time: &mut Option<&'a Ident>,
    errors: &mut Errors,
) -> Column<'a> {
    let ident = field.ident;
    let mut column = Column {
        ident,
        ty: field.ty,
        name: ident_name(ident),
        primary_key: false,
        event_time: false,
        default: false,
    };
    let mut seen: Vec<&FieldAttr> = Vec::new();
    for attr in &field.attrs {
        if seen.iter().any(|s| s.kind.key() == attr.kind.key()) {
            let key = attr.kind.key();
            errors.at(
                attr.span,
                format!("duplicate `{key}` on field `{ident}`; write it once"),
            );
            continue;
        }
        seen.push(attr);
        match &attr.kind {
            AttrKind::PrimaryKey => column.primary_key = true,
            AttrKind::Default => column.default = true,
            AttrKind::Rename(lit) => {
                let name = lit.value();
                if name.is_empty() {
                    errors.at(lit.span(), "a column name cannot be empty");
                } else if name.contains('.') {
                    errors.at(
                        lit.span(),
                        format!(
                            "the column name `{name}` contains `.`, which pathflow uses to \
                             name the columns of a nested struct (`outer.inner`)\n\
                             help: choose a name without `.`"
                        ),
                    );
                } else {
                    column.name = name;
                }
            }
            AttrKind::EventTime => {
                if let Some(first) = event_time {
                    errors.at(
                        attr.span,
                        format!(
                            "a schema has at most one event-time column, and `{first}` is \
                             already `event_time`\nhelp: remove `event_time` from one of \
                             `{first}` and `{ident}`"
                        ),
                    );
                } else if !is_timestamp(field.ty) {
                    errors.at(field.ty.span(), event_time_type_error(ident, field.ty));
                } else {
                    *event_time = Some(ident);
                    column.event_time = true;
                }
            }
        }
    }
    for (other, why) in [
        (AttrKind::PrimaryKey, "a key must be present in every row"),
        (
            AttrKind::EventTime,
            "a row's event time must come from its data",
        ),
    ] {
        let Some(conflict) = seen.iter().find(|a| a.kind == other) else {
            continue;
        };
        let Some(default) = seen.iter().find(|a| a.kind == AttrKind::Default) else {
            continue;
        };
        let key = conflict.kind.key();
        errors.at(
            default.span,
            format!(
                "`default` cannot be combined with `{key}` on field `{ident}`: {why}\n\
                 help: remove `default`, and filter out or repair the rows without `{ident}` \
                 before they reach pathflow"
            ),
        );
        column.default = false;
    }
    column
}

/// The error for `event_time` on a field whose type is not written as `Timestamp`.
fn event_time_type_error(ident: &Ident, ty: &Type) -> String {
    let written = quote::ToTokens::to_token_stream(ty)
        .to_string()
        .replace(' ', "");
    let optional = last_segment(ty).is_some_and(|s| s.ident == "Option");
    let help = if optional {
        "an event time cannot be missing: declare the field as `pathflow::Timestamp`, and \
         filter out the rows without one before they reach pathflow"
            .to_owned()
    } else {
        format!(
            "declare it as `{ident}: Timestamp` (`pathflow::Timestamp`, UTC milliseconds, read \
             from RFC 3339 text or from integer milliseconds)"
        )
    };
    format!(
        "`#[pathflow(event_time)]` needs a `Timestamp` field, but `{ident}` is `{written}`\n\
         help: {help}"
    )
}

/// Whether a type is written as `Timestamp` (the last segment of its path). A type alias
/// does not count; a user type named `Timestamp` passes here and fails the type check in
/// the expansion.
fn is_timestamp(ty: &Type) -> bool {
    last_segment(ty).is_some_and(|s| s.ident == "Timestamp" && s.arguments.is_none())
}

/// The last segment of a path type.
fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(path) if path.qself.is_none() => path.path.segments.last(),
        Type::Group(group) => last_segment(&group.elem),
        Type::Paren(paren) => last_segment(&paren.elem),
        _ => None,
    }
}

/// A field's name without a raw-identifier prefix.
fn ident_name(ident: &Ident) -> String {
    let name = ident.to_string();
    name.strip_prefix("r#").map(str::to_owned).unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The model's columns as `name:pk/et/default` and the errors' text.
    fn checked(input: syn::DeriveInput) -> (Vec<String>, String) {
        let mut errors = Errors::default();
        let parsed = Input::parse(&input, &mut errors);
        let columns = match check(&parsed, &mut errors) {
            Checked::Model(model) => model
                .columns
                .iter()
                .map(|c| {
                    let flags = [
                        (c.primary_key, "pk"),
                        (c.event_time, "et"),
                        (c.default, "default"),
                    ];
                    let on: Vec<&str> = flags.iter().filter(|f| f.0).map(|f| f.1).collect();
                    format!("{}:{}", c.name, on.join("/"))
                })
                .collect(),
            Checked::Placeholder => vec!["placeholder".to_owned()],
            Checked::Nothing => vec!["nothing".to_owned()],
        };
        (columns, errors.to_compile_errors().to_string())
    }

    #[test]
    fn valid_attributes_build_the_model() {
        let (columns, errors) = checked(syn::parse_quote! {
            struct Order {
                #[pathflow(primary_key, rename = "order_id")]
                id: u64,
                #[pathflow(event_time)]
                at: pathflow::Timestamp,
                #[pathflow(default)]
                r#type: String,
            }
        });
        assert_eq!(errors, "");
        assert_eq!(columns, ["order_id:pk", "at:et", "type:default"]);
    }

    #[test]
    fn every_mistake_is_reported_and_the_rest_kept() {
        let (columns, errors) = checked(syn::parse_quote! {
            struct Order {
                #[pathflow(primary_key, primary_key, default)]
                id: u64,
                #[pathflow(event_time)]
                at: i64,
                #[pathflow(event_time, default)]
                sent: Timestamp,
                #[pathflow(event_time)]
                received: Timestamp,
                #[pathflow(rename = "a.b", unknown)]
                amount: f64,
                #[pathflow(rename = "sent")]
                other: u8,
            }
        });
        for expected in [
            "duplicate `primary_key` on field `id`",
            "`default` cannot be combined with `primary_key`",
            "needs a `Timestamp` field, but `at` is `i64`",
            "`default` cannot be combined with `event_time`",
            "at most one event-time column, and `sent` is already",
            "contains `.`",
            "unknown pathflow attribute `unknown`",
            "the fields `sent` and `other` both have the column name `sent`",
        ] {
            assert!(
                errors.contains(expected),
                "missing {expected:?} in {errors}"
            );
        }
        assert_eq!(
            columns,
            ["id:pk", "at:", "sent:et", "received:", "amount:", "sent:"]
        );
    }

    #[test]
    fn other_shapes_are_rejected() {
        let (result, errors) = checked(syn::parse_quote!(
            enum E {
                A,
            }
        ));
        assert_eq!(result, ["placeholder"]);
        assert!(errors.contains("not on enums"), "{errors}");
        let (result, errors) = checked(syn::parse_quote!(
            struct P(u8);
        ));
        assert_eq!(result, ["placeholder"]);
        assert!(errors.contains("needs named fields"), "{errors}");
        let (result, errors) = checked(syn::parse_quote!(union U { a: u8 }));
        assert_eq!(result, ["nothing"]);
        assert!(errors.contains("not on unions"), "{errors}");
        let (result, errors) = checked(syn::parse_quote!(
            struct G<T> {
                t: T,
            }
        ));
        assert_eq!(result, ["nothing"]);
        assert!(errors.contains("generic parameters"), "{errors}");
        let (_, errors) = checked(syn::parse_quote!(
            #[pathflow(primary_key)]
            struct S {
                a: u8,
            }
        ));
        assert!(errors.contains("not on the struct itself"), "{errors}");
    }
}
