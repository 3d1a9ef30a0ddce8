//! The mall's categories as the merchant names and orders them. An item's `category` is a code
//! (`beans`); the programme's list gives each code its names in Chinese and English and puts
//! the codes in the order the member centre shows them as chips. An item whose code is not in
//! the list still works: it is shown by its code until the merchant names it.

use jifen_domain::mall::{CATEGORY_CODE_MAX, category_code_ok};
use jifen_ledger::Millis;
use jifen_store::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{AppError, ProgramCtx};

/// The most categories a programme may name.
pub const CATEGORIES_MAX: usize = 50;
/// The longest name of a category, in characters.
pub const CATEGORY_NAME_MAX: usize = 20;

/// A category: the code items name, with its names in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MallCategory {
    /// The code items carry in their `category` (1 to 32 of A-Z, a-z, 0-9, `_`, `-`, `.`),
    /// unique in the list.
    pub code: String,
    /// The name on Chinese pages (1 to 20 characters, one line).
    pub name_zh: String,
    /// The name on English pages (1 to 20 characters, one line).
    pub name_en: String,
}

impl MallCategory {
    /// The name in English when `english`, else in Chinese.
    pub fn name(&self, english: bool) -> &str {
        if english {
            &self.name_en
        } else {
            &self.name_zh
        }
    }
}

/// The programme's categories in the merchant's order: the order of the member centre's chips.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MallCategories {
    /// At most 50, in the order they are shown; empty when none are named.
    pub categories: Vec<MallCategory>,
}

impl MallCategories {
    /// The category of this code, if the merchant named it.
    pub fn get(&self, code: &str) -> Option<&MallCategory> {
        self.categories.iter().find(|c| c.code == code)
    }

    /// What a page shows for an item's category: its name in the page's language, or the code
    /// itself when the merchant has not named it.
    pub fn label<'a>(&'a self, code: &'a str, english: bool) -> &'a str {
        self.get(code).map_or(code, |c| c.name(english))
    }

    /// The list with its names trimmed, as it is checked and kept. Codes are kept as given: a
    /// code with a space is refused, as the document's pattern says.
    pub fn trimmed(&self) -> MallCategories {
        MallCategories {
            categories: self
                .categories
                .iter()
                .map(|c| MallCategory {
                    code: c.code.clone(),
                    name_zh: c.name_zh.trim().to_string(),
                    name_en: c.name_en.trim().to_string(),
                })
                .collect(),
        }
    }
}

/// What is wrong with a list of categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CategoryProblem {
    /// More than [`CATEGORIES_MAX`].
    TooMany,
    /// Not 1 to 32 of the characters a code may have.
    BadCode,
    /// A code that an earlier category already has.
    Twice,
    /// A name left blank.
    NameMissing,
    /// A name longer than [`CATEGORY_NAME_MAX`].
    NameTooLong,
    /// A name with a line break or another control character.
    NameNotOneLine,
}

/// A problem with the category at `index` (none for the list as a whole) in its field
/// (`code`, `name_zh` or `name_en`), with words in both languages: the console shows them next
/// to the field, the API answers the English with the field's path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CategoryError {
    pub index: Option<usize>,
    pub field: &'static str,
    pub problem: CategoryProblem,
}

impl CategoryError {
    /// The field's path in the request: `categories`, `categories[2].name_zh`.
    pub fn path(&self) -> String {
        match self.index {
            Some(i) => format!("categories[{i}].{}", self.field),
            None => "categories".to_string(),
        }
    }

    /// The problem in words, in English when `en`.
    pub fn text(&self, en: bool) -> String {
        let (zh, en_text) = match self.problem {
            CategoryProblem::TooMany => (
                format!("最多 {CATEGORIES_MAX} 个分类"),
                format!("at most {CATEGORIES_MAX} categories"),
            ),
            CategoryProblem::BadCode => (
                format!("须为 1 到 {CATEGORY_CODE_MAX} 个字母、数字或 _ - ."),
                format!("must be 1 to {CATEGORY_CODE_MAX} letters, digits or _ - ."),
            ),
            CategoryProblem::Twice => (
                "这个代码已用于上面的分类".to_string(),
                "is already the code of a category above".to_string(),
            ),
            CategoryProblem::NameMissing => {
                ("请填写名称".to_string(), "must not be empty".to_string())
            }
            CategoryProblem::NameTooLong => (
                format!("最多 {CATEGORY_NAME_MAX} 个字符"),
                format!("must be at most {CATEGORY_NAME_MAX} characters"),
            ),
            CategoryProblem::NameNotOneLine => (
                "须在一行内，不能换行".to_string(),
                "must be on one line".to_string(),
            ),
        };
        if en { en_text } else { zh }
    }
}

/// Checks a list as it is kept (see [`MallCategories::trimmed`]): the first problem, if any.
pub fn check_categories(list: &MallCategories) -> Result<(), CategoryError> {
    let all = &list.categories;
    if all.len() > CATEGORIES_MAX {
        return Err(CategoryError {
            index: None,
            field: "categories",
            problem: CategoryProblem::TooMany,
        });
    }
    let bad = |index, field, problem| {
        Err(CategoryError {
            index: Some(index),
            field,
            problem,
        })
    };
    for (i, c) in all.iter().enumerate() {
        if !category_code_ok(&c.code) {
            return bad(i, "code", CategoryProblem::BadCode);
        }
        if all[..i].iter().any(|o| o.code == c.code) {
            return bad(i, "code", CategoryProblem::Twice);
        }
        for (field, name) in [("name_zh", &c.name_zh), ("name_en", &c.name_en)] {
            if let Some(p) = name_problem(name) {
                return bad(i, field, p);
            }
        }
    }
    Ok(())
}

fn name_problem(name: &str) -> Option<CategoryProblem> {
    if name.trim().is_empty() {
        Some(CategoryProblem::NameMissing)
    } else if name.chars().any(char::is_control) {
        Some(CategoryProblem::NameNotOneLine)
    } else if name.chars().count() > CATEGORY_NAME_MAX {
        Some(CategoryProblem::NameTooLong)
    } else {
        None
    }
}

/// The programme's categories in the merchant's order (none when never set).
pub fn categories(tx: &mut Tx<'_>, ctx: &ProgramCtx) -> Result<MallCategories, AppError> {
    Ok(MallCategories {
        categories: tx
            .mall_categories(ctx.program.id)?
            .into_iter()
            .map(|(code, name_zh, name_en)| MallCategory {
                code,
                name_zh,
                name_en,
            })
            .collect(),
    })
}

/// Replaces the programme's categories with `list` (names trimmed), in `actor`'s name, audited
/// as `mall_categories.update` with the list before and after. Items keep their codes: an item
/// whose code leaves the list is shown by its code.
pub fn put_categories(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    actor: &str,
    list: &MallCategories,
) -> Result<MallCategories, AppError> {
    let list = list.trimmed();
    check_categories(&list).map_err(|e| AppError::invalid(e.path(), e.text(true)))?;
    let before = categories(tx, ctx)?;
    let rows: Vec<(&str, &str, &str)> = list
        .categories
        .iter()
        .map(|c| (c.code.as_str(), c.name_zh.as_str(), c.name_en.as_str()))
        .collect();
    tx.put_mall_categories(ctx.program.id, &rows, now)?;
    let text = |v: &MallCategories| serde_json::to_string(v).expect("categories serialize");
    tx.audit(
        ctx.program.id,
        actor,
        "mall_categories.update",
        &format!("program:{}", ctx.program.id),
        Some(&text(&before)),
        Some(&text(&list)),
        now,
    )?;
    Ok(list)
}
