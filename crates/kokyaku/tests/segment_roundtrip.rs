//! text -> AST -> JSON -> AST -> text is the identity (proptest over generated rules), and the
//! parser never panics on arbitrary text.

use chrono::NaiveDate;
use kokyaku::segment::{CmpOp, DateUnit, Func, NamedDate, RelDate, Rule, Scope, Term, parse};
use proptest::prelude::*;

fn field() -> impl Strategy<Value = Term> {
    prop_oneof![
        Just("orders".to_owned()),
        Just("gross".to_owned()),
        Just("rfm.segment".to_owned()),
        "[a-z_][a-z0-9_]{0,8}".prop_filter("not a keyword", |s| ![
            "and",
            "or",
            "not",
            "between",
            "in",
            "is",
            "null",
            "contains",
            "starts_with",
            "any",
            "all",
            "count",
            "true",
            "false",
            "today",
            "as_of"
        ]
        .contains(&s.as_str())),
        "attr\\.[\\p{L}_][\\p{L}0-9_ ]{0,6}",
        Just("`and`".replace('`', "")),
    ]
    .prop_map(Term::Field)
}

fn value() -> impl Strategy<Value = Term> {
    prop_oneof![
        (-1.0e6f64..1.0e6).prop_map(Term::Number),
        (0u32..100_000).prop_map(|n| Term::Number(f64::from(n))),
        "\\PC{0,8}".prop_map(Term::Text),
        "[\"\\\\\\n\\t\\u{1}a-z]{0,6}".prop_map(Term::Text),
        any::<bool>().prop_map(Term::Bool),
        (1900i32..2100, 1u32..13, 1u32..29)
            .prop_map(|(y, m, d)| Term::Date(NaiveDate::from_ymd_opt(y, m, d).unwrap())),
        (-500i32..500, 0usize..4).prop_map(|(n, u)| Term::Relative(RelDate {
            amount: n,
            unit: [
                DateUnit::Day,
                DateUnit::Week,
                DateUnit::Month,
                DateUnit::Year
            ][u]
        })),
        prop_oneof![Just(NamedDate::Today), Just(NamedDate::AsOf)].prop_map(Term::Named),
        (
            prop_oneof![
                Just(Func::Month),
                Just(Func::Year),
                Just(Func::Day),
                Just(Func::Anniversary)
            ],
            field()
        )
            .prop_map(|(func, f)| Term::Call {
                func,
                arg: Box::new(f)
            }),
    ]
}

fn term() -> impl Strategy<Value = Term> {
    prop_oneof![field(), value()]
}

fn cmp() -> impl Strategy<Value = CmpOp> {
    prop_oneof![
        Just(CmpOp::Eq),
        Just(CmpOp::Ne),
        Just(CmpOp::Lt),
        Just(CmpOp::Le),
        Just(CmpOp::Gt),
        Just(CmpOp::Ge)
    ]
}

fn scope() -> impl Strategy<Value = Scope> {
    prop_oneof![
        Just(Scope::Order),
        Just(Scope::Line),
        Just(Scope::Subscription)
    ]
}

fn leaf() -> impl Strategy<Value = Rule> {
    prop_oneof![
        (term(), cmp(), term()).prop_map(|(left, cmp, right)| Rule::Compare { left, cmp, right }),
        (term(), term(), term()).prop_map(|(term, low, high)| Rule::Between { term, low, high }),
        (term(), prop::collection::vec(term(), 1..4), any::<bool>()).prop_map(
            |(term, values, negated)| Rule::In {
                term,
                values,
                negated
            }
        ),
        (term(), any::<bool>()).prop_map(|(term, negated)| Rule::IsNull { term, negated }),
        (term(), term()).prop_map(|(term, value)| Rule::Contains { term, value }),
        (term(), term()).prop_map(|(term, value)| Rule::StartsWith { term, value }),
        field().prop_map(|term| Rule::Is { term }),
    ]
}

fn rule() -> impl Strategy<Value = Rule> {
    leaf().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(|rules| Rule::And { rules }),
            prop::collection::vec(inner.clone(), 2..4).prop_map(|rules| Rule::Or { rules }),
            inner.clone().prop_map(|r| Rule::Not { rule: Box::new(r) }),
            (scope(), inner.clone()).prop_map(|(scope, r)| Rule::Any {
                scope,
                rule: Box::new(r)
            }),
            (scope(), inner.clone()).prop_map(|(scope, r)| Rule::All {
                scope,
                rule: Box::new(r)
            }),
            (scope(), inner, cmp(), 0u32..50).prop_map(|(scope, r, cmp, n)| Rule::Count {
                scope,
                rule: Box::new(r),
                cmp,
                n
            }),
        ]
    })
}

/// Runs a property in a thread with a large stack: proptest's strategy trees for recursive
/// rules are deep in debug builds (the rules themselves are at most a few levels deep).
fn big_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn text_ast_json_ast_text_is_the_identity() {
    big_stack(|| {
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(2000));
        runner
            .run(&rule(), |r| {
                let text = r.to_string();
                let ast = parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
                prop_assert_eq!(&ast, &r, "text: {}", text);
                let json = ast.to_json().unwrap();
                let back: Rule = serde_json::from_str(&json).unwrap();
                prop_assert_eq!(&back, &ast, "json: {}", json);
                prop_assert_eq!(back.to_string(), text);
                Ok(())
            })
            .unwrap();
    });
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_parser_never_panics(s in "\\PC{0,40}") {
        let _ = parse(&s);
    }

    #[test]
    fn the_parser_never_panics_on_rule_like_text(s in "[a-z_ ().,=<>!\"`0-9+-]{0,40}") {
        let _ = parse(&s);
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    for depth in [40usize, 47, 49, 250, 10_000] {
        let text = format!("{}orders >= 1{}", "(".repeat(depth), ")".repeat(depth));
        let r = parse(&text);
        if depth < 46 {
            assert!(r.is_ok(), "{depth}");
        } else if depth > 48 {
            assert!(r.unwrap_err().message.contains("nested too deeply"));
        }
        let nots = format!("{}orders >= 1", "not ".repeat(depth));
        let _ = parse(&nots);
        let calls = format!("{}as_of{} = 1", "month(".repeat(depth), ")".repeat(depth));
        let _ = parse(&calls);
    }
}

/// Fuzzer crash (fuzz/artifacts): a four-digit number and a dash followed by multi-byte text
/// sliced a string inside a character.
#[test]
fn a_date_like_number_before_multibyte_text_is_an_error_not_a_panic() {
    let e = parse("attr.peen 1012- = \"東京都\"").unwrap_err();
    assert_eq!(e.code(), "rule_syntax");
}
