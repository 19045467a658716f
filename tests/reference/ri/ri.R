# Reference values for src/estimate/ri.rs: randomization-inference p-values counted with the
# convention of R's ri2 (conduct_ri / summary.ri: est_sim and est_obs rounded to 10 decimals,
# two-tailed p = mean(abs(est_sim) >= abs(est_obs))), on a permutation matrix that is exported,
# so the Rust test re-uses exactly the same re-assignments. ri2 itself is not installed here;
# its counting rule is copied from its source (R/conduct_ri.R, summary.ri).
# Run: Rscript tests/reference/ri/ri.R  → tests/reference/ri/ri_fixture.json
library(jsonlite)
set.seed(8675309)
n <- 90
stratum <- rep(1:3, each = 30)
female <- rep(c(1, 0), length.out = n)
z <- numeric(n)
for (s in 1:3) { idx <- which(stratum == s); z[sample(idx, 20)] <- 1 }  # 2:1 within strata
y_bin <- rbinom(n, 1, 0.35 + 0.12 * z)            # binary outcome: many exact ties
y_num <- round(rnorm(n, 10 + 1.5 * z * female), 3)  # continuous, effect only for women
sims <- 600
perm <- matrix(0, nrow = n, ncol = sims)
for (r in 1:sims) {
  zr <- numeric(n)
  for (s in 1:3) { idx <- which(stratum == s); zr[idx] <- sample(z[idx]) }
  perm[, r] <- zr
}
stats <- function(zz, y) {
  dim <- function(sel) mean(y[sel & zz == 1]) - mean(y[sel & zz == 0])
  all <- dim(rep(TRUE, n)); f <- dim(female == 1); m <- dim(female == 0)
  inter <- unname(coef(lm(y ~ zz * female))["zz:female"])   # treatment in two terms
  c(all = all, female = f, male = m, interaction = inter)
}
ri_p <- function(y) {
  obs <- round(stats(z, y), 10)
  sim <- round(t(apply(perm, 2, stats, y = y)), 10)
  list(observed = unname(stats(z, y)),
       p_two_tailed = unname(colMeans(abs(sim) >= matrix(abs(obs), nrow = sims, ncol = 4, byrow = TRUE))),
       extreme = unname(colSums(abs(sim) >= matrix(abs(obs), nrow = sims, ncol = 4, byrow = TRUE))))
}
out <- list(
  n = n, sims = sims, stratum = stratum, female = female, z = z,
  y_bin = y_bin, y_num = y_num,
  perm = lapply(seq_len(sims), function(r) perm[, r]),
  bin = ri_p(y_bin), num = ri_p(y_num)
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE), "tests/reference/ri/ri_fixture.json")

# Test inversion for a constant additive effect τ (Rosenbaum 2002 §2.6; Imbens & Rubin 2015 §5.7),
# continuous outcome, difference in means, the same permutation matrix:
# y0 = y - τ z; under draw r the outcome is y0 + τ z_r; T_r = DiM(z_r, y0 + τ z_r) - τ,
# T_obs = DiM(z, y) - τ; p(τ) = mean(|T_r| >= |T_obs|) after rounding to 10 decimals (ri2).
dim_fun <- function(zz, y) mean(y[zz == 1]) - mean(y[zz == 0])
p_tau <- function(tau, y) {
  y0 <- y - tau * z
  t_obs <- round(dim_fun(z, y) - tau, 10)
  t_sim <- round(apply(perm, 2, function(zr) dim_fun(zr, y0 + tau * zr) - tau), 10)
  mean(abs(t_sim) >= abs(t_obs))
}
tau_grid <- seq(-0.5, 2.5, by = 0.075)
p_grid <- sapply(tau_grid, p_tau, y = y_num)
# The 95% set on a fine grid: the smallest and largest accepted τ (p >= 0.05).
fine <- seq(-0.5, 2.5, by = 0.0005)
p_fine <- sapply(fine, p_tau, y = y_num)
accepted <- fine[p_fine >= 0.05 - 1e-12]
writeLines(toJSON(list(tau = tau_grid, p = p_grid, fine_step = 0.0005,
                       ci_low = min(accepted), ci_high = max(accepted)),
                  digits = NA, auto_unbox = TRUE), "tests/reference/ri/ri_ci.json")
