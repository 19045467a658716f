# Reference values for `lotta power` (tests/power.rs), from R's pwr package and the textbook
# formulas written out here (Bloom 1995; Duflo, Glennerster & Kremer 2007, eq. 11 and 17).
# Run from the repository root:  Rscript tests/reference/power/power.R
# Writes tests/reference/power/analytic.csv and tests/reference/power/nct.csv.
suppressMessages(library(pwr))
options(digits = 17)
out <- "tests/reference/power"
TOL <- 1e-14  # uniroot tolerance when a quantity is solved (pwr's own default is eps^0.25)

rows <- list()
add <- function(case, quantity, value, source, estimand = "all", method = "", outcome = "binary",
                baseline = NA, baseline_women = NA, baseline_men = NA, sd = NA, n = NA,
                ratio = "1:1", alpha = 0.05, power = NA, mde = NA, r2 = NA, icc = NA,
                cluster_size = NA, clusters = NA, share_women = NA, cost_per_participant = NA,
                cost_sd = NA, effect = NA) {
  rows[[length(rows) + 1]] <<- data.frame(
    case, estimand, quantity, expected = sprintf("%.17g", value), source, method, outcome,
    baseline, baseline_women, baseline_men, sd, n, ratio, alpha, power, mde, r2, icc,
    cluster_size, clusters, share_women, cost_per_participant, cost_sd, effect)
}
share <- function(ratio) { r <- as.numeric(strsplit(ratio, ":")[[1]]); r[1] / sum(r) }

# --- arcsine (Cohen's h): pwr.2p2n.test ----------------------------------------------------
p0 <- 0.30; N <- 4500; P <- share("2:1")
h <- ES.h(0.35, p0)
add("arcsine_power", "power", pwr.2p2n.test(h = h, n1 = N * P, n2 = N * (1 - P))$power,
    "pwr::pwr.2p2n.test", method = "arcsine", baseline = p0, n = N, ratio = "2:1", mde = 0.05)
hstar <- uniroot(function(h) pwr.2p2n.test(h = h, n1 = N * P, n2 = N * (1 - P))$power - 0.8,
                 c(1e-6, 3), tol = TOL)$root
add("arcsine_mde", "mde", sin(asin(sqrt(p0)) + hstar / 2)^2 - p0,
    "pwr::pwr.2p2n.test solved by uniroot", method = "arcsine", baseline = p0, n = N,
    ratio = "2:1", power = 0.8)
h2 <- ES.h(0.25, 0.20)
nstar <- uniroot(function(n) pwr.2p2n.test(h = h2, n1 = n / 2, n2 = n / 2)$power - 0.9,
                 c(10, 1e6), tol = TOL)$root
add("arcsine_n", "n", nstar, "pwr::pwr.2p2n.test solved by uniroot", method = "arcsine",
    baseline = 0.20, mde = 0.05, power = 0.9)
add("arcsine_n_pwr2p", "n", 2 * pwr.2p.test(h = h2, power = 0.9)$n,
    "pwr::pwr.2p.test (equal groups; pwr's own tolerance)", method = "arcsine",
    baseline = 0.20, mde = 0.05, power = 0.9)

# --- noncentral t: pwr.t2n.test -------------------------------------------------------------
add("t_power", "power", pwr.t2n.test(n1 = 2000, n2 = 1000, d = 0.1)$power,
    "pwr::pwr.t2n.test", method = "t", outcome = "continuous", sd = 1, n = 3000, ratio = "2:1",
    mde = 0.1)
dstar <- uniroot(function(d) pwr.t2n.test(n1 = 300, n2 = 300, d = d)$power - 0.8, c(1e-4, 5),
                 tol = TOL)$root
add("t_mde", "mde", 2 * dstar, "pwr::pwr.t2n.test solved by uniroot", method = "t",
    outcome = "continuous", sd = 2, n = 600, power = 0.8)
nstar <- uniroot(function(n) pwr.t2n.test(n1 = 0.75 * n, n2 = 0.25 * n, d = 0.2)$power - 0.9,
                 c(20, 1e6), tol = TOL)$root
add("t_n", "n", nstar, "pwr::pwr.t2n.test solved by uniroot", method = "t",
    outcome = "continuous", sd = 1, mde = 0.2, power = 0.9, ratio = "3:1")
dstar <- uniroot(function(d) pwr.t2n.test(n1 = 10, n2 = 10, d = d)$power - 0.8, c(1e-4, 10),
                 tol = TOL)$root
add("t_mde_small", "mde", dstar, "pwr::pwr.t2n.test solved by uniroot (df = 18)", method = "t",
    outcome = "continuous", sd = 1, n = 20, power = 0.8)
add("t_power_pwr", "power", pwr.t.test(n = 50, d = 0.5)$power, "pwr::pwr.t.test",
    method = "t", outcome = "continuous", sd = 1, n = 100, mde = 0.5)

# --- textbook normal formulas (DGK 2007 eq. 11; Bloom 1995) --------------------------------
M <- qnorm(0.975) + qnorm(0.8)
se <- sqrt(p0 * (1 - p0) * (1 - 0.2) / (P * (1 - P) * N))
add("normal_mde_r2", "mde", M * se, "DGK eq. 11 with R^2", method = "normal", baseline = p0,
    n = N, ratio = "2:1", power = 0.8, r2 = 0.2)
add("normal_power", "power", pnorm(0.03 / sqrt(p0 * (1 - p0) / (P * (1 - P) * N)) - qnorm(0.975)),
    "Bloom 1995 power", method = "normal", baseline = p0, n = N, ratio = "2:1", mde = 0.03)
add("normal_n", "n", (M * sqrt(0.388 * 0.612) / 0.04)^2 / (P * (1 - P)), "DGK eq. 11 solved for N",
    method = "normal", baseline = 0.388, ratio = "2:1", power = 0.8, mde = 0.04)
deff <- 1 + (150 - 1) * 0.05
add("normal_cluster_mde", "mde", M * sqrt(p0 * (1 - p0) * deff / (P * (1 - P) * N)),
    "DGK eq. 17 (design effect 1 + (m - 1) rho)", method = "normal", baseline = p0, n = N,
    ratio = "2:1", power = 0.8, icc = 0.05, cluster_size = 150)
add("normal_cluster_deff", "design_effect", deff, "1 + (m - 1) rho", method = "normal",
    baseline = p0, n = N, ratio = "2:1", power = 0.8, icc = 0.05, cluster_size = 150)

# --- clusters with few clusters: t on cluster means = pwr.t2n.test with K - 2 df ------------
sd_cm <- sqrt(0.1 + 0.9 / 100)  # SD of a cluster mean (sd 1, rho 0.1, m 100)
add("cluster_t_power", "power", pwr.t2n.test(n1 = 4, n2 = 4, d = 0.5 / sd_cm)$power,
    "pwr::pwr.t2n.test on cluster means (K - 2 df)", method = "t", outcome = "continuous",
    sd = 1, n = 800, icc = 0.1, clusters = 8, mde = 0.5)
dstar <- uniroot(function(d) pwr.t2n.test(n1 = 10, n2 = 10, d = d)$power - 0.8, c(1e-4, 10),
                 tol = TOL)$root
add("cluster_t_mde", "mde", dstar * sd_cm, "pwr::pwr.t2n.test on cluster means (K - 2 df)",
    method = "t", outcome = "continuous", sd = 1, n = 2000, icc = 0.1, cluster_size = 100,
    power = 0.8)

# --- subgroups and the difference between women and men (normal) ----------------------------
n <- 5400; sw <- 0.45; bw <- 0.30; bm <- 0.46; b <- 0.388
se_w <- sqrt(bw * (1 - bw) / (P * (1 - P) * n * sw))
se_m <- sqrt(bm * (1 - bm) / (P * (1 - P) * n * (1 - sw)))
for (e in list(list("women", M * se_w), list("men", M * se_m),
               list("women - men", M * sqrt(se_w^2 + se_m^2)))) {
  add("subgroups", "mde", e[[2]], "DGK eq. 11 per subgroup; SE of a difference", estimand = e[[1]],
      method = "normal", baseline = b, baseline_women = bw, baseline_men = bm, n = n,
      ratio = "2:1", power = 0.8, share_women = sw)
}

# --- cost per additional success: delta method and Fieller (Willan & Briggs 2006) -----------
C <- 12410; sdc <- 14000; E <- 0.0805
se_e <- sqrt(b * (1 - b) / (P * (1 - P) * n)); se_c <- sdc / sqrt(P * (1 - P) * n)
icer <- C / E; se_icer <- icer * sqrt((se_c / C)^2 + (se_e / E)^2); z <- qnorm(0.975)
a <- E^2 - z^2 * se_e^2; bb <- -2 * C * E; cc <- C^2 - z^2 * se_c^2
roots <- sort((-bb + c(-1, 1) * sqrt(bb^2 - 4 * a * cc)) / (2 * a))
for (q in list(list("icer", icer), list("icer_se", se_icer), list("icer_half_width", z * se_icer),
               list("icer_lower", roots[1]), list("icer_upper", roots[2]))) {
  add("icer", q[[1]], q[[2]], "delta method / Fieller, independent costs and effects",
      estimand = "cost per additional success", method = "normal", baseline = b, n = n,
      ratio = "2:1", power = 0.8, cost_per_participant = C, cost_sd = sdc, effect = E)
}

# --- arcsine with subgroups, their difference and the cost precision (issue 12) -------------
# Every row on the outcome scale: `se` is the SE of the difference in proportions,
# sqrt(p0 (1 - p0)) * SE_h; women and men use Cohen's h (pwr.2p2n.test); women - men uses the
# normal formula with SE_d = sqrt(SE_w^2 + SE_m^2) of the outcome-scale SEs (the documented
# formula); the cost precision uses the overall outcome-scale SE.
zq <- qnorm(0.975)
# (a) --baseline 0.2 --mde 0.05 --ratio 3:1 --power 0.9 --method arcsine: solve n.
P3 <- share("3:1"); b <- 0.2; ha <- ES.h(b + 0.05, b)
na <- uniroot(function(n) pwr.2p2n.test(h = ha, n1 = n * P3, n2 = n * (1 - P3))$power - 0.9,
              c(10, 1e6), tol = TOL)$root
sub_h <- function(n, p) sqrt(1 / (P3 * (1 - P3) * n * p))  # SE of h in a subgroup
arc_mde <- function(se_h, power, p0) {
  hstar <- uniroot(function(h) pnorm(h / se_h - zq) + pnorm(-h / se_h - zq) - power,
                   c(1e-8, 3), tol = TOL)$root
  sin(asin(sqrt(p0)) + hstar / 2)^2 - p0
}
se_w <- sqrt(b * (1 - b)) * sub_h(na, 0.5); se_m <- se_w
common_a <- list(method = "arcsine", baseline = b, ratio = "3:1", power = 0.9, mde = 0.05)
adda <- function(estimand, quantity, value, source)
  do.call(add, c(list("arcsine_subgroups_n", quantity, value, source, estimand = estimand), common_a))
adda("all", "n", na, "pwr::pwr.2p2n.test solved by uniroot")
adda("all", "se", sqrt(b * (1 - b)) * sqrt(1 / (P3 * (1 - P3) * na)), "sqrt(p0 (1 - p0)) * SE_h")
adda("all", "se_h", sqrt(1 / (P3 * (1 - P3) * na)), "Cohen's h: sqrt(1/n1 + 1/n2)")
adda("women", "mde", arc_mde(sub_h(na, 0.5), 0.9, b),
     "pwr::pwr.2p2n.test power equation solved by uniroot (women: n/2)")
# check the equation against pwr itself at the solution
stopifnot(abs(pwr.2p2n.test(h = ES.h(b + arc_mde(sub_h(na, 0.5), 0.9, b), b), n1 = na / 2 * P3,
                            n2 = na / 2 * (1 - P3))$power - 0.9) < 1e-9)
adda("women", "se", se_w, "sqrt(p0 (1 - p0)) * SE_h")
adda("women - men", "mde", (zq + qnorm(0.9)) * sqrt(se_w^2 + se_m^2),
     "normal formula, SE_d = sqrt(SE_w^2 + SE_m^2) on the outcome scale")
adda("women - men", "se", sqrt(se_w^2 + se_m^2), "SE_d on the outcome scale")

# (b) --baseline 0.4 --n 1200 --ratio 2:1 --mde 0.06 --method arcsine: power.
b <- 0.4; N <- 1200; P2 <- share("2:1"); hb <- ES.h(b + 0.06, b)
se_wb <- sqrt(b * (1 - b) / (P2 * (1 - P2) * N / 2))
common_b <- list(method = "arcsine", baseline = b, n = N, ratio = "2:1", mde = 0.06)
addb <- function(estimand, quantity, value, source)
  do.call(add, c(list("arcsine_subgroups_power", quantity, value, source, estimand = estimand), common_b))
addb("all", "power", pwr.2p2n.test(h = hb, n1 = N * P2, n2 = N * (1 - P2))$power, "pwr::pwr.2p2n.test")
addb("women", "power", pwr.2p2n.test(h = hb, n1 = N / 2 * P2, n2 = N / 2 * (1 - P2))$power,
     "pwr::pwr.2p2n.test (women: n/2)")
addb("men", "power", pwr.2p2n.test(h = hb, n1 = N / 2 * P2, n2 = N / 2 * (1 - P2))$power,
     "pwr::pwr.2p2n.test (men: n/2)")
addb("women - men", "power", pnorm(0.06 / sqrt(2 * se_wb^2) - zq),
     "normal power, SE_d = sqrt(SE_w^2 + SE_m^2) on the outcome scale")
# equal groups: pwr.2p.test agrees with pwr.2p2n.test (its own tolerance is not used: power)
stopifnot(abs(pwr.2p.test(h = hb, n = 400)$power - pwr.2p2n.test(h = hb, n1 = 400, n2 = 400)$power) < 1e-15)

# (c) the cost precision under arcsine: delta method and Fieller with the outcome-scale SE.
b <- 0.388; n <- 5400; C <- 12410; sdc <- 14000
E <- arc_mde(sqrt(1 / (P2 * (1 - P2) * n)), 0.8, b)
se_e <- sqrt(b * (1 - b) / (P2 * (1 - P2) * n)); se_c <- sdc / sqrt(P2 * (1 - P2) * n)
icer <- C / E; se_icer <- icer * sqrt((se_c / C)^2 + (se_e / E)^2)
a <- E^2 - zq^2 * se_e^2; bb <- -2 * C * E; cc <- C^2 - zq^2 * se_c^2
roots <- sort((-bb + c(-1, 1) * sqrt(bb^2 - 4 * a * cc)) / (2 * a))
for (q in list(list("icer", icer), list("icer_se", se_icer), list("icer_lower", roots[1]),
               list("icer_upper", roots[2]))) {
  add("icer_arcsine", q[[1]], q[[2]], "delta method / Fieller on the outcome scale, effect = arcsine MDE",
      estimand = "cost per additional success", method = "arcsine", baseline = b, n = n,
      ratio = "2:1", power = 0.8, cost_per_participant = C, cost_sd = sdc)
}

tab <- do.call(rbind, rows)
write.csv(tab, file.path(out, "analytic.csv"), row.names = FALSE, na = "")

# --- distribution functions: pt with ncp, qt ------------------------------------------------
grid <- expand.grid(q = c(-2.5, 0, 1.96, 3.1), df = c(3, 18, 120, 4498), ncp = c(0, 0.8, 2.8))
nct <- data.frame(kind = "pt", x = grid$q, df = grid$df, ncp = grid$ncp,
                  expected = sprintf("%.17g", pt(grid$q, grid$df, ncp = grid$ncp)))
qgrid <- expand.grid(p = c(0.8, 0.975), df = c(1, 3, 8, 18, 120, 4498, 1e5, 1e6))
nct <- rbind(nct, data.frame(kind = "qt", x = qgrid$p, df = qgrid$df, ncp = 0,
                             expected = sprintf("%.17g", qt(qgrid$p, qgrid$df))))
write.csv(nct, file.path(out, "nct.csv"), row.names = FALSE)
cat("wrote", nrow(tab), "analytic and", nrow(nct), "distribution reference values\n")
