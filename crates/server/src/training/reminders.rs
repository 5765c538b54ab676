//! Certificate reminders: each hour one server (by the job lease) tells holders whose certificates
//! enter a reminder window (60, 30 and 7 days before the last valid day) or have expired. A
//! certificate's stage moves forward by a conditional update, so a reminder is sent once even if
//! two servers ran at the same moment.

use crate::notifications::{Notice, send};
use crate::state::AppState;
use pingan_domain::training::{REMINDER_DAYS, due_reminder};
use pingan_store::training as store;

/// Sends the reminders due today; returns how many were sent.
pub async fn sweep(state: &AppState) -> anyhow::Result<usize> {
    let today = state.today();
    let ahead = |n: i64| {
        today
            .checked_add(jiff::Span::new().days(n))
            .unwrap_or(today)
            .to_string()
    };
    let days = REMINDER_DAYS.map(ahead);
    let mut sent = 0;
    let mut after = String::new();
    loop {
        let due = store::reminders_due(
            &state.db,
            [&days[0], &days[1], &days[2]],
            &today.to_string(),
            &after,
            500,
        )
        .await?;
        let Some(last) = due.last() else {
            break;
        };
        after = last.id.clone();
        for c in due {
            sent += remind(state, today, c).await?;
        }
    }
    Ok(sent)
}

/// Sends `c`'s reminder when one is due and this server moves its stage first: 1 if sent.
async fn remind(
    state: &AppState,
    today: jiff::civil::Date,
    c: store::CertificateRow,
) -> anyhow::Result<usize> {
    let Some(expires) = c.expires_on.as_deref().and_then(|d| d.parse().ok()) else {
        return Ok(0);
    };
    let Some(stage) = due_reminder(expires, today, u8::try_from(c.reminded).unwrap_or(4)) else {
        return Ok(0);
    };
    let mut tx = state.db.begin().await?;
    if !store::mark_reminded(&mut tx, &c.id, c.reminded, i64::from(stage)).await? {
        return Ok(0);
    }
    let (kind, zh, en) = if stage == 4 {
        (
            "training.certificate_expired",
            format!("证书已过期：{}（有效期至 {expires}）", c.name),
            format!("Certificate expired: {} (valid until {expires})", c.name),
        )
    } else {
        let days = pingan_domain::training::days_left(expires, today);
        (
            "training.certificate_expiring",
            format!(
                "证书即将到期：{}，还有 {days} 天（有效期至 {expires}）",
                c.name
            ),
            format!(
                "Certificate expiring: {}, {days} days left (valid until {expires})",
                c.name
            ),
        )
    };
    send(
        &mut tx,
        std::slice::from_ref(&c.user_id),
        state.now(),
        &Notice {
            kind,
            object: ("training_record", &c.user_id),
            message: &zh,
            message_en: &en,
        },
    );
    tx.commit_audited(vec![]).await?;
    Ok(1)
}

pub fn job(_: &AppState) -> crate::jobs::Job {
    crate::jobs::Job::new(
        "certificate_reminders",
        std::time::Duration::from_secs(3_600),
        |state| Box::pin(async move { sweep(&state).await }),
    )
}
