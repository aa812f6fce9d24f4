//! Collects every error a macro finds, so the user sees all of them at once.

use std::fmt::Display;

use proc_macro2::{Span, TokenStream};

/// The errors found so far, combined into one `syn::Error` as they come.
#[derive(Default)]
pub struct Errors {
    combined: Option<syn::Error>,
}

impl Errors {
    /// Records an error at `span`.
    pub fn at(&mut self, span: Span, message: impl Display) {
        self.push(syn::Error::new(span, message));
    }

    /// Records an error, keeping the ones already found.
    pub fn push(&mut self, error: syn::Error) {
        match &mut self.combined {
            Some(combined) => combined.combine(error),
            None => self.combined = Some(error),
        }
    }

    /// How many errors were recorded.
    pub fn count(&self) -> usize {
        self.combined.as_ref().map_or(0, |e| e.into_iter().count())
    }

    /// The errors as `compile_error!` invocations (empty when there are none).
    pub fn to_compile_errors(&self) -> TokenStream {
        self.combined
            .as_ref()
            .map(syn::Error::to_compile_error)
            .unwrap_or_default()
    }
}

/// The candidate `word` most likely stands for: one it begins, or the closest by edit
/// distance if that is close enough to be a typo.
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    if word.len() >= 3 {
        if let Some(c) = candidates.iter().find(|c| c.starts_with(word)) {
            return Some(c);
        }
    }
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance between two strings, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != *cb);
            current.push(substitute.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_words_only() {
        let keys = ["primary_key", "event_time", "rename", "default"];
        assert_eq!(did_you_mean("primary", &keys), Some("primary_key"));
        assert_eq!(did_you_mean("primarykey", &keys), Some("primary_key"));
        assert_eq!(did_you_mean("defualt", &keys), Some("default"));
        assert_eq!(did_you_mean("xyz", &keys), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn combines_errors() {
        let mut errors = Errors::default();
        assert!(errors.to_compile_errors().is_empty());
        errors.at(Span::call_site(), "first");
        errors.at(Span::call_site(), "second");
        assert_eq!(errors.count(), 2);
        let text = errors.to_compile_errors().to_string();
        assert!(text.contains("first") && text.contains("second"), "{text}");
    }
}
