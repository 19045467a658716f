# Reference values for src/cea/benefit.rs, src/cea/discount.rs and src/cea/tracks.rs (issue 17:
# does the programme pay?), computed independently in R by a different route: lotta works on the
# differences in arm means with weight vectors; here every person gets a monthly path, a
# discounted benefit and a discounted cost, and the estimates are ordinary differences in means.
#
# - Monthly path: the status in work at months 3, 6, 12, 18, linearly interpolated from (0, 0)
#   (approx()); carried forward, or falling linearly to zero, after month 18 to month X = 27.
# - Discounting: monthly from the annual rate r, end of month: (1 + r)^(-m/12) (Drummond et al.
#   2015, Methods for the Economic Evaluation of Health Care Programmes, 4th ed., §4.2.4; J-PAL
#   2016, Conducting Cost-Effectiveness Analysis: the same rate for costs and benefits).
#   Costs spread evenly over 27 months: cost × mean over m = 1..27 of (1 + r)^(-m/12).
# - Net benefit NB = mean difference of bᵢ − c̃ᵢ with bᵢ = V Σ_m d(m) yᵢ(m) (Boardman et al. 2018,
#   Cost-Benefit Analysis, ch. 1: net present value); Var = s1²/n1 + s0²/n0 (Neyman).
# - Per participant: NB / Δd, delta-method SE (Glick et al. 2014, Economic Evaluation in Clinical
#   Trials, eq. 7.4) with Cov from the arms' sample covariances.
# - Benefit–cost ratio ΔB/ΔC̃: delta-method SE and Fieller's set (Willan & O'Brien 1996, eq. 4).
# - Break-even month: first month h with the cumulative benefit ≥ ΔC̃, interpolated in the month.
# - Tracks: fee by track + results payment × the track's share in work among participants, mixed
#   by the participants' shares.
# - Bootstrap: boot::boot with strata = interaction(site, arm); indices exported; boot.ci(type =
#   "perc") for NB, the ratio and NB per participant.
# Run from the repository root: Rscript tests/reference/benefit/benefit.R
suppressMessages({library(jsonlite); library(boot)})
set.seed(20260417)
n <- 300
site <- sample(c("north", "middle", "south"), n, replace = TRUE)
arm <- character(n)
for (s in unique(site)) {
  idx <- which(site == s); k <- round(length(idx) * 2 / 3)
  arm[idx] <- "standard"; arm[sample(idx, k)] <- "md1"
}
z <- as.integer(arm == "md1")
took_part <- ifelse(z == 1, rbinom(n, 1, 0.85), 0L)
track <- sample(c("near", "far"), n, replace = TRUE, prob = c(0.45, 0.55))
base <- ifelse(track == "near", 0.30, 0.15)
lift <- z * took_part * 0.12
w3 <- rbinom(n, 1, 0.3 * base + 0.3 * lift)
w6 <- rbinom(n, 1, 0.6 * base + 0.6 * lift)
w12 <- rbinom(n, 1, base + lift)
w18 <- rbinom(n, 1, 1.2 * base + lift)
cost_sek <- round(ifelse(z == 1, 8000 + took_part * rgamma(n, shape = 4, rate = 4 / 30000),
                         rgamma(n, shape = 3, rate = 3 / 12000)), 2)
d <- data.frame(person_id = sprintf("P%04d", seq_len(n)), site, arm, took_part, track,
                w3, w6, w12, w18, cost_sek)
write.csv(d, "tests/reference/benefit/data.csv", row.names = FALSE, quote = FALSE)

V <- 30000; r <- 0.03; cost_months <- 27; X <- 27; level <- 0.95; zq <- qnorm(0.975)
months <- c(3, 6, 12, 18)
disc <- function(rate, m) (1 + rate)^(-m / 12)
# Monthly path of each person (rows) over months 1..H.
path <- function(dd, extrap) {
  pts <- as.matrix(dd[, c("w3", "w6", "w12", "w18")])
  H <- if (extrap == "none") 18 else X
  t(apply(pts, 1, function(p) {
    y <- approx(c(0, months), c(0, p), xout = 1:18)$y
    if (H > 18) {
      extra <- if (extrap == "carry_forward") rep(p[4], H - 18) else p[4] * (X - (19:H)) / (X - 18)
      y <- c(y, extra)
    }
    y
  }))
}
mdiff <- function(x, t1) mean(x[t1]) - mean(x[!t1])
vdiff <- function(x, y, t1) cov(x[t1], y[t1]) / sum(t1) + cov(x[!t1], y[!t1]) / sum(!t1)
break_even <- function(cum, cost) {
  if (cost <= 0) return(0)
  cum <- c(0, cum)
  h <- which(cum >= cost)[1]
  if (is.na(h)) return(NA)
  (h - 2) + (cost - cum[h - 1]) / (cum[h] - cum[h - 1])
}
estimate <- function(dd, value = V, rate = r, extrap = "none", cost_change = 0) {
  t1 <- dd$arm == "md1"
  y <- path(dd, extrap)
  H <- ncol(y)
  dm <- disc(rate, 1:H)
  b <- value * as.vector(y %*% dm)
  f_c <- mean(disc(rate, 1:cost_months))
  c_t <- f_c * (dd$cost_sek + cost_change * dd$cost_sek * dd$took_part * t1)
  nbp <- b - c_t
  nb <- mdiff(nbp, t1); nb_se <- sqrt(vdiff(nbp, nbp, t1))
  dd_ <- mdiff(dd$took_part, t1)
  pp <- nb / dd_
  pp_se <- sqrt((vdiff(nbp, nbp, t1) - 2 * pp * vdiff(nbp, dd$took_part, t1) +
                   pp^2 * vdiff(dd$took_part, dd$took_part, t1)) / dd_^2)
  B <- mdiff(b, t1); C <- mdiff(c_t, t1)
  vb <- vdiff(b, b, t1); vc <- vdiff(c_t, c_t, t1); cbc <- vdiff(b, c_t, t1)
  R <- B / C
  r_se <- sqrt((vb - 2 * R * cbc + R^2 * vc) / C^2)
  a <- C^2 - zq^2 * vc; bq <- -2 * (B * C - zq^2 * cbc); cq <- B^2 - zq^2 * vb
  roots <- sort((-bq + c(-1, 1) * sqrt(bq^2 - 4 * a * cq)) / (2 * a))
  cum <- cumsum(value * dm * colMeans(y[t1, , drop = FALSE]) - value * dm * colMeans(y[!t1, , drop = FALSE]))
  # Break-even horizon h − 1 + N/D within its month h: N = C̃ − B(h − 1), D = the month's benefit,
  # both differences in means of person-level quantities; delta-method SE (Glick et al. 2014, eq.
  # 7.4) and Fieller's set of N/D (Fieller 1954; Willan & O'Brien 1996) shifted by h − 1.
  be <- break_even(cum, C); be_se <- NA; bf <- c(NA, NA)
  if (!is.na(be) && be > 0) {
    h <- which(cum >= C)[1]
    b_prev <- if (h > 1) value * as.vector(y[, 1:(h - 1), drop = FALSE] %*% dm[1:(h - 1)]) else 0 * c_t
    num_i <- c_t - b_prev; den_i <- value * dm[h] * y[, h]
    N <- mdiff(num_i, t1); Dn <- mdiff(den_i, t1)
    vn <- vdiff(num_i, num_i, t1); vd <- vdiff(den_i, den_i, t1); cnd <- vdiff(num_i, den_i, t1)
    q <- N / Dn
    be_se <- sqrt((vn - 2 * q * cnd + q^2 * vd) / Dn^2)
    fa <- Dn^2 - zq^2 * vd; fb <- -2 * (N * Dn - zq^2 * cnd); fc <- N^2 - zq^2 * vn
    if (fa > 0) bf <- (h - 1) + sort((-fb + c(-1, 1) * sqrt(fb^2 - 4 * fa * fc)) / (2 * fa))
  }
  # Net benefit per participant as a ratio NB/Δd: Fieller's set (Fieller 1954; Willan & O'Brien
  # 1996, eq. 4) from the same variances and covariance as the delta method.
  pa <- dd_^2 - zq^2 * vdiff(dd$took_part, dd$took_part, t1)
  pb <- -2 * (nb * dd_ - zq^2 * vdiff(nbp, dd$took_part, t1))
  pc <- nb^2 - zq^2 * vdiff(nbp, nbp, t1)
  pp_roots <- sort((-pb + c(-1, 1) * sqrt(pb^2 - 4 * pa * pc)) / (2 * pa))
  list(extrapolation = extrap, discount_rate = rate, horizon = H,
       months_gained = mdiff(rowSums(y), t1), benefit = B, cost = C,
       net_benefit = nb, net_benefit_se = nb_se, per_participant = pp, per_participant_se = pp_se,
       ratio = R, ratio_se = r_se, fieller_shape = if (a > 0) "bounded" else "other",
       fieller_low = roots[1], fieller_high = roots[2], break_even = be,
       break_even_se = be_se, break_even_fieller_low = bf[1], break_even_fieller_high = bf[2],
       pp_fieller_shape = if (pa > 0) "bounded" else if (pb^2 - 4 * pa * pc > 0) "exclusive" else "unbounded",
       pp_fieller_low = pp_roots[1], pp_fieller_high = pp_roots[2])
}
# Break-even horizon by test inversion over horizons (Casella & Berger 2002, §9.2.1): the horizons
# h in [0, H] at which the net benefit's normal interval contains 0. Each person's net benefit path
# NB_i(h) = V Σ_{m ≤ h} d(m) y_i(m) − c̃_i at whole months, linear within a month; the test
# statistic q(h) = NB(h)² − z² Var(NB(h)) (differences in means, Neyman variance) is scanned on a
# grid of 400 points a month and each sign change refined by uniroot (tol 1e-13): a different route
# from lotta's exact quadratic per month.
break_even_inversion <- function(dd, value = V, rate = r) {
  t1 <- dd$arm == "md1"
  y <- path(dd, "none"); H <- ncol(y)
  dm <- disc(rate, 1:H)
  f_c <- mean(disc(rate, 1:cost_months))
  c_t <- f_c * dd$cost_sek
  cumb <- cbind(0, t(apply(y, 1, function(p) cumsum(value * dm * p))))
  nb_at <- function(h) {
    m <- min(floor(h), H - 1); f <- h - m
    (1 - f) * cumb[, m + 1] + f * cumb[, m + 2] - c_t
  }
  q <- function(h) { x <- nb_at(h); mdiff(x, t1)^2 - zq^2 * vdiff(x, x, t1) }
  lower <- function(h) { x <- nb_at(h); mdiff(x, t1) - zq * sqrt(vdiff(x, x, t1)) }
  grid <- seq(0, H, length.out = 400 * H + 1)
  qs <- sapply(grid, q)
  roots <- c()
  for (k in which(diff(sign(qs)) != 0))
    roots <- c(roots, uniroot(q, c(grid[k], grid[k + 1]), tol = 1e-13)$root)
  cuts <- sort(c(0, roots, H))
  inside <- sapply(seq_len(length(cuts) - 1), function(k) q((cuts[k] + cuts[k + 1]) / 2) <= 0)
  lows <- cuts[-length(cuts)][inside]; highs <- cuts[-1][inside]
  pos <- sapply(seq_len(length(cuts) - 1), function(k) lower((cuts[k] + cuts[k + 1]) / 2) > 0)
  last_in <- if (any(inside)) max(highs) else -Inf
  pos_from <- cuts[-length(cuts)][pos & cuts[-length(cuts)] >= last_in - 1e-12]
  list(low = if (length(lows)) min(lows) else NA, high = if (length(highs)) max(highs) else NA,
       pieces = sum(inside), reaches_horizon = length(highs) > 0 && max(highs) >= H - 1e-9,
       positive_from = if (length(pos_from)) min(pos_from) else NA)
}
base_est <- estimate(d)
base_est$break_even_set <- break_even_inversion(d)
# A cheap programme (costs divided by 4) breaks even early and is significantly positive later.
cheap <- d; cheap$cost_sek <- cheap$cost_sek / 4
cheap_set <- break_even_inversion(cheap)
scenarios <- list()
for (e in c("none", "carry_forward", "linear_decay")) for (rate in seq(0, 0.05, 0.01))
  scenarios[[length(scenarios) + 1]] <- estimate(d, rate = rate, extrap = e)
tornado <- list(
  value_per_month = c(estimate(d, value = 0.8 * V)$net_benefit, estimate(d, value = 1.2 * V)$net_benefit),
  discount_rate = c(estimate(d, rate = 0)$net_benefit, estimate(d, rate = 0.05)$net_benefit),
  cost_per_participant = c(estimate(d, cost_change = -0.2)$net_benefit,
                           estimate(d, cost_change = 0.2)$net_benefit),
  extrapolation = c(base_est$net_benefit, estimate(d, extrap = "carry_forward")$net_benefit))

# Tracks: fee by track + 10,000 SEK per participant in work at month 18.
fees <- c(near = 12000, far = 18000); payment <- 10000
part <- d[d$arm == "md1" & d$took_part == 1, ]
tracks <- lapply(c("near", "far"), function(t) {
  p <- part[part$track == t, ]
  list(track = t, participants = nrow(p), share = nrow(p) / nrow(part),
       programme_cost = mean(p$cost_sek), in_work_share = mean(p$w18),
       price = unname(fees[t]) + payment * mean(p$w18))
})
mix_price <- sum(sapply(tracks, function(x) x$share * x$price))

# Bootstrap on boot's indices.
stat <- function(dd, i) {
  e <- estimate(dd[i, ])
  c(e$net_benefit, e$ratio, e$per_participant)
}
B <- 200
bt <- boot(d, stat, R = B, strata = interaction(d$site, d$arm))
idx <- boot.array(bt, indices = TRUE)
write.table(idx - 1L, "tests/reference/benefit/boot_indices.csv", sep = ",",
            row.names = FALSE, col.names = FALSE)
perc <- lapply(1:3, function(k) boot.ci(bt, conf = level, type = "perc", index = k)$percent[4:5])
# Honest costs per participant: the mean among those who took part and among those offered who
# did not, beside the arm's total over the participants.
arm_costs <- list(
  mean_cost_participants = mean(d$cost_sek[z == 1 & d$took_part == 1]),
  mean_cost_offered_nonparticipants = mean(d$cost_sek[z == 1 & d$took_part == 0]),
  cost_per_participant_treated = sum(d$cost_sek[z == 1]) / sum(d$took_part[z == 1]))
writeLines(toJSON(list(base = base_est, cheap_break_even_set = cheap_set, arm_costs = arm_costs, scenarios = scenarios, tornado = tornado,
                       tracks = tracks, mix_price = mix_price,
                       bootstrap = list(reps = B, net_benefit = perc[[1]], ratio = perc[[2]],
                                        per_participant = perc[[3]])),
                  digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE),
           "tests/reference/benefit/benefit_reference.json")

# ---- Months in work from the time to the first job (issue 17 with issue 13's survival curves) --
# The same persons, arms and costs, with a time to the first job (days; 1 = first job, 2 = another
# exit, 0 = censored; other exits censor the Kaplan–Meier curve). The share of month m
# ((m − 1)D, mD], D = 365.25/12) after the first job is p(m) = 1 − (RMST(mD) − RMST((m − 1)D))/D,
# the RMST taken from survival::survfit's print(rmean = τ) (summary(fit, rmean = τ)$table), so the
# months in work gained to H = 18 are −ΔRMST(HD)/D, the area between the arms' cumulative
# incidences (Royston & Parmar 2013, BMC Med Res Methodol 13:152), with SE √(se₁² + se₀²)/D from
# survfit's se(rmean). The discounted, valued benefit is a weighted integral ∫ w(t) S(t) dt with
# w(t) = V(1 + r)^(−m/12)/D on month m; its variance Σ_j B_j² d_j/(n_j(n_j − d_j)),
# B_j = ∫_{t_j}^{HD} w S (the RMST variance of survRM2 / survfit with a weight), is computed here by
# integrating the step function on the merged grid of curve times and month bounds; the covariance
# with the mean cost uses each person's influence on that integral (Tian, Zhao & Wei 2014, Stat
# Med 33:1–14: −[δᵢ B_{j(i)}/(n_j − d_j) − Σ_{t_j ≤ Tᵢ} B_j d_j/(n_j(n_j − d_j))]).
set.seed(20261129)
suppressMessages(library(survival))
rate <- ifelse(z == 1, 1 / 300 + took_part / 900, 1 / 420)
job_day <- round(rexp(n, rate), 1)
other_day <- round(rexp(n, 1 / 1500), 1)
cens_day <- round(runif(n, 400, 700), 1)
end_day <- pmin(job_day, other_day, cens_day)
job <- ifelse(end_day == job_day, 1L, ifelse(end_day == other_day, 2L, 0L))
ds <- data.frame(person_id = d$person_id, site = d$site, arm = d$arm, took_part = d$took_part,
                 cost_sek = d$cost_sek, job_day = end_day, job)
write.csv(ds, "tests/reference/benefit/survival_data.csv", row.names = FALSE, quote = FALSE)
D <- 365.25 / 12; H <- 18
rmean_at <- function(fit, tau) {
  if (tau == 0) return(c(0, 0))
  tb <- summary(fit, rmean = tau)$table
  unname(c(tb["rmean"], tb["se(rmean)"]))
}
# ∫_a^b w(t) S(t) dt for the KM step function and month weights wm (w = wm[m] on month m).
weighted_area <- function(fit, a, b, wm) {
  grid <- sort(unique(c(a, b, fit$time[fit$time > a & fit$time < b],
                        (1:H)[(1:H) * D > a & (1:H) * D < b] * D)))
  if (length(grid) < 2) return(0)
  lo <- head(grid, -1); hi <- tail(grid, -1)
  s <- summary(fit, times = lo, extend = TRUE)$surv
  m <- pmin(H, floor(lo / D) + 1)
  sum((hi - lo) * s * wm[m])
}
surv_arm <- function(dd, wm) {
  fit <- survfit(Surv(job_day, job == 1) ~ 1, data = dd)
  areas <- sapply(0:H, function(m) rmean_at(fit, m * D)[1])
  p <- 1 - diff(areas) / D
  # Variance and influence of ∫ w S over (0, HD].
  tj <- fit$time; nj <- fit$n.risk; dj <- fit$n.event
  keep <- dj > 0 & nj > dj & tj <= H * D
  Bj <- sapply(tj, function(t) weighted_area(fit, t, H * D, wm))
  cj <- ifelse(keep, dj / (nj * (nj - dj)), 0)
  v <- sum(Bj^2 * cj)
  phi <- sapply(seq_len(nrow(dd)), function(i) {
    ti <- min(dd$job_day[i], H * D)
    j <- max(which(tj <= ti))
    jump <- if (dd$job[i] == 1 && dd$job_day[i] <= H * D && keep[j]) Bj[j] / (nj[j] - dj[j]) else 0
    -(jump - sum((Bj * cj)[tj <= ti]))
  })
  list(p = p, rmst = rmean_at(fit, H * D), integral = weighted_area(fit, 0, H * D, wm),
       var = v, phi = phi)
}
surv_estimate <- function(dd, value = V, rate_ = r) {
  dm <- disc(rate_, 1:H)
  wm <- value * dm / D
  t1 <- dd$arm == "md1"
  a1 <- surv_arm(dd[t1, ], wm); a0 <- surv_arm(dd[!t1, ], wm)
  f_c <- mean(disc(rate_, 1:cost_months))
  # Benefit: V Σ d(m) Δp(m) = −(∫w S)₁ + (∫w S)₀.
  B <- value * sum(dm * (a1$p - a0$p))
  C <- f_c * mdiff(dd$cost_sek, t1)
  cov_arm <- function(x, phi) sum((x - mean(x)) / length(x) * phi)
  # Cov(B, C̄₁ − C̄₀): B depends on −∫w S of arm 1 and +∫w S of arm 0.
  cov_bc <- f_c * (-cov_arm(dd$cost_sek[t1], a1$phi) - cov_arm(dd$cost_sek[!t1], a0$phi))
  vb <- a1$var + a0$var; vc <- f_c^2 * vdiff(dd$cost_sek, dd$cost_sek, t1)
  nb <- B - C
  list(p_treated = a1$p, p_control = a0$p,
       months_gained = -(a1$rmst[1] - a0$rmst[1]) / D,
       months_gained_se = sqrt(a1$rmst[2]^2 + a0$rmst[2]^2) / D,
       benefit = B, benefit_check = -(a1$integral - a0$integral), benefit_se = sqrt(vb),
       cost = C, net_benefit = nb, net_benefit_se = sqrt(vb + vc - 2 * cov_bc),
       ratio = B / C)
}
surv_base <- surv_estimate(ds)
sbt <- boot(ds, function(dd, i) surv_estimate(dd[i, ])$net_benefit, R = 100,
            strata = interaction(ds$site, ds$arm))
write.table(boot.array(sbt, indices = TRUE) - 1L, "tests/reference/benefit/survival_boot_indices.csv",
            sep = ",", row.names = FALSE, col.names = FALSE)
surv_base$bootstrap <- list(reps = 100, net_benefit = boot.ci(sbt, conf = level, type = "perc")$percent[4:5])
writeLines(toJSON(surv_base, digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE),
           "tests/reference/benefit/survival_reference.json")
