# Reference values of randomizr's complete_ra rule with probabilities (the rule lotta's misfit
# policy `randomizr` draws, docs/randomization.md §4a). randomizr itself could not be installed
# here (no CRAN access), so this script states its documented rule independently
# (randomizr R/complete_ra.R, documentation of `prob` and `prob_each`): in a stratum of N units
# with assignment probabilities p_a, arm a receives floor(N p_a) or ceiling(N p_a) units, the
# ceiling with probability N p_a - floor(N p_a), so that every unit's probability of arm a is
# exactly p_a (and complete_ra_probabilities returns p_a for every unit).
#
# For each case it writes the arm's floor, ceiling, the probability of the ceiling, the
# expected count and the per-unit probability. Run: Rscript randomizr_rule.R
cases <- list(
  list(ratios = c(1, 1), n = c(1, 2, 3, 5, 7, 8)),
  list(ratios = c(2, 1), n = c(1, 2, 4, 5, 7, 10)),
  list(ratios = c(1, 1, 1), n = c(1, 2, 4, 5, 7)),
  list(ratios = c(3, 2, 2), n = c(1, 3, 6, 9, 11))
)
rows <- list()
for (case in cases) {
  p <- case$ratios / sum(case$ratios)
  for (n in case$n) {
    for (a in seq_along(p)) {
      target <- n * p[a]
      lo <- floor(target + 1e-12)
      hi <- ceiling(target - 1e-12)
      prob_ceiling <- if (hi > lo) (target - lo) / (hi - lo) else 0
      expected <- lo + prob_ceiling * (hi - lo)
      rows[[length(rows) + 1]] <- data.frame(
        ratios = paste(case$ratios, collapse = ":"), n = n, arm = a - 1,
        floor = lo, ceiling = hi, prob_ceiling = sprintf("%.17g", prob_ceiling),
        expected = sprintf("%.17g", expected), unit_probability = sprintf("%.17g", expected / n)
      )
    }
  }
}
out <- do.call(rbind, rows)
stopifnot(all(abs(as.numeric(out$unit_probability) -
  unlist(lapply(seq_len(nrow(out)), function(i) {
    r <- as.numeric(strsplit(out$ratios[i], ":")[[1]]); r[out$arm[i] + 1] / sum(r)
  }))) < 1e-12))
write.csv(out, "randomizr_rule.csv", row.names = FALSE, quote = FALSE)
