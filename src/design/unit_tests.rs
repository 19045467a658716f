//! Unit tests of the pure assignment functions: exact counts, probabilities, clusters, order
//! invariance, misfit policies, rolling batches, re-draws.

use super::plan::{AssignmentPlan, intern, strata_codes};
use super::{AssignmentMethod, Design, DesignInput, Misfits, UNASSIGNED};
use crate::rng::Stream;
use std::collections::{BTreeMap, HashMap};

fn design(
    arms: &[(&str, u32)],
    method: AssignmentMethod,
    misfits: Option<Misfits>,
    sizes: &[u32],
) -> Design {
    Design::new(DesignInput {
        arms: arms.iter().map(|(n, r)| (n.to_string(), *r)).collect(),
        method: Some(method),
        misfits,
        block_sizes: sizes.to_vec(),
        seed: 2019,
        id: "id".into(),
        ..Default::default()
    })
    .unwrap()
}

/// Units with ids u000.., strata of the given sizes (keys s0, s1, …), batch 1.
fn units(sizes: &[usize]) -> (Vec<String>, Vec<String>) {
    let mut ids = Vec::new();
    let mut strata = Vec::new();
    for (s, &n) in sizes.iter().enumerate() {
        for _ in 0..n {
            ids.push(format!("u{:04}", ids.len()));
            strata.push(format!("s{s}"));
        }
    }
    (ids, strata)
}

fn plan(d: &Design, ids: &[String], strata: &[String], batch: &[u32]) -> AssignmentPlan {
    let (codes, keys) = strata_codes(&[("g", strata)], ids.len());
    AssignmentPlan::new(d, ids, (&codes, &keys), None, batch).unwrap()
}

fn counts_by_stratum(strata: &[String], arms: &[u32]) -> BTreeMap<(String, u32), usize> {
    let mut m = BTreeMap::new();
    for (s, &a) in strata.iter().zip(arms) {
        *m.entry((s.clone(), a)).or_insert(0) += 1;
    }
    m
}

#[test]
fn complete_gives_exact_counts_in_every_stratum() {
    let d = design(
        &[("md1", 2), ("standard", 1)],
        AssignmentMethod::Complete,
        None,
        &[],
    );
    let (ids, strata) = units(&[30, 10, 2]);
    let p = plan(&d, &ids, &strata, &vec![1; ids.len()]);
    let a = p.assign(d.seed);
    let arms: Vec<u32> = a.slots.iter().map(|s| s.arm).collect();
    let c = counts_by_stratum(&strata, &arms);
    assert_eq!(c[&("s0".into(), 0)], 20);
    assert_eq!(c[&("s0".into(), 1)], 10);
    assert_eq!(c[&("s1".into(), 0)], 6);
    assert_eq!(c[&("s1".into(), 1)], 3);
    assert_eq!(c[&("s1".into(), UNASSIGNED)], 1); // misfits = missing
    assert_eq!(c[&("s2".into(), UNASSIGNED)], 2);
    // Probabilities: k·rₐ/n for the arm; NaN for misfits.
    for (i, s) in strata.iter().enumerate() {
        let want = match (s.as_str(), arms[i]) {
            ("s0", 0) => 2.0 / 3.0,
            ("s0", 1) => 1.0 / 3.0,
            ("s1", 0) => 0.6,
            ("s1", 1) => 0.3,
            (_, UNASSIGNED) => f64::NAN,
            other => panic!("{other:?}"),
        };
        assert!(
            (a.probability[i] - want).abs() < 1e-15 || (want.is_nan() && a.probability[i].is_nan())
        );
    }
}

#[test]
fn unequal_ratios_and_three_arms() {
    let d = design(
        &[("a", 3), ("b", 2), ("c", 1)],
        AssignmentMethod::Complete,
        None,
        &[],
    );
    let (ids, strata) = units(&[60]);
    let arms = plan(&d, &ids, &strata, &[1; 60]).draw(5, "x");
    for (arm, want) in [(0u32, 30), (1, 20), (2, 10)] {
        assert_eq!(arms.iter().filter(|&&a| a == arm).count(), want);
    }
}

#[test]
fn blocks_are_exact_and_sizes_come_from_the_list() {
    let d = design(
        &[("md1", 2), ("standard", 1)],
        AssignmentMethod::Blocks,
        None,
        &[3, 6],
    );
    let (ids, strata) = units(&[100, 41]);
    let p = plan(&d, &ids, &strata, &vec![1; ids.len()]);
    let a = p.assign(d.seed);
    let mut blocks: BTreeMap<(String, u32), Vec<(u32, u32)>> = BTreeMap::new();
    for (i, s) in a.slots.iter().enumerate() {
        blocks
            .entry((strata[i].clone(), s.block))
            .or_default()
            .push((s.position, s.arm));
        assert!((a.probability[i] - [2.0 / 3.0, 1.0 / 3.0][s.arm as usize]).abs() < 1e-15);
    }
    let mut sizes_seen = std::collections::BTreeSet::new();
    for ((stratum, block), members) in &blocks {
        let last = blocks
            .keys()
            .filter(|(s, _)| s == stratum)
            .map(|(_, b)| *b)
            .max()
            == Some(*block);
        let md1 = members.iter().filter(|(_, a)| *a == 0).count();
        if !last {
            // A complete block: size 3 or 6 with exactly two thirds md1.
            assert!(members.len() == 3 || members.len() == 6, "{members:?}");
            assert_eq!(md1 * 3, members.len() * 2);
            sizes_seen.insert(members.len());
        }
        let mut pos: Vec<u32> = members.iter().map(|(p, _)| *p).collect();
        pos.sort();
        assert_eq!(pos, (1..=members.len() as u32).collect::<Vec<_>>());
    }
    assert_eq!(sizes_seen.len(), 2, "both block sizes are drawn");
}

#[test]
fn probabilities_sum_to_one_and_match_expected_counts() {
    for misfits in [
        Misfits::Strata,
        Misfits::Global,
        Misfits::Wstrata,
        Misfits::Wglobal,
    ] {
        let d = design(
            &[("a", 2), ("b", 1), ("c", 1)],
            AssignmentMethod::Complete,
            Some(misfits),
            &[],
        );
        let (ids, strata) = units(&[13, 6, 3]);
        let p = plan(&d, &ids, &strata, &vec![1; ids.len()]);
        let probs = p.probabilities();
        for row in probs.chunks(3) {
            assert!(
                (row.iter().sum::<f64>() - 1.0).abs() < 1e-12,
                "{misfits} {row:?}"
            );
        }
        // Empirical frequencies over many draws agree with the probabilities.
        let draws = 4000;
        let mut freq = vec![0.0; ids.len() * 3];
        for r in 0..draws {
            for (i, a) in p.draw(1, &format!("t/{r}")).iter().enumerate() {
                freq[i * 3 + *a as usize] += 1.0 / draws as f64;
            }
        }
        for (f, q) in freq.iter().zip(&probs) {
            assert!((f - q).abs() < 0.04, "{misfits}: {f} vs {q}");
        }
    }
    let d = design(&[("a", 2), ("b", 1)], AssignmentMethod::Complete, None, &[]);
    let (ids, strata) = units(&[4]);
    let probs = plan(&d, &ids, &strata, &[1; 4]).probabilities();
    // missing: each row sums to 1 − P(misfit) = 1 − 1/4.
    assert!((probs[0] + probs[1] - 0.75).abs() < 1e-15);
}

#[test]
fn misfit_policies_follow_randtreat() {
    let arms = [("a", 1), ("b", 1), ("c", 1), ("d", 1), ("e", 1)];
    let sizes = [7, 8, 9, 4, 6, 3, 2];
    let (ids, strata) = units(&sizes);
    let batch = vec![1; ids.len()];
    let count = |d: &Design, seed: u64| {
        let p = plan(d, &ids, &strata, &batch);
        let arms: Vec<u32> = p.assign(seed).slots.iter().map(|s| s.arm).collect();
        counts_by_stratum(&strata, &arms)
    };
    for seed in 0..20 {
        // strata: within a stratum arm counts differ by at most one.
        let c = count(
            &design(
                &arms,
                AssignmentMethod::Complete,
                Some(Misfits::Strata),
                &[],
            ),
            seed,
        );
        for s in 0..sizes.len() {
            let k: Vec<usize> = (0..5)
                .map(|a| *c.get(&(format!("s{s}"), a)).unwrap_or(&0))
                .collect();
            assert!(
                k.iter().max().unwrap() - k.iter().min().unwrap() <= 1,
                "{k:?}"
            );
        }
        // global: arm counts differ by at most one overall (every stratum's full sets are exact).
        let c = count(
            &design(
                &arms,
                AssignmentMethod::Complete,
                Some(Misfits::Global),
                &[],
            ),
            seed,
        );
        let total: Vec<usize> = (0..5u32)
            .map(|a| c.iter().filter(|((_, x), _)| *x == a).map(|(_, n)| n).sum())
            .collect();
        assert!(total.iter().max().unwrap() - total.iter().min().unwrap() <= 1);
        assert_eq!(total.iter().sum::<usize>(), ids.len());
        // wglobal and wstrata leave no unit unassigned.
        let c = count(
            &design(
                &arms,
                AssignmentMethod::Complete,
                Some(Misfits::Wglobal),
                &[],
            ),
            seed,
        );
        assert!(!c.keys().any(|(_, a)| *a == UNASSIGNED));
        let c = count(
            &design(
                &arms,
                AssignmentMethod::Complete,
                Some(Misfits::Wstrata),
                &[],
            ),
            seed,
        );
        assert!(!c.keys().any(|(_, a)| *a == UNASSIGNED));
    }
    // wglobal with unequal ratios: the pooled misfits are completely randomized with the ratios,
    // so with R = 3 and 6 pooled misfits exactly 4 go to `a`.
    let d = design(
        &[("a", 2), ("b", 1)],
        AssignmentMethod::Complete,
        Some(Misfits::Wglobal),
        &[],
    );
    let (ids, strata) = units(&[4, 4, 4, 4, 4, 4]); // one misfit each
    let arms = plan(&d, &ids, &strata, &[1; 24]).draw(3, "w");
    assert_eq!(arms.iter().filter(|&&a| a == 0).count(), 16);
    // missing: n mod R units left out per stratum.
    let d = design(
        &[("a", 2), ("b", 1)],
        AssignmentMethod::Complete,
        Some(Misfits::Missing),
        &[],
    );
    let arms = plan(&d, &ids, &strata, &[1; 24]).draw(3, "m");
    assert_eq!(arms.iter().filter(|&&a| a == UNASSIGNED).count(), 6);
}

#[test]
fn clusters_share_an_arm_and_are_counted_as_units() {
    let d = design(
        &[("a", 1), ("b", 1)],
        AssignmentMethod::Complete,
        Some(Misfits::Strata),
        &[],
    );
    let n = 200;
    let ids: Vec<String> = (0..n).map(|i| format!("p{i}")).collect();
    let clusters: Vec<String> = (0..n).map(|i| format!("m{}", (i * 7) % 11)).collect();
    let strata: Vec<String> = (0..n)
        .map(|i| if (i * 7) % 11 < 6 { "x" } else { "y" }.to_string())
        .collect();
    let (sc, sk) = strata_codes(&[("s", &strata)], n);
    let (cc, cn) = intern(&clusters);
    let p = AssignmentPlan::new(&d, &ids, (&sc, &sk), Some((&cc, &cn)), &vec![1; n]).unwrap();
    assert_eq!(p.n_randomization_units(), 11);
    let arms = p.draw(9, "c");
    let mut of: HashMap<&str, u32> = HashMap::new();
    for (c, a) in clusters.iter().zip(&arms) {
        assert_eq!(*of.entry(c).or_insert(*a), *a, "cluster {c} split");
    }
    // 6 clusters in x: 3 and 3.
    let x_a = of
        .iter()
        .filter(|(c, a)| c[1..].parse::<u32>().unwrap() < 6 && **a == 0)
        .count();
    assert_eq!(x_a, 3);
}

#[test]
fn a_cluster_across_strata_is_an_error() {
    let d = design(&[("a", 1), ("b", 1)], AssignmentMethod::Complete, None, &[]);
    let ids: Vec<String> = ["1", "2", "3"].iter().map(|s| s.to_string()).collect();
    let strata: Vec<String> = ["x", "x", "y"].iter().map(|s| s.to_string()).collect();
    let clusters: Vec<String> = ["c", "d", "c"].iter().map(|s| s.to_string()).collect();
    let (sc, sk) = strata_codes(&[("s", &strata)], 3);
    let (cc, cn) = intern(&clusters);
    let e = AssignmentPlan::new(&d, &ids, (&sc, &sk), Some((&cc, &cn)), &[1, 1, 1]).unwrap_err();
    assert_eq!(
        e,
        super::PlanError::ClusterSpansStrata { unit: 2, first: 0 }
    );
}

#[test]
fn input_order_does_not_matter() {
    for method in [AssignmentMethod::Complete, AssignmentMethod::Blocks] {
        let misfits = (method == AssignmentMethod::Complete).then_some(Misfits::Global);
        let d = design(&[("md1", 2), ("standard", 1)], method, misfits, &[]);
        let (ids, strata) = units(&[50, 31, 7]);
        let base = plan(&d, &ids, &strata, &vec![1; ids.len()]).assign(7);
        let mut order: Vec<usize> = (0..ids.len()).collect();
        Stream::new(1, "test/shuffle").shuffle(&mut order);
        let ids2: Vec<String> = order.iter().map(|&i| ids[i].clone()).collect();
        let strata2: Vec<String> = order.iter().map(|&i| strata[i].clone()).collect();
        let shuffled = plan(&d, &ids2, &strata2, &vec![1; ids.len()]).assign(7);
        for (j, &i) in order.iter().enumerate() {
            assert_eq!(shuffled.slots[j], base.slots[i]);
            assert_eq!(
                shuffled.probability[j].to_bits(),
                base.probability[i].to_bits()
            );
        }
    }
}

#[test]
fn later_batches_never_change_earlier_ones_and_blocks_continue() {
    let d = design(
        &[("md1", 2), ("standard", 1)],
        AssignmentMethod::Blocks,
        None,
        &[3, 6],
    );
    let (ids, strata) = units(&[40, 25]);
    let n = ids.len();
    let one = plan(&d, &ids[..30], &strata[..30], &[1; 30]).assign(1);
    let mut batch = vec![1; 30];
    batch.extend(vec![2; n - 30]);
    let two = plan(&d, &ids, &strata, &batch).assign(1);
    assert_eq!(&two.slots[..30], &one.slots[..]);
    // Batch 2 of stratum s0 continues the block sequence: the same slots as one big batch.
    let all = plan(&d, &ids, &strata, &vec![1; n]).assign(1);
    assert_eq!(&two.slots[..40], &all.slots[..40]);
}

#[test]
fn draw_with_the_assign_streams_reproduces_the_assignment() {
    let d = design(
        &[("a", 1), ("b", 1), ("c", 2)],
        AssignmentMethod::Complete,
        Some(Misfits::Wglobal),
        &[],
    );
    let (ids, strata) = units(&[17, 9, 5]);
    let p = plan(&d, &ids, &strata, &vec![1; ids.len()]);
    let assigned: Vec<u32> = p.assign(11).slots.iter().map(|s| s.arm).collect();
    assert_eq!(p.draw(11, "assign"), assigned);
    assert_ne!(p.draw(11, "ri/draw=1"), assigned);
}

#[test]
fn duplicate_and_empty_ids_are_reported_by_position() {
    let d = design(&[("a", 1), ("b", 1)], AssignmentMethod::Complete, None, &[]);
    let ids: Vec<String> = ["x", "y", "x"].iter().map(|s| s.to_string()).collect();
    let strata = vec!["s".to_string(); 3];
    let (sc, sk) = strata_codes(&[("g", &strata)], 3);
    let e = AssignmentPlan::new(&d, &ids, (&sc, &sk), None, &[1, 1, 1]).unwrap_err();
    assert_eq!(e, super::PlanError::DuplicateId { unit: 2, first: 0 });
    let ids: Vec<String> = ["x", "", "z"].iter().map(|s| s.to_string()).collect();
    let e = AssignmentPlan::new(&d, &ids, (&sc, &sk), None, &[1, 1, 1]).unwrap_err();
    assert_eq!(e, super::PlanError::EmptyId { unit: 1 });
}

/// The listed assignments are exactly the ones the procedure draws (issue 14): 11 clusters in a
/// stratum of 6 (3:3) and one of 5 (misfit policy `strata`: 3:2 or 2:3), so
/// C(6,3)·2·C(5,2) = 400; 20,000 draws reach every one and nothing else.
#[test]
fn the_enumeration_lists_exactly_the_assignments_the_procedure_draws() {
    let d = design(
        &[("a", 1), ("b", 1)],
        AssignmentMethod::Complete,
        Some(Misfits::Strata),
        &[],
    );
    let n = 200;
    let ids: Vec<String> = (0..n).map(|i| format!("p{i}")).collect();
    let clusters: Vec<String> = (0..n).map(|i| format!("m{}", (i * 7) % 11)).collect();
    let strata: Vec<String> = (0..n)
        .map(|i| if (i * 7) % 11 < 6 { "x" } else { "y" }.to_string())
        .collect();
    let (sc, sk) = strata_codes(&[("s", &strata)], n);
    let (cc, cn) = intern(&clusters);
    let p = AssignmentPlan::new(&d, &ids, (&sc, &sk), Some((&cc, &cn)), &vec![1; n]).unwrap();
    let e = p.enumeration().unwrap();
    assert_eq!(e.count(), 400);
    let listed: std::collections::BTreeSet<Vec<u32>> =
        (0..400).map(|r| p.enumerated(&e, r)).collect();
    assert_eq!(listed.len(), 400);
    let drawn: std::collections::BTreeSet<Vec<u32>> = (0..20_000)
        .map(|r| p.draw(5, &format!("ri/draw={r}")))
        .collect();
    assert_eq!(drawn, listed);
    // Permuted blocks and weighted misfits are not equally likely: not listed.
    let blocks = design(
        &[("a", 1), ("b", 1)],
        AssignmentMethod::Blocks,
        None,
        &[2, 4],
    );
    let (ids, strata) = units(&[6]);
    assert!(
        plan(&blocks, &ids, &strata, &[1; 6])
            .enumeration()
            .is_none()
    );
    let weighted = design(
        &[("a", 1), ("b", 1)],
        AssignmentMethod::Complete,
        Some(Misfits::Wstrata),
        &[],
    );
    let (ids, strata) = units(&[5]);
    assert!(
        plan(&weighted, &ids, &strata, &[1; 5])
            .enumeration()
            .is_none()
    );
    let (ids, strata) = units(&[6]);
    assert_eq!(
        plan(&weighted, &ids, &strata, &[1; 6])
            .enumeration()
            .unwrap()
            .count(),
        20
    );
}

/// randomizr's rule (`Misfits::Randomizr`): over the R equally likely systematic starts, arm
/// a's count is ⌊n·rₐ/R⌋ or ⌈n·rₐ/R⌉, and its mean is exactly n·rₐ/R (randomizr's
/// complete_ra: "the overall probability of assignment is exactly prob_each"), checked exactly
/// in integers for every n up to 40 and several ratio lists.
#[test]
fn randomizr_counts_are_floor_or_ceiling_with_exact_expectation() {
    use super::plan::randomizr_labels;
    for ratios in [
        vec![1, 1],
        vec![2, 1],
        vec![1, 1, 1],
        vec![3, 2, 2],
        vec![5, 1, 1, 1],
    ] {
        let total: u64 = ratios.iter().map(|&r| u64::from(r)).sum();
        for n in 0..=40usize {
            let mut sums = vec![0u64; ratios.len()];
            for start in 0..total {
                let labels = randomizr_labels(n, &ratios, start);
                assert_eq!(labels.len(), n, "{ratios:?} n={n}");
                for (a, &r) in ratios.iter().enumerate() {
                    let count = labels.iter().filter(|&&l| l == a as u32).count() as u64;
                    let scaled = n as u64 * u64::from(r);
                    assert!(
                        count == scaled / total || count == scaled.div_ceil(total),
                        "{ratios:?} n={n} arm {a}: {count}"
                    );
                    sums[a] += count;
                }
            }
            // Σ over the R starts of the count = R · E[count] = n·rₐ.
            for (a, &r) in ratios.iter().enumerate() {
                assert_eq!(sums[a], n as u64 * u64::from(r), "{ratios:?} n={n} arm {a}");
            }
        }
    }
}

/// Five municipalities, 1:1, the default policy: every cluster is assigned (the v1 default left
/// one out), members share their cluster's arm, and every recorded probability is 1/2 — the
/// rule's, and the twin's.
#[test]
fn cluster_designs_assign_every_cluster_by_default() {
    let d = Design::new(DesignInput {
        arms: vec![("md1".into(), 1), ("standard".into(), 1)],
        cluster: Some("municipality".into()),
        seed: 2019,
        id: "id".into(),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(d.misfits, Misfits::Randomizr);
    let sizes = [40usize, 6, 7, 5, 4];
    let mut ids = Vec::new();
    let mut municipality = Vec::new();
    for (c, &n) in sizes.iter().enumerate() {
        for _ in 0..n {
            ids.push(format!("p{:03}", ids.len()));
            municipality.push(format!("m{c}"));
        }
    }
    let (sc, sk) = strata_codes(&[], ids.len());
    let (cc, cn) = intern(&municipality);
    let p =
        AssignmentPlan::new(&d, &ids, (&sc, &sk), Some((&cc, &cn)), &vec![1; ids.len()]).unwrap();
    let probabilities = p.probabilities();
    let mut treated_clusters = [0usize; 2];
    for seed in 0..200 {
        let a = p.assign(seed);
        let mut arm_of: HashMap<&str, u32> = HashMap::new();
        for (i, slot) in a.slots.iter().enumerate() {
            assert_ne!(slot.arm, UNASSIGNED, "seed {seed}: a cluster left out");
            assert_eq!(
                *arm_of.entry(&municipality[i]).or_insert(slot.arm),
                slot.arm
            );
            assert_eq!(a.probability[i], 0.5);
            assert_eq!(&probabilities[2 * i..2 * i + 2], &[0.5, 0.5]);
        }
        let treated = arm_of.values().filter(|&&a| a == 0).count();
        assert!(treated == 2 || treated == 3, "{treated}");
        treated_clusters[treated - 2] += 1;
    }
    // Two or three treated clusters, each with probability 1/2 (Monte Carlo, 200 draws: a
    // 4.5-SD band).
    assert!(
        (68..=132).contains(&treated_clusters[0]),
        "{treated_clusters:?}"
    );
    // `missing`, named explicitly, still leaves a misfit cluster out.
    let mut explicit = d.clone();
    explicit.misfits = Misfits::Missing;
    let p = AssignmentPlan::new(
        &explicit,
        &ids,
        (&sc, &sk),
        Some((&cc, &cn)),
        &vec![1; ids.len()],
    )
    .unwrap();
    assert!(p.assign(1).slots.iter().any(|s| s.arm == UNASSIGNED));
}

/// Blocks never use a misfit policy, so a cluster design with blocks keeps v1's `missing` in
/// its design file: its ledgers' hash chains do not change.
#[test]
fn cluster_blocks_keep_the_v1_design_file() {
    let d = Design::new(DesignInput {
        arms: vec![("a".into(), 1), ("b".into(), 1)],
        cluster: Some("m".into()),
        method: Some(AssignmentMethod::Blocks),
        seed: 1,
        id: "id".into(),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(d.misfits, Misfits::Missing);
    assert_eq!(super::ledger::algorithm_of(&d), super::ledger::ALGORITHM);
}

/// Against tests/reference/assign/randomizr_rule.R (randomizr's documented rule, stated in R):
/// for each stratum size and ratio list, each arm's count is the R file's floor or ceiling, the
/// share of the R equally likely systematic starts that give the ceiling is its probability,
/// and the per-unit probability the ledger records is the rule's.
#[test]
fn randomizr_rule_matches_the_r_reference() {
    use super::plan::randomizr_labels;
    let text = include_str!("../../tests/reference/assign/randomizr_rule.csv");
    let mut checked = 0;
    for line in text.lines().skip(1) {
        let c: Vec<&str> = line.split(',').collect();
        let ratios: Vec<u32> = c[0].split(':').map(|r| r.parse().unwrap()).collect();
        let n: usize = c[1].parse().unwrap();
        let arm: u32 = c[2].parse().unwrap();
        let (floor, ceiling): (usize, usize) = (c[3].parse().unwrap(), c[4].parse().unwrap());
        let prob_ceiling: f64 = c[5].parse().unwrap();
        let unit_probability: f64 = c[7].parse().unwrap();
        let total: u64 = ratios.iter().map(|&r| u64::from(r)).sum();
        let mut at_ceiling = 0u64;
        for start in 0..total {
            let count = randomizr_labels(n, &ratios, start)
                .iter()
                .filter(|&&l| l == arm)
                .count();
            assert!(count == floor || count == ceiling, "{line}: {count}");
            if count == ceiling && ceiling > floor {
                at_ceiling += 1;
            }
        }
        assert!(
            (at_ceiling as f64 / total as f64 - prob_ceiling).abs() < 1e-12,
            "{line}"
        );
        let recorded = f64::from(ratios[arm as usize]) / total as f64;
        assert!((recorded - unit_probability).abs() < 1e-12, "{line}");
        checked += 1;
    }
    assert_eq!(checked, 54);
}

/// Exact RI with the cluster default (`Misfits::Randomizr`): 5 municipalities 1:1 are 2 or 3
/// treated, each with probability ½, and every assignment of either count is equally likely, so
/// the listing is the 2·C(5,2) = 20 assignments the procedure draws. With three equal arms every
/// set of extra arms is reached equally often too; with four arms (4 of the 6 sets of two) or
/// unequal ratios the assignments are not equally likely and are sampled, not listed.
#[test]
fn the_randomizr_rule_is_listed_only_where_its_assignments_are_equally_likely() {
    let clustered = |arms: &[(&str, u32)], clusters: usize| {
        let d = design(
            arms,
            AssignmentMethod::Complete,
            Some(Misfits::Randomizr),
            &[],
        );
        let n = clusters * 4;
        let ids: Vec<String> = (0..n).map(|i| format!("p{i}")).collect();
        let names: Vec<String> = (0..n).map(|i| format!("m{}", i % clusters)).collect();
        let strata = vec!["all".to_string(); n];
        let (sc, sk) = strata_codes(&[("s", &strata)], n);
        let (cc, cn) = intern(&names);
        AssignmentPlan::new(&d, &ids, (&sc, &sk), Some((&cc, &cn)), &vec![1; n]).unwrap()
    };
    let p = clustered(&[("a", 1), ("b", 1)], 5);
    let e = p.enumeration().unwrap();
    assert_eq!(e.count(), 20);
    let listed: std::collections::BTreeSet<Vec<u32>> =
        (0..20).map(|r| p.enumerated(&e, r)).collect();
    assert_eq!(listed.len(), 20);
    let drawn: std::collections::BTreeSet<Vec<u32>> = (0..4_000)
        .map(|r| p.draw(5, &format!("ri/draw={r}")))
        .collect();
    assert_eq!(drawn, listed);
    // Per cluster (randomization inference's O(G) path), the same assignments: a unit gets its
    // cluster's arm, listed or drawn.
    for r in 0..20u128 {
        let (units, members) = (p.enumerated(&e, r), e.assignment(r));
        assert!((0..units.len()).all(|u| units[u] == members[p.member_of(u)]));
    }
    for r in 0..50 {
        let prefix = format!("ri/draw={r}");
        let (units, members) = (p.draw(5, &prefix), p.draw_members(5, &prefix));
        assert_eq!(members.len(), 5);
        assert!((0..units.len()).all(|u| units[u] == members[p.member_of(u)]));
    }
    // Three arms, 7 clusters: 2 each plus one extra arm, C(7; 3,2,2)·3 = 630.
    let p = clustered(&[("a", 1), ("b", 1), ("c", 1)], 7);
    assert_eq!(p.enumeration().unwrap().count(), 630);
    assert!(
        clustered(&[("a", 1), ("b", 1), ("c", 1), ("d", 1)], 6)
            .enumeration()
            .is_none()
    );
    assert!(clustered(&[("a", 2), ("b", 1)], 5).enumeration().is_none());
}

/// The per-member assignment that `rolling` keeps (no per-unit copies) gives every unit exactly
/// the slot and probability (bit for bit, NaN for misfits left out) of the per-unit one, over
/// methods, misfit policies and batches.
#[test]
fn member_assignment_is_the_unit_assignment() {
    let (ids, strata) = units(&[7, 11, 4, 23]);
    let batch: Vec<u32> = (0..ids.len()).map(|i| 1 + (i % 3 == 0) as u32).collect();
    for (method, misfits, sizes) in [
        (AssignmentMethod::Complete, Some(Misfits::Missing), vec![]),
        (AssignmentMethod::Complete, Some(Misfits::Global), vec![]),
        (AssignmentMethod::Complete, Some(Misfits::Wstrata), vec![]),
        (AssignmentMethod::Blocks, None, vec![3, 6]),
    ] {
        let d = design(&[("md1", 2), ("standard", 1)], method, misfits, &sizes);
        let p = plan(&d, &ids, &strata, &batch);
        let units = p.assign(d.seed);
        let members = p.assign_members(d.seed);
        for u in 0..ids.len() {
            let m = p.member_of(u);
            assert_eq!(members.slot(m), units.slots[u], "{method:?} unit {u}");
            assert_eq!(
                members.probability(m).to_bits(),
                units.probability[u].to_bits(),
                "{method:?} {misfits:?} unit {u}"
            );
        }
    }
}

/// The ledger row of a new row as `rolling` makes it (no cluster, no file line).
fn ledger_row(r: super::ledger::RowView) -> super::ledger::LedgerRow {
    super::ledger::LedgerRow {
        id: r.id.to_string(),
        arm: r.arm,
        stratum: r.stratum.into(),
        cluster: None,
        probability: r.probability,
        block: r.block,
        position: r.position,
        batch: r.batch,
        line: 0,
    }
}

/// 700 units in strata of 2, 1, 6, 12, 300, 5 and 374 (smaller than a block, ending where a
/// block ends, over the chunks' edges), their ids in a scrambled order: the count, the ids and
/// each unit's stratum, and its code with the strata's values.
fn scrambled_units() -> (usize, Vec<String>, Vec<String>, Vec<u32>, Vec<String>) {
    let (_, strata) = units(&[2, 1, 6, 12, 300, 5, 374]);
    let n = strata.len();
    // 7919 is prime, so i·7919 mod n runs over every number below n once.
    let ids: Vec<String> = (0..n).map(|i| format!("p{:05}", (i * 7919) % n)).collect();
    let (codes, values) = intern(&strata);
    (n, ids, strata, codes, values)
}

/// The new rows that `rolling` hands out in id order, each row's reads started 32 and 16 rows
/// ahead (`Reconciled::views`), are the per-unit assignment's rows: ids read in place from one
/// text (`TextIds`) in a scrambled input order, fewer and more rows than read ahead (700
/// units), with strata smaller than a block (1, 2 and 5 units against blocks of 3 and 6) and
/// strata that end where a block ends (6 and 12), for a first batch and for a second batch
/// after a ledger of part of the participants.
#[test]
fn new_rows_read_ahead_are_the_unit_assignment() {
    use super::ids::TextIds;
    use super::ledger::LedgerRow;
    use super::rolling::{Coded, DesignColumns, reconcile};
    let (n, ids, strata, codes, values) = scrambled_units();
    for (method, misfits, sizes) in [
        (AssignmentMethod::Complete, Some(Misfits::Global), vec![]),
        (AssignmentMethod::Blocks, None, vec![3, 6]),
    ] {
        let d = design(&[("md1", 2), ("standard", 1)], method, misfits, &sizes);
        // The first batch: the first `first` participants in input order.
        let first = 450;
        let text: String = ids.concat();
        let ends: Vec<u32> = ids
            .iter()
            .scan(0u32, |end, id| {
                *end += id.len() as u32;
                Some(*end)
            })
            .collect();
        let columns = |count: usize| -> (TextIds<'_>, Vec<Coded<'_>>) {
            let coded = vec![Coded {
                name: "g",
                codes: &codes[..count],
                values: &values,
            }];
            (TextIds::new(&text, &ends[..count], &[]), coded)
        };
        let (first_ids, first_strata) = columns(first);
        let first_columns = DesignColumns {
            ids: &first_ids,
            strata: &first_strata,
            cluster: None,
        };
        let first_draw = reconcile(&d, &first_columns, &[], true).unwrap();
        let ledger: Vec<LedgerRow> = first_draw.views(first_columns).map(ledger_row).collect();
        let (all_ids, all_strata) = columns(n);
        let all_columns = DesignColumns {
            ids: &all_ids,
            strata: &all_strata,
            cluster: None,
        };
        let second_draw = reconcile(&d, &all_columns, &ledger, true).unwrap();
        let second: Vec<_> = second_draw.views(all_columns).collect();
        // The general path: the plan of every unit with its batch, assigned unit by unit.
        for (batch_of, rows, count) in [
            (
                vec![1; first],
                ledger.iter().map(LedgerRow::view).collect(),
                first,
            ),
            (
                (0..n)
                    .map(|i| 1 + u32::from(i >= first))
                    .collect::<Vec<u32>>(),
                second,
                n,
            ),
        ] {
            let p = plan(&d, &ids[..count], &strata[..count], &batch_of);
            let assigned = p.assign(d.seed);
            let mut new_in_id_order: Vec<usize> = (0..count)
                .filter(|&u| batch_of[u] == batch_of[count - 1])
                .collect();
            new_in_id_order.sort_by(|&x, &y| ids[x].cmp(&ids[y]));
            assert_eq!(rows.len(), new_in_id_order.len(), "{method:?}");
            for (row, &u) in rows.iter().zip(&new_in_id_order) {
                let slot = assigned.slots[u];
                assert_eq!(row.id, ids[u], "{method:?} unit {u}");
                assert_eq!(row.stratum, p.stratum_of(u), "{method:?} unit {u}");
                assert_eq!(
                    (row.arm, row.block, row.position, row.batch),
                    (slot.arm, slot.block, slot.position, batch_of[u]),
                    "{method:?} unit {u}"
                );
                assert_eq!(
                    row.probability.to_bits(),
                    assigned.probability[u].to_bits(),
                    "{method:?} unit {u}"
                );
            }
        }
    }
}

/// A whole ledger checked a chunk of rows at a time after reading ahead what each row's
/// re-derivation reads (`Reconciled::rows_match`) agrees with checking each row alone
/// (`Reconciled::check_row`, the general path): two batches over the chunks' edges (700
/// participants in a scrambled order), every row re-deriving, then one row changed in each of
/// several places (the first row, a chunk's last and next first rows, the last row) and in
/// each field that the check compares.
#[test]
fn rows_checked_by_chunks_agree_with_rows_checked_alone() {
    use super::found::FoundRows;
    use super::ids::{Cursor, SortedIds};
    use super::ledger::LedgerRow;
    use super::rolling::{Coded, DesignColumns, Membership, plan_members, reconcile};
    let (n, ids, _, codes, values) = scrambled_units();
    let coded = [Coded {
        name: "g",
        codes: &codes,
        values: &values,
    }];
    let d = design(
        &[("md1", 2), ("standard", 1)],
        AssignmentMethod::Blocks,
        None,
        &[3, 6],
    );
    let first = 450;
    let first_coded = [Coded {
        name: "g",
        codes: &codes[..first],
        values: &values,
    }];
    let first_ids = ids[..first].to_vec();
    let first_columns = DesignColumns {
        ids: &first_ids,
        strata: &first_coded,
        cluster: None,
    };
    let all_columns = DesignColumns {
        ids: &ids,
        strata: &coded,
        cluster: None,
    };
    let mut ledger: Vec<LedgerRow> = reconcile(&d, &first_columns, &[], true)
        .unwrap()
        .views(first_columns)
        .map(ledger_row)
        .collect();
    let second = reconcile(&d, &all_columns, &ledger, true).unwrap();
    ledger.extend(second.views(all_columns).map(ledger_row));
    assert_eq!(ledger.len(), n);
    let check = |rows: &[LedgerRow]| -> (bool, Vec<usize>) {
        let sorted = SortedIds::new(&ids).unwrap();
        let mut membership = Membership::new(n);
        let mut found = FoundRows::with_capacity(n);
        let mut cursor = Cursor::default();
        for row in rows {
            membership
                .push(sorted.find(&ids, &row.id, &mut cursor), row.batch)
                .unwrap();
            found.push(&row.view());
        }
        let reconciled = plan_members(&d, &all_columns, &mut membership, sorted, false).unwrap();
        let by_chunks = reconciled.rows_match(&d, &all_columns, &membership, &found, rows.len());
        let differing: Vec<usize> = (0..rows.len())
            .filter(|&r| {
                reconciled
                    .check_row(&d, &all_columns, &membership, r, &rows[r].view())
                    .is_err()
            })
            .collect();
        (by_chunks, differing)
    };
    assert_eq!(check(&ledger), (true, vec![]));
    for r in [0, 255, 256, 511, 512, n - 1] {
        for field in 0..4 {
            let mut changed = ledger.clone();
            let row = &mut changed[r];
            match field {
                0 => row.arm = if row.arm == 0 { 1 } else { 0 },
                1 => row.position += 1,
                2 => row.probability = 0.25,
                _ => row.stratum = "elsewhere".into(),
            }
            assert_eq!(check(&changed), (false, vec![r]), "row {r}, field {field}");
        }
    }
}
