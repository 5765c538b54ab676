//! 分片布警: the rules of a patrol plan that need no I/O — how an incident's hour of day weights it
//! (the hour-of-day risk), which hours a post should be manned (its window from the hourly profile
//! of what it covers), and what a station chief changed in what the kernel proposed.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Hours in a day: profiles are indexed by the local (UTC+8) hour 0–23.
pub const HOURS: usize = 24;

/// Relative risk of each hour of day: the hour's share of the incidents × 24, so an average hour is
/// 1.0 and an hour with twice the average is 2.0. With no incidents every hour is 1.0.
pub fn hourly_risk(counts: &[f64; HOURS]) -> [f64; HOURS] {
    let total: f64 = counts.iter().sum();
    if total <= 0.0 {
        return [1.0; HOURS];
    }
    let mut out = [0.0; HOURS];
    for (o, c) in out.iter_mut().zip(counts) {
        *o = c / total * HOURS as f64;
    }
    out
}

/// The local hour (0–23, China time UTC+8) of an instant in UTC microseconds.
pub fn local_hour(micros: i64) -> usize {
    let secs = micros.div_euclid(1_000_000) + 8 * 3600;
    (secs.div_euclid(3600).rem_euclid(24)) as usize
}

/// When a post is to be manned each day: `hours` hours from `start_hour` (local time), wrapping
/// past midnight (start 22, 4 hours = 22:00–02:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HourWindow {
    /// 0–23.
    pub start_hour: u8,
    /// 1–24.
    pub hours: u8,
}

/// Why a window is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error("start_hour must be 0–23, got {0}")]
    Start(u8),
    #[error("hours must be 1–24, got {0}")]
    Hours(u8),
}

impl HourWindow {
    pub fn new(start_hour: u8, hours: u8) -> Result<Self, WindowError> {
        let w = HourWindow { start_hour, hours };
        w.check()?;
        Ok(w)
    }

    pub fn check(&self) -> Result<(), WindowError> {
        if self.start_hour > 23 {
            return Err(WindowError::Start(self.start_hour));
        }
        if !(1..=24).contains(&self.hours) {
            return Err(WindowError::Hours(self.hours));
        }
        Ok(())
    }

    /// Whether the local hour `h` (0–23) is inside the window.
    pub fn contains(&self, h: usize) -> bool {
        let start = self.start_hour as usize;
        (h + HOURS - start) % HOURS < self.hours as usize
    }

    /// "20:00–23:00"; a window ending past midnight reads "22:00–02:00".
    pub fn label(&self) -> String {
        let end = (self.start_hour as usize + self.hours as usize) % HOURS;
        format!("{:02}:00–{:02}:00", self.start_hour, end)
    }
}

/// The `hours`-long window (wrapping midnight) holding the most weight of `profile`; of equal
/// windows the earliest start. An empty profile gives the window starting at 0.
pub fn busiest_window(profile: &[f64; HOURS], hours: u8) -> HourWindow {
    let len = (hours as usize).clamp(1, HOURS);
    let mut best = (f64::NEG_INFINITY, 0usize);
    for start in 0..HOURS {
        let w: f64 = (0..len).map(|k| profile[(start + k) % HOURS]).sum();
        // Strictly greater keeps the earliest start on ties (and rounding cannot reorder equal sums
        // of the same terms: each window is summed in its own order, so compare with a margin).
        if w > best.0 + 1e-9 * w.abs().max(1.0) {
            best = (w, start);
        }
    }
    HourWindow {
        start_hour: best.1 as u8,
        hours: len as u8,
    }
}

/// A patrol post (必到点) as a plan holds it: where, when, and which of the kernel's proposed posts
/// it came from (`None`: added by the chief).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Post {
    pub lng: f64,
    pub lat: f64,
    pub window: HourWindow,
    /// Index of the proposed post this one is (moved or not); absent for a post the chief added.
    #[serde(default)]
    pub proposed: Option<usize>,
}

/// One difference between the kernel's proposal and the plan as the chief left it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum PostChange {
    /// A proposed post moved by more than [`MOVE_TOLERANCE_M`].
    Moved {
        proposed: usize,
        from: [f64; 2],
        to: [f64; 2],
        metres: f64,
    },
    /// A proposed post's window changed.
    Rescheduled {
        proposed: usize,
        from: HourWindow,
        to: HourWindow,
    },
    /// A proposed post the chief removed.
    Removed { proposed: usize, at: [f64; 2] },
    /// A post the kernel did not propose.
    Added { at: [f64; 2], window: HourWindow },
}

/// Moves shorter than this are a hand's tremble on the map, not a decision.
pub const MOVE_TOLERANCE_M: f64 = 1.0;

/// Great-circle distance in metres (spherical earth, R = 6,371,008.8 m).
pub fn metres_between(a: [f64; 2], b: [f64; 2]) -> f64 {
    let r = 6_371_008.8_f64;
    let (la1, la2) = (a[1].to_radians(), b[1].to_radians());
    let dla = la2 - la1;
    let dlo = (b[0] - a[0]).to_radians();
    let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
    2.0 * r * h.sqrt().min(1.0).asin()
}

/// What the chief changed: per proposed post removed, moved and/or rescheduled (in proposal
/// order), then the posts added (in plan order).
pub fn changes(proposal: &[Post], plan: &[Post]) -> Vec<PostChange> {
    let mut out = Vec::new();
    for (i, p) in proposal.iter().enumerate() {
        let Some(now) = plan.iter().find(|q| q.proposed == Some(i)) else {
            out.push(PostChange::Removed {
                proposed: i,
                at: [p.lng, p.lat],
            });
            continue;
        };
        let metres = metres_between([p.lng, p.lat], [now.lng, now.lat]);
        if metres > MOVE_TOLERANCE_M {
            out.push(PostChange::Moved {
                proposed: i,
                from: [p.lng, p.lat],
                to: [now.lng, now.lat],
                metres,
            });
        }
        if now.window != p.window {
            out.push(PostChange::Rescheduled {
                proposed: i,
                from: p.window,
                to: now.window,
            });
        }
    }
    for q in plan.iter().filter(|q| q.proposed.is_none()) {
        out.push(PostChange::Added {
            at: [q.lng, q.lat],
            window: q.window,
        });
    }
    out
}

/// Why an edited list of posts cannot be the plan.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PostsError {
    #[error("a plan has 1–{max} posts, got {got}")]
    Count { got: usize, max: usize },
    #[error("posts[{index}]: {message}")]
    Post { index: usize, message: String },
}

/// Most posts one plan may hold (the kernel proposes at most as many).
pub const MAX_POSTS: usize = 30;

/// Checks an edited list against its proposal: 1–[`MAX_POSTS`] posts, finite coordinates, valid
/// windows, and each proposed post referred to at most once.
pub fn check_posts(proposal_len: usize, posts: &[Post]) -> Result<(), PostsError> {
    if posts.is_empty() || posts.len() > MAX_POSTS {
        return Err(PostsError::Count {
            got: posts.len(),
            max: MAX_POSTS,
        });
    }
    let mut seen = vec![false; proposal_len];
    for (index, p) in posts.iter().enumerate() {
        let bad = |message: String| PostsError::Post { index, message };
        // A range holds no NaN or infinity.
        if !((-180.0..=180.0).contains(&p.lng) && (-90.0..=90.0).contains(&p.lat)) {
            return Err(bad("lng/lat must be a position in degrees".into()));
        }
        p.window.check().map_err(|e| bad(e.to_string()))?;
        if let Some(i) = p.proposed {
            match seen.get_mut(i) {
                None => return Err(bad(format!("proposed must be below {proposal_len}"))),
                Some(true) => return Err(bad(format!("proposed post {i} appears twice"))),
                Some(s) => *s = true,
            }
        }
    }
    Ok(())
}

/// A plan is drafted (the kernel's proposal, edited by the chief) and then published to the crews;
/// a published plan is no longer edited — a new plan replaces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    Draft,
    Published,
}

impl PlanStatus {
    pub const ALL: &'static [PlanStatus] = &[PlanStatus::Draft, PlanStatus::Published];

    pub fn code(self) -> &'static str {
        match self {
            PlanStatus::Draft => "draft",
            PlanStatus::Published => "published",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(PlanStatus::Draft),
            "published" => Some(PlanStatus::Published),
            _ => None,
        }
    }
}

/// How a post was checked in on a day, as kept for the record (`patrol_post_days.method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckInMethod {
    /// By a unit's GPS track (a manual check-in beside it adds nothing).
    Gps,
    /// By hand only (手动打卡).
    Manual,
    /// Not at all.
    Missed,
}

impl CheckInMethod {
    pub const ALL: &'static [CheckInMethod] = &[
        CheckInMethod::Gps,
        CheckInMethod::Manual,
        CheckInMethod::Missed,
    ];

    pub fn of(gps: bool, manual: bool) -> Self {
        match (gps, manual) {
            (true, _) => CheckInMethod::Gps,
            (false, true) => CheckInMethod::Manual,
            (false, false) => CheckInMethod::Missed,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            CheckInMethod::Gps => "gps",
            CheckInMethod::Manual => "manual",
            CheckInMethod::Missed => "missed",
        }
    }

    pub fn checked_in(self) -> bool {
        self != CheckInMethod::Missed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_track_check_in_outranks_a_manual_one() {
        assert_eq!(CheckInMethod::of(true, true), CheckInMethod::Gps);
        assert_eq!(CheckInMethod::of(false, true), CheckInMethod::Manual);
        assert_eq!(CheckInMethod::of(false, false), CheckInMethod::Missed);
        assert!(!CheckInMethod::Missed.checked_in() && CheckInMethod::Manual.checked_in());
    }

    fn post(lng: f64, lat: f64, start: u8, proposed: Option<usize>) -> Post {
        Post {
            lng,
            lat,
            window: HourWindow {
                start_hour: start,
                hours: 3,
            },
            proposed,
        }
    }

    #[test]
    fn risk_is_the_hours_share_times_24() {
        let mut c = [0.0; HOURS];
        c[20] = 3.0;
        c[21] = 1.0;
        let r = hourly_risk(&c);
        assert_eq!(r[20], 18.0);
        assert_eq!(r[21], 6.0);
        assert_eq!(r[3], 0.0);
        assert_eq!(r.iter().sum::<f64>(), 24.0);
        assert_eq!(hourly_risk(&[0.0; HOURS]), [1.0; HOURS]);
    }

    #[test]
    fn local_hour_is_china_time() {
        // 2026-12-01T15:30:00Z is 23:30 in Beijing; 16:00Z is midnight.
        let t = 1_796_139_000_000_000_i64; // 2026-12-01T15:30:00Z
        assert_eq!(local_hour(t), 23);
        assert_eq!(local_hour(t + 30 * 60 * 1_000_000), 0);
        assert_eq!(local_hour(0), 8);
        assert_eq!(local_hour(-1), 7);
    }

    #[test]
    fn windows_wrap_midnight_and_prefer_the_earliest_of_equals() {
        let mut p = [0.0; HOURS];
        p[23] = 5.0;
        p[0] = 5.0;
        p[1] = 1.0;
        let w = busiest_window(&p, 3);
        assert_eq!(w, HourWindow::new(23, 3).unwrap());
        assert_eq!(w.label(), "23:00–02:00");
        assert!(w.contains(23) && w.contains(0) && w.contains(1) && !w.contains(2));
        // Flat profile: start 0.
        assert_eq!(busiest_window(&[1.0; HOURS], 4).start_hour, 0);
        // Two equal peaks: the earlier.
        let mut q = [0.0; HOURS];
        q[8] = 2.0;
        q[18] = 2.0;
        assert_eq!(busiest_window(&q, 1).start_hour, 8);
        assert_eq!(HourWindow::new(24, 1), Err(WindowError::Start(24)));
        assert_eq!(HourWindow::new(0, 0), Err(WindowError::Hours(0)));
        assert!(HourWindow::new(5, 24).unwrap().contains(4));
    }

    #[test]
    fn changes_name_what_the_chief_did() {
        let proposal = vec![
            post(120.0, 30.0, 20, None),
            post(120.01, 30.0, 8, None),
            post(120.02, 30.0, 1, None),
        ];
        let plan = vec![
            post(120.0, 30.0, 20, Some(0)),   // kept
            post(120.01, 30.001, 9, Some(1)), // moved ≈ 111 m and rescheduled
            post(120.05, 30.05, 22, None),    // added; proposal 2 removed
        ];
        let c = changes(&proposal, &plan);
        assert_eq!(c.len(), 4, "{c:?}");
        match &c[0] {
            PostChange::Moved {
                proposed, metres, ..
            } => {
                assert_eq!(*proposed, 1);
                assert!((metres - 111.19).abs() < 0.1, "{metres}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(c[1], PostChange::Rescheduled { proposed: 1, .. }));
        assert!(matches!(c[2], PostChange::Removed { proposed: 2, .. }));
        assert!(matches!(c[3], PostChange::Added { .. }));
        assert!(
            changes(
                &proposal,
                &[
                    post(120.0, 30.0, 20, Some(0)),
                    post(120.01, 30.0, 8, Some(1)),
                    post(120.02, 30.0, 1, Some(2))
                ]
            )
            .is_empty()
        );
    }

    #[test]
    fn edited_posts_are_checked() {
        let ok = vec![post(120.0, 30.0, 20, Some(0)), post(120.1, 30.0, 2, None)];
        assert_eq!(check_posts(1, &ok), Ok(()));
        assert!(matches!(
            check_posts(1, &[]),
            Err(PostsError::Count { got: 0, .. })
        ));
        let twice = vec![
            post(120.0, 30.0, 20, Some(0)),
            post(120.1, 30.0, 2, Some(0)),
        ];
        assert!(matches!(
            check_posts(1, &twice),
            Err(PostsError::Post { index: 1, .. })
        ));
        let beyond = vec![post(120.0, 30.0, 20, Some(3))];
        assert!(matches!(
            check_posts(1, &beyond),
            Err(PostsError::Post { index: 0, .. })
        ));
        let nowhere = vec![post(f64::NAN, 30.0, 20, None)];
        assert!(matches!(
            check_posts(0, &nowhere),
            Err(PostsError::Post { index: 0, .. })
        ));
        let late = vec![Post {
            window: HourWindow {
                start_hour: 25,
                hours: 2,
            },
            ..post(120.0, 30.0, 0, None)
        }];
        assert_eq!(
            check_posts(0, &late),
            Err(PostsError::Post {
                index: 0,
                message: "start_hour must be 0–23, got 25".into()
            })
        );
    }
}

/// A position of a unit, projected to metres, at an instant (UTC µs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fix {
    pub at: i64,
    pub x: f64,
    pub y: f64,
}

/// A stay near a post: from the first to the last of consecutive fixes within the radius.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Stay {
    pub from: i64,
    pub to: i64,
}

impl Stay {
    pub fn minutes(&self) -> f64 {
        (self.to - self.from) as f64 / 60e6
    }
}

/// The stays of one unit's track (fixes oldest first) within `radius` metres of `post`, clipped to
/// `[window_from, window_to)`. Between two fixes no more than `max_gap` µs apart the unit is taken to
/// move straight and steadily, so a stay starts and ends where that line crosses the circle (a
/// simplified track then answers as the raw one did, within its error bound); a longer silence
/// breaks a stay (the unit may have left in between: the track cannot say).
pub fn stays_near(
    track: &[Fix],
    post: (f64, f64),
    radius: f64,
    (window_from, window_to): (i64, i64),
    max_gap: i64,
) -> Vec<Stay> {
    let mut spans: Vec<(i64, i64)> = Vec::new();
    let mut add = |span: (i64, i64)| match spans.last_mut() {
        Some(last) if span.0 <= last.1 => last.1 = last.1.max(span.1),
        _ => spans.push(span),
    };
    for (i, f) in track.iter().enumerate() {
        if (f.x - post.0).powi(2) + (f.y - post.1).powi(2) <= radius * radius {
            add((f.at, f.at));
        }
        if let Some(g) = track.get(i + 1)
            && g.at - f.at <= max_gap
            && !beside(f, g, post, radius)
            && let Some(span) = segment_within(f, g, post, radius)
        {
            add(span);
        }
    }
    // Clipped to the window; a stay of one instant inside it is kept (zero minutes, but the unit
    // was there).
    spans
        .into_iter()
        .filter_map(|(from, to)| {
            let (from, to) = (from.max(window_from), to.min(window_to));
            (from <= to && from < window_to).then_some(Stay { from, to })
        })
        .collect()
}

/// Whether the move from `a` to `b` stays wholly on one side of the square around the circle (most
/// moves of a day: four comparisons instead of the crossing's arithmetic).
fn beside(a: &Fix, b: &Fix, p: (f64, f64), radius: f64) -> bool {
    (a.x < p.0 - radius && b.x < p.0 - radius)
        || (a.x > p.0 + radius && b.x > p.0 + radius)
        || (a.y < p.1 - radius && b.y < p.1 - radius)
        || (a.y > p.1 + radius && b.y > p.1 + radius)
}

/// When the straight, steady move from `a` to `b` is within `radius` of `p`: `(from, to)` µs.
fn segment_within(a: &Fix, b: &Fix, p: (f64, f64), radius: f64) -> Option<(i64, i64)> {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let (wx, wy) = (a.x - p.0, a.y - p.1);
    let dd = dx * dx + dy * dy;
    let c = wx * wx + wy * wy - radius * radius;
    let (s0, s1) = if dd == 0.0 {
        if c > 0.0 {
            return None;
        }
        (0.0, 1.0)
    } else {
        let wd = wx * dx + wy * dy;
        let disc = wd * wd - dd * c;
        if disc < 0.0 {
            return None;
        }
        let root = disc.sqrt();
        ((-wd - root) / dd, (-wd + root) / dd)
    };
    let (s0, s1) = (s0.max(0.0), s1.min(1.0));
    if s0 > s1 {
        return None;
    }
    let at = |s: f64| a.at + (s * (b.at - a.at) as f64).round() as i64;
    Some((at(s0), at(s1)))
}

/// Where a track has no fix for longer than `max_gap` µs: (last fix before, first fix after).
pub fn track_gaps(track: &[Fix], max_gap: i64) -> Vec<(i64, i64)> {
    track
        .windows(2)
        .filter(|w| w[1].at - w[0].at > max_gap)
        .map(|w| (w[0].at, w[1].at))
        .collect()
}

/// The window of a post on a local day as UTC µs `[from, to)`: `day_start` is the local midnight
/// that starts the day (a window past midnight ends on the next day).
pub fn window_on(window: HourWindow, day_start: i64) -> (i64, i64) {
    const HOUR: i64 = 3_600_000_000;
    let from = day_start + window.start_hour as i64 * HOUR;
    (from, from + window.hours as i64 * HOUR)
}

#[cfg(test)]
mod checkin_tests {
    use super::*;

    const MIN: i64 = 60_000_000;

    fn fix(min: i64, x: f64) -> Fix {
        Fix {
            at: min * MIN,
            x,
            y: 0.0,
        }
    }

    #[test]
    fn a_stay_runs_between_fixes_inside_and_is_clipped_to_the_window() {
        // Inside (x = 10 ≤ 50) from minute 10 to 30, at x = 500 otherwise, back 40–45. Moving
        // steadily between the minutes, the unit crosses x = 50 (the circle, on this line) 40/490 of
        // a minute before it reaches x = 10 and after it leaves it.
        let mut track: Vec<Fix> = (0..=60)
            .map(|m| {
                fix(
                    m,
                    if (10..=30).contains(&m) || (40..=45).contains(&m) {
                        10.0
                    } else {
                        500.0
                    },
                )
            })
            .collect();
        track.sort_by_key(|f| f.at);
        let cross = (MIN as f64 * 40.0 / 490.0).round() as i64;
        let s = stays_near(&track, (0.0, 0.0), 50.0, (0, 60 * MIN), 5 * MIN);
        assert_eq!(
            s,
            vec![
                Stay {
                    from: 10 * MIN - cross,
                    to: 30 * MIN + cross
                },
                Stay {
                    from: 40 * MIN - cross,
                    to: 45 * MIN + cross
                }
            ]
        );
        assert!((s[0].minutes() - (20.0 + 80.0 / 490.0)).abs() < 1e-6);
        // The window from minute 20: the first stay keeps 10 minutes and a bit.
        let s = stays_near(&track, (0.0, 0.0), 50.0, (20 * MIN, 42 * MIN), 5 * MIN);
        assert_eq!(
            s,
            vec![
                Stay {
                    from: 20 * MIN,
                    to: 30 * MIN + cross
                },
                Stay {
                    from: 40 * MIN - cross,
                    to: 42 * MIN
                }
            ]
        );
        // Exactly on the radius counts.
        let edge = vec![fix(0, 50.0), fix(5, 50.0)];
        assert_eq!(
            stays_near(&edge, (0.0, 0.0), 50.0, (0, 10 * MIN), 5 * MIN).len(),
            1
        );
    }

    #[test]
    fn passing_through_between_fixes_is_a_stay() {
        // From x = −300 to x = 300 in two minutes with no fix inside the 50 m circle: the line
        // crosses it from 50 s to 70 s.
        let track = vec![fix(0, -300.0), fix(2, 300.0)];
        let s = stays_near(&track, (0.0, 0.0), 50.0, (0, 60 * MIN), 5 * MIN);
        assert_eq!(
            s,
            vec![Stay {
                from: 50_000_000,
                to: 70_000_000
            }]
        );
        // Across a silence longer than max_gap the track is not read.
        let far = vec![fix(0, -300.0), fix(20, 300.0)];
        assert!(stays_near(&far, (0.0, 0.0), 50.0, (0, 60 * MIN), 5 * MIN).is_empty());
    }

    #[test]
    fn a_silent_track_breaks_the_stay() {
        // Inside at 0, 2 and again at 20, 22 with nothing between: two stays, not one of 22 minutes.
        let track = vec![fix(0, 1.0), fix(2, 1.0), fix(20, 1.0), fix(22, 1.0)];
        let s = stays_near(&track, (0.0, 0.0), 50.0, (0, 60 * MIN), 5 * MIN);
        assert_eq!(
            s,
            vec![
                Stay {
                    from: 0,
                    to: 2 * MIN
                },
                Stay {
                    from: 20 * MIN,
                    to: 22 * MIN
                }
            ]
        );
        assert_eq!(track_gaps(&track, 5 * MIN), vec![(2 * MIN, 20 * MIN)]);
    }

    #[test]
    fn a_window_past_midnight_ends_the_next_day() {
        let w = HourWindow::new(22, 4).unwrap();
        let (f, t) = window_on(w, 1_000 * 3_600_000_000);
        assert_eq!(f, 1_022 * 3_600_000_000);
        assert_eq!(t, 1_026 * 3_600_000_000);
    }
}
