# Reference values for src/cea.rs (lotta cost), computed independently in R.
#
# - Point estimates: arm means; ΔC, ΔE differences in means.
# - SEs of ΔC, ΔE: Neyman variance s1²/n1 + s0²/n0, cross-checked with estimatr's
#   difference_in_means (which reports exactly this SE for a simple design).
# - Cov(ΔC, ΔE) = cov1(c,e)/n1 + cov0(c,e)/n0 (Willan & Briggs 2006, §4.2; Glick et al. 2014, ch. 7).
# - Delta-method SE of the ICER R = ΔC/ΔE: sqrt((V_C − 2R·C + R²V_E) / ΔE²)
#   (Glick et al. 2014, eq. 7.4; Willan & O'Brien 1996, eq. 2).
# - Fieller's set: roots of (ΔE² − z²V_E)R² − 2(ΔCΔE − z²C)R + (ΔC² − z²V_C) = 0,
#   bounded if ΔE² > z²V_E, else exclusive (two rays) if the discriminant is positive, else the
#   whole line (Fieller 1954; Willan & O'Brien 1996, eq. 4).
# - Bootstrap: boot::boot with strata = interaction(site, arm); the resampling indices
#   (boot.array(..., indices = TRUE)) and replicates are exported, and boot.ci(type = "perc") gives
#   the percentile limits for ΔC, ΔE and ΔC/ΔE.
# Run from the repository root: Rscript tests/reference/cost/cost.R
suppressMessages({library(jsonlite); library(boot); library(estimatr)})
set.seed(20190401)
n <- 600
site <- sample(c("north", "middle", "south"), n, replace = TRUE, prob = c(0.4, 0.35, 0.25))
gender <- sample(c("F", "M"), n, replace = TRUE)
arm <- character(n)
for (s in unique(site)) {           # 2:1 within site (complete randomization)
  idx <- which(site == s); k <- round(length(idx) * 2 / 3)
  arm[idx] <- "standard"; arm[sample(idx, k)] <- "md1"
}
z <- as.integer(arm == "md1")
took_part <- ifelse(z == 1, rbinom(n, 1, 0.85), 0L)
p_work <- 0.36 + z * took_part * ifelse(gender == "F", 0.20, 0.02)
work_or_study_540 <- rbinom(n, 1, p_work)
cost_sek <- round(ifelse(z == 1, 9000 + took_part * rgamma(n, shape = 4, rate = 4 / 34000),
                         rgamma(n, shape = 3, rate = 3 / 12000)), 2)
income_support_months <- pmax(0, round(rnorm(n, 10 - 3 * work_or_study_540, 3)))
municipality <- sprintf("m%02d", sample(1:24, n, replace = TRUE))  # clusters spanning arms
person_id <- sprintf("P%04d", seq_len(n))
d <- data.frame(person_id, site, gender, arm, work_or_study_540, took_part, cost_sek,
                income_support_months, municipality)
write.csv(d, "tests/reference/cost/data.csv", row.names = FALSE, quote = FALSE)

z975 <- qnorm(0.975)
analyse <- function(dd, label) {
  t1 <- dd$arm == "md1"; t0 <- !t1
  n1 <- sum(t1); n0 <- sum(t0)
  c1 <- mean(dd$cost_sek[t1]); c0 <- mean(dd$cost_sek[t0])
  e1 <- mean(dd$work_or_study_540[t1]); e0 <- mean(dd$work_or_study_540[t0])
  dc <- c1 - c0; de <- e1 - e0
  vc <- var(dd$cost_sek[t1]) / n1 + var(dd$cost_sek[t0]) / n0
  ve <- var(dd$work_or_study_540[t1]) / n1 + var(dd$work_or_study_540[t0]) / n0
  cv <- cov(dd$cost_sek[t1], dd$work_or_study_540[t1]) / n1 +
        cov(dd$cost_sek[t0], dd$work_or_study_540[t0]) / n0
  # Cross-check the SEs with estimatr.
  dd$zz <- as.integer(t1)
  se_c_estimatr <- difference_in_means(cost_sek ~ zz, data = dd)$std.error
  se_e_estimatr <- difference_in_means(work_or_study_540 ~ zz, data = dd)$std.error
  stopifnot(abs(se_c_estimatr - sqrt(vc)) < 1e-9 * sqrt(vc),
            abs(se_e_estimatr - sqrt(ve)) < 1e-9 * sqrt(ve))
  R <- dc / de
  icer_se <- sqrt((vc - 2 * R * cv + R^2 * ve) / de^2)
  a <- de^2 - z975^2 * ve; b <- -2 * (dc * de - z975^2 * cv); cc <- dc^2 - z975^2 * vc
  disc <- b^2 - 4 * a * cc
  if (a > 0) { shape <- "bounded"; roots <- sort((-b + c(-1, 1) * sqrt(disc)) / (2 * a)) }
  else if (disc > 0) { shape <- "exclusive"; roots <- sort((-b + c(-1, 1) * sqrt(disc)) / (2 * a)) }
  else { shape <- "unbounded"; roots <- c(NA, NA) }
  # Net cost with income support at 7,000 SEK per month.
  net <- dd$cost_sek + 7000 * dd$income_support_months
  dnet <- mean(net[t1]) - mean(net[t0])
  dmonths <- mean(dd$income_support_months[t1]) - mean(dd$income_support_months[t0])
  dtake <- mean(dd$took_part[t1]) - mean(dd$took_part[t0])
  # Delta-method SE of the Wald ratio ΔE/Δd with Cov(ΔE, Δd) = cov1/n1 + cov0/n0.
  vd <- var(dd$took_part[t1]) / n1 + var(dd$took_part[t0]) / n0
  ced <- cov(dd$work_or_study_540[t1], dd$took_part[t1]) / n1 +
         cov(dd$work_or_study_540[t0], dd$took_part[t0]) / n0
  rw <- de / dtake
  wald_se <- sqrt((ve - 2 * rw * ced + rw^2 * vd) / dtake^2)
  list(subgroup = label, n_treated = n1, n_control = n0,
       mean_cost_treated = c1, mean_cost_control = c0,
       cost_per_participant_treated = sum(dd$cost_sek[t1]) / sum(dd$took_part[t1]),
       incremental_cost = dc, incremental_effect = de,
       se_cost = sqrt(vc), se_effect = sqrt(ve), covariance = cv,
       icer = R, icer_se = icer_se, fieller_shape = shape,
       fieller_low = roots[1], fieller_high = roots[2],
       net_incremental_cost = dnet, net_icer = dnet / de,
       break_even_sek_per_month = -dc / dmonths,
       take_up_difference = dtake, effect_per_participant = de / dtake,
       effect_per_participant_se = wald_se,
       cost_per_participant_increment = dc / dtake,
       nmb_100000 = 100000 * de - dc,
       nmb_100000_se = sqrt(100000^2 * ve + vc - 2 * 100000 * cv))
}
ref <- list(analyse(d, "all"), analyse(d[d$gender == "F", ], "gender=F"),
            analyse(d[d$gender == "M", ], "gender=M"))

# Cluster-robust (municipality) variances: Stata CR1 for the difference in means, from
# estimatr::lm_robust(se_type = "stata"); the covariance of ΔC and ΔE by the same formula written
# out: G/(G-1) (N-1)/(N-2) Σ_g U_gC U_gE with U_g the cluster sums of the influence values
# (x - mean_arm)/n_arm (treated) and -(x - mean_arm)/n_arm (control) (Cameron & Miller 2015).
d$zz <- as.integer(d$arm == "md1")
fc <- lm_robust(cost_sek ~ zz, data = d, clusters = municipality, se_type = "stata")
fe <- lm_robust(work_or_study_540 ~ zz, data = d, clusters = municipality, se_type = "stata")
infl <- function(x) ifelse(d$zz == 1, (x - mean(x[d$zz == 1])) / sum(d$zz),
                           -(x - mean(x[d$zz == 0])) / sum(1 - d$zz))
G <- length(unique(d$municipality)); N <- nrow(d)
Uc <- tapply(infl(d$cost_sek), d$municipality, sum)
Ue <- tapply(infl(d$work_or_study_540), d$municipality, sum)
ccov <- G / (G - 1) * (N - 1) / (N - 2) * sum(Uc * Ue)
stopifnot(abs(G / (G - 1) * (N - 1) / (N - 2) * sum(Uc^2) - fc$std.error[2]^2) < 1e-9 * fc$std.error[2]^2)
cdc <- unname(coef(fc)[2]); cde <- unname(coef(fe)[2]); cR <- cdc / cde
cicer_se <- sqrt((fc$std.error[2]^2 - 2 * cR * ccov + cR^2 * fe$std.error[2]^2) / cde^2)
# With clusters the intervals use t with G - 1 df (Cameron & Miller 2015, sec. VI.C; Stata's
# nlcom after regress, vce(cluster)): delta method, Fieller with t^2, NMB and P(NMB > 0).
tq <- qt(0.975, G - 1)
cvc <- fc$std.error[2]^2; cve <- fe$std.error[2]^2
fa <- cde^2 - tq^2 * cve; fb <- -2 * (cdc * cde - tq^2 * ccov); fcc <- cdc^2 - tq^2 * cvc
fdisc <- fb^2 - 4 * fa * fcc
if (fa > 0) { cshape <- "bounded"; croots <- sort((-fb + c(-1, 1) * sqrt(fdisc)) / (2 * fa))
} else if (fdisc > 0) { cshape <- "exclusive"; croots <- sort((-fb + c(-1, 1) * sqrt(fdisc)) / (2 * fa))
} else { cshape <- "unbounded"; croots <- c(NA, NA) }
cnmb <- 100000 * cde - cdc
cnmb_se <- sqrt(100000^2 * cve + cvc - 2 * 100000 * ccov)
cluster_ref <- list(se_cost = unname(fc$std.error[2]), se_effect = unname(fe$std.error[2]),
                    covariance = ccov, icer_se = cicer_se, clusters = G, t_975 = tq,
                    delta_low = cR - tq * cicer_se, delta_high = cR + tq * cicer_se,
                    fieller_shape = cshape, fieller_low = croots[1], fieller_high = croots[2],
                    nmb_100000_low = cnmb - tq * cnmb_se, nmb_100000_high = cnmb + tq * cnmb_se,
                    nmb_100000_prob = pt(cnmb / cnmb_se, G - 1))
d$zz <- NULL

# Bootstrap with boot's stratified resampling.
stat <- function(dd, i) {
  x <- dd[i, ]; t1 <- x$arm == "md1"
  dc <- mean(x$cost_sek[t1]) - mean(x$cost_sek[!t1])
  de <- mean(x$work_or_study_540[t1]) - mean(x$work_or_study_540[!t1])
  c(dc, de, dc / de)
}
B <- 299
b <- boot(d, stat, R = B, strata = interaction(d$site, d$arm))
idx <- boot.array(b, indices = TRUE)
write.table(idx - 1L, "tests/reference/cost/boot_indices.csv", sep = ",",
            row.names = FALSE, col.names = FALSE)
perc <- lapply(1:3, function(k) boot.ci(b, conf = 0.95, type = "perc", index = k)$percent[4:5])
boot_ref <- list(reps = B, t = unname(b$t), perc_cost = perc[[1]], perc_effect = perc[[2]],
                 perc_icer = perc[[3]], sd_effect = sd(b$t[, 2]), sd_cost = sd(b$t[, 1]),
                 qnorm_975 = z975)
writeLines(toJSON(list(subgroups = ref, bootstrap = boot_ref, clustered = cluster_ref), digits = NA, auto_unbox = TRUE,
                  na = "null", pretty = TRUE), "tests/reference/cost/cost_reference.json")
