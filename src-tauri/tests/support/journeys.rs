//! Steps several real-window tests take the same way: creating a vault and proving the
//! recovery secret was noted.

use super::webdriver::Session;

/// Types the two groups of `secret` the check screen asks for, and goes on.
pub async fn type_back_recovery_groups(s: &Session, secret: &str) {
    let groups: Vec<&str> = secret.split('-').collect();
    let positions = s
        .eval("return [...document.querySelectorAll('input[data-position]')].map(i => Number(i.dataset.position));")
        .await;
    let positions: Vec<usize> = positions.as_array().unwrap().iter().map(|p| p.as_u64().unwrap() as usize).collect();
    assert_eq!(positions.len(), 2);
    for p in positions {
        s.type_into(&format!("input[data-position='{p}']"), &groups[p - 1].to_lowercase()).await;
    }
    s.click("#recovery-check").await;
}

/// Creates a vault with `passphrase` on the welcome screen; returns the recovery secret shown
/// (on screen now, not yet confirmed as noted).
pub async fn create_vault(s: &Session, passphrase: &str) -> String {
    s.type_into("#new-passphrase", passphrase).await;
    s.type_into("#new-passphrase-repeat", passphrase).await;
    s.click("#create-vault").await;
    s.text("#recovery-secret").await
}

/// Says the recovery secret shown is noted, and proves it by typing two of its groups back.
pub async fn confirm_recovery_noted(s: &Session, secret: &str) {
    s.click("#recovery-noted").await;
    type_back_recovery_groups(s, secret).await;
}
