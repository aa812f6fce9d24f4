//! The struct `#[derive(Schema)]` is given, parsed: its shape, its fields and their
//! `#[pathflow(..)]` attributes. Malformed attributes are reported here; what the attributes
//! mean together is judged in `check`.

use proc_macro2::Span;
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{Attribute, Data, DeriveInput, Fields, Generics, Ident, LitStr, Token, Type};

use crate::errors::{did_you_mean, Errors};

/// The attribute keys a field accepts, as written.
pub const FIELD_KEYS: &[&str] = &["primary_key", "event_time", "rename", "default"];

/// A `#[derive(Schema)]` input.
pub struct Input<'a> {
    /// The type's name.
    pub ident: &'a Ident,
    /// Its generic parameters (not supported; `check` says so).
    pub generics: &'a Generics,
    /// Its shape, with the fields of a struct with named fields.
    pub shape: Shape<'a>,
}

/// The shape of the item the derive is on.
pub enum Shape<'a> {
    /// `struct S { a: A, .. }`: the only shape a schema can have.
    Named(Vec<FieldDef<'a>>),
    /// `struct S(A, B);`, spanned at the fields.
    Tuple(Span),
    /// `struct S;`, spanned at the name.
    Unit(Span),
    /// `enum E { .. }`, spanned at the `enum` keyword.
    Enum(Span),
    /// `union U { .. }`, spanned at the `union` keyword.
    Union(Span),
}

/// One named field and the `#[pathflow(..)]` attributes on it.
pub struct FieldDef<'a> {
    /// The field's name.
    pub ident: &'a Ident,
    /// The field's type.
    pub ty: &'a Type,
    /// The attributes, in the order written, duplicates included.
    pub attrs: Vec<FieldAttr>,
}

/// One key of a `#[pathflow(..)]` field attribute.
pub struct FieldAttr {
    /// What the key says.
    pub kind: AttrKind,
    /// Where the key is written.
    pub span: Span,
}

/// The meaning of a field attribute key.
#[derive(Clone, PartialEq, Eq)]
pub enum AttrKind {
    /// `primary_key`: the field is (part of) the row's key.
    PrimaryKey,
    /// `event_time`: the field is the row's event time.
    EventTime,
    /// `rename = "col"`: the column's name in files.
    Rename(LitStr),
    /// `default`: a missing value is `Default::default()`.
    Default,
}

impl AttrKind {
    /// The key as the user writes it.
    pub fn key(&self) -> &'static str {
        match self {
            AttrKind::PrimaryKey => "primary_key",
            AttrKind::EventTime => "event_time",
            AttrKind::Rename(_) => "rename",
            AttrKind::Default => "default",
        }
    }
}

impl<'a> Input<'a> {
    /// Parses the derive input, recording malformed attributes in `errors`.
    pub fn parse(input: &'a DeriveInput, errors: &mut Errors) -> Self {
        for attr in input.attrs.iter().filter(|a| a.path().is_ident("pathflow")) {
            errors.at(
                attr.span(),
                "`#[pathflow(..)]` goes on the fields of a schema, not on the struct itself",
            );
        }
        let shape = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => Shape::Named(
                    named
                        .named
                        .iter()
                        .map(|field| FieldDef {
                            ident: field.ident.as_ref().expect("named fields have names"),
                            ty: &field.ty,
                            attrs: parse_field_attrs(&field.attrs, errors),
                        })
                        .collect(),
                ),
                Fields::Unnamed(unnamed) => Shape::Tuple(unnamed.span()),
                Fields::Unit => Shape::Unit(input.ident.span()),
            },
            Data::Enum(data) => Shape::Enum(data.enum_token.span),
            Data::Union(data) => Shape::Union(data.union_token.span),
        };
        Input {
            ident: &input.ident,
            generics: &input.generics,
            shape,
        }
    }
}

/// Parses every `#[pathflow(..)]` attribute of a field into its keys.
fn parse_field_attrs(attrs: &[Attribute], errors: &mut Errors) -> Vec<FieldAttr> {
    let mut out = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("pathflow")) {
        if let Err(e) = attr.meta.require_list() {
            errors.at(
                e.span(),
                "expected `#[pathflow(..)]` with one or more of: primary_key, event_time, \
                 rename = \"column\", default",
            );
            continue;
        }
        let parsed = attr.parse_nested_meta(|meta| {
            let span = meta.path.span();
            let key = match meta.path.get_ident() {
                Some(ident) => ident.to_string(),
                None => meta.path.to_token_stream().to_string().replace(' ', ""),
            };
            let kind = match key.as_str() {
                "primary_key" => AttrKind::PrimaryKey,
                "event_time" => AttrKind::EventTime,
                "default" => AttrKind::Default,
                "rename" => {
                    if !meta.input.peek(Token![=]) {
                        errors.at(span, "`rename` needs a column name: `rename = \"column\"`");
                        return Ok(());
                    }
                    let value = meta.value()?;
                    match value.parse::<LitStr>() {
                        Ok(name) => AttrKind::Rename(name),
                        Err(_) => {
                            let expr: syn::Expr = value.parse()?;
                            errors.at(
                                expr.span(),
                                "`rename` takes the column name as a string: \
                                 `rename = \"column\"`",
                            );
                            return Ok(());
                        }
                    }
                }
                _ => {
                    skip_value(&meta)?;
                    let hint = match did_you_mean(&key, FIELD_KEYS) {
                        Some(close) => format!("; did you mean `{close}`?"),
                        None => String::new(),
                    };
                    errors.at(
                        span,
                        format!(
                            "unknown pathflow attribute `{key}`{hint}\n\
                             the field attributes are: `primary_key`, `event_time`, \
                             `rename = \"column\"`, `default`"
                        ),
                    );
                    return Ok(());
                }
            };
            if !matches!(kind, AttrKind::Rename(_))
                && !meta.input.is_empty()
                && !meta.input.peek(Token![,])
            {
                skip_value(&meta)?;
                errors.at(
                    span,
                    format!(
                        "`{}` takes no value: write just `{}`",
                        kind.key(),
                        kind.key()
                    ),
                );
                return Ok(());
            }
            out.push(FieldAttr { kind, span });
            Ok(())
        });
        if let Err(e) = parsed {
            errors.push(e);
        }
    }
    out
}

/// Consumes the `= value` or `(..)` after an attribute key that is being rejected.
fn skip_value(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in meta.input);
        content.parse::<proc_macro2::TokenStream>()?;
    }
    Ok(())
}
