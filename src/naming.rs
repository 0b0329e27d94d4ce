//! Casing and plurals, in one place: how Amplify names generated GraphQL types
//! and fields (its `graphql-transformer-common` helpers), and how hoist names
//! CloudFormation logical ids. Names here are ASCII (GraphQL names and hoist's
//! resource names are), so casing is ASCII casing.

/// `todo` to `Todo`: the first letter upper-cased, the rest kept.
pub fn upper_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// `Todo` to `todo`: the first letter lower-cased, the rest kept.
pub fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// Amplify's `toCamelCase`: the words capitalized and joined, the first letter
/// lowered (`["status", "createdAt"]` gives `statusCreatedAt`).
pub fn camel(words: &[&str]) -> String {
    lower_first(&words.iter().map(|w| upper_first(w)).collect::<String>())
}

/// A name as a CloudFormation logical id part: the runs of letters and digits,
/// each capitalized, joined (`user-files` gives `UserFiles`).
pub fn pascal(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(upper_first)
        .collect()
}

/// A camelCase or PascalCase name in lower-case words joined by `sep`:
/// `chargeCard` gives `charge-card` (npm package names) or `charge_card`
/// (Rust crate names).
pub fn words_joined(name: &str, sep: char) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push(sep);
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// A model name's plural, as Amplify makes list fields and index query
/// names (`Todo` gives `listTodos`, `Person` `listPeople`): the rules of the
/// npm `pluralize` library it uses, through their Rust port `pluralizer`,
/// and, as `pluralize` keeps the case of what its rule matched, a name
/// ending in a capital gets a capital ending (`UserMFA` gives `UserMFAS`).
pub fn plural(word: &str) -> String {
    // where the crate follows pluralize's later rules, not its npm release
    // 8.0.0 (the one Amplify installs), npm's answer
    const NPM_8: [(&str, &str); 4] = [
        ("canvas", "canvas"),
        ("my", "mies"),
        ("its", "its"),
        ("our", "ours"),
    ];
    if let Some((_, plural)) = NPM_8.iter().find(|(w, _)| word.eq_ignore_ascii_case(w)) {
        return if word.starts_with(|c: char| c.is_ascii_uppercase()) {
            upper_first(plural)
        } else {
            plural.to_string()
        };
    }
    let plural = pluralizer::pluralize(word, 2, false);
    match plural.strip_prefix(word) {
        Some(suffix)
            if !suffix.is_empty()
                && word.chars().last().is_some_and(|c| c.is_ascii_uppercase()) =>
        {
            format!("{word}{}", suffix.to_ascii_uppercase())
        }
        _ => plural,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casing_and_plurals() {
        assert_eq!(pascal("main"), "Main");
        assert_eq!(pascal("user-files"), "UserFiles");
        assert_eq!(pascal("Admins"), "Admins");
        assert_eq!(camel(&["status", "createdAt"]), "statusCreatedAt");
        assert_eq!(upper_first("todo"), "Todo");
        assert_eq!(lower_first("Todo"), "todo");
        assert_eq!(plural("Todo"), "Todos");
        assert_eq!(plural("Category"), "Categories");
        assert_eq!(plural("Day"), "Days");
        assert_eq!(plural("PostTags"), "PostTags");
        assert_eq!(plural("Box"), "Boxes");
        assert_eq!(plural("Status"), "Statuses");
        // the npm `pluralize` library's rules, which Amplify uses
        assert_eq!(plural("Person"), "People");
        assert_eq!(plural("Child"), "Children");
        assert_eq!(plural("Datum"), "Data");
        assert_eq!(plural("Equipment"), "Equipment");
        assert_eq!(plural("IAM"), "IAM");
        assert_eq!(plural("UserMFA"), "UserMFAS");
        assert_eq!(plural("OCRRecord"), "OCRRecords");
        assert_eq!(plural("Canvas"), "Canvas");
        assert_eq!(plural("Our"), "Ours");
    }
}
