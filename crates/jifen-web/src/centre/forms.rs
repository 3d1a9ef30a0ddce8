//! What the centre's forms share, for the macros of `templates/centre/forms.html` (the
//! centre's one form helper): the form's key (a double submit counts once; empty on forms
//! without one) and its errors, each next to its field (`form` for the form as a whole), in
//! the page's language. The centre's link is its credential, so its forms carry no CSRF token;
//! and a form there may show several fields' errors at once (the shipping address).

use std::collections::BTreeMap;

pub(crate) type FieldErrors = BTreeMap<&'static str, String>;

#[derive(Default)]
pub(crate) struct CentreForm {
    pub key: String,
    pub errors: FieldErrors,
}

impl CentreForm {
    /// A form with its key and, when there is one, an error about the whole form.
    pub(crate) fn with_error(key: &str, error: Option<String>) -> CentreForm {
        CentreForm {
            key: key.to_string(),
            errors: error.into_iter().map(|e| ("form", e)).collect(),
        }
    }

    /// The error's message, when there is one about field `name`.
    pub(crate) fn error_for(&self, name: &str) -> Option<&str> {
        self.errors.get(name).map(String::as_str)
    }

    pub(crate) fn invalid(&self, name: &str) -> bool {
        self.errors.contains_key(name)
    }
}
