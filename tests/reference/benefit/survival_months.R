# Reference values for months in work valued from survival curves beyond benefit.R (issue 17 and
# issue 13): (1) the cost per additional month with a job (src/cea/months.rs) in a
# cluster-randomized study (issue 13's "clustered ΔC/ΔRMST intervals"): ΔC over
# ΔM = −(RMST₁ − RMST₀)/D, D = 30.4375, with cluster-robust variances.
#
# Computed here by a different route from lotta's: each arm's influence on its Kaplan–Meier curve
# comes from survival's own infinitesimal jackknife, survfit(..., id =, cluster =, influence =
# TRUE)$influence.surv (one row per cluster: the sums of the persons' influences on S(t) at every
# curve time; Lin & Wei 1989), integrated over the steps of the curve to τ to give each cluster's
# influence on the RMST; each cluster's influence on the mean cost is Σ_{i∈g} (cᵢ − c̄)/n. With
# U_g, W_g the cluster sums signed by arm (ΔC, and ΔM = −ΔRMST/D), Var(ΔC) = F Σ U_g²,
# Var(ΔM) = F Σ W_g², Cov = F Σ U_g W_g, F = G/(G − 1)·(N − 1)/(N − 2) (Stata's CR1 for
# `regress cost arm, vce(cluster)`, the cost analysis's factor), and t(G − 1) critical values for
# the delta-method interval (Glick et al. 2014, eq. 7.4) and Fieller's set (Willan & O'Brien 1996,
# eq. 4). As a check of the cost part, F Σ U_g² equals sandwich::vcovCL(lm(cost ~ arm), type =
# "HC1", cadjust = TRUE)'s variance of the arm coefficient.
# Run from the repository root: Rscript tests/reference/benefit/survival_months.R
suppressPackageStartupMessages({library(survival); library(sandwich); library(jsonlite); library(boot)})
set.seed(20261130)
G <- 16
site_arm <- rep(c("md1", "standard"), each = G / 2)
size <- sample(15:45, G, replace = TRUE)
site <- rep(sprintf("s%02d", 1:G), size)
arm <- rep(site_arm, size)
n <- length(site)
frailty <- rep(exp(rnorm(G, 0, 0.4)), size)
rate <- 0.002 * frailty * ifelse(arm == "md1", 2.5, 1)
t_job <- rexp(n, rate); t_out <- rexp(n, 0.0006)
t <- pmin(t_job, t_out, 540)
time <- pmax(7, ceiling(t / 7) * 7); time[t >= 540] <- 540
event <- as.integer(t_job <= pmin(t_out, 540))
cost <- round(ifelse(arm == "md1", 32000, 21000) * rep(exp(rnorm(G, 0, 0.2)), size) *
                exp(0.3 * rnorm(n)) + 15 * time)
d <- data.frame(id = sprintf("q%03d", 1:n), site, arm, time, event, cost)
write.csv(d, "tests/reference/benefit/clustered_data.csv", row.names = FALSE, quote = FALSE)

D <- 30.4375
arm_part <- function(dd, tau) {
  fit <- survfit(Surv(time, event) ~ 1, data = dd, id = id, cluster = site, influence = TRUE)
  inf <- fit$influence.surv
  tj <- fit$time
  width <- pmax(0, pmin(c(tj[-1], Inf), tau) - tj)
  phi <- as.vector(inf %*% width)
  names(phi) <- rownames(inf)
  rmst <- unname(summary(fit, rmean = tau)$table["rmean"])
  nn <- nrow(dd)
  psi <- tapply((dd$cost - mean(dd$cost)) / nn, dd$site, sum)
  list(rmst = rmst, phi = phi, psi = psi[names(phi)], mean_cost = mean(dd$cost))
}
result <- function(dd, tau, level = 0.95) {
  t1 <- dd[dd$arm == "md1", ]; t0 <- dd[dd$arm == "standard", ]
  a1 <- arm_part(t1, tau); a0 <- arm_part(t0, tau)
  U <- c(a1$psi, -a0$psi)
  W <- c(-a1$phi / D, a0$phi / D)
  g <- length(U); N <- nrow(dd)
  f <- g / (g - 1) * (N - 1) / (N - 2)
  vc <- f * sum(U^2); vm <- f * sum(W^2); cv <- f * sum(U * W)
  fit <- lm(cost ~ I(arm == "md1"), data = dd)
  v_sandwich <- vcovCL(fit, cluster = ~site, type = "HC1", cadjust = TRUE)[2, 2]
  stopifnot(isTRUE(all.equal(vc, v_sandwich, tolerance = 1e-10)))
  dc <- a1$mean_cost - a0$mean_cost
  dm <- -(a1$rmst - a0$rmst) / D
  q <- qt((1 + level) / 2, g - 1)
  r <- dc / dm
  se <- sqrt((vc - 2 * r * cv + r^2 * vm) / dm^2)
  fa <- dm^2 - q^2 * vm; fb <- -2 * (dc * dm - q^2 * cv); fc <- dc^2 - q^2 * vc
  disc <- fb^2 - 4 * fa * fc
  roots <- if (disc > 0) sort((-fb + c(-1, 1) * sqrt(disc)) / (2 * fa)) else c(NA, NA)
  list(tau = tau, clusters = g, rmst_treated = a1$rmst, rmst_control = a0$rmst,
       delta_cost = dc, var_cost = vc, delta_months = dm, var_months = vm, covariance = cv,
       ratio = r, ratio_se = se, delta_low = r - q * se, delta_high = r + q * se,
       fieller_shape = if (fa > 0) "bounded" else if (disc > 0) "exclusive" else "unbounded",
       fieller_low = roots[1], fieller_high = roots[2])
}
out <- list(cost_per_month = lapply(c(365, 540), function(tau) result(d, tau)))

# ---- (2) The net benefit of months in work from the curves in the clustered study -------------
# Valued as in benefit.R (V = 30,000 SEK a month, 3% a year, costs spread over 27 months, H = 18):
# the share of month m after the first job p(m) = 1 − (1/D)∫ over month m of S, each cluster's
# influence on it −(1/D)∫ over month m of the cluster's row of survfit's influence.surv. With each
# cluster's signed influence on the net benefit, NB_g = V Σ_m d(m) (±IF_g(p(m))) − f_C (±ψ_g),
# Var(NB) = F Σ_g NB_g² (the CR1 factor above) and the interval NB ± t(G − 1)·SE. The cluster
# bootstrap: boot() over the 16 sites with strata = the site's arm; the indices are exported and the
# percentile interval is boot.ci(type = "perc").
V <- 30000; r <- 0.03; H <- 18; cost_months <- 27
dm <- (1 + r)^(-(1:H) / 12); f_c <- mean((1 + r)^(-(1:cost_months) / 12))
month_integral <- function(times, values, m) {
  # ∫ over ((m − 1)D, mD] of the right-continuous step function with `values` from `times` on
  # (0 before the first time).
  lo <- (m - 1) * D; hi <- m * D
  grid <- sort(unique(c(lo, hi, times[times > lo & times < hi])))
  left <- head(grid, -1); right <- tail(grid, -1)
  k <- findInterval(left, times)
  sum((right - left) * ifelse(k == 0, 0, values[pmax(k, 1)]))
}
km_part <- function(dd, clustered) {
  fit <- if (clustered) survfit(Surv(time, event) ~ 1, data = dd, id = id, cluster = site, influence = TRUE)
         else survfit(Surv(time, event) ~ 1, data = dd)
  p <- sapply(1:H, function(m) 1 - month_integral(fit$time, fit$surv, m) / D)
  list(p = p, fit = fit)
}
clustered_nb <- function(dd, with_variance = TRUE) {
  t1 <- dd$arm == "md1"
  parts <- lapply(c(TRUE, FALSE), function(a) km_part(dd[t1 == a, ], with_variance))
  B <- V * sum(dm * (parts[[1]]$p - parts[[2]]$p))
  C <- f_c * (mean(dd$cost[t1]) - mean(dd$cost[!t1]))
  nb <- B - C
  if (!with_variance) return(nb)
  u <- c()
  for (a in 1:2) {
    dd_a <- dd[t1 == (a == 1), ]
    inf <- parts[[a]]$fit$influence.surv
    b_g <- sapply(seq_len(nrow(inf)), function(g)
      V * sum(dm * sapply(1:H, function(m) -month_integral(parts[[a]]$fit$time, inf[g, ], m) / D)))
    psi <- tapply((dd_a$cost - mean(dd_a$cost)) / nrow(dd_a), dd_a$site, sum)[rownames(inf)]
    sign <- if (a == 1) 1 else -1
    u <- c(u, sign * (b_g - f_c * psi))
  }
  g <- length(u); N <- nrow(dd)
  se <- sqrt(g / (g - 1) * (N - 1) / (N - 2) * sum(u^2))
  q <- qt(0.975, g - 1)
  list(clusters = g, months_gained = sum(parts[[1]]$p - parts[[2]]$p), benefit = B, cost = C,
       net_benefit = nb, net_benefit_se = se, net_benefit_low = nb - q * se,
       net_benefit_high = nb + q * se)
}
out$clustered_net_benefit <- clustered_nb(d)
sites <- data.frame(site = sprintf("s%02d", 1:G), arm = site_arm)
cb <- boot(sites, function(s, i) {
  dd <- do.call(rbind, lapply(i, function(k) d[d$site == s$site[k], ]))
  clustered_nb(dd, with_variance = FALSE)
}, R = 100, strata = factor(sites$arm))
write.table(boot.array(cb, indices = TRUE) - 1L, "tests/reference/benefit/clustered_boot_indices.csv",
            sep = ",", row.names = FALSE, col.names = FALSE)
out$clustered_net_benefit$bootstrap <- list(reps = 100,
  net_benefit = boot.ci(cb, conf = 0.95, type = "perc")$percent[4:5])

# ---- (3) Months in work from the Aalen–Johansen cumulative incidence (competing exits) ---------
# survival_data.csv of benefit.R (job: 1 first job, 2 another exit, 0 censored) with the other exits
# competing: each arm's cumulative incidence of the job from survival's multi-state
# survfit(Surv(time, factor(job, 0:2)) ~ 1, id, influence = TRUE) (the Aalen–Johansen estimate, as
# cmprsk::cuminc), p(m) = (1/D)∫ over month m of F, each person's influence on it (1/D)∫ over month
# m of the person's row of influence.pstate (its infinitesimal jackknife, whose sum of squares is
# survfit's own std.err); the net benefit's variance over both arms Σᵢ bᵢ² + f_C² s²/n − 2 f_C Σᵢ bᵢψᵢ
# (bᵢ the person's influence on the valued benefit, ψᵢ = (cᵢ − c̄)/n on the arm's mean cost, s²/n
# the mean cost's Neyman variance, as in benefit.R), and the bootstrap on boot's
# indices within site × arm with the curves refitted.
ds <- read.csv("tests/reference/benefit/survival_data.csv")
aj_part <- function(dd, with_influence) {
  dd$row <- seq_len(nrow(dd))
  fit <- survfit(Surv(job_day, factor(job, 0:2)) ~ 1, data = dd, id = row,
                 influence = with_influence)
  p <- sapply(1:H, function(m) month_integral(fit$time, fit$pstate[, 2], m) / D)
  list(p = p, fit = fit)
}
aj_nb <- function(dd, with_variance = TRUE) {
  t1 <- dd$arm == "md1"
  parts <- lapply(c(TRUE, FALSE), function(a) aj_part(dd[t1 == a, ], with_variance))
  B <- V * sum(dm * (parts[[1]]$p - parts[[2]]$p))
  C <- f_c * (mean(dd$cost_sek[t1]) - mean(dd$cost_sek[!t1]))
  if (!with_variance) return(B - C)
  vb <- 0; vnb <- 0; vm <- 0
  for (a in 1:2) {
    dd_a <- dd[t1 == (a == 1), ]
    fit <- parts[[a]]$fit
    inf <- fit$influence.pstate[, -1, 2]
    pm <- t(apply(inf, 1, function(row) sapply(1:H, function(m) month_integral(fit$time, row, m) / D)))
    b <- V * as.vector(pm %*% dm)
    psi <- (dd_a$cost_sek - mean(dd_a$cost_sek)) / nrow(dd_a)
    # The mean cost's variance is Neyman's, s²/n (as benefit.R), its covariance with the benefit
    # Σ bᵢψᵢ.
    vb <- vb + sum(b^2); vm <- vm + sum(rowSums(pm)^2)
    vnb <- vnb + sum(b^2) + f_c^2 * var(dd_a$cost_sek) / nrow(dd_a) - 2 * f_c * sum(b * psi)
  }
  list(p_treated = parts[[1]]$p, p_control = parts[[2]]$p,
       months_gained = sum(parts[[1]]$p - parts[[2]]$p), months_gained_se = sqrt(vm),
       benefit = B, benefit_se = sqrt(vb), cost = C, net_benefit = B - C,
       net_benefit_se = sqrt(vnb))
}
out$competing <- aj_nb(ds)
# The area under F also from cmprsk::cuminc's curve (a check of the estimate, not of survfit).
suppressPackageStartupMessages(library(cmprsk))
ci <- cuminc(ds$job_day, ds$job, group = ds$arm, cencode = 0)
for (g in c("md1", "standard")) {
  cg <- ci[[paste(g, "1")]]
  p_cuminc <- sapply(1:H, function(m) month_integral(cg$time[-1], cg$est[-1], m) / D)
  want <- if (g == "md1") out$competing$p_treated else out$competing$p_control
  stopifnot(isTRUE(all.equal(p_cuminc, want, tolerance = 1e-10)))
}
ab <- boot(ds, function(dd, i) aj_nb(dd[i, ], with_variance = FALSE), R = 100,
           strata = interaction(ds$site, ds$arm))
write.table(boot.array(ab, indices = TRUE) - 1L, "tests/reference/benefit/competing_boot_indices.csv",
            sep = ",", row.names = FALSE, col.names = FALSE)
out$competing$bootstrap <- list(reps = 100,
  net_benefit = boot.ci(ab, conf = 0.95, type = "perc")$percent[4:5])
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE),
           "tests/reference/benefit/survival_months_reference.json")
