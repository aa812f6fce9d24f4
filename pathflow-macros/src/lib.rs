//! Procedural macros for pathflow. Use them through `pathflow` (`pathflow::Schema`,
//! `pathflow::pipeline!`, or `pathflow::prelude::*`), not from this crate.

mod ast;
mod check;
mod errors;
mod expand;

use proc_macro::TokenStream;

/// Makes a struct a row type.
#[proc_macro_derive(Schema, attributes(pathflow))]
pub fn derive_schema(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    expand::derive(&input).into()
}
