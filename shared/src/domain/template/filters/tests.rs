use super::*;
use minijinja::{context, ErrorKind, UndefinedBehavior, Value};

fn env() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    register(&mut env);
    env
}

fn render(source: &str, ctx: Value) -> String {
    env().render_str(source, ctx).unwrap()
}

#[test]
fn documented_builtins_are_registered() {
    let env = env();
    for name in DOCUMENTED_BUILTINS
        .iter()
        .chain(VERSUS_FILTERS)
        .chain(OTHER_BUILTINS)
    {
        let probe = format!("{{{{ x | {name} }}}}");
        if let Err(err) = env.render_str(&probe, context! {}) {
            assert_ne!(
                err.kind(),
                ErrorKind::UnknownFilter,
                "filter {name} is not registered"
            );
        }
    }
}

#[test]
fn builtin_filters_behave_as_documented() {
    let ctx = context! { s => "disk Full", items => vec!["a", "b", "c"], empty => "", obj => context! { k => 1 } };
    assert_eq!(render("{{ s | upper }}", ctx.clone()), "DISK FULL");
    assert_eq!(render("{{ s | lower }}", ctx.clone()), "disk full");
    assert_eq!(render("{{ s | title }}", ctx.clone()), "Disk Full");
    assert_eq!(render("{{ missing | default('n/a') }}", ctx.clone()), "n/a");
    assert_eq!(
        render("{{ empty | default('n/a', true) }}", ctx.clone()),
        "n/a"
    );
    assert_eq!(render("{{ s | default('n/a') }}", ctx.clone()), "disk Full");
    assert_eq!(render("{{ items | join(', ') }}", ctx.clone()), "a, b, c");
    assert_eq!(render("{{ obj | tojson }}", ctx.clone()), r#"{"k": 1}"#);
    assert_eq!(render("{{ missing.deeper | upper }}", ctx), "");
}

#[test]
fn date_with_go_layouts() {
    let ctx = context! { t => "2024-01-02T15:04:05.123456789Z" };
    assert_eq!(
        render(
            r#"{{ t | date("Jan 02, 2006 15:04:05 MST") }}"#,
            ctx.clone()
        ),
        "Jan 02, 2024 15:04:05 UTC"
    );
    assert_eq!(
        render(
            r#"{{ t | date("2006-01-02T15:04:05Z07:00") }}"#,
            ctx.clone()
        ),
        "2024-01-02T15:04:05Z"
    );
    assert_eq!(
        render(r#"{{ t | date("15:04:05.000") }}"#, ctx.clone()),
        "15:04:05.123"
    );
    assert_eq!(
        render(r#"{{ t | date("15:04:05.000000") }}"#, ctx.clone()),
        "15:04:05.123456"
    );
    assert_eq!(
        render(r#"{{ t | date("15:04:05.000000000") }}"#, ctx.clone()),
        "15:04:05.123456789"
    );
    assert_eq!(
        render(r#"{{ t | date("Mon Jan _2 3:04PM") }}"#, ctx),
        "Tue Jan  2 3:04PM"
    );
}

#[test]
fn date_with_strftime() {
    let ctx = context! { t => "2024-01-02T15:04:05+02:00" };
    assert_eq!(
        render(r#"{{ t | date("%Y-%m-%d %H:%M") }}"#, ctx.clone()),
        "2024-01-02 15:04"
    );
    assert_eq!(
        render(r#"{{ t | date("%d/%m %H:%M %z") }}"#, ctx.clone()),
        "02/01 15:04 +0200"
    );
    let err = env()
        .render_str(r#"{{ t | date("%Q") }}"#, ctx)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidOperation);
    assert!(err.to_string().contains("strftime"), "{err}");
}

#[test]
fn date_default_layout_is_rfc3339() {
    let ctx = context! { t => "2024-01-02T15:04:05.5+05:30", n => 1_704_207_845 };
    assert_eq!(
        render("{{ t | date }}", ctx.clone()),
        "2024-01-02T15:04:05+05:30"
    );
    assert_eq!(render("{{ n | date }}", ctx), "2024-01-02T15:04:05Z");
}

#[test]
fn date_accepts_unix_seconds_and_milliseconds() {
    let ctx = context! { secs => 1_704_207_845, float => 1_704_207_845.25_f64, millis => 1_704_207_845_250_i64, text => "1704207845" };
    let layout = r#"date("2006-01-02 15:04:05.000 MST")"#;
    assert_eq!(
        render(&format!("{{{{ secs | {layout} }}}}"), ctx.clone()),
        "2024-01-02 15:04:05.000 UTC"
    );
    assert_eq!(
        render(&format!("{{{{ float | {layout} }}}}"), ctx.clone()),
        "2024-01-02 15:04:05.250 UTC"
    );
    assert_eq!(
        render(&format!("{{{{ millis | {layout} }}}}"), ctx.clone()),
        "2024-01-02 15:04:05.250 UTC"
    );
    assert_eq!(
        render(&format!("{{{{ text | {layout} }}}}"), ctx),
        "2024-01-02 15:04:05.000 UTC"
    );
}

#[test]
fn date_missing_or_unparseable_values_never_fail() {
    let ctx =
        context! { bad => "yesterday-ish", none => Value::from(()), list => vec![1, 2], b => true };
    assert_eq!(render(r#"{{ missing | date("Jan 02") }}"#, ctx.clone()), "");
    assert_eq!(render(r#"{{ missing.deeper | date }}"#, ctx.clone()), "");
    assert_eq!(render(r#"{{ none | date }}"#, ctx.clone()), "");
    assert_eq!(
        render(r#"{{ bad | date("Jan 02") }}"#, ctx.clone()),
        "yesterday-ish"
    );
    assert_eq!(render(r#"{{ list | date }}"#, ctx.clone()), "[1, 2]");
    assert_eq!(
        render(r#"{{ b | date }}"#, ctx.clone()),
        render("{{ b }}", ctx)
    );
}

#[test]
fn date_other_input_forms() {
    let layout = r#"date("2006-01-02 15:04:05 -07:00")"#;
    for (input, want) in [
        ("2024-01-02 15:04:05", "2024-01-02 15:04:05 +00:00"),
        ("2024-01-02T15:04:05", "2024-01-02 15:04:05 +00:00"),
        (
            "2024-01-02 15:04:05.999+01:00",
            "2024-01-02 15:04:05 +01:00",
        ),
        (
            "Tue, 02 Jan 2024 15:04:05 -0300",
            "2024-01-02 15:04:05 -03:00",
        ),
        ("0001-01-01T00:00:00Z", "0001-01-01 00:00:00 +00:00"),
    ] {
        assert_eq!(
            render(&format!("{{{{ t | {layout} }}}}"), context! { t => input }),
            want,
            "{input}"
        );
    }
}

#[test]
fn date_zone_argument() {
    let ctx = context! { t => "2024-01-02T15:04:05Z" };
    assert_eq!(
        render(r#"{{ t | date("15:04 -07:00", "+02:00") }}"#, ctx.clone()),
        "17:04 +02:00"
    );
    assert_eq!(
        render(r#"{{ t | date("15:04 MST", "-0530") }}"#, ctx.clone()),
        "09:34 -0530"
    );
    assert_eq!(
        render(r#"{{ t | date("15:04 MST", "UTC") }}"#, ctx.clone()),
        "15:04 UTC"
    );
    assert!(!render(r#"{{ t | date("15:04", "Local") }}"#, ctx.clone()).is_empty());
    let err = env()
        .render_str(r#"{{ t | date("15:04", "Mars/Olympus") }}"#, ctx)
        .unwrap_err();
    assert!(err.to_string().contains("unknown time zone"), "{err}");
}

#[test]
fn slack_escape_escapes_markup() {
    let ctx = context! { s => "<!channel> a & b > c" };
    let sealed = |source: &str, ctx| crate::domain::mrkdwn::marked::seal(&render(source, ctx));
    assert_eq!(
        sealed("{{ s | slack_escape }}", ctx),
        "&lt;!channel&gt; a &amp; b &gt; c"
    );
    assert_eq!(sealed("{{ missing | slack_escape }}", context! {}), "");
}
