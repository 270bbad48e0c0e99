//! `idp plugin` for plugin authors: see issue 13.
