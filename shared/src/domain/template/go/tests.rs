use super::*;
use crate::domain::template::{MessageTemplate, RenderExtras, Syntax, TemplateOptions};
use crate::infra::config::TemplateSyntax;
use std::path::PathBuf;

/// The ack link and wait the Go reference program (tests/golden/gotemplate/main.go) puts in every payload.
const GOLDEN_ACK_URL: &str = "https://versus.example.com/ack/inc-1?sig=abc&exp=1";
const GOLDEN_WAIT_MS: i64 = 5 * 60_000;

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/golden/gotemplate")
}

fn render(source: &str, json: &str) -> String {
    let t = GoTemplate::compile(source, Env::default()).unwrap_or_else(|e| panic!("{e:?}"));
    let data = Val::from_payload(&serde_json::from_str(json).unwrap());
    crate::domain::mrkdwn::marked::seal(&t.render(data).unwrap())
}

fn compile_error(source: &str) -> SyntaxError {
    GoTemplate::compile(source, Env::default()).unwrap_err()
}

fn sorted_files(dir: &str, ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(golden_dir().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    files.sort();
    files
}

/// Every template of the corpus, rendered for every payload, is byte for byte what Go's text/template wrote with
/// the reference function map (only `<no value>` is read as empty).
#[test]
fn golden_corpus_matches_go_text_template() {
    let options = TemplateOptions {
        syntax: TemplateSyntax::Auto,
        allowed_env: Vec::new(),
    };
    let mut compared = 0;
    for template_path in sorted_files("templates", "tmpl") {
        let source = std::fs::read_to_string(&template_path).unwrap();
        let stem = template_path
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .to_string();
        let template = MessageTemplate::from_source_with(&stem, source, &options)
            .unwrap_or_else(|e| panic!("{}", e.report()));
        assert_eq!(
            template.syntax(),
            Syntax::Go,
            "{stem} must be detected as Go"
        );
        for payload_path in sorted_files("payloads", "json") {
            let payload: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&payload_path).unwrap()).unwrap();
            let payload_stem = payload_path
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .to_string();
            let golden = golden_dir()
                .join("golden")
                .join(format!("{stem}__{payload_stem}.txt"));
            let expected = std::fs::read_to_string(&golden)
                .unwrap_or_else(|e| panic!("{}: {e}", golden.display()))
                .replace("<no value>", "");
            let rendered = template
                .render(
                    &payload,
                    RenderExtras::oncall(GOLDEN_ACK_URL, GOLDEN_WAIT_MS),
                )
                .unwrap_or_else(|e| panic!("{stem} x {payload_stem}: {}", e.report()));
            if rendered != expected {
                let line = rendered
                    .lines()
                    .zip(expected.lines())
                    .position(|(a, b)| a != b)
                    .unwrap_or(0);
                panic!(
                    "{stem} x {payload_stem} differs from Go at line {}:\n ours: {:?}\n   go: {:?}",
                    line + 1,
                    rendered.lines().nth(line),
                    expected.lines().nth(line)
                );
            }
            compared += 1;
        }
    }
    assert!(compared >= 15, "only {compared} golden files compared");
}

#[test]
fn payload_values_are_escaped_and_marked_but_compare_as_text() {
    assert_eq!(
        render(
            "{{ .a | upper }}-{{ .missing.b }}-{{ if eq .n 1 }}one{{ end }}",
            r#"{"a":"x&y","n":1.0}"#
        ),
        "X&amp;Y--one"
    );
    // A value inside the template's own link syntax cannot end the target or turn it into a mention.
    assert_eq!(
        render("<{{ .u }}|{{ .t }}>", r#"{"u":"!channel|x","t":"a|b"}"#),
        "<%21channel%7Cx|a∣b>"
    );
    assert_eq!(
        render("{{ .t }}", r#"{"t":"<!channel>"}"#),
        "&lt;!channel&gt;"
    );
}

#[test]
fn link_syntax_printed_around_a_payload_value_is_shown_as_text() {
    let hostile = r#"{"u":"!channel","v":"https://evil.example|Click here to acknowledge","n":60}"#;
    for template in [
        r#"{{ printf "<%s|Open>" .u }}"#,
        r#"{{ print "<" .u "|Open>" }}"#,
    ] {
        let out = render(template, hostile);
        assert!(!out.contains('<'), "{template} gave {out}");
    }
    // A `<` made from a payload number still cannot turn the value after it into a mention.
    let out = render(r#"{{ printf "%c" .n }}{{ printf "%s" .u }}"#, hostile);
    assert!(!out.contains("<!"), "{out}");
    assert_eq!(
        render(r#"{{ printf "<%s|Open>" .v }}"#, hostile),
        "&lt;https://evil.example|Click here to acknowledge|Open&gt;"
    );
    // Template text alone is not payload: its own links print as they are.
    assert_eq!(
        render(r#"{{ printf "<%s|Open>" "https://ok.example" }}"#, "{}"),
        "<https://ok.example|Open>"
    );
}

#[test]
fn piped_value_goes_last_for_versus_helpers() {
    assert_eq!(render(r#"{{ .x | default "n/a" }}"#, "{}"), "n/a");
    assert_eq!(
        render(r#"{{ .x | default "n/a" }}"#, r#"{"x":"set"}"#),
        "set"
    );
    assert_eq!(
        render(r#"{{ .Logs | replace "a" "b" }}"#, r#"{"Logs":"banana"}"#),
        "bbnbnb"
    );
}

#[test]
fn syntax_errors_carry_the_offset_of_the_mistake() {
    let source = "ok\n{{ if .a }}x";
    let err = compile_error(source);
    assert_eq!(err.at, 3, "{err:?}");
    assert!(compile_error("{{ nosuch .a }}")
        .message
        .contains("\"nosuch\" not defined"));
    assert!(compile_error("{{ template \"nope\" }}")
        .message
        .contains("no such template"));
    assert!(compile_error("{{ .a ").message.contains("unclosed"));
    assert!(compile_error("{{ end }}").message.contains("unexpected"));
    assert!(compile_error("{{ break }}").message.contains("outside"));
    let err =
        MessageTemplate::from_source("t.tmpl", "line\n  {{ .a | nosuch }}".into()).unwrap_err();
    assert_eq!((err.line(), err.column()), (Some(2), Some(11)), "{err}");
}

#[test]
fn env_reads_only_listed_variables() {
    std::env::set_var("VERSUS_TEST_TEMPLATE_ENV", "prod");
    let allowed = Env {
        allowed_env: vec!["VERSUS_TEST_TEMPLATE_ENV".into()],
    };
    let t = GoTemplate::compile(r#"{{ env "VERSUS_TEST_TEMPLATE_ENV" }}"#, allowed).unwrap();
    assert_eq!(t.render(Val::Null).unwrap(), "prod");
    let t = GoTemplate::compile(r#"{{ env "VERSUS_TEST_TEMPLATE_ENV" }}"#, Env::default()).unwrap();
    assert!(t
        .render(Val::Null)
        .unwrap_err()
        .message
        .contains("not allowed"));
}

#[test]
fn runaway_templates_stop() {
    let t = GoTemplate::compile(
        r#"{{ define "a" }}{{ template "a" . }}{{ end }}{{ template "a" . }}"#,
        Env::default(),
    )
    .unwrap();
    assert!(t.render(Val::Null).unwrap_err().message.contains("deeply"));
    let t = GoTemplate::compile(
        "{{ range 100000 }}{{ range 100000 }}{{ end }}{{ end }}",
        Env::default(),
    )
    .unwrap();
    assert!(t
        .render(Val::Null)
        .unwrap_err()
        .message
        .contains("too much work"));
}
