//! Configuration under attack (issue 13, finding 9): a misspelt or unknown key is refused
//! naming the key and where it came from, and secrets are never printed.

use std::path::Path;

use api::config::Settings;

fn file(dir: &Path, text: &str) -> std::path::PathBuf {
    let path = dir.join("attaka.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn error_of(result: anyhow::Result<Settings>) -> String {
    format!("{:#}", result.expect_err("refused"))
}

#[test]
fn a_misspelt_key_in_the_file_is_refused_naming_the_key_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(
        dir.path(),
        "[node]\nrole = \"hub\"\n\n[server]\nlisten = \"127.0.0.1:8080\"\ntrusted_proxy = [\"10.0.0.1\"]\n",
    );
    let message = error_of(Settings::load_with_env(Some(&path), Vec::new()));
    assert!(message.contains("server.trusted_proxy"), "{message}");
    assert!(message.contains(&path.display().to_string()), "{message}");
    // An unknown section too.
    let path = file(
        dir.path(),
        "[node]\nrole = \"hub\"\n\n[sevrer]\nlisten = \"0.0.0.0:80\"\n",
    );
    let message = error_of(Settings::load_with_env(Some(&path), Vec::new()));
    assert!(message.contains("sevrer"), "{message}");
}

#[test]
fn a_misspelt_environment_variable_is_refused_naming_it_and_other_variables_are_left_alone() {
    let env = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
    };
    let message = error_of(Settings::load_with_env(
        None,
        env(&[("ATTAKA_AUTH__JWT_SECRETT", "x")]),
    ));
    assert!(message.contains("ATTAKA_AUTH__JWT_SECRETT"), "{message}");
    // Not settings: the config file's path, a test's own variables.
    let ok = Settings::load_with_env(
        None,
        env(&[
            ("ATTAKA_CONFIG", "/etc/attaka.toml"),
            ("ATTAKA_TEST_MSSQL_URL", "sqlserver://x"),
            ("ATTAKA_HUB_DB_PASSWORD", "x"),
            ("ATTAKA_SERVER__LISTEN", "127.0.0.1:9999"),
        ]),
    )
    .expect("valid");
    assert_eq!(ok.server.listen.port(), 9999);
}

#[test]
fn trusted_proxies_must_be_addresses_or_cidr_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(
        dir.path(),
        "[server]\ntrusted_proxies = [\"10.0.0.0/8\", \"::1\", \"192.0.2.7\"]\n",
    );
    let s = Settings::load_with_env(Some(&path), Vec::new()).unwrap();
    assert_eq!(s.server.trusted_proxies.len(), 3);
    let s = Settings::load_with_env(
        None,
        [(
            "ATTAKA_SERVER__TRUSTED_PROXIES".to_owned(),
            "10.0.0.5, 10.1.0.0/16".to_owned(),
        )],
    )
    .unwrap();
    assert_eq!(s.server.trusted_proxies.len(), 2, "a comma-separated variable");
    let path = file(dir.path(), "[server]\ntrusted_proxies = [\"proxy.example\"]\n");
    let message = error_of(Settings::load_with_env(Some(&path), Vec::new()));
    assert!(message.contains("server.trusted_proxies"), "{message}");
}

#[test]
fn secrets_are_never_printed() {
    let secrets = [
        ("ATTAKA_AUTH__JWT_SECRET", "jwt-secret-0123456789abcdef0123456789"),
        ("ATTAKA_SYNC__CREDENTIAL", "ats_supersecretcredential"),
        ("ATTAKA_SYNC__HUB_URL", "https://hub.example"),
        (
            "ATTAKA_MAIL__SMTP_URL",
            "smtps://mailer:hunter2-password@mail.example:465",
        ),
        (
            "ATTAKA_DUPLICATE_HINT__KEY",
            "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
        ),
        ("ATTAKA_NODE__CENTER", "C001"),
    ];
    let s = Settings::load_with_env(None, secrets.iter().map(|(k, v)| (k.to_string(), v.to_string())))
        .expect("valid");
    let printed = format!("{s:?} {s:#?}");
    for (name, value) in secrets
        .iter()
        .filter(|(n, _)| !n.ends_with("HUB_URL") && !n.ends_with("CENTER"))
    {
        assert!(!printed.contains(value), "{name} printed: {printed}");
    }
    assert!(!printed.contains("hunter2"));
    assert!(printed.contains("REDACTED"));
    // The values are still there for the code that needs them.
    assert!(s.sync.is_configured());
    assert!(s.duplicate_hint.keyer().is_some());
}

#[test]
fn the_windows_sample_configuration_is_accepted_as_it_ships() {
    // install.ps1 copies it with the centre filled in; every key in it must be a known one.
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../packaging/windows/attaka.toml");
    let text = std::fs::read_to_string(&sample)
        .unwrap()
        .replace("@CENTER@", "C001");
    let dir = tempfile::tempdir().unwrap();
    let path = file(dir.path(), &text);
    let settings = Settings::load_with_env(Some(&path), Vec::new()).expect("every key known");
    settings.check().expect("consistent");
    assert_eq!(settings.node.center.as_deref(), Some("C001"));
}
