//! Comparators priced by track (issue 17): a procured matching service (e.g. Rusta och matcha,
//! Stöd och matchning) paid a fee per participant that depends on the participant's track
//! (distance to the labour market) plus a results payment per participant in work, applied to
//! the trial's own participants, so that the comparison is like for like.
//!
//! For the programme arm's participants (weights dᵢ, the take-up), by track t:
//! n_t = Σ_{i∈t} dᵢ, share_t = n_t / Σ n, the programme's mean cost c̄_t = Σ dᵢcᵢ / n_t, the
//! share in work ȳ_t = Σ dᵢyᵢ / n_t (the priced outcome), and the service's price per participant
//! P_t = fee_t + payment · ȳ_t: what the service would have been paid for the same persons with
//! the same results. Over the trial's mix, P = Σ_t share_t P_t and c̄ = Σ_t share_t c̄_t; the
//! difference c̄ − P is negative when the programme costs less per participant.

use crate::error::{Error, Result};

/// A service's prices.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackPrice {
    pub name: String,
    /// Fee per participant, by track.
    pub fees: Vec<(String, f64)>,
    /// Payment per participant in work.
    pub results_payment: f64,
}

/// One track (or the trial's mix, `track` = None).
#[derive(Debug, Clone, PartialEq)]
pub struct TrackRow {
    pub track: Option<String>,
    /// Participants (Σ dᵢ).
    pub participants: f64,
    pub share: f64,
    /// The programme's mean cost per participant.
    pub programme_cost: f64,
    pub in_work_share: f64,
    /// The fee (for the mix: the mix-weighted fee).
    pub fee: f64,
    /// fee + results payment × share in work.
    pub price: f64,
    /// programme_cost − price.
    pub difference: f64,
}

/// The service against the programme, track by track and over the trial's mix.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackComparison {
    pub name: String,
    pub results_payment: f64,
    pub rows: Vec<TrackRow>,
    pub mix: TrackRow,
}

/// Why the prices do not fit the data's tracks.
#[derive(Debug, Clone, PartialEq)]
pub enum TrackMismatch {
    /// A track of a participant has no fee.
    NoFee { track: String },
    /// A fee is for a track no participant has.
    UnknownTrack { track: String, tracks: Vec<String> },
}

/// Compare `price` with the programme for persons with `track`, `cost`, status in work
/// `in_work` and weight `take_up` (only persons with a positive weight count).
pub fn compare(
    price: &TrackPrice,
    track: &[String],
    cost: &[f64],
    in_work: &[f64],
    take_up: &[f64],
) -> Result<std::result::Result<TrackComparison, TrackMismatch>> {
    let n = track.len();
    if cost.len() != n || in_work.len() != n || take_up.len() != n {
        return Err(Error::compute("tracks: columns of different lengths"));
    }
    // Tracks in order of first appearance among participants.
    let mut tracks: Vec<String> = Vec::new();
    for i in 0..n {
        if take_up[i] > 0.0 && !tracks.contains(&track[i]) {
            tracks.push(track[i].clone());
        }
    }
    for (t, _) in &price.fees {
        if !tracks.contains(t) {
            return Ok(Err(TrackMismatch::UnknownTrack {
                track: t.clone(),
                tracks,
            }));
        }
    }
    let fee_of = |t: &str| price.fees.iter().find(|(k, _)| k == t).map(|(_, f)| *f);
    let total: f64 = take_up.iter().filter(|d| **d > 0.0).sum();
    let mut rows = Vec::new();
    for t in &tracks {
        let Some(fee) = fee_of(t) else {
            return Ok(Err(TrackMismatch::NoFee { track: t.clone() }));
        };
        let members: Vec<usize> = (0..n)
            .filter(|&i| take_up[i] > 0.0 && &track[i] == t)
            .collect();
        let w: f64 = members.iter().map(|&i| take_up[i]).sum();
        let programme_cost = members.iter().map(|&i| take_up[i] * cost[i]).sum::<f64>() / w;
        let in_work_share = members
            .iter()
            .map(|&i| take_up[i] * in_work[i])
            .sum::<f64>()
            / w;
        let price_t = fee + price.results_payment * in_work_share;
        rows.push(TrackRow {
            track: Some(t.clone()),
            participants: w,
            share: w / total,
            programme_cost,
            in_work_share,
            fee,
            price: price_t,
            difference: programme_cost - price_t,
        });
    }
    let mixed = |f: fn(&TrackRow) -> f64| rows.iter().map(|r| r.share * f(r)).sum::<f64>();
    let mix = TrackRow {
        track: None,
        participants: total,
        share: 1.0,
        programme_cost: mixed(|r| r.programme_cost),
        in_work_share: mixed(|r| r.in_work_share),
        fee: mixed(|r| r.fee),
        price: mixed(|r| r.price),
        difference: mixed(|r| r.difference),
    };
    Ok(Ok(TrackComparison {
        name: price.name.clone(),
        results_payment: price.results_payment,
        rows,
        mix,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(fees: &[(&str, f64)]) -> TrackPrice {
        TrackPrice {
            name: "service".into(),
            fees: fees.iter().map(|(t, f)| (t.to_string(), *f)).collect(),
            results_payment: 1000.0,
        }
    }

    #[test]
    fn the_mix_weights_each_track_by_its_participants() {
        let track: Vec<String> = ["near", "far", "far", "near"].map(String::from).to_vec();
        let cost = [100.0, 300.0, 500.0, 900.0];
        let work = [1.0, 0.0, 1.0, 0.0];
        let take_up = [1.0, 1.0, 1.0, 0.0];
        let c = compare(
            &price(&[("near", 50.0), ("far", 80.0)]),
            &track,
            &cost,
            &work,
            &take_up,
        )
        .unwrap()
        .unwrap();
        assert_eq!(c.rows[0].track.as_deref(), Some("near"));
        assert_eq!(c.rows[0].price, 50.0 + 1000.0);
        assert_eq!(c.rows[1].programme_cost, 400.0);
        assert_eq!(c.rows[1].price, 80.0 + 500.0);
        // Mix: 1/3 near, 2/3 far.
        assert!((c.mix.price - (1050.0 + 2.0 * 580.0) / 3.0).abs() < 1e-12);
        assert!((c.mix.programme_cost - 300.0).abs() < 1e-12);
    }

    #[test]
    fn a_fee_for_an_unknown_track_or_a_track_without_fee_is_named() {
        let track: Vec<String> = ["near", "far"].map(String::from).to_vec();
        let args = (
            &track[..],
            &[1.0, 1.0][..],
            &[0.0, 1.0][..],
            &[1.0, 1.0][..],
        );
        let unknown = compare(
            &price(&[("near", 1.0), ("middle", 2.0)]),
            args.0,
            args.1,
            args.2,
            args.3,
        );
        assert!(matches!(
            unknown,
            Ok(Err(TrackMismatch::UnknownTrack { .. }))
        ));
        let missing = compare(&price(&[("near", 1.0)]), args.0, args.1, args.2, args.3);
        assert_eq!(
            missing.unwrap(),
            Err(TrackMismatch::NoFee {
                track: "far".into()
            })
        );
    }
}
