//! Generates the `#[derive(Schema)]` implementations from a checked model.
//!
//! Everything reaches the runtime through `::pathflow::__private`. Code that depends on a
//! field's type is spanned at that type, so a column type pathflow cannot store is reported
//! at the field, not at the derive.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, LitStr};

use crate::check::{Column, Model};

/// The path generated code reaches the runtime through.
fn rt() -> TokenStream {
    quote!(::pathflow::__private)
}

/// A local variable of the generated code, hygienic so it cannot clash with user names.
fn local(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

/// All the implementations for a valid schema, in an anonymous `const` block.
pub fn expand(model: &Model<'_>) -> TokenStream {
    let schema = impl_schema(model);
    let field = impl_field(model);
    let order = impl_order(model);
    let serialize = impl_serialize(model);
    let deserialize = impl_deserialize(model);
    quote! {
        const _: () = {
            #schema
            #field
            #order
            #serialize
            #deserialize
        };
    }
}

/// `Schema`: the primary key and the event-time column.
fn impl_schema(model: &Model<'_>) -> TokenStream {
    let rt = rt();
    let ident = model.ident;
    let keys: Vec<&Column<'_>> = model.columns.iter().filter(|c| c.primary_key).collect();
    let key_types = keys.iter().map(|k| {
        let ty = k.ty;
        quote_spanned!(ty.span()=> <#ty as #rt::KeyColumn>::Key)
    });
    let key_values = keys.iter().map(|k| {
        let (ty, member) = (k.ty, k.ident);
        quote_spanned!(ty.span()=> ::core::clone::Clone::clone(&self.#member))
    });
    let (key_ty, key_expr) = match keys.len() {
        0 => (quote!(()), TokenStream::new()),
        1 => (quote!(#(#key_types)*), quote!(#(#key_values)*)),
        _ => (quote!((#(#key_types,)*)), quote!((#(#key_values,)*))),
    };
    let has_key = !keys.is_empty();
    let key_columns = keys.iter().map(|k| &k.name);
    let (event_column, event_expr) = match model.columns.iter().find(|c| c.event_time) {
        Some(column) => {
            let (ty, member, name) = (column.ty, column.ident, &column.name);
            (
                quote!(::core::option::Option::Some(#name)),
                quote_spanned! {ty.span()=>
                    ::core::option::Option::Some(#rt::event_time::<#ty>(&self.#member))
                },
            )
        }
        None => (
            quote!(::core::option::Option::None),
            quote!(::core::option::Option::None),
        ),
    };
    quote! {
        #[automatically_derived]
        impl #rt::KeyColumn for #ident {
            type Key = Self;
        }
        #[automatically_derived]
        impl #rt::Schema for #ident {
            type Key = #key_ty;
            const HAS_PRIMARY_KEY: bool = #has_key;
            const PRIMARY_KEY_COLUMNS: &'static [&'static str] = &[#(#key_columns),*];
            const EVENT_TIME_COLUMN: ::core::option::Option<&'static str> = #event_column;
            #[inline]
            fn primary_key(&self) -> Self::Key {
                #key_expr
            }
            #[inline]
            fn event_time(&self) -> ::core::option::Option<#rt::Timestamp> {
                #event_expr
            }
        }
    }
}

/// `Field`: the columns and the text/JSON codec, so the struct is a row and can be nested.
fn impl_field(model: &Model<'_>) -> TokenStream {
    let rt = rt();
    let ident = model.ident;
    let (name, out, record, value, object) = (
        local("__name"),
        local("__out"),
        local("__record"),
        local("__value"),
        local("__object"),
    );
    let push = model.columns.iter().map(|c| {
        let (ty, column) = (c.ty, &c.name);
        let optional = c.default;
        quote_spanned! {ty.span()=>
            <#ty as #rt::SchemaColumn>::push_columns(
                &#rt::column_name(#name, #column),
                #out,
                #optional,
            );
        }
    });
    let decode_text = model.columns.iter().map(|c| {
        let (ty, member, column) = (c.ty, c.ident, &c.name);
        let function = if c.default {
            quote_spanned!(ty.span()=> <#ty as #rt::SchemaColumn>::decode_text_or_default)
        } else {
            quote_spanned!(ty.span()=> <#ty as #rt::SchemaColumn>::decode_text)
        };
        quote_spanned! {ty.span()=>
            #member: #function(#record, &#rt::column_name(#name, #column))?
        }
    });
    let encode_text = model.columns.iter().map(|c| {
        let (ty, member) = (c.ty, c.ident);
        quote_spanned!(ty.span()=> <#ty as #rt::SchemaColumn>::encode_text(&self.#member, #out);)
    });
    let decode_json = model.columns.iter().map(|c| {
        let (ty, member, column) = (c.ty, c.ident, &c.name);
        let function = if c.default {
            quote_spanned!(ty.span()=> <#ty as #rt::SchemaColumn>::decode_json_or_default)
        } else {
            quote_spanned!(ty.span()=> <#ty as #rt::SchemaColumn>::decode_json)
        };
        quote_spanned! {ty.span()=>
            #member: #function(
                #object.get(#column),
                &#rt::column_name(#name, #column),
            )?
        }
    });
    let encode_json = model.columns.iter().map(|c| {
        let (ty, member, column) = (c.ty, c.ident, &c.name);
        quote_spanned! {ty.span()=>
            #object.insert(
                #rt::String::from(#column),
                <#ty as #rt::SchemaColumn>::encode_json(&self.#member),
            );
        }
    });
    quote! {
        #[automatically_derived]
        impl #rt::Field for #ident {
            fn push_columns(#name: &str, #out: &mut #rt::Vec<#rt::Column>) {
                #(#push)*
            }
            fn decode_text(
                #record: &dyn #rt::TextRecord,
                #name: &str,
            ) -> ::core::result::Result<Self, #rt::FieldError> {
                ::core::result::Result::Ok(#ident { #(#decode_text,)* })
            }
            fn encode_text(&self, #out: &mut #rt::Vec<#rt::String>) {
                #(#encode_text)*
            }
            fn decode_json(
                #value: ::core::option::Option<&#rt::JsonValue>,
                #name: &str,
            ) -> ::core::result::Result<Self, #rt::FieldError> {
                let #object = #rt::json_object(#value, #name)?;
                ::core::result::Result::Ok(#ident { #(#decode_json,)* })
            }
            fn encode_json(&self) -> #rt::JsonValue {
                let mut #object = #rt::JsonObject::new();
                #(#encode_json)*
                #rt::JsonValue::Object(#object)
            }
        }
    }
}

/// `TotalOrd`, and `PartialEq`, `Eq`, `PartialOrd`, `Ord`, `Hash` through it: field by
/// field, in declaration order, floats by their IEEE 754 total order.
fn impl_order(model: &Model<'_>) -> TokenStream {
    let rt = rt();
    let ident = model.ident;
    let (other, state, unequal) = (local("__other"), local("__state"), local("__unequal"));
    let rest = order_through_total(ident);
    let compare = model.columns.iter().map(|c| {
        let (ty, member) = (c.ty, c.ident);
        quote_spanned! {ty.span()=>
            match <#ty as #rt::SchemaColumn>::total_cmp(&self.#member, &#other.#member) {
                ::core::cmp::Ordering::Equal => {}
                #unequal => return #unequal,
            }
        }
    });
    let hash = model.columns.iter().map(|c| {
        let (ty, member) = (c.ty, c.ident);
        quote_spanned!(ty.span()=> <#ty as #rt::SchemaColumn>::total_hash(&self.#member, #state);)
    });
    quote! {
        #[automatically_derived]
        impl #rt::TotalOrd for #ident {
            fn total_cmp(&self, #other: &Self) -> ::core::cmp::Ordering {
                #(#compare)*
                ::core::cmp::Ordering::Equal
            }
            fn total_hash<__H: ::core::hash::Hasher>(&self, #state: &mut __H) {
                #(#hash)*
            }
        }
        #rest
    }
}

/// `PartialEq`, `Eq`, `PartialOrd`, `Ord` and `Hash` for a type that implements `TotalOrd`.
fn order_through_total(ident: &Ident) -> TokenStream {
    let rt = rt();
    let (other, state) = (local("__other"), local("__state"));
    quote! {
        #[automatically_derived]
        impl ::core::cmp::PartialEq for #ident {
            #[inline]
            fn eq(&self, #other: &Self) -> bool {
                #rt::TotalOrd::total_cmp(self, #other) == ::core::cmp::Ordering::Equal
            }
        }
        #[automatically_derived]
        impl ::core::cmp::Eq for #ident {}
        #[automatically_derived]
        impl ::core::cmp::PartialOrd for #ident {
            #[inline]
            fn partial_cmp(&self, #other: &Self) -> ::core::option::Option<::core::cmp::Ordering> {
                ::core::option::Option::Some(#rt::TotalOrd::total_cmp(self, #other))
            }
        }
        #[automatically_derived]
        impl ::core::cmp::Ord for #ident {
            #[inline]
            fn cmp(&self, #other: &Self) -> ::core::cmp::Ordering {
                #rt::TotalOrd::total_cmp(self, #other)
            }
        }
        #[automatically_derived]
        impl ::core::hash::Hash for #ident {
            #[inline]
            fn hash<__H: ::core::hash::Hasher>(&self, #state: &mut __H) {
                #rt::TotalOrd::total_hash(self, #state)
            }
        }
    }
}

/// `serde::Serialize`: a struct of the fields in order, under their column names.
fn impl_serialize(model: &Model<'_>) -> TokenStream {
    let rt = rt();
    let ident = model.ident;
    let name = LitStr::new(&ident.to_string(), ident.span());
    let (serializer, state) = (local("__serializer"), local("__state"));
    let len = model.columns.len();
    let fields = model.columns.iter().map(|c| {
        let (ty, member, column) = (c.ty, c.ident, &c.name);
        quote_spanned! {ty.span()=>
            <#ty as #rt::SchemaColumn>::serialize_field(&self.#member, &mut #state, #column)?;
        }
    });
    quote! {
        #[automatically_derived]
        impl #rt::serde::Serialize for #ident {
            fn serialize<__S: #rt::serde::Serializer>(
                &self,
                #serializer: __S,
            ) -> ::core::result::Result<__S::Ok, __S::Error> {
                let mut #state = #rt::serde::Serializer::serialize_struct(#serializer, #name, #len)?;
                #(#fields)*
                #rt::serde::ser::SerializeStruct::end(#state)
            }
        }
    }
}

/// `serde::Deserialize`: from a sequence (bincode, between workers) or a map (self-describing
/// formats), as `Serialize` writes it.
fn impl_deserialize(model: &Model<'_>) -> TokenStream {
    let rt = rt();
    let ident = model.ident;
    let name = LitStr::new(&ident.to_string(), ident.span());
    let expecting = LitStr::new(&format!("struct {ident}"), ident.span());
    let (deserializer, seq, map, key, formatter) = (
        local("__deserializer"),
        local("__seq"),
        local("__map"),
        local("__key"),
        local("__formatter"),
    );
    let columns: Vec<&String> = model.columns.iter().map(|c| &c.name).collect();
    let slots: Vec<Ident> = (0..model.columns.len())
        .map(|i| local(&format!("__field{i}")))
        .collect();
    let members: Vec<&Ident> = model.columns.iter().map(|c| c.ident).collect();
    let from_seq = model
        .columns
        .iter()
        .zip(&slots)
        .enumerate()
        .map(|(i, (c, slot))| {
            let ty = c.ty;
            quote_spanned! {ty.span()=>
                let ::core::option::Option::Some(#slot) =
                    <#ty as #rt::SchemaColumn>::next_element(&mut #seq)?
                else {
                    return ::core::result::Result::Err(
                        #rt::serde::de::Error::invalid_length(#i, &self),
                    );
                };
            }
        });
    let declare = model.columns.iter().zip(&slots).map(|(c, slot)| {
        let ty = c.ty;
        quote_spanned!(ty.span()=> let mut #slot: ::core::option::Option<#ty> = ::core::option::Option::None;)
    });
    let read = model.columns.iter().zip(&slots).map(|(c, slot)| {
        let (ty, column) = (c.ty, &c.name);
        let value = quote_spanned!(ty.span()=> <#ty as #rt::SchemaColumn>::next_value(&mut #map)?);
        quote! {
            #column => {
                if #slot.is_some() {
                    return ::core::result::Result::Err(
                        #rt::serde::de::Error::duplicate_field(#column),
                    );
                }
                #slot = ::core::option::Option::Some(#value);
            }
        }
    });
    let require = model.columns.iter().zip(&slots).map(|(c, slot)| {
        let column = &c.name;
        quote! {
            let ::core::option::Option::Some(#slot) = #slot else {
                return ::core::result::Result::Err(
                    #rt::serde::de::Error::missing_field(#column),
                );
            };
        }
    });
    quote! {
        #[automatically_derived]
        impl<'de> #rt::serde::Deserialize<'de> for #ident {
            fn deserialize<__D: #rt::serde::Deserializer<'de>>(
                #deserializer: __D,
            ) -> ::core::result::Result<Self, __D::Error> {
                struct __Visitor;
                impl<'de> #rt::serde::de::Visitor<'de> for __Visitor {
                    type Value = #ident;
                    fn expecting(
                        &self,
                        #formatter: &mut ::core::fmt::Formatter<'_>,
                    ) -> ::core::fmt::Result {
                        #formatter.write_str(#expecting)
                    }
                    fn visit_seq<__A: #rt::serde::de::SeqAccess<'de>>(
                        self,
                        mut #seq: __A,
                    ) -> ::core::result::Result<#ident, __A::Error> {
                        #(#from_seq)*
                        ::core::result::Result::Ok(#ident { #(#members: #slots,)* })
                    }
                    fn visit_map<__A: #rt::serde::de::MapAccess<'de>>(
                        self,
                        mut #map: __A,
                    ) -> ::core::result::Result<#ident, __A::Error> {
                        #(#declare)*
                        while let ::core::option::Option::Some(#key) =
                            #rt::serde::de::MapAccess::next_key::<#rt::String>(&mut #map)?
                        {
                            match #key.as_str() {
                                #(#read)*
                                _ => {
                                    #rt::serde::de::MapAccess::next_value::<#rt::serde::de::IgnoredAny>(&mut #map)?;
                                }
                            }
                        }
                        #(#require)*
                        ::core::result::Result::Ok(#ident { #(#members: #slots,)* })
                    }
                }
                #rt::serde::Deserializer::deserialize_struct(
                    #deserializer,
                    #name,
                    &[#(#columns),*],
                    __Visitor,
                )
            }
        }
    }
}

/// Implementations whose bodies panic, for an input that cannot be a schema: they keep the
/// type usable where a schema is expected, so the derive's own error is the only one.
pub fn placeholder(ident: &Ident) -> TokenStream {
    let rt = rt();
    let message = "#[derive(Schema)] failed; see its error";
    let order = order_through_total(ident);
    quote! {
        const _: () = {
            #[automatically_derived]
            impl #rt::Schema for #ident {
                type Key = ();
                const HAS_PRIMARY_KEY: bool = false;
                const PRIMARY_KEY_COLUMNS: &'static [&'static str] = &[];
                const EVENT_TIME_COLUMN: ::core::option::Option<&'static str> = ::core::option::Option::None;
                fn primary_key(&self) -> Self::Key {}
                fn event_time(&self) -> ::core::option::Option<#rt::Timestamp> {
                    ::core::option::Option::None
                }
            }
            #[automatically_derived]
            impl #rt::Field for #ident {
                fn push_columns(_: &str, _: &mut #rt::Vec<#rt::Column>) {}
                fn decode_text(
                    _: &dyn #rt::TextRecord,
                    _: &str,
                ) -> ::core::result::Result<Self, #rt::FieldError> {
                    ::core::unimplemented!(#message)
                }
                fn encode_text(&self, _: &mut #rt::Vec<#rt::String>) {}
                fn decode_json(
                    _: ::core::option::Option<&#rt::JsonValue>,
                    _: &str,
                ) -> ::core::result::Result<Self, #rt::FieldError> {
                    ::core::unimplemented!(#message)
                }
                fn encode_json(&self) -> #rt::JsonValue {
                    ::core::unimplemented!(#message)
                }
            }
            #[automatically_derived]
            impl #rt::TotalOrd for #ident {
                fn total_cmp(&self, _: &Self) -> ::core::cmp::Ordering {
                    ::core::unimplemented!(#message)
                }
                fn total_hash<__H: ::core::hash::Hasher>(&self, _: &mut __H) {}
            }
            #order
            #[automatically_derived]
            impl #rt::serde::Serialize for #ident {
                fn serialize<__S: #rt::serde::Serializer>(
                    &self,
                    _: __S,
                ) -> ::core::result::Result<__S::Ok, __S::Error> {
                    ::core::unimplemented!(#message)
                }
            }
            #[automatically_derived]
            impl<'de> #rt::serde::Deserialize<'de> for #ident {
                fn deserialize<__D: #rt::serde::Deserializer<'de>>(
                    _: __D,
                ) -> ::core::result::Result<Self, __D::Error> {
                    ::core::unimplemented!(#message)
                }
            }
        };
    }
}

/// `#[derive(Schema)]`: parses, checks and expands, returning the implementations and every
/// error found.
pub fn derive(input: &syn::DeriveInput) -> TokenStream {
    let mut errors = crate::errors::Errors::default();
    let parsed = crate::ast::Input::parse(input, &mut errors);
    let generated = match crate::check::check(&parsed, &mut errors) {
        crate::check::Checked::Model(model) => expand(&model),
        crate::check::Checked::Placeholder => placeholder(&input.ident),
        crate::check::Checked::Nothing => TokenStream::new(),
    };
    let errors = errors.to_compile_errors();
    quote!(#errors #generated)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn derived(input: syn::DeriveInput) -> String {
        derive(&input).to_string()
    }

    #[test]
    fn implements_every_trait_through_the_private_module() {
        let out = derived(syn::parse_quote! {
            struct Order {
                #[pathflow(primary_key)]
                id: u64,
                #[pathflow(primary_key)]
                line: u32,
                #[pathflow(event_time)]
                at: Timestamp,
                #[pathflow(default, rename = "labels")]
                tags: Vec<String>,
            }
        });
        for expected in [
            "impl :: pathflow :: __private :: Schema for Order",
            "type Key = (< u64 as :: pathflow :: __private :: KeyColumn > :: Key , < u32 as :: pathflow :: __private :: KeyColumn > :: Key ,)",
            "const PRIMARY_KEY_COLUMNS : & 'static [& 'static str] = & [\"id\" , \"line\"]",
            "Some (\"at\")",
            "event_time :: < Timestamp >",
            "impl :: pathflow :: __private :: Field for Order",
            "< Vec < String > as :: pathflow :: __private :: SchemaColumn > :: decode_text_or_default",
            "impl :: pathflow :: __private :: TotalOrd for Order",
            "impl :: core :: cmp :: Ord for Order",
            "impl :: core :: hash :: Hash for Order",
            "impl :: pathflow :: __private :: serde :: Serialize for Order",
            "impl < 'de > :: pathflow :: __private :: serde :: Deserialize < 'de > for Order",
        ] {
            assert!(out.contains(expected), "missing {expected:?} in {out}");
        }
        assert!(!out.contains("compile_error"), "{out}");
    }

    #[test]
    fn a_schema_without_key_has_the_unit_key() {
        let out = derived(syn::parse_quote!(
            struct Plain {
                value: f64,
            }
        ));
        assert!(out.contains("type Key = ()"), "{out}");
        assert!(out.contains("HAS_PRIMARY_KEY : bool = false"), "{out}");
        assert!(out.contains("EVENT_TIME_COLUMN : :: core :: option :: Option < & 'static str > = :: core :: option :: Option :: None"), "{out}");
    }

    #[test]
    fn errors_come_with_an_expansion() {
        let out = derived(syn::parse_quote! {
            struct Order { #[pathflow(primary_ky)] id: u64 }
        });
        assert!(out.contains("compile_error"), "{out}");
        assert!(
            out.contains("impl :: pathflow :: __private :: Schema for Order"),
            "{out}"
        );
        let out = derived(syn::parse_quote!(
            enum E {
                A,
            }
        ));
        assert!(out.contains("unimplemented"), "{out}");
    }
}
