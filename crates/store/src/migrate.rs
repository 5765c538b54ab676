//! Versioned schema migrations. Each migration is a numbered Rust function that returns its DDL for the
//! backend; the DDL is written once in a portable subset (TEXT, BIGINT, DOUBLE PRECISION, BOOLEAN) and the
//! few dialect differences are spelled out beside it. Applied versions are recorded in `schema_version`.
//! On PostgreSQL an advisory lock serialises concurrent starters; on SQLite `BEGIN IMMEDIATE` does.

use crate::db::{Backend, Db};
use crate::{Result, StoreError, args, now_micros};

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub up: fn(Backend) -> Vec<String>,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        up: v1_foundation,
    },
    Migration {
        version: 2,
        name: "import_uploads",
        up: v2_import_uploads,
    },
    Migration {
        version: 3,
        name: "places",
        up: v3_places,
    },
    Migration {
        version: 4,
        name: "grid_workers",
        up: v4_grid_workers,
    },
    Migration {
        version: 5,
        name: "dispatch",
        up: v5_dispatch,
    },
    Migration {
        version: 6,
        name: "incident_cell_covering",
        up: v6_incident_cell_covering,
    },
    Migration {
        version: 7,
        name: "mediation",
        up: v7_mediation,
    },
    Migration {
        version: 8,
        name: "briefs",
        up: v8_briefs,
    },
    Migration {
        version: 9,
        name: "cases",
        up: v9_cases,
    },
    Migration {
        version: 10,
        name: "rate_counters",
        up: v10_rate_counters,
    },
    Migration {
        version: 11,
        name: "second_factor_and_password_history",
        up: v11_second_factor,
    },
    Migration {
        version: 12,
        name: "login_reservations_and_audit_tallies",
        up: v12_login_reservations,
    },
    Migration {
        version: 13,
        name: "personal_data_sealed",
        up: v13_personal_data_sealed,
    },
    Migration {
        version: 14,
        name: "basemap",
        up: v14_basemap,
    },
    Migration {
        version: 15,
        name: "notification_message_en",
        up: v15_notification_message_en,
    },
    Migration {
        version: 16,
        name: "patrol_zones_and_plans",
        up: v16_patrol,
    },
    Migration {
        version: 17,
        name: "patrol_shifts",
        up: v17_patrol_shifts,
    },
    Migration {
        version: 18,
        name: "camera_sectors_status_footage_manual_checkins",
        up: v18_camera_sectors,
    },
    Migration {
        version: 19,
        name: "teams",
        up: v19_teams,
    },
    Migration {
        version: 20,
        name: "folded_tracks",
        up: v20_folded_tracks,
    },
    Migration {
        version: 21,
        name: "team_uniques",
        up: v21_team_uniques,
    },
    Migration {
        version: 22,
        name: "meetings_and_supervised_tasks",
        up: v22_meetings_tasks,
    },
    Migration {
        version: 23,
        name: "risk_register_and_visits",
        up: v23_risks_visits,
    },
    Migration {
        version: 24,
        name: "legal_publicity",
        up: v24_publicity,
    },
    Migration {
        version: 25,
        name: "public_alerts_cap",
        up: v25_public_alerts,
    },
    Migration {
        version: 26,
        name: "assessment_scorecards",
        up: v26_assessment,
    },
    Migration {
        version: 27,
        name: "training",
        up: v27_training,
    },
    Migration {
        version: 28,
        name: "dispute_agreed_tier",
        up: v28_dispute_agreed_tier,
    },
    Migration {
        version: 29,
        name: "patrol_post_days",
        up: v29_patrol_post_days,
    },
    Migration {
        version: 30,
        name: "outbox",
        up: v30_outbox,
    },
    Migration {
        version: 31,
        name: "incident_clock_indexes",
        up: v31_incident_clock_indexes,
    },
    Migration {
        version: 32,
        name: "sharing_agreements",
        up: v32_sharing_agreements,
    },
    Migration {
        version: 33,
        name: "sharing_delivery",
        up: v33_sharing_delivery,
    },
];

pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Applies every pending migration; returns the versions applied.
pub async fn migrate(db: &Db) -> Result<Vec<i64>> {
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        args![],
    )
    .await?;
    let mut applied = Vec::new();
    for m in MIGRATIONS {
        let mut tx = db.begin().await?;
        if tx.backend() == Backend::Postgres {
            tx.execute("SELECT pg_advisory_xact_lock(727001)", args![])
                .await
                .map(|_| ())?;
        }
        let done: Option<(i64,)> = tx
            .fetch_optional(
                "SELECT version FROM schema_version WHERE version = ?",
                args![m.version],
            )
            .await?;
        if done.is_some() {
            tx.rollback().await?;
            continue;
        }
        for stmt in (m.up)(tx.backend()) {
            tx.execute(&stmt, args![]).await.map_err(|e| match e {
                StoreError::Db(source) => StoreError::Migration {
                    version: m.version,
                    name: m.name,
                    source,
                },
                other => other,
            })?;
        }
        tx.execute(
            "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
            args![m.version, m.name, now_micros()],
        )
        .await?;
        tx.commit_unaudited().await?;
        applied.push(m.version);
    }
    Ok(applied)
}

pub async fn current_version(db: &Db) -> Result<i64> {
    let v: Option<(Option<i64>,)> = db
        .fetch_optional("SELECT MAX(version) FROM schema_version", args![])
        .await
        .ok()
        .flatten();
    Ok(v.and_then(|r| r.0).unwrap_or(0))
}

fn v1_foundation(backend: Backend) -> Vec<String> {
    let mut s: Vec<String> = [
        "CREATE TABLE areas (
            code TEXT PRIMARY KEY,
            parent_code TEXT REFERENCES areas(code),
            level TEXT NOT NULL,
            name TEXT NOT NULL,
            path TEXT NOT NULL UNIQUE,
            area_type TEXT NOT NULL DEFAULT 'urban',
            valid_from TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL)",
        "CREATE INDEX areas_parent ON areas (parent_code)",
        "CREATE TABLE orgs (
            id TEXT PRIMARY KEY,
            parent_id TEXT REFERENCES orgs(id),
            path TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            area_code TEXT REFERENCES areas(code),
            area_path TEXT,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL)",
        "CREATE INDEX orgs_parent ON orgs (parent_id)",
        "CREATE TABLE grids (
            code TEXT PRIMARY KEY,
            village_code TEXT NOT NULL REFERENCES areas(code),
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            area_path TEXT NOT NULL,
            geometry TEXT NOT NULL,
            min_x DOUBLE PRECISION NOT NULL,
            min_y DOUBLE PRECISION NOT NULL,
            max_x DOUBLE PRECISION NOT NULL,
            max_y DOUBLE PRECISION NOT NULL,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL)",
        "CREATE INDEX grids_village ON grids (village_code)",
        "CREATE TABLE area_shapes (
            code TEXT PRIMARY KEY REFERENCES areas(code),
            geometry TEXT NOT NULL,
            min_x DOUBLE PRECISION NOT NULL,
            min_y DOUBLE PRECISION NOT NULL,
            max_x DOUBLE PRECISION NOT NULL,
            max_y DOUBLE PRECISION NOT NULL)",
        "CREATE TABLE users (
            id TEXT PRIMARY KEY,
            username TEXT NOT NULL UNIQUE,
            display_name TEXT NOT NULL,
            role TEXT NOT NULL,
            org_id TEXT REFERENCES orgs(id),
            mobile TEXT,
            password_hash TEXT NOT NULL,
            failed_logins BIGINT NOT NULL DEFAULT 0,
            locked_until BIGINT,
            disabled BOOLEAN NOT NULL DEFAULT FALSE,
            password_changed_at BIGINT NOT NULL,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL)",
        "CREATE TABLE user_scopes (
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            path TEXT NOT NULL,
            PRIMARY KEY (user_id, kind, path))",
        "CREATE TABLE sessions (
            id_hash TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            created_at BIGINT NOT NULL,
            last_seen_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL,
            ip TEXT,
            user_agent TEXT)",
        "CREATE INDEX sessions_user ON sessions (user_id)",
        "CREATE TABLE api_tokens (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            token_hash TEXT NOT NULL UNIQUE,
            created_at BIGINT NOT NULL,
            last_used_at BIGINT,
            expires_at BIGINT,
            revoked_at BIGINT)",
        "CREATE TABLE audit_head (id BIGINT PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT NOT NULL)",
        "INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000')",
        "CREATE TABLE audit_log (
            seq BIGINT PRIMARY KEY,
            at BIGINT NOT NULL,
            actor_id TEXT,
            actor_name TEXT NOT NULL,
            action TEXT NOT NULL,
            object_type TEXT NOT NULL,
            object_id TEXT,
            outcome TEXT NOT NULL,
            purpose TEXT,
            ip TEXT,
            detail TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL)",
        "CREATE INDEX audit_log_at ON audit_log (at)",
        "CREATE INDEX audit_log_actor ON audit_log (actor_id, at)",
        "CREATE INDEX audit_log_object ON audit_log (object_type, object_id)",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    // Dialect difference: the append-only guard on the audit log.
    match backend {
        Backend::Sqlite => {
            s.push("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END".into());
            s.push("CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END".into());
        }
        Backend::Postgres => {
            s.push("CREATE FUNCTION pingan_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RAISE EXCEPTION ''audit_log is append-only''; END'".into());
            s.push("CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION pingan_audit_append_only()".into());
            s.push("CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION pingan_audit_append_only()".into());
        }
    }
    s
}

/// Files uploaded in the web UI wait here between preview and confirmation, so any server behind the
/// load balancer can finish the import.
fn v2_import_uploads(_: Backend) -> Vec<String> {
    vec![
        "CREATE TABLE import_uploads (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            file_name TEXT NOT NULL,
            crs TEXT NOT NULL,
            content TEXT NOT NULL,
            created_at BIGINT NOT NULL)"
            .into(),
    ]
}

/// 实有单位/场所 and their inspections (消防/治安检查). A place's grid is derived from its location.
fn v3_places(_: Backend) -> Vec<String> {
    [
        "CREATE TABLE places (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            address TEXT NOT NULL,
            lng DOUBLE PRECISION NOT NULL,
            lat DOUBLE PRECISION NOT NULL,
            grid_code TEXT NOT NULL REFERENCES grids(code),
            area_path TEXT NOT NULL,
            credit_code TEXT,
            contact_name TEXT,
            contact_phone TEXT,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL)",
        "CREATE INDEX places_grid ON places (grid_code)",
        "CREATE INDEX places_area_path ON places (area_path)",
        "CREATE TABLE place_inspections (
            id TEXT PRIMARY KEY,
            place_id TEXT NOT NULL REFERENCES places(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            inspected_at BIGINT NOT NULL,
            inspector_id TEXT REFERENCES users(id),
            findings TEXT NOT NULL,
            result TEXT NOT NULL,
            rectify_by TEXT,
            follows_up TEXT REFERENCES place_inspections(id),
            created_at BIGINT NOT NULL)",
        "CREATE INDEX place_inspections_place ON place_inspections (place_id, inspected_at)",
        "CREATE INDEX grids_bbox ON grids (min_x, max_x, min_y, max_y)",
    ]
    .into_iter()
    .map(String::from)
    .collect()
}

/// Grid workers assigned to a grid: one lead, any number of members.
fn v4_grid_workers(_: Backend) -> Vec<String> {
    vec![
        "CREATE TABLE grid_workers (
            grid_code TEXT NOT NULL REFERENCES grids(code) ON DELETE CASCADE,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            is_lead BOOLEAN NOT NULL,
            assigned_at BIGINT NOT NULL,
            PRIMARY KEY (grid_code, user_id))"
            .into(),
        "CREATE UNIQUE INDEX grid_workers_one_lead ON grid_workers (grid_code) WHERE is_lead"
            .into(),
    ]
}

/// Command and dispatch: incident types, units and their GPS pings, cameras, incidents with their
/// events and unit assignments, and the change feed the live board follows.
fn v5_dispatch(backend: Backend) -> Vec<String> {
    let mut s: Vec<String> = [
        "CREATE TABLE incident_types (
            code TEXT PRIMARY KEY,
            name_zh TEXT NOT NULL,
            name_en TEXT NOT NULL,
            active BOOLEAN NOT NULL,
            updated_at BIGINT NOT NULL)",
        "CREATE TABLE units (
            id TEXT PRIMARY KEY,
            call_sign TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            org_id TEXT NOT NULL REFERENCES orgs(id),
            org_path TEXT NOT NULL,
            area_path TEXT NOT NULL,
            user_id TEXT REFERENCES users(id),
            device_id TEXT UNIQUE,
            status TEXT NOT NULL,
            status_at BIGINT NOT NULL,
            lng DOUBLE PRECISION,
            lat DOUBLE PRECISION,
            position_at BIGINT,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL)",
        "CREATE INDEX units_area_path ON units (area_path)",
        "CREATE INDEX units_user ON units (user_id)",
        "CREATE TABLE unit_positions (
            device_id TEXT NOT NULL,
            at BIGINT NOT NULL,
            unit_id TEXT NOT NULL,
            lng DOUBLE PRECISION NOT NULL,
            lat DOUBLE PRECISION NOT NULL,
            speed DOUBLE PRECISION,
            heading DOUBLE PRECISION,
            PRIMARY KEY (device_id, at))",
        "CREATE TABLE cameras (
            code TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            lng DOUBLE PRECISION NOT NULL,
            lat DOUBLE PRECISION NOT NULL,
            grid_code TEXT REFERENCES grids(code),
            area_path TEXT NOT NULL,
            active BOOLEAN NOT NULL,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL)",
        "CREATE INDEX cameras_area_path ON cameras (area_path)",
        "CREATE TABLE counters (key TEXT PRIMARY KEY, n BIGINT NOT NULL)",
        "CREATE TABLE incidents (
            id TEXT PRIMARY KEY,
            number TEXT NOT NULL UNIQUE,
            tracking_code TEXT UNIQUE,
            channel TEXT NOT NULL,
            type_code TEXT NOT NULL REFERENCES incident_types(code),
            level BIGINT NOT NULL,
            status TEXT NOT NULL,
            description TEXT NOT NULL,
            address TEXT NOT NULL,
            lng DOUBLE PRECISION NOT NULL,
            lat DOUBLE PRECISION NOT NULL,
            cell BIGINT NOT NULL,
            grid_code TEXT REFERENCES grids(code),
            village_code TEXT,
            area_path TEXT NOT NULL,
            area_type TEXT NOT NULL,
            station_org_id TEXT REFERENCES orgs(id),
            caller_name TEXT,
            caller_phone TEXT,
            reporter_user_id TEXT REFERENCES users(id),
            camera_code TEXT REFERENCES cameras(code),
            snapshot_ref TEXT,
            event_type TEXT,
            merged_into TEXT REFERENCES incidents(id),
            transfer_target TEXT,
            transfer_org_id TEXT REFERENCES orgs(id),
            feedback_text TEXT,
            satisfaction TEXT,
            callback_note TEXT,
            reported_at BIGINT NOT NULL,
            received_at BIGINT NOT NULL,
            dispatched_at BIGINT,
            acknowledged_at BIGINT,
            arrived_at BIGINT,
            resolved_at BIGINT,
            reported_back_at BIGINT,
            closed_at BIGINT,
            updated_at BIGINT NOT NULL,
            local_date TEXT NOT NULL)",
        "CREATE INDEX incidents_area_path ON incidents (area_path, received_at)",
        "CREATE INDEX incidents_status ON incidents (status, received_at)",
        "CREATE INDEX incidents_received ON incidents (received_at)",
        "CREATE INDEX incidents_cell ON incidents (cell, received_at)",
        "CREATE INDEX incidents_address ON incidents (address, received_at)",
        "CREATE TABLE incident_events (
            id TEXT PRIMARY KEY,
            incident_id TEXT NOT NULL REFERENCES incidents(id),
            at BIGINT NOT NULL,
            action TEXT NOT NULL,
            from_status TEXT,
            to_status TEXT NOT NULL,
            unit_id TEXT REFERENCES units(id),
            actor_id TEXT,
            actor_name TEXT NOT NULL,
            note TEXT)",
        "CREATE INDEX incident_events_incident ON incident_events (incident_id, at)",
        "CREATE TABLE incident_units (
            incident_id TEXT NOT NULL REFERENCES incidents(id),
            unit_id TEXT NOT NULL REFERENCES units(id),
            state TEXT NOT NULL,
            assigned_at BIGINT NOT NULL,
            acknowledged_at BIGINT,
            arrived_at BIGINT,
            released_at BIGINT,
            assigned_by TEXT,
            PRIMARY KEY (incident_id, unit_id))",
        "CREATE INDEX incident_units_unit ON incident_units (unit_id, state)",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    // Dialect difference: an ever-increasing sequence for the change feed.
    s.push(match backend {
        Backend::Sqlite => "CREATE TABLE board_changes (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            at BIGINT NOT NULL,
            kind TEXT NOT NULL,
            object_id TEXT NOT NULL,
            area_path TEXT NOT NULL)"
            .into(),
        Backend::Postgres => "CREATE TABLE board_changes (
            seq BIGSERIAL PRIMARY KEY,
            at BIGINT NOT NULL,
            kind TEXT NOT NULL,
            object_id TEXT NOT NULL,
            area_path TEXT NOT NULL)"
            .into(),
    });
    s.push("CREATE INDEX board_changes_at ON board_changes (at)".into());
    for (code, zh, en) in pingan_domain::incident::DEFAULT_TYPES {
        s.push(format!(
            "INSERT INTO incident_types (code, name_zh, name_en, active, updated_at) VALUES ('{code}', '{zh}', '{en}', TRUE, 0)"
        ));
    }
    s
}

/// The detectors' bounding-box test runs on the index entries instead of fetching every row of the
/// cells in the window: a busy cell holds thousands of incidents a month.
fn v6_incident_cell_covering(_: Backend) -> Vec<String> {
    vec![
        "DROP INDEX incidents_cell".into(),
        "CREATE INDEX incidents_cell ON incidents (cell, received_at, lng, lat)".into(),
    ]
}

/// Dispute mediation: types, disputes with their tier clock, parties (identity sealed with SM4-GCM,
/// masked copies and blind indexes beside), the timeline, joint mediation, sessions, agreements and
/// their terms, follow-ups, extension requests, 民转刑 alerts; per-user notifications; and settings
/// (the field key's check value).
fn v7_mediation(_: Backend) -> Vec<String> {
    let mut s: Vec<String> = [
        "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE dispute_types (
            code TEXT PRIMARY KEY,
            name_zh TEXT NOT NULL,
            name_en TEXT NOT NULL,
            active BOOLEAN NOT NULL,
            updated_at BIGINT NOT NULL)",
        "CREATE TABLE disputes (
            id TEXT PRIMARY KEY,
            number TEXT NOT NULL UNIQUE,
            type_code TEXT NOT NULL REFERENCES dispute_types(code),
            source TEXT NOT NULL,
            incident_id TEXT REFERENCES incidents(id),
            campaign_id TEXT,
            title TEXT NOT NULL,
            description TEXT NOT NULL,
            address TEXT NOT NULL,
            lng DOUBLE PRECISION NOT NULL,
            lat DOUBLE PRECISION NOT NULL,
            cell BIGINT NOT NULL,
            grid_code TEXT REFERENCES grids(code),
            village_code TEXT,
            area_path TEXT NOT NULL,
            people_involved BIGINT NOT NULL,
            amount_yuan BIGINT,
            factors TEXT NOT NULL,
            suggested_grade TEXT NOT NULL,
            grade TEXT NOT NULL,
            grade_reason TEXT,
            status TEXT NOT NULL,
            tier TEXT NOT NULL,
            tier_since BIGINT NOT NULL,
            tier_due BIGINT NOT NULL,
            extension_days BIGINT NOT NULL DEFAULT 0,
            transfer_to TEXT,
            outcome_note TEXT,
            registered_at BIGINT NOT NULL,
            registered_by TEXT NOT NULL,
            agreed_at BIGINT,
            failed_at BIGINT,
            withdrawn_at BIGINT,
            closed_at BIGINT,
            reopened BIGINT NOT NULL DEFAULT 0,
            updated_at BIGINT NOT NULL,
            local_date TEXT NOT NULL)",
        "CREATE INDEX disputes_clock ON disputes (status, tier_due)",
        "CREATE INDEX disputes_area ON disputes (area_path, registered_at)",
        "CREATE INDEX disputes_cell ON disputes (cell, registered_at)",
        "CREATE INDEX disputes_incident ON disputes (incident_id)",
        "CREATE TABLE dispute_parties (
            id TEXT PRIMARY KEY,
            dispute_id TEXT NOT NULL REFERENCES disputes(id),
            seq BIGINT NOT NULL,
            kind TEXT NOT NULL,
            role TEXT NOT NULL,
            name_masked TEXT NOT NULL,
            name_sealed TEXT NOT NULL,
            id_masked TEXT,
            id_sealed TEXT,
            id_index TEXT,
            phone_masked TEXT,
            phone_sealed TEXT,
            phone_index TEXT,
            address_sealed TEXT,
            vulnerable BOOLEAN NOT NULL)",
        "CREATE INDEX dispute_parties_dispute ON dispute_parties (dispute_id, seq)",
        "CREATE INDEX dispute_parties_phone ON dispute_parties (phone_index)",
        "CREATE INDEX dispute_parties_id ON dispute_parties (id_index)",
        "CREATE TABLE dispute_events (
            id TEXT PRIMARY KEY,
            dispute_id TEXT NOT NULL REFERENCES disputes(id),
            at BIGINT NOT NULL,
            action TEXT NOT NULL,
            from_status TEXT,
            to_status TEXT NOT NULL,
            tier TEXT NOT NULL,
            actor_id TEXT,
            actor_name TEXT NOT NULL,
            note TEXT)",
        "CREATE INDEX dispute_events_dispute ON dispute_events (dispute_id, at)",
        "CREATE INDEX dispute_events_action ON dispute_events (action, at)",
        "CREATE TABLE dispute_orgs (
            dispute_id TEXT NOT NULL REFERENCES disputes(id),
            org_name TEXT NOT NULL,
            org_kind TEXT NOT NULL,
            lead BOOLEAN NOT NULL,
            added_at BIGINT NOT NULL,
            PRIMARY KEY (dispute_id, org_name))",
        "CREATE TABLE dispute_sessions (
            id TEXT PRIMARY KEY,
            dispute_id TEXT NOT NULL REFERENCES disputes(id),
            held_at BIGINT NOT NULL,
            place TEXT NOT NULL,
            attendees TEXT NOT NULL,
            notes TEXT NOT NULL,
            recorded_by TEXT NOT NULL,
            recorded_at BIGINT NOT NULL)",
        "CREATE INDEX dispute_sessions_dispute ON dispute_sessions (dispute_id, held_at)",
        "CREATE TABLE dispute_agreements (
            id TEXT PRIMARY KEY,
            dispute_id TEXT NOT NULL REFERENCES disputes(id),
            made_at BIGINT NOT NULL,
            form TEXT NOT NULL,
            facts TEXT NOT NULL,
            issues TEXT NOT NULL,
            responsibilities TEXT NOT NULL,
            mediator TEXT NOT NULL,
            committee TEXT NOT NULL,
            judicial_confirmation BOOLEAN NOT NULL,
            confirm_by BIGINT,
            confirm_reminded_at BIGINT,
            superseded_at BIGINT)",
        "CREATE INDEX dispute_agreements_dispute ON dispute_agreements (dispute_id, made_at)",
        "CREATE TABLE agreement_terms (
            agreement_id TEXT NOT NULL REFERENCES dispute_agreements(id),
            seq BIGINT NOT NULL,
            content TEXT NOT NULL,
            performer TEXT NOT NULL,
            due_date TEXT NOT NULL,
            PRIMARY KEY (agreement_id, seq))",
        "CREATE TABLE dispute_followups (
            id TEXT PRIMARY KEY,
            dispute_id TEXT NOT NULL REFERENCES disputes(id),
            agreement_id TEXT NOT NULL REFERENCES dispute_agreements(id),
            due_at BIGINT NOT NULL,
            done_at BIGINT,
            result TEXT,
            note TEXT,
            done_by TEXT)",
        "CREATE INDEX dispute_followups_dispute ON dispute_followups (dispute_id, due_at)",
        "CREATE TABLE dispute_extensions (
            id TEXT PRIMARY KEY,
            dispute_id TEXT NOT NULL REFERENCES disputes(id),
            tier TEXT NOT NULL,
            days BIGINT NOT NULL,
            reason TEXT NOT NULL,
            requested_by TEXT NOT NULL,
            requested_at BIGINT NOT NULL,
            decided_by TEXT,
            decided_at BIGINT,
            approved BOOLEAN,
            decision_note TEXT)",
        "CREATE INDEX dispute_extensions_dispute ON dispute_extensions (dispute_id, requested_at)",
        "CREATE TABLE dispute_alerts (
            id TEXT PRIMARY KEY,
            dispute_id TEXT NOT NULL REFERENCES disputes(id),
            incident_id TEXT NOT NULL REFERENCES incidents(id),
            at BIGINT NOT NULL,
            reason TEXT NOT NULL,
            UNIQUE (dispute_id, incident_id))",
        "CREATE INDEX dispute_alerts_at ON dispute_alerts (at)",
        "CREATE TABLE notifications (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            at BIGINT NOT NULL,
            kind TEXT NOT NULL,
            object_type TEXT NOT NULL,
            object_id TEXT NOT NULL,
            message TEXT NOT NULL,
            read_at BIGINT)",
        "CREATE INDEX notifications_user ON notifications (user_id, at)",
        "CREATE TABLE screening_campaigns (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            area_path TEXT NOT NULL,
            starts_on TEXT NOT NULL,
            ends_on TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at BIGINT NOT NULL)",
        "CREATE TABLE campaign_grids (
            campaign_id TEXT NOT NULL REFERENCES screening_campaigns(id),
            grid_code TEXT NOT NULL REFERENCES grids(code),
            area_path TEXT NOT NULL,
            done_at BIGINT,
            done_by TEXT,
            note TEXT,
            PRIMARY KEY (campaign_id, grid_code))",
        "CREATE INDEX disputes_campaign ON disputes (campaign_id)",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    for (code, zh, en) in pingan_domain::dispute::DEFAULT_TYPES {
        s.push(format!(
            "INSERT INTO dispute_types (code, name_zh, name_en, active, updated_at) VALUES ('{code}', '{zh}', '{en}', TRUE, 0)"
        ));
    }
    s
}

/// 研判简报: one row per subject (district or station) × period, claimed by one server with a lease
/// while it is composed, then kept as JSON. The unique key makes "generate if missing" safe across
/// several servers.
fn v8_briefs(_: Backend) -> Vec<String> {
    vec![
        "CREATE TABLE briefs (
            id TEXT PRIMARY KEY,
            subject_kind TEXT NOT NULL,
            subject_id TEXT NOT NULL,
            subject_name TEXT NOT NULL,
            area_path TEXT NOT NULL,
            period_kind TEXT NOT NULL,
            period_start TEXT NOT NULL,
            period_end TEXT NOT NULL,
            claimed_by TEXT,
            lease_until BIGINT NOT NULL,
            generated_at BIGINT,
            content TEXT,
            UNIQUE (subject_kind, subject_id, period_kind, period_start))"
            .into(),
        "CREATE INDEX briefs_period ON briefs (period_start, area_path)".into(),
    ]
}

/// 执法监督: cases with their handling officers, procedural steps, parties (identity sealed), documents
/// (metadata and hash), property in custody; 网上巡查 alerts with their history; 实地抽查 samples with
/// the seed; 评查 rubrics and reviews.
fn v9_cases(_: Backend) -> Vec<String> {
    [
        "CREATE TABLE cases (
            id TEXT PRIMARY KEY,
            number TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            title TEXT NOT NULL,
            summary TEXT NOT NULL,
            incident_id TEXT REFERENCES incidents(id),
            station_org_id TEXT NOT NULL REFERENCES orgs(id),
            org_path TEXT NOT NULL,
            area_path TEXT NOT NULL,
            flags TEXT NOT NULL,
            status TEXT NOT NULL,
            accepted_at BIGINT,
            filed_at BIGINT,
            solved_at BIGINT,
            closed_at BIGINT,
            created_by TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL)",
        "CREATE INDEX cases_org ON cases (org_path, created_at)",
        "CREATE INDEX cases_status ON cases (status, updated_at)",
        "CREATE TABLE case_officers (
            case_id TEXT NOT NULL REFERENCES cases(id),
            user_id TEXT NOT NULL REFERENCES users(id),
            lead BOOLEAN NOT NULL,
            PRIMARY KEY (case_id, user_id))",
        "CREATE INDEX case_officers_user ON case_officers (user_id)",
        "CREATE TABLE case_events (
            id TEXT PRIMARY KEY,
            case_id TEXT NOT NULL REFERENCES cases(id),
            step TEXT NOT NULL,
            at BIGINT NOT NULL,
            item TEXT,
            days BIGINT,
            note TEXT,
            recorded_by TEXT NOT NULL,
            recorded_at BIGINT NOT NULL)",
        "CREATE INDEX case_events_case ON case_events (case_id, at)",
        "CREATE TABLE case_parties (
            id TEXT PRIMARY KEY,
            case_id TEXT NOT NULL REFERENCES cases(id),
            role TEXT NOT NULL,
            item TEXT,
            name_sealed TEXT NOT NULL,
            name_masked TEXT NOT NULL,
            id_sealed TEXT,
            id_masked TEXT,
            created_at BIGINT NOT NULL)",
        "CREATE INDEX case_parties_case ON case_parties (case_id)",
        "CREATE TABLE case_documents (
            id TEXT PRIMARY KEY,
            case_id TEXT NOT NULL REFERENCES cases(id),
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            size_bytes BIGINT NOT NULL,
            sm3 TEXT NOT NULL,
            storage_ref TEXT NOT NULL,
            uploaded_by TEXT NOT NULL,
            uploaded_at BIGINT NOT NULL)",
        "CREATE INDEX case_documents_case ON case_documents (case_id)",
        "CREATE TABLE case_properties (
            id TEXT PRIMARY KEY,
            case_id TEXT NOT NULL REFERENCES cases(id),
            item TEXT NOT NULL,
            description TEXT NOT NULL,
            status TEXT NOT NULL,
            location TEXT,
            custodian TEXT,
            updated_at BIGINT NOT NULL,
            UNIQUE (case_id, item))",
        "CREATE TABLE case_alerts (
            id TEXT PRIMARY KEY,
            case_id TEXT NOT NULL REFERENCES cases(id),
            rule_id TEXT NOT NULL,
            version TEXT NOT NULL,
            kind TEXT NOT NULL,
            severity TEXT NOT NULL,
            item TEXT NOT NULL,
            started_at BIGINT NOT NULL,
            due_at BIGINT NOT NULL,
            found_at BIGINT NOT NULL,
            status TEXT NOT NULL,
            updated_at BIGINT NOT NULL,
            org_path TEXT NOT NULL,
            UNIQUE (case_id, rule_id, item, started_at, kind))",
        "CREATE INDEX case_alerts_status ON case_alerts (status, found_at)",
        "CREATE INDEX case_alerts_org ON case_alerts (org_path, found_at)",
        "CREATE TABLE case_alert_events (
            id TEXT PRIMARY KEY,
            alert_id TEXT NOT NULL REFERENCES case_alerts(id),
            at BIGINT NOT NULL,
            action TEXT NOT NULL,
            actor_id TEXT,
            actor_name TEXT NOT NULL,
            note TEXT)",
        "CREATE INDEX case_alert_events_alert ON case_alert_events (alert_id, at)",
        "CREATE TABLE case_samples (
            id TEXT PRIMARY KEY,
            seed BIGINT NOT NULL,
            per_stratum BIGINT NOT NULL,
            status TEXT NOT NULL,
            org_path TEXT NOT NULL,
            closed_from TEXT,
            closed_to TEXT,
            population BIGINT NOT NULL,
            created_by TEXT NOT NULL,
            created_at BIGINT NOT NULL)",
        "CREATE TABLE case_sample_items (
            sample_id TEXT NOT NULL REFERENCES case_samples(id),
            case_id TEXT NOT NULL REFERENCES cases(id),
            station_org_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            finding TEXT,
            recorded_by TEXT,
            recorded_at BIGINT,
            PRIMARY KEY (sample_id, case_id))",
        "CREATE TABLE case_rubrics (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            body TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at BIGINT NOT NULL)",
        "CREATE TABLE case_reviews (
            id TEXT PRIMARY KEY,
            case_id TEXT NOT NULL REFERENCES cases(id),
            rubric_id TEXT NOT NULL REFERENCES case_rubrics(id),
            reviewer_id TEXT NOT NULL REFERENCES users(id),
            deductions TEXT NOT NULL,
            total DOUBLE PRECISION NOT NULL,
            note TEXT,
            created_at BIGINT NOT NULL,
            UNIQUE (case_id, rubric_id, reviewer_id))",
    ]
    .into_iter()
    .map(String::from)
    .collect()
}

/// Request counters per key (e.g. login attempts per client address) and minute, shared by every
/// server: a limit holds however many servers the load balancer spreads a client over.
fn v10_rate_counters(_: Backend) -> Vec<String> {
    vec![
        "CREATE TABLE rate_counters (
            key TEXT NOT NULL,
            window_start BIGINT NOT NULL,
            n BIGINT NOT NULL,
            PRIMARY KEY (key, window_start))"
            .into(),
    ]
}

/// 等保 level 3 account items: a TOTP second factor (secret sealed with the field key; the last step used,
/// so a code is never accepted twice), earlier password hashes (a new password must differ from them),
/// and a session stage: a session whose password expired, or an administrator without a second factor,
/// may only fix that.
fn v11_second_factor(_: Backend) -> Vec<String> {
    vec![
        "ALTER TABLE users ADD COLUMN totp_sealed TEXT".into(),
        "ALTER TABLE users ADD COLUMN totp_enabled_at BIGINT".into(),
        "ALTER TABLE users ADD COLUMN totp_last_step BIGINT".into(),
        "CREATE TABLE password_history (
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            password_hash TEXT NOT NULL,
            replaced_at BIGINT NOT NULL)"
            .into(),
        "CREATE INDEX password_history_user ON password_history (user_id, replaced_at)".into(),
        "ALTER TABLE sessions ADD COLUMN stage TEXT NOT NULL DEFAULT 'full'".into(),
        // Named background jobs one server at a time (e.g. re-encrypting under a new field key).
        "CREATE TABLE job_leases (
            name TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            lease_until BIGINT NOT NULL)"
            .into(),
    ]
}

/// Hardening round two. A login attempt reserves its place in the failure count before the password
/// is checked (`login_pending`, expiring at `login_pending_until` so a crash mid-check frees it), so
/// parallel guesses cannot outrun the lockout. `audit_tallies` counts repeated identical failures in a
/// window: the first is an audit record, the rest one summary record, so the log cannot be flooded.
fn v12_login_reservations(_: Backend) -> Vec<String> {
    vec![
        "ALTER TABLE users ADD COLUMN login_pending BIGINT NOT NULL DEFAULT 0".into(),
        "ALTER TABLE users ADD COLUMN login_pending_until BIGINT".into(),
        "CREATE TABLE audit_tallies (
            key TEXT PRIMARY KEY,
            action TEXT NOT NULL,
            object_type TEXT NOT NULL,
            object_id TEXT,
            actor_id TEXT,
            actor_name TEXT NOT NULL,
            outcome TEXT NOT NULL,
            detail TEXT NOT NULL,
            first_at BIGINT NOT NULL,
            last_at BIGINT NOT NULL,
            last_ip TEXT,
            n BIGINT NOT NULL,
            window_until BIGINT NOT NULL)"
            .into(),
        "CREATE INDEX audit_tallies_window ON audit_tallies (window_until)".into(),
    ]
}

/// Incident callers, place contacts and account mobiles are sealed (SM4-GCM, by the server, which
/// holds the key) like dispute parties; a caller's phone gets the same blind index as a party's phone,
/// so the 民转刑 watch and duplicate callers match without decrypting. The plain columns stay, empty:
/// the server seals the values they held when it first opens the database (`server::seal_plain`).
fn v13_personal_data_sealed(_: Backend) -> Vec<String> {
    vec![
        "ALTER TABLE incidents ADD COLUMN caller_name_sealed TEXT".into(),
        "ALTER TABLE incidents ADD COLUMN caller_phone_sealed TEXT".into(),
        "ALTER TABLE incidents ADD COLUMN caller_phone_index TEXT".into(),
        "CREATE INDEX incidents_caller_phone ON incidents (caller_phone_index, received_at)".into(),
        "ALTER TABLE places ADD COLUMN contact_name_sealed TEXT".into(),
        "ALTER TABLE places ADD COLUMN contact_phone_sealed TEXT".into(),
        "ALTER TABLE users ADD COLUMN mobile_sealed TEXT".into(),
    ]
}

/// Notifications carry their message in English too (pages show the reader's language; rows from
/// before keep an empty English message and show the Chinese one).
fn v15_notification_message_en(_backend: Backend) -> Vec<String> {
    vec!["ALTER TABLE notifications ADD COLUMN message_en TEXT NOT NULL DEFAULT ''".into()]
}

/// 分片布警: patrol zones (巡区, a polygon per station) and patrol plans (the kernel's proposal, the
/// posts as the chief left them, what changed, published or not).
fn v16_patrol(_: Backend) -> Vec<String> {
    vec![
        "CREATE TABLE patrol_zones (
            id TEXT PRIMARY KEY,
            station_org_id TEXT NOT NULL REFERENCES orgs(id),
            org_path TEXT NOT NULL,
            area_path TEXT NOT NULL,
            name TEXT NOT NULL,
            geometry TEXT NOT NULL,
            min_x DOUBLE PRECISION NOT NULL,
            min_y DOUBLE PRECISION NOT NULL,
            max_x DOUBLE PRECISION NOT NULL,
            max_y DOUBLE PRECISION NOT NULL,
            created_by TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            UNIQUE (station_org_id, name))"
            .into(),
        "CREATE INDEX patrol_zones_org ON patrol_zones (org_path)".into(),
        "CREATE TABLE patrol_plans (
            id TEXT PRIMARY KEY,
            zone_id TEXT NOT NULL REFERENCES patrol_zones(id),
            org_path TEXT NOT NULL,
            area_path TEXT NOT NULL,
            status TEXT NOT NULL,
            valid_from TEXT NOT NULL,
            valid_to TEXT NOT NULL,
            basis_from BIGINT NOT NULL,
            basis_to BIGINT NOT NULL,
            proposal TEXT NOT NULL,
            posts TEXT NOT NULL,
            covered DOUBLE PRECISION NOT NULL,
            created_by TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            published_by TEXT,
            published_at BIGINT)"
            .into(),
        "CREATE INDEX patrol_plans_zone ON patrol_plans (zone_id, created_at)".into(),
        "CREATE INDEX patrol_plans_org ON patrol_plans (org_path, valid_to)".into(),
        // Tracks are read by unit and time (check-ins, replay); the key is by device.
        "CREATE INDEX unit_positions_unit ON unit_positions (unit_id, at)".into(),
    ]
}

/// 雪亮工程: a camera's owner and sector, its status from heartbeats (the changes kept, so "online
/// at T" can be answered), and footage requests (调取).
fn v18_camera_sectors(_: Backend) -> Vec<String> {
    vec![
        "ALTER TABLE cameras ADD COLUMN owner TEXT NOT NULL DEFAULT 'public_security'".into(),
        "ALTER TABLE cameras ADD COLUMN direction_deg DOUBLE PRECISION".into(),
        "ALTER TABLE cameras ADD COLUMN fov_deg DOUBLE PRECISION".into(),
        "ALTER TABLE cameras ADD COLUMN range_m DOUBLE PRECISION".into(),
        "ALTER TABLE cameras ADD COLUMN online BOOLEAN".into(),
        "ALTER TABLE cameras ADD COLUMN last_heartbeat_at BIGINT".into(),
        "CREATE INDEX cameras_lng_lat ON cameras (lng, lat)".into(),
        "CREATE TABLE camera_status_changes (
            camera_code TEXT NOT NULL REFERENCES cameras(code),
            at BIGINT NOT NULL,
            online BOOLEAN NOT NULL,
            PRIMARY KEY (camera_code, at))"
            .into(),
        "CREATE TABLE footage_requests (
            id TEXT PRIMARY KEY,
            camera_code TEXT NOT NULL REFERENCES cameras(code),
            incident_id TEXT REFERENCES incidents(id),
            case_id TEXT REFERENCES cases(id),
            org_path TEXT NOT NULL,
            area_path TEXT NOT NULL,
            requester_id TEXT NOT NULL REFERENCES users(id),
            purpose TEXT NOT NULL,
            from_at BIGINT NOT NULL,
            to_at BIGINT NOT NULL,
            status TEXT NOT NULL,
            decided_by TEXT,
            decided_at BIGINT,
            decision_note TEXT,
            exported_by TEXT,
            exported_at BIGINT,
            export_ref TEXT,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL)"
            .into(),
        "CREATE INDEX footage_requests_org ON footage_requests (org_path, created_at)".into(),
        "CREATE INDEX footage_requests_area ON footage_requests (area_path, created_at)".into(),
        // Tracks are read unit by unit for a period (check-ins, coverage, replay): with the
        // position in the index the read never visits the table (bench/patrol: 1.7 M fixes).
        "DROP INDEX unit_positions_unit".into(),
        "CREATE INDEX unit_positions_track ON unit_positions (unit_id, at, lng, lat)".into(),
        // 手动打卡: a crew member's check-in at a post with the phone's position, kept apart from
        // the GPS track so it is always read as what it is.
        "CREATE TABLE patrol_manual_checkins (
            id TEXT PRIMARY KEY,
            plan_id TEXT NOT NULL REFERENCES patrol_plans(id),
            post BIGINT NOT NULL,
            at BIGINT NOT NULL,
            user_id TEXT NOT NULL REFERENCES users(id),
            lng DOUBLE PRECISION NOT NULL,
            lat DOUBLE PRECISION NOT NULL,
            accuracy_m DOUBLE PRECISION,
            distance_m DOUBLE PRECISION NOT NULL)"
            .into(),
        "CREATE INDEX patrol_manual_checkins_plan ON patrol_manual_checkins (plan_id, at)".into(),
    ]
}

/// 法治宣传: campaigns, their targets per setting, the events held.
/// Public safety alerts (CAP 1.2): composed here (pending approval, then published as a document
/// that never changes) or received from another agency (the document as received). `shapes` is the
/// alert's area for the map (JSON of polygons and circles); `area_paths` and `grid_codes` the areas
/// and grids a composed alert was drawn from, `scope_paths` the area paths they lie in (who sees and
/// approves it); all space-separated.
fn v25_public_alerts(_: Backend) -> Vec<String> {
    [
        "CREATE TABLE public_alerts (
            id TEXT PRIMARY KEY,
            origin TEXT NOT NULL,
            state TEXT NOT NULL,
            identifier TEXT NOT NULL,
            sender TEXT NOT NULL,
            sent TEXT NOT NULL,
            sent_at BIGINT,
            msg_type TEXT NOT NULL,
            status TEXT NOT NULL,
            scope TEXT NOT NULL,
            refers_to TEXT REFERENCES public_alerts(id),
            references_text TEXT NOT NULL,
            language TEXT NOT NULL,
            categories TEXT NOT NULL,
            event TEXT NOT NULL,
            urgency TEXT NOT NULL,
            severity TEXT NOT NULL,
            certainty TEXT NOT NULL,
            response_types TEXT NOT NULL,
            audience TEXT NOT NULL,
            headline TEXT NOT NULL,
            description TEXT NOT NULL,
            instruction TEXT NOT NULL,
            expires_at BIGINT,
            area_desc TEXT NOT NULL,
            area_paths TEXT NOT NULL,
            grid_codes TEXT NOT NULL,
            scope_paths TEXT NOT NULL,
            shapes TEXT NOT NULL,
            document TEXT,
            source TEXT NOT NULL,
            composed_by TEXT REFERENCES users(id),
            created_at BIGINT NOT NULL,
            decided_by TEXT REFERENCES users(id),
            decided_at BIGINT,
            decision_note TEXT NOT NULL,
            superseded_by TEXT,
            UNIQUE (sender, identifier))",
        "CREATE INDEX public_alerts_listed ON public_alerts (state, created_at)",
        // Other agencies' feeds as last read: when, how many alerts they brought, the last refusal.
        "CREATE TABLE cap_feeds (
            url TEXT PRIMARY KEY,
            polled_at BIGINT NOT NULL,
            ok_at BIGINT,
            received BIGINT NOT NULL,
            last_error TEXT NOT NULL)",
    ]
    .map(String::from)
    .to_vec()
}

/// 考核: versioned schemes of weighted indicators per unit type; manual items (entered with evidence,
/// confirmed by a second person); settled scores, each with the scheme version it was scored with.
fn v26_assessment(_: Backend) -> Vec<String> {
    use pingan_domain::assessment::{UnitType, default_scheme};
    let mut sql: Vec<String> = [
        "CREATE TABLE assessment_schemes (
            id TEXT PRIMARY KEY,
            unit_type TEXT NOT NULL,
            version BIGINT NOT NULL,
            effective_from TEXT NOT NULL,
            indicators TEXT NOT NULL,
            note TEXT NOT NULL,
            created_by TEXT REFERENCES users(id),
            created_at BIGINT NOT NULL,
            UNIQUE (unit_type, version))",
        "CREATE TABLE assessment_items (
            id TEXT PRIMARY KEY,
            unit_type TEXT NOT NULL,
            unit_key TEXT NOT NULL,
            period TEXT NOT NULL,
            indicator TEXT NOT NULL,
            points DOUBLE PRECISION NOT NULL,
            evidence TEXT NOT NULL,
            area_path TEXT NOT NULL,
            entered_by TEXT NOT NULL REFERENCES users(id),
            entered_at BIGINT NOT NULL,
            confirmed_by TEXT REFERENCES users(id),
            confirmed_at BIGINT)",
        "CREATE INDEX assessment_items_unit ON assessment_items (unit_type, period, unit_key)",
        "CREATE TABLE assessment_scores (
            id TEXT PRIMARY KEY,
            unit_type TEXT NOT NULL,
            unit_key TEXT NOT NULL,
            unit_name TEXT NOT NULL,
            area_path TEXT NOT NULL,
            period TEXT NOT NULL,
            scheme_id TEXT NOT NULL REFERENCES assessment_schemes(id),
            total DOUBLE PRECISION,
            detail TEXT NOT NULL,
            settled_by TEXT NOT NULL REFERENCES users(id),
            settled_at BIGINT NOT NULL,
            UNIQUE (unit_type, unit_key, period))",
        "CREATE INDEX assessment_scores_period ON assessment_scores (unit_type, period, area_path)",
        // The dashboard counts incidents by day range, area, type and grid from the index alone.
        "CREATE INDEX incidents_kpi ON incidents (received_at, area_path, type_code, status, grid_code)",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    // Version 1 of every unit type's scheme, in force from the start.
    for t in UnitType::ALL {
        let json = serde_json::to_string(&default_scheme(*t)).expect("indicators serialise");
        sql.push(format!(
            "INSERT INTO assessment_schemes (id, unit_type, version, effective_from, indicators, note, \
             created_by, created_at) VALUES ('scheme-{code}-1', '{code}', 1, '2000-01-01', '{json}', \
             '默认方案', NULL, 0)",
            code = t.code(),
            json = json.replace('\'', "''")
        ));
    }
    sql
}

/// 队伍建设: training sessions and who attended (with the unit they belonged to then), certificates
/// with the reminder stage last sent, mentoring pairs with goals and check-ins.
fn v27_training(_: Backend) -> Vec<String> {
    [
        "CREATE TABLE training_sessions (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            title TEXT NOT NULL,
            topic TEXT NOT NULL,
            trainer TEXT NOT NULL,
            place TEXT NOT NULL,
            starts_at BIGINT NOT NULL,
            hours DOUBLE PRECISION NOT NULL,
            max_score DOUBLE PRECISION,
            pass_score DOUBLE PRECISION,
            area_path TEXT NOT NULL,
            org_path TEXT NOT NULL,
            created_by TEXT NOT NULL REFERENCES users(id),
            created_at BIGINT NOT NULL)",
        "CREATE INDEX training_sessions_at ON training_sessions (starts_at)",
        "CREATE TABLE training_attendance (
            session_id TEXT NOT NULL REFERENCES training_sessions(id),
            user_id TEXT NOT NULL REFERENCES users(id),
            area_path TEXT NOT NULL,
            org_path TEXT NOT NULL,
            starts_at BIGINT NOT NULL,
            hours DOUBLE PRECISION NOT NULL,
            score DOUBLE PRECISION,
            note TEXT NOT NULL,
            recorded_by TEXT NOT NULL REFERENCES users(id),
            recorded_at BIGINT NOT NULL,
            PRIMARY KEY (session_id, user_id))",
        "CREATE INDEX training_attendance_user ON training_attendance (user_id, starts_at)",
        "CREATE INDEX training_attendance_at ON training_attendance (starts_at, area_path)",
        "CREATE TABLE training_certificates (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users(id),
            name TEXT NOT NULL,
            issuer TEXT NOT NULL,
            number TEXT NOT NULL,
            issued_on TEXT NOT NULL,
            expires_on TEXT,
            area_path TEXT NOT NULL,
            org_path TEXT NOT NULL,
            reminded BIGINT NOT NULL DEFAULT 0,
            recorded_by TEXT NOT NULL REFERENCES users(id),
            created_at BIGINT NOT NULL)",
        "CREATE INDEX training_certificates_user ON training_certificates (user_id)",
        "CREATE INDEX training_certificates_expiry ON training_certificates (expires_on)",
        "CREATE TABLE mentorships (
            id TEXT PRIMARY KEY,
            mentor_id TEXT NOT NULL REFERENCES users(id),
            mentee_id TEXT NOT NULL REFERENCES users(id),
            area_path TEXT NOT NULL,
            org_path TEXT NOT NULL,
            started_on TEXT NOT NULL,
            ends_on TEXT NOT NULL,
            status TEXT NOT NULL,
            outcome TEXT NOT NULL,
            created_by TEXT NOT NULL REFERENCES users(id),
            created_at BIGINT NOT NULL,
            closed_at BIGINT)",
        "CREATE INDEX mentorships_mentor ON mentorships (mentor_id)",
        "CREATE INDEX mentorships_mentee ON mentorships (mentee_id)",
        // One active pair of the same two people, even if two managers submit at once.
        "CREATE UNIQUE INDEX mentorships_active ON mentorships (mentor_id, mentee_id) WHERE status = 'active'",
        "CREATE TABLE mentorship_goals (
            mentorship_id TEXT NOT NULL REFERENCES mentorships(id),
            seq BIGINT NOT NULL,
            goal TEXT NOT NULL,
            met_on TEXT,
            PRIMARY KEY (mentorship_id, seq))",
        "CREATE TABLE mentorship_checkins (
            id TEXT PRIMARY KEY,
            mentorship_id TEXT NOT NULL REFERENCES mentorships(id),
            held_on TEXT NOT NULL,
            note TEXT NOT NULL,
            goals_met TEXT NOT NULL,
            recorded_by TEXT NOT NULL REFERENCES users(id),
            recorded_at BIGINT NOT NULL)",
        "CREATE INDEX mentorship_checkins_pair ON mentorship_checkins (mentorship_id, held_on)",
    ]
    .map(String::from)
    .to_vec()
}

/// The tier a dispute was first agreed at and whether within that tier's time, kept when it is
/// agreed (the per-tier on-time KPI): a reopened dispute's new tier and deadline do not rewrite it.
/// Disputes agreed before this version get the values their row holds now (best known).
fn v28_dispute_agreed_tier(_: Backend) -> Vec<String> {
    [
        "ALTER TABLE disputes ADD COLUMN agreed_tier TEXT",
        "ALTER TABLE disputes ADD COLUMN agreed_on_time BOOLEAN",
        "UPDATE disputes SET agreed_tier = tier, agreed_on_time = CASE WHEN agreed_at < tier_due \
         THEN TRUE ELSE FALSE END WHERE agreed_at IS NOT NULL",
    ]
    .map(String::from)
    .to_vec()
}

/// 必到点打卡 kept per post and day once the day's windows are over (the patrol-coverage KPI
/// counts these rows): one row per published plan, post and local day of its validity, with how it
/// was checked in (`gps`, `manual`) or `missed`, and the plan's area and organisation. A plan's
/// `tallied_to` is the last day recorded, moved forward by a conditional UPDATE in the same
/// transaction as the rows, so two servers never record a day twice.
fn v29_patrol_post_days(_: Backend) -> Vec<String> {
    [
        "CREATE TABLE patrol_post_days (
            plan_id TEXT NOT NULL REFERENCES patrol_plans(id),
            day TEXT NOT NULL,
            post BIGINT NOT NULL,
            window_from BIGINT NOT NULL,
            window_to BIGINT NOT NULL,
            zone_name TEXT NOT NULL,
            area_path TEXT NOT NULL,
            org_path TEXT NOT NULL,
            method TEXT NOT NULL,
            checked_in BOOLEAN NOT NULL,
            recorded_at BIGINT NOT NULL,
            PRIMARY KEY (plan_id, day, post))",
        "CREATE INDEX patrol_post_days_at ON patrol_post_days (window_from, area_path)",
        "ALTER TABLE patrol_plans ADD COLUMN tallied_to TEXT",
    ]
    .map(String::from)
    .to_vec()
}

/// 警网融合 outbox: events for partners, written in the transaction of their change; `position`
/// is commit order (from `outbox_head`, locked to the commit), the delivery's cursor.
fn v30_outbox(_: Backend) -> Vec<String> {
    [
        "CREATE TABLE outbox_head (id BIGINT PRIMARY KEY, position BIGINT NOT NULL)",
        "INSERT INTO outbox_head (id, position) VALUES (1, 0)",
        "CREATE TABLE outbox_events (
            position BIGINT PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            event_type TEXT NOT NULL,
            version BIGINT NOT NULL,
            aggregate_type TEXT NOT NULL,
            aggregate_id TEXT NOT NULL,
            area_path TEXT NOT NULL,
            occurred_at BIGINT NOT NULL,
            payload TEXT NOT NULL)",
        "CREATE INDEX outbox_events_aggregate ON outbox_events (aggregate_type, aggregate_id, position)",
    ]
    .map(String::from)
    .to_vec()
}

/// The dashboard's clocks and callback figures read only dispatched or called-back incidents: partial
/// indexes over those, so a quarter's clock does not visit every incident received (imported
/// history often has no dispatch times; callbacks are a sample).
fn v31_incident_clock_indexes(_: Backend) -> Vec<String> {
    [
        "CREATE INDEX incidents_dispatched_kpi ON incidents (received_at, area_path) \
         WHERE dispatched_at IS NOT NULL",
        "CREATE INDEX incidents_called_back_kpi ON incidents (received_at, area_path) \
         WHERE satisfaction IS NOT NULL",
    ]
    .map(String::from)
    .to_vec()
}

/// 共享协议: what a partner organisation may receive (event types, the fields of each as JSON,
/// areas), for what purpose and on what legal basis, from when to when; drafted, approved by the
/// security administrator (another person), revoked.
fn v32_sharing_agreements(_: Backend) -> Vec<String> {
    [
        "CREATE TABLE sharing_agreements (
            id TEXT PRIMARY KEY,
            partner_org_id TEXT NOT NULL REFERENCES orgs(id),
            fields TEXT NOT NULL,
            area_paths TEXT NOT NULL,
            purpose TEXT NOT NULL,
            legal_basis TEXT,
            valid_from TEXT NOT NULL,
            valid_to TEXT NOT NULL,
            status TEXT NOT NULL,
            drafted_by TEXT NOT NULL REFERENCES users(id),
            drafted_at BIGINT NOT NULL,
            approved_by TEXT REFERENCES users(id),
            approved_at BIGINT,
            revoked_by TEXT REFERENCES users(id),
            revoked_at BIGINT,
            revoke_reason TEXT,
            updated_at BIGINT NOT NULL)",
        "CREATE INDEX sharing_agreements_partner ON sharing_agreements (partner_org_id, status)",
        "CREATE INDEX sharing_agreements_force ON sharing_agreements (status, valid_to)",
    ]
    .map(String::from)
    .to_vec()
}

/// A partner's endpoint and its delivery cursor (one row each, claimed by a lease), what was
/// delivered under which agreement or given up as a dead letter, and the events partners sent in.
fn v33_sharing_delivery(_: Backend) -> Vec<String> {
    [
        "CREATE TABLE sharing_endpoints (
            id TEXT PRIMARY KEY,
            partner_org_id TEXT NOT NULL UNIQUE REFERENCES orgs(id),
            transport TEXT NOT NULL,
            url TEXT NOT NULL,
            signing TEXT NOT NULL,
            secret_sealed TEXT NOT NULL,
            inbound_secret_sealed TEXT NOT NULL,
            subject_token TEXT NOT NULL UNIQUE,
            batch_size BIGINT NOT NULL,
            max_attempts BIGINT NOT NULL,
            enabled BOOLEAN NOT NULL,
            position BIGINT NOT NULL,
            attempts BIGINT NOT NULL,
            next_attempt_at BIGINT NOT NULL,
            last_error TEXT,
            last_success_at BIGINT,
            lease_holder TEXT,
            lease_until BIGINT NOT NULL,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL)",
        "CREATE TABLE sharing_deliveries (
            partner_org_id TEXT NOT NULL REFERENCES orgs(id),
            position BIGINT NOT NULL,
            event_id TEXT NOT NULL,
            event_type TEXT NOT NULL,
            agreement_id TEXT NOT NULL REFERENCES sharing_agreements(id),
            status TEXT NOT NULL,
            attempts BIGINT NOT NULL,
            last_error TEXT,
            at BIGINT NOT NULL,
            PRIMARY KEY (partner_org_id, position))",
        "CREATE INDEX sharing_deliveries_dead ON sharing_deliveries (partner_org_id, status, at)",
        "CREATE TABLE sharing_inbound (
            id TEXT PRIMARY KEY,
            partner_org_id TEXT NOT NULL REFERENCES orgs(id),
            event_id TEXT,
            event_type TEXT,
            outcome TEXT NOT NULL,
            object_type TEXT,
            object_id TEXT,
            error TEXT,
            received_at BIGINT NOT NULL)",
        "CREATE UNIQUE INDEX sharing_inbound_accepted ON sharing_inbound (partner_org_id, event_id) \
         WHERE outcome = 'accepted'",
        "CREATE INDEX sharing_inbound_partner ON sharing_inbound (partner_org_id, received_at)",
        "CREATE INDEX outbox_events_occurred ON outbox_events (occurred_at)",
    ]
    .map(String::from)
    .to_vec()
}

fn v24_publicity(_: Backend) -> Vec<String> {
    [
        "CREATE TABLE publicity_campaigns (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            theme TEXT NOT NULL,
            area_path TEXT NOT NULL,
            starts_on TEXT NOT NULL,
            ends_on TEXT NOT NULL,
            created_by TEXT NOT NULL REFERENCES users(id),
            created_at BIGINT NOT NULL)",
        "CREATE INDEX publicity_campaigns_area ON publicity_campaigns (area_path, starts_on)",
        "CREATE TABLE publicity_targets (
            campaign_id TEXT NOT NULL REFERENCES publicity_campaigns(id),
            setting TEXT NOT NULL,
            events BIGINT NOT NULL,
            PRIMARY KEY (campaign_id, setting))",
        "CREATE TABLE publicity_events (
            id TEXT PRIMARY KEY,
            campaign_id TEXT NOT NULL REFERENCES publicity_campaigns(id),
            setting TEXT NOT NULL,
            held_at BIGINT NOT NULL,
            place TEXT NOT NULL,
            grid_code TEXT NOT NULL,
            area_path TEXT NOT NULL,
            attendance BIGINT NOT NULL,
            materials TEXT NOT NULL,
            note TEXT NOT NULL,
            recorded_by TEXT NOT NULL REFERENCES users(id),
            created_at BIGINT NOT NULL)",
        "CREATE INDEX publicity_events_campaign ON publicity_events (campaign_id, held_at)",
        "CREATE INDEX incidents_grid ON incidents (grid_code, received_at)",
        "CREATE INDEX disputes_grid ON disputes (grid_code, registered_at)",
    ]
    .map(String::from)
    .to_vec()
}

/// 风险联排 (risks, their timeline, screening campaigns with per-grid checklists) and 入户走访
/// (households as addresses, visits, the issues each visit raised).
fn v23_risks_visits(_: Backend) -> Vec<String> {
    [
        // 风险联排: a risk lies in one grid (at a place or a point there); `task_id` is its
        // current rectification order, a supervised task.
        "CREATE TABLE risks (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            category TEXT NOT NULL,
            level TEXT NOT NULL,
            status TEXT NOT NULL,
            source TEXT NOT NULL,
            detail TEXT NOT NULL,
            place_id TEXT REFERENCES places(id),
            grid_code TEXT NOT NULL,
            area_path TEXT NOT NULL,
            lng DOUBLE PRECISION,
            lat DOUBLE PRECISION,
            campaign_id TEXT,
            visit_id TEXT,
            task_id TEXT REFERENCES tasks(id),
            found_by TEXT NOT NULL REFERENCES users(id),
            found_at BIGINT NOT NULL,
            closed_at BIGINT,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL)",
        "CREATE INDEX risks_area ON risks (area_path, status, found_at)",
        "CREATE INDEX risks_grid ON risks (grid_code, status)",
        "CREATE INDEX risks_campaign ON risks (campaign_id) WHERE campaign_id IS NOT NULL",
        "CREATE INDEX risks_place ON risks (place_id) WHERE place_id IS NOT NULL",
        "CREATE INDEX risks_task ON risks (task_id) WHERE task_id IS NOT NULL",
        "CREATE TABLE risk_events (
            id TEXT PRIMARY KEY,
            risk_id TEXT NOT NULL REFERENCES risks(id),
            at BIGINT NOT NULL,
            actor_id TEXT REFERENCES users(id),
            kind TEXT NOT NULL,
            note TEXT NOT NULL,
            task_id TEXT)",
        "CREATE INDEX risk_events_risk ON risk_events (risk_id, at)",
        "CREATE TABLE risk_campaigns (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            area_path TEXT NOT NULL,
            starts_on TEXT NOT NULL,
            ends_on TEXT NOT NULL,
            created_by TEXT NOT NULL REFERENCES users(id),
            created_at BIGINT NOT NULL)",
        "CREATE TABLE risk_campaign_items (
            campaign_id TEXT NOT NULL REFERENCES risk_campaigns(id),
            seq BIGINT NOT NULL,
            text TEXT NOT NULL,
            category TEXT NOT NULL,
            PRIMARY KEY (campaign_id, seq))",
        "CREATE TABLE risk_campaign_grids (
            campaign_id TEXT NOT NULL REFERENCES risk_campaigns(id),
            grid_code TEXT NOT NULL,
            area_path TEXT NOT NULL,
            done_at BIGINT,
            done_by TEXT REFERENCES users(id),
            note TEXT,
            PRIMARY KEY (campaign_id, grid_code))",
        "CREATE INDEX risk_campaign_grids_area ON risk_campaign_grids (area_path)",
        "CREATE TABLE risk_campaign_checks (
            campaign_id TEXT NOT NULL,
            grid_code TEXT NOT NULL,
            seq BIGINT NOT NULL,
            result TEXT NOT NULL,
            risk_id TEXT REFERENCES risks(id),
            note TEXT NOT NULL,
            checked_by TEXT NOT NULL REFERENCES users(id),
            checked_at BIGINT NOT NULL,
            PRIMARY KEY (campaign_id, grid_code, seq),
            FOREIGN KEY (campaign_id, grid_code) REFERENCES risk_campaign_grids (campaign_id, grid_code))",
        // 入户走访: a household is an address in a grid, nothing about its people.
        "CREATE TABLE households (
            id TEXT PRIMARY KEY,
            grid_code TEXT NOT NULL,
            area_path TEXT NOT NULL,
            address TEXT NOT NULL,
            lng DOUBLE PRECISION,
            lat DOUBLE PRECISION,
            created_at BIGINT NOT NULL,
            UNIQUE (grid_code, address))",
        "CREATE INDEX households_area ON households (area_path)",
        "CREATE TABLE visits (
            id TEXT PRIMARY KEY,
            grid_code TEXT NOT NULL,
            area_path TEXT NOT NULL,
            household_id TEXT REFERENCES households(id),
            place_id TEXT REFERENCES places(id),
            visited_at BIGINT NOT NULL,
            visitor_id TEXT NOT NULL REFERENCES users(id),
            topics TEXT NOT NULL,
            materials TEXT NOT NULL,
            note TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            CHECK ((household_id IS NULL) <> (place_id IS NULL)))",
        "CREATE INDEX visits_area ON visits (area_path, visited_at)",
        "CREATE INDEX visits_grid ON visits (grid_code, visited_at)",
        "CREATE INDEX visits_visitor ON visits (visitor_id, visited_at)",
        "CREATE TABLE visit_issues (
            visit_id TEXT NOT NULL REFERENCES visits(id),
            seq BIGINT NOT NULL,
            kind TEXT NOT NULL,
            object_id TEXT NOT NULL,
            PRIMARY KEY (visit_id, seq))",
    ]
    .map(String::from)
    .to_vec()
}

/// 联席会议 and 交办/督办: meetings (organiser, participating organisations and people, agenda items
/// that may link an incident, dispute, case, risk or place, minutes, decisions, attachments by SM3
/// reference) and supervised tasks (lead organisation and person, co-organisations, deadline day,
/// card, timeline, extension requests).
fn v22_meetings_tasks(_: Backend) -> Vec<String> {
    [
        "CREATE TABLE meetings (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            org_id TEXT NOT NULL REFERENCES orgs(id),
            org_path TEXT NOT NULL,
            area_path TEXT NOT NULL,
            held_at BIGINT NOT NULL,
            place TEXT NOT NULL,
            minutes TEXT NOT NULL,
            created_by TEXT NOT NULL REFERENCES users(id),
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL)",
        "CREATE INDEX meetings_org ON meetings (org_path, held_at)",
        "CREATE INDEX meetings_area ON meetings (area_path, held_at)",
        "CREATE TABLE meeting_orgs (
            meeting_id TEXT NOT NULL REFERENCES meetings(id),
            org_id TEXT NOT NULL REFERENCES orgs(id),
            PRIMARY KEY (meeting_id, org_id))",
        "CREATE TABLE meeting_attendees (
            id TEXT PRIMARY KEY,
            meeting_id TEXT NOT NULL REFERENCES meetings(id),
            user_id TEXT REFERENCES users(id),
            name TEXT NOT NULL)",
        "CREATE INDEX meeting_attendees_meeting ON meeting_attendees (meeting_id)",
        "CREATE TABLE meeting_agenda (
            id TEXT PRIMARY KEY,
            meeting_id TEXT NOT NULL REFERENCES meetings(id),
            seq BIGINT NOT NULL,
            title TEXT NOT NULL,
            link_kind TEXT,
            link_id TEXT)",
        "CREATE INDEX meeting_agenda_meeting ON meeting_agenda (meeting_id, seq)",
        "CREATE TABLE meeting_decisions (
            id TEXT PRIMARY KEY,
            meeting_id TEXT NOT NULL REFERENCES meetings(id),
            seq BIGINT NOT NULL,
            text TEXT NOT NULL,
            agreed_by TEXT NOT NULL,
            created_by TEXT NOT NULL REFERENCES users(id),
            created_at BIGINT NOT NULL)",
        "CREATE UNIQUE INDEX meeting_decisions_meeting ON meeting_decisions (meeting_id, seq)",
        "CREATE TABLE meeting_attachments (
            id TEXT PRIMARY KEY,
            meeting_id TEXT NOT NULL REFERENCES meetings(id),
            name TEXT NOT NULL,
            sm3 TEXT NOT NULL,
            reference TEXT NOT NULL,
            added_by TEXT NOT NULL REFERENCES users(id),
            added_at BIGINT NOT NULL)",
        "CREATE INDEX meeting_attachments_meeting ON meeting_attachments (meeting_id)",
        "CREATE TABLE tasks (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            detail TEXT NOT NULL,
            meeting_id TEXT REFERENCES meetings(id),
            decision_id TEXT REFERENCES meeting_decisions(id),
            link_kind TEXT,
            link_id TEXT,
            lead_org_id TEXT NOT NULL REFERENCES orgs(id),
            org_path TEXT NOT NULL,
            area_path TEXT NOT NULL,
            lead_user_id TEXT NOT NULL REFERENCES users(id),
            assigned_by TEXT NOT NULL REFERENCES users(id),
            assigned_at BIGINT NOT NULL,
            due_on TEXT NOT NULL,
            deadline_end BIGINT NOT NULL,
            status TEXT NOT NULL,
            card TEXT NOT NULL,
            card_reasons TEXT NOT NULL,
            carded_at BIGINT,
            progress BIGINT NOT NULL,
            last_activity_at BIGINT NOT NULL,
            submitted_at BIGINT,
            closed_at BIGINT,
            updated_at BIGINT NOT NULL)",
        "CREATE INDEX tasks_org ON tasks (org_path)",
        "CREATE INDEX tasks_area ON tasks (area_path)",
        "CREATE INDEX tasks_lead ON tasks (lead_user_id, status)",
        "CREATE INDEX tasks_live ON tasks (status, deadline_end)",
        "CREATE INDEX tasks_decision ON tasks (decision_id)",
        "CREATE INDEX tasks_meeting ON tasks (meeting_id)",
        "CREATE INDEX tasks_assigner ON tasks (assigned_by, status)",
        "CREATE TABLE task_orgs (
            task_id TEXT NOT NULL REFERENCES tasks(id),
            org_id TEXT NOT NULL REFERENCES orgs(id),
            PRIMARY KEY (task_id, org_id))",
        "CREATE INDEX task_orgs_org ON task_orgs (org_id)",
        "CREATE TABLE task_events (
            id TEXT PRIMARY KEY,
            task_id TEXT NOT NULL REFERENCES tasks(id),
            at BIGINT NOT NULL,
            actor_id TEXT,
            kind TEXT NOT NULL,
            note TEXT NOT NULL,
            data TEXT NOT NULL)",
        "CREATE INDEX task_events_task ON task_events (task_id, at)",
        "CREATE TABLE task_extensions (
            id TEXT PRIMARY KEY,
            task_id TEXT NOT NULL REFERENCES tasks(id),
            requested_by TEXT NOT NULL REFERENCES users(id),
            requested_at BIGINT NOT NULL,
            due_on TEXT NOT NULL,
            reason TEXT NOT NULL,
            status TEXT NOT NULL,
            decided_by TEXT REFERENCES users(id),
            decided_at BIGINT,
            decision_note TEXT NOT NULL)",
        "CREATE INDEX task_extensions_task ON task_extensions (task_id)",
        "CREATE UNIQUE INDEX task_extensions_pending ON task_extensions (task_id) WHERE status = 'pending'",
    ]
    .into_iter()
    .map(String::from)
    .collect()
}

/// What the teams' services check, also kept by the database against two requests at once: one
/// team of a name under an organisation, an account on a team once while on it, a report credited
/// once whoever reported it.
fn v21_team_uniques(_: Backend) -> Vec<String> {
    vec![
        "CREATE UNIQUE INDEX teams_org_name ON teams (org_id, name)".into(),
        "CREATE UNIQUE INDEX team_members_account ON team_members (team_id, user_id) \
         WHERE left_at IS NULL AND user_id IS NOT NULL"
            .into(),
        "CREATE UNIQUE INDEX team_ledger_report ON team_ledger (object_id) WHERE kind = 'report'"
            .into(),
    ]
}

/// Old raw GPS fixes folded into simplified tracks: the kept fixes, and one record per unit-day
/// stating what was folded and the error bound that holds.
fn v20_folded_tracks(_: Backend) -> Vec<String> {
    vec![
        "CREATE TABLE unit_positions_folded (
            unit_id TEXT NOT NULL,
            at BIGINT NOT NULL,
            lng DOUBLE PRECISION NOT NULL,
            lat DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (unit_id, at))"
            .into(),
        "CREATE TABLE unit_track_folds (
            unit_id TEXT NOT NULL,
            day_start BIGINT NOT NULL,
            day_end BIGINT NOT NULL,
            raw_fixes BIGINT NOT NULL,
            kept_fixes BIGINT NOT NULL,
            tolerance_m DOUBLE PRECISION NOT NULL,
            max_error_m DOUBLE PRECISION NOT NULL,
            folded_at BIGINT NOT NULL,
            PRIMARY KEY (unit_id, day_start))"
            .into(),
    ]
}

/// 群防群治: teams, their members (an account or a name), duties, tasks and the points ledger.
fn v19_teams(_: Backend) -> Vec<String> {
    vec![
        "CREATE TABLE teams (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            org_id TEXT NOT NULL REFERENCES orgs(id),
            org_path TEXT NOT NULL,
            area_path TEXT NOT NULL,
            note TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at BIGINT NOT NULL)"
            .into(),
        "CREATE INDEX teams_org ON teams (org_path)".into(),
        "CREATE INDEX teams_area ON teams (area_path)".into(),
        "CREATE TABLE team_members (
            id TEXT PRIMARY KEY,
            team_id TEXT NOT NULL REFERENCES teams(id),
            user_id TEXT REFERENCES users(id),
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            joined_at BIGINT NOT NULL,
            left_at BIGINT)"
            .into(),
        "CREATE INDEX team_members_team ON team_members (team_id)".into(),
        "CREATE INDEX team_members_user ON team_members (user_id)".into(),
        "CREATE TABLE team_duties (
            id TEXT PRIMARY KEY,
            team_id TEXT NOT NULL REFERENCES teams(id),
            place TEXT NOT NULL,
            starts_at BIGINT NOT NULL,
            ends_at BIGINT NOT NULL,
            note TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            confirmed_by TEXT,
            confirmed_at BIGINT,
            cancelled_at BIGINT)"
            .into(),
        "CREATE INDEX team_duties_team ON team_duties (team_id, starts_at)".into(),
        "CREATE TABLE team_duty_members (
            duty_id TEXT NOT NULL REFERENCES team_duties(id),
            member_id TEXT NOT NULL REFERENCES team_members(id),
            present BOOLEAN,
            PRIMARY KEY (duty_id, member_id))"
            .into(),
        "CREATE INDEX team_duty_members_member ON team_duty_members (member_id)".into(),
        "CREATE TABLE team_tasks (
            id TEXT PRIMARY KEY,
            team_id TEXT NOT NULL REFERENCES teams(id),
            kind TEXT NOT NULL,
            title TEXT NOT NULL,
            place TEXT NOT NULL,
            due_at BIGINT NOT NULL,
            status TEXT NOT NULL,
            note TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            done_by TEXT,
            done_at BIGINT,
            work_minutes BIGINT)"
            .into(),
        "CREATE INDEX team_tasks_team ON team_tasks (team_id, due_at)".into(),
        "CREATE TABLE team_task_members (
            task_id TEXT NOT NULL REFERENCES team_tasks(id),
            member_id TEXT NOT NULL REFERENCES team_members(id),
            PRIMARY KEY (task_id, member_id))"
            .into(),
        "CREATE INDEX team_task_members_member ON team_task_members (member_id)".into(),
        // Append-only: a correction is a further entry. One credit per member and duty, task or
        // report (the unique key makes a re-run of the report credit harmless).
        "CREATE TABLE team_ledger (
            id TEXT PRIMARY KEY,
            team_id TEXT NOT NULL REFERENCES teams(id),
            member_id TEXT NOT NULL REFERENCES team_members(id),
            at BIGINT NOT NULL,
            kind TEXT NOT NULL,
            object_id TEXT,
            minutes BIGINT NOT NULL,
            points BIGINT NOT NULL,
            note TEXT NOT NULL,
            recorded_by TEXT NOT NULL)"
            .into(),
        "CREATE UNIQUE INDEX team_ledger_once ON team_ledger (member_id, kind, object_id)".into(),
        "CREATE INDEX team_ledger_team ON team_ledger (team_id, at)".into(),
        "CREATE INDEX team_ledger_object ON team_ledger (kind, object_id)".into(),
    ]
}

/// 排班: shifts on patrol zones and the people who crew them.
fn v17_patrol_shifts(_: Backend) -> Vec<String> {
    vec![
        "CREATE TABLE patrol_shifts (
            id TEXT PRIMARY KEY,
            zone_id TEXT NOT NULL REFERENCES patrol_zones(id),
            station_org_id TEXT NOT NULL REFERENCES orgs(id),
            org_path TEXT NOT NULL,
            area_path TEXT NOT NULL,
            mode TEXT NOT NULL,
            unit_id TEXT REFERENCES units(id),
            starts_at BIGINT NOT NULL,
            ends_at BIGINT NOT NULL,
            note TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            cancelled_by TEXT,
            cancelled_at BIGINT)"
            .into(),
        "CREATE INDEX patrol_shifts_org ON patrol_shifts (org_path, starts_at)".into(),
        "CREATE INDEX patrol_shifts_unit ON patrol_shifts (unit_id, starts_at)".into(),
        "CREATE TABLE patrol_shift_crew (
            shift_id TEXT NOT NULL REFERENCES patrol_shifts(id),
            user_id TEXT NOT NULL REFERENCES users(id),
            seconded BOOLEAN NOT NULL,
            PRIMARY KEY (shift_id, user_id))"
            .into(),
        "CREATE INDEX patrol_shift_crew_user ON patrol_shift_crew (user_id)".into(),
    ]
}

/// The imported base map: one tile set (XYZ rows), shared by every server of the deployment.
fn v14_basemap(backend: Backend) -> Vec<String> {
    let blob = match backend {
        Backend::Sqlite => "BLOB",
        Backend::Postgres => "BYTEA",
    };
    vec![
        format!(
            "CREATE TABLE basemap_tiles (
                z BIGINT NOT NULL,
                x BIGINT NOT NULL,
                y BIGINT NOT NULL,
                data {blob} NOT NULL,
                PRIMARY KEY (z, x, y))"
        ),
        "CREATE TABLE basemap (
            id BIGINT PRIMARY KEY CHECK (id = 1),
            name TEXT NOT NULL,
            format TEXT NOT NULL,
            compression TEXT NOT NULL,
            min_zoom BIGINT NOT NULL,
            max_zoom BIGINT NOT NULL,
            west DOUBLE PRECISION NOT NULL,
            south DOUBLE PRECISION NOT NULL,
            east DOUBLE PRECISION NOT NULL,
            north DOUBLE PRECISION NOT NULL,
            attribution TEXT NOT NULL,
            source TEXT NOT NULL,
            synthetic BOOLEAN NOT NULL,
            tile_count BIGINT NOT NULL,
            imported_at BIGINT NOT NULL)"
            .into(),
    ]
}
