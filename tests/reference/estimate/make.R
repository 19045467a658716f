# Reference values for `lotta estimate`, computed with estimatr, sandwich, clubSandwich and AER.
# Run from the repository root:  Rscript tests/reference/estimate/make.R
# Writes datasets (d_*.csv), the analysis cases (cases.csv) and the expected rows (expected.csv).
# lotta's conventions replicated here: subgroups `all`, `<by>=<level>` (levels sorted), the
# difference `<by>=<level> - <by>=<last level>` from the interaction model of the estimator
# (dim: y ~ z*g [+ strata FE]; ols/fe: y ~ z + g + z:g + covariates [+ strata FE];
#  lin: lm_lin with the level indicator g as the first covariate, term z:g_c);
# with a participation column d, the 2SLS rows (term d) in `all`, each level and the difference
# (iv_robust(y ~ d + g + d:g + covariates | z + g + z:g + covariates), coefficient d:g);
# arm means weighted (weighted.mean) when the case has weights.
suppressPackageStartupMessages({
  library(estimatr); library(sandwich); library(clubSandwich); library(AER)
})
Sys.setlocale("LC_COLLATE", "C")
out <- "tests/reference/estimate"
options(digits = 17)

set.seed(20261122)
# d_main: 240 people, 2:1 offer, binary and continuous outcomes, text covariate, 8 sites,
# one-sided non-compliance, IPW weights varying by site, an outcome with missing values.
n <- 240
site <- sprintf("s%02d", rep(1:8, each = 30))
gender <- ifelse(runif(n) < 0.45, "F", "M")
z <- unlist(lapply(1:8, function(s) sample(rep(c(1, 1, 0), 10))))
age <- round(runif(n, 18, 64))
educ_years <- round(runif(n, 0, 16))
educ <- sample(c("none", "primary", "secondary", "tertiary"), n, replace = TRUE)
x_collinear <- 2 * age + 1
p_site <- ifelse(as.integer(substr(site, 2, 3)) <= 4, 2/3, 1/2)
took_part <- ifelse(z == 1, rbinom(n, 1, 0.85), 0)
lat <- -2 + 0.03 * age + 0.05 * educ_years + 0.5 * took_part + ifelse(gender == "F", -0.3, 0)
y_bin <- rbinom(n, 1, plogis(lat))
y_num <- 10 + 0.2 * age + 1.5 * took_part * (1 + (gender == "F")) + rnorm(n, 0, 3)
y_miss <- ifelse(runif(n) < 0.1 + 0.05 * z, NA, y_bin)
w <- ifelse(z == 1, 1 / p_site, 1 / (1 - p_site))
d_main <- data.frame(id = sprintf("p%03d", 1:n), site, gender, z, age, educ_years, educ,
                     x_collinear, took_part, w, y_bin, y_num, y_miss)
write.csv(d_main, file.path(out, "d_main.csv"), row.names = FALSE, na = "")

# d_clus: 7 municipalities (few clusters), cluster-level assignment, unequal sizes.
sizes <- c(12, 30, 8, 25, 40, 15, 20)
municipality <- rep(sprintf("m%d", 1:7), sizes)
zc <- rep(c(1, 0, 1, 0, 1, 0, 1), sizes)
nc <- sum(sizes)
gc <- ifelse(runif(nc) < 0.5, "F", "M")
xc <- rnorm(nc)
yc <- 0.3 * zc + 0.5 * xc + rep(rnorm(7, 0, 0.5), sizes) + rnorm(nc)
d_clus <- data.frame(id = sprintf("c%03d", 1:nc), municipality, gender = gc, z = zc, x = xc, y = yc)
write.csv(d_clus, file.path(out, "d_clus.csv"), row.names = FALSE)

# d_pairs: 12 matched pairs (strata of size 2).
pair <- sprintf("b%02d", rep(1:12, each = 2))
zp <- unlist(lapply(1:12, function(i) sample(c(0, 1))))
yp <- 1 + 0.4 * zp + rep(rnorm(12), each = 2) + rnorm(24, 0, 0.5)
d_pairs <- data.frame(id = sprintf("q%02d", 1:24), pair, z = zp, y = yp)
write.csv(d_pairs, file.path(out, "d_pairs.csv"), row.names = FALSE)

# d_arms: three arms (control `standard`), unbalanced.
na <- 150
arm <- sample(c("standard", "md1", "md1plus"), na, replace = TRUE, prob = c(0.4, 0.35, 0.25))
ga <- ifelse(runif(na) < 0.5, "F", "M")
xa <- rnorm(na)
ya <- 0.2 * (arm == "md1") + 0.5 * (arm == "md1plus") + 0.3 * xa + rnorm(na)
d_arms <- data.frame(id = sprintf("a%03d", 1:na), arm, gender = ga, x = xa, y = ya)
write.csv(d_arms, file.path(out, "d_arms.csv"), row.names = FALSE)

# d_bclus: 4 blocks of 4 clusters (2 offered, 2 not), unequal cluster sizes, participation.
blk <- character(); cl <- character(); zb <- numeric()
for (b in 1:4) for (k in 1:4) {
  m <- sample(5:25, 1)
  blk <- c(blk, rep(sprintf("b%d", b), m)); cl <- c(cl, rep(sprintf("b%dc%d", b, k), m))
  zb <- c(zb, rep(as.numeric(k %% 2 == 0), m))
}
nb <- length(zb)
gb <- ifelse(runif(nb) < 0.5, "F", "M")
xb <- rnorm(nb)
tb <- ifelse(zb == 1, rbinom(nb, 1, 0.8), 0)
yb <- 0.4 * tb + 0.3 * xb + as.numeric(factor(blk)) * 0.2 + rnorm(nb)
d_bclus <- data.frame(id = sprintf("k%03d", 1:nb), block = blk, cluster = cl, gender = gb, z = zb,
                      x = xb, took_part = tb, y = yb)
write.csv(d_bclus, file.path(out, "d_bclus.csv"), row.names = FALSE)

# d_clus participation (one-sided non-compliance), drawn from its own seed after every other
# data set so that their values do not change.
set.seed(20261123)
d_clus$took_part <- ifelse(d_clus$z == 1, rbinom(nc, 1, 0.8), 0)
write.csv(d_clus, file.path(out, "d_clus.csv"), row.names = FALSE)

# Issue 12 data sets, drawn from their own seed after every other data set.
set.seed(20261124)
# d_lev: 120 people in 10 strata and two singleton strata (t11, t12; more singletons appear
# within women and men), a text covariate `occ` with a level held by one person (`solo`).
nl <- 120
stratum <- c(sprintf("t%02d", rep(1:10, length.out = nl - 2)), "t11", "t12")
gl <- ifelse(runif(nl) < 0.5, "F", "M")
zl <- sample(rep(0:1, nl / 2))
xl <- rnorm(nl)
occ <- sample(c("clerk", "care", "trade"), nl, replace = TRUE); occ[37] <- "solo"
yl <- 0.3 * zl + 0.4 * xl + as.numeric(factor(stratum)) * 0.1 + rnorm(nl)
d_lev <- data.frame(id = sprintf("l%03d", 1:nl), stratum, gender = gl, z = zl, x = xl, occ, y = yl)
write.csv(d_lev, file.path(out, "d_lev.csv"), row.names = FALSE)
# d_unid: three regions; in r3 the education level `none` is held by controls only, so under
# Lin's estimator in r3 the column z:educnone_c is proportional to z.
nu <- 150
region <- rep(c("r1", "r2", "r3"), each = 50)
zu <- unlist(lapply(1:3, function(r) sample(rep(0:1, 25))))
educu <- sample(c("none", "primary", "secondary"), nu, replace = TRUE)
r3 <- which(region == "r3")
educu[r3] <- ifelse(zu[r3] == 1, sample(c("primary", "secondary"), 50, replace = TRUE), educu[r3])
educu[r3[zu[r3] == 0][1:4]] <- "none"
ageu <- round(runif(nu, 18, 64))
yu <- 0.5 * zu + 0.02 * ageu + 0.3 * (educu == "secondary") + rnorm(nu)
d_unid <- data.frame(id = sprintf("u%03d", 1:nu), region, z = zu, age = ageu, educ = educu, y = yu)
write.csv(d_unid, file.path(out, "d_unid.csv"), row.names = FALSE)
# d_wclus: 12 clusters of unequal size in 3 blocks, cluster-level assignment with block-specific
# probabilities (IPW weights constant within a cluster, `w_cl`) and person-level weights that
# vary within clusters (`w_var`), for the weighted CR2.
sizes_w <- sample(6:30, 12, replace = TRUE)
cluster_w <- rep(sprintf("w%02d", 1:12), sizes_w)
block_w <- rep(rep(c("A", "B", "C"), each = 4), sizes_w)
zw <- rep(c(1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1, 0), sizes_w)
p_w <- c(A = 0.75, B = 0.5, C = 0.5)[block_w]
nw <- length(zw)
d_wclus <- data.frame(id = sprintf("v%03d", 1:nw), block = block_w, cluster = cluster_w,
                      gender = ifelse(runif(nw) < 0.5, "F", "M"), z = zw, x = rnorm(nw),
                      w_cl = ifelse(zw == 1, 1 / p_w, 1 / (1 - p_w)),
                      w_var = round(runif(nw, 0.5, 3), 3))
d_wclus$y <- 0.3 * d_wclus$z + 0.5 * d_wclus$x + rep(rnorm(12, 0, 0.5), sizes_w) + rnorm(nw)
write.csv(d_wclus, file.path(out, "d_wclus.csv"), row.names = FALSE)
# d_miss (issue 12, item 4): 200 people, covariates missing at random in both arms and genders:
# x (numeric, ~12%), age (numeric, ~6%), occ (text, ~8%); the outcome missing for ~8%.
set.seed(20261125)
nm <- 200
zm <- sample(rep(0:1, nm / 2))
gm <- ifelse(runif(nm) < 0.5, "F", "M")
xm <- rnorm(nm)
agem <- round(runif(nm, 18, 64))
occm <- sample(c("clerk", "care", "trade"), nm, replace = TRUE)
ym <- 0.4 * zm + 0.5 * xm + 0.02 * agem + 0.3 * (occm == "care") + rnorm(nm)
ym[runif(nm) < 0.08] <- NA
xm[runif(nm) < 0.12] <- NA
agem[runif(nm) < 0.06] <- NA
occm[runif(nm) < 0.08] <- NA
tm <- ifelse(zm == 1, rbinom(nm, 1, 0.8), 0)
ym <- ym + 0.3 * tm
d_miss <- data.frame(id = sprintf("m%03d", 1:nm), gender = gm, z = zm, x = xm, age = agem,
                     occ = occm, took_part = tm, y = ym)
write.csv(d_miss, file.path(out, "d_miss.csv"), row.names = FALSE, na = "")
# The missing-indicator method computed explicitly (lotta: --missing-covariates indicator): a
# missing number filled with the mean over everyone with it observed and its indicator
# `<x>_missing` added after it; a missing category its own level "NA". Not written: lotta reads
# d_miss.csv and fills it itself.
d_missi <- d_miss
for (v in c("x", "age")) {
  miss <- is.na(d_missi[[v]])
  d_missi[[v]][miss] <- mean(d_miss[[v]], na.rm = TRUE)
  d_missi[[paste0(v, "_missing")]] <- as.numeric(miss)
}
d_missi$occ[is.na(d_missi$occ)] <- "NA"

datasets <- list(main = d_main, clus = d_clus, pairs = d_pairs, arms = d_arms, bclus = d_bclus,
                 lev = d_lev, unid = d_unid, wclus = d_wclus, miss = d_miss, missi = d_missi)

cases <- data.frame(
  case = character(), dataset = character(), outcome = character(), treatment = character(),
  control = character(), estimator = character(), se = character(), covariates = character(),
  by = character(), strata = character(), cluster = character(), weights = character(),
  participation = character(), missing_covariates = character(), stringsAsFactors = FALSE)
rows <- list()

add_case <- function(case, dataset, outcome, estimator, se = "", covariates = character(),
                     by = "", strata = "", cluster = "", weights = "", participation = "",
                     treatment = "z", control = "", missing_covariates = "") {
  cases[nrow(cases) + 1, ] <<- list(case, dataset, outcome, treatment, control, estimator, se,
                                     paste(covariates, collapse = " "), by, strata, cluster,
                                     weights, participation, missing_covariates)
}
# Complete cases (issue 12, item 4): the fits get the rows with a missing covariate and drop them
# themselves (lm_robust/lm_lin's default na.omit); the arm counts and means are of the rows
# analysed, the complete cases of these covariates.
complete_covariates <- character()

se_arg <- function(se, clustered) {
  if (se == "") return(if (clustered) "CR2" else "HC2")
  switch(se, hc0 = "HC0", hc1 = "HC1", hc2 = "HC2", hc3 = "HC3", cr0 = "CR0", cr1 = "stata", cr2 = "CR2")
}
se_label <- function(s) if (s == "stata") "CR1" else s

record <- function(case, source, outcome, subgroup, term, est, se, df, sub, tcol, tlevel, ctrl,
                   wcol = "") {
  tt <- est / se
  p <- 2 * pt(-abs(tt), df)
  q <- qt(0.975, df)
  if (length(complete_covariates)) sub <- sub[complete.cases(sub[complete_covariates]), ]
  yv <- sub[[outcome]]
  tr <- sub[[tcol]] == tlevel
  co <- sub[[tcol]] == ctrl
  # Arm means: with weights the weighted (Hajek) means, with the estimator's weights.
  arm_mean <- function(s) if (wcol == "") mean(yv[s]) else weighted.mean(yv[s], sub[[wcol]][s])
  rows[[length(rows) + 1]] <<- data.frame(
    case = case, source = source, outcome = outcome, subgroup = subgroup, term = term,
    estimate = est, std_error = se, statistic = tt, df = df, p_value = p,
    conf_low = est - q * se, conf_high = est + q * se,
    n_treated = sum(tr), n_control = sum(co),
    mean_treated = arm_mean(tr), mean_control = arm_mean(co), stringsAsFactors = FALSE)
}

# Issue 12 (cases run with issue12 = TRUE; unweighted, unclustered, two arms).
# Leverage one: an observation the model fits exactly (a covariate level held by one person)
# has e = 0 and 1 - h = 0. lm_robust(fixed_effects = ~s) drops such observations; without
# fixed effects lm_robust's HC2 divides 0 by 0 and gives, depending on rounding, NaN or the
# value without them. lotta's rule is to leave them out of the variance, which for OLS equals
# lm_robust on the data without them (same coefficients, residuals, other leverages, df n - k).
without_leverage_one <- function(formula, sub) {
  h <- hatvalues(lm(formula, data = sub))
  sub[1 - h > 1e-8, ]
}
# Identification: the treatment coefficient is identified only if its column is not in the span
# of the other columns (e_j in the row space of X; R's qr rank with lm's tolerance 1e-7).
# Otherwise its value depends on which collinear column is dropped: lotta leaves the row empty
# (NA here); estimatr prints the value for the column it happened to keep.
identified <- function(estimator, outcome, treatment, covariates, sub) {
  t <- as.numeric(sub[[treatment]] == 1)
  X <- if (length(covariates)) {
    model.matrix(as.formula(paste("~", paste(covariates, collapse = " + "))), sub)[, -1, drop = FALSE]
  } else matrix(0, nrow(sub), 0)
  if (estimator == "lin") X <- cbind(sweep(X, 2, colMeans(X)), t * sweep(X, 2, colMeans(X)))
  full <- cbind(1, t, X)
  others <- cbind(1, X)
  ok <- qr(others, tol = 1e-7)$rank < qr(full, tol = 1e-7)$rank
  if (!ok) {
    # The estimate indeed moves with the pivot order: z first (as lm) versus z last.
    first <- coef(lm.fit(full, sub[[outcome]]))[2]
    last <- coef(lm.fit(cbind(others, t), sub[[outcome]]))[ncol(others) + 1]
    stopifnot(is.na(last) || abs(first - last) > 1e-6)
  }
  ok
}

# One case: every row lotta produces for it.
run_case <- function(case, dataset, outcome, estimator, se = "", covariates = character(),
                     by = "", strata = "", cluster = "", weights = "", participation = "",
                     treatment = "z", control = "", issue12 = FALSE,
                     missing_covariates = "", fit_dataset = dataset, case_covariates = covariates) {
  add_case(case, dataset, outcome, estimator, se, case_covariates, by,
           paste(strata, collapse = " "), cluster, weights, participation, treatment, control,
           missing_covariates)
  complete_covariates <<- if (missing_covariates == "complete") covariates else character()
  on.exit(complete_covariates <<- character())
  d <- datasets[[fit_dataset]]
  d <- d[!is.na(d[[outcome]]), ]
  if (length(strata) > 1) {  # several strata columns: their combinations
    d$strata__ <- do.call(paste, c(d[strata], sep = "|")); strata <- "strata__"
  }
  if (treatment == "z") { arms <- c(1); ctrl <- 0; term_of <- function(a) "z" } else {
    levs <- sort(unique(d[[treatment]])); arms <- setdiff(levs, control); ctrl <- control
    term_of <- function(a) paste0(treatment, "=", a)
    d[[treatment]] <- relevel(factor(d[[treatment]]), ref = control)
  }
  clustered <- cluster != ""
  st <- se_arg(se, clustered)
  fit_args <- function(sub) {
    a <- list(data = sub, se_type = st)
    if (clustered) a$clusters <- sub[[cluster]]
    if (weights != "") a$weights <- sub[[weights]]
    a
  }
  rhs_cov <- if (length(covariates)) paste("+", paste(covariates, collapse = " + ")) else ""
  strata_fe <- function(a) { if (strata != "") a$fixed_effects <- as.formula(paste("~", strata)); a }
  coef_name <- function(a) if (treatment == "z") "z" else paste0(treatment, a)
  groups <- list(all = d)
  if (by != "") for (l in sort(unique(d[[by]]))) groups[[paste0(by, "=", l)]] <- d[d[[by]] == l, ]
  for (g in names(groups)) {
    sub <- groups[[g]]
    for (a in arms) {
      tl <- if (treatment == "z") 1 else a
      if (estimator == "dim") {
        s2 <- sub[sub[[treatment]] %in% c(tl, ctrl), ]
        a2 <- list(formula = as.formula(paste(outcome, "~", treatment)), data = s2)
        if (strata != "") a2$blocks <- s2[[strata]]
        if (clustered) a2$clusters <- s2[[cluster]]
        if (weights != "") a2$weights <- s2[[weights]]
        if (treatment != "z") { a2$condition1 <- ctrl; a2$condition2 <- a }
        f <- do.call(difference_in_means, a2)
        record(case, "estimatr", outcome, g, term_of(a), unname(f$coefficients), unname(f$std.error),
               unname(f$df), sub, treatment, tl, ctrl, weights)
      } else {
        a2 <- fit_args(sub)
        if (estimator == "lin") {
          a2$formula <- as.formula(paste(outcome, "~", treatment))
          a2$covariates <- as.formula(paste("~", paste(covariates, collapse = " + ")))
          f <- do.call(lm_lin, a2)
        } else {
          a2$formula <- as.formula(paste(outcome, "~", treatment, rhs_cov))
          if (estimator == "fe") a2 <- strata_fe(a2)
          if (issue12 && estimator == "ols") a2$data <- without_leverage_one(a2$formula, sub)
          f <- do.call(lm_robust, a2)
        }
        cn <- coef_name(a)
        if (issue12 && !identified(estimator, outcome, treatment, covariates, sub)) {
          record(case, "estimatr", outcome, g, term_of(a), NA, NA, NA, sub, treatment, tl, ctrl)
          next
        }
        record(case, "estimatr", outcome, g, term_of(a), unname(f$coefficients[cn]),
               unname(f$std.error[cn]), unname(f$df[cn]), sub, treatment, tl, ctrl, weights)
      }
    }
    if (participation != "") {
      a2 <- fit_args(sub)
      a2$formula <- as.formula(paste(outcome, "~", participation, rhs_cov, "|", treatment, rhs_cov))
      a2$diagnostics <- TRUE
      f <- do.call(iv_robust, a2)
      record(case, "estimatr", outcome, g, participation, unname(f$coefficients[participation]),
             unname(f$std.error[participation]), unname(f$df[participation]), sub, treatment, 1, 0,
             weights)
      rows[[length(rows)]]$first_stage_f <<- unname(f$diagnostic_first_stage_fstatistic["value"])
    }
  }
  if (by != "") {
    # One interaction model with an indicator of every level but the last.
    levs <- sort(unique(d[[by]])); ref <- levs[length(levs)]
    gnames <- character()
    for (l in levs[-length(levs)]) {
      gname <- paste0(by, l)
      d[[gname]] <- as.numeric(d[[by]] == l)
      gnames <- c(gnames, gname)
    }
    bq <- function(v) paste0("`", v, "`")
    a2 <- fit_args(d)
    if (estimator == "lin") {
      a2$formula <- as.formula(paste(outcome, "~", treatment))
      a2$covariates <- as.formula(paste("~", paste(c(bq(gnames), covariates), collapse = " + ")))
      f <- do.call(lm_lin, a2)
    } else {
      cv <- if (estimator == "dim") "" else rhs_cov
      inter <- paste(treatment, ":", bq(gnames), collapse = " + ")
      a2$formula <- as.formula(paste(outcome, "~", treatment, "+", paste(bq(gnames), collapse = " + "), "+", inter, cv))
      if (estimator == "fe" || (estimator == "dim" && strata != "")) a2 <- strata_fe(a2)
      f <- do.call(lm_robust, a2)
    }
    for (l in levs[-length(levs)]) {
      gname <- paste0(by, l)
      for (a in arms) {
        tl <- if (treatment == "z") 1 else a
        cn <- if (estimator == "lin") paste0(coef_name(a), ":", gname, "_c") else paste0(coef_name(a), ":", gname)
        sub <- d[d[[by]] %in% c(l, ref), ]
        record(case, "estimatr", outcome, paste0(by, "=", l, " - ", by, "=", ref), term_of(a),
               unname(f$coefficients[cn]), unname(f$std.error[cn]), unname(f$df[cn]), sub,
               treatment, tl, ctrl, weights)
      }
    }
    if (participation != "") {
      # The 2SLS difference: the interaction IV model, participation and its interactions with
      # the level indicators instrumented by the offer and its interactions; the row is the
      # `<participation>:<by><level>` coefficient, its first-stage F the diagnostic F of that
      # endogenous regressor (`<participation>:<by><level>:value`).
      pint <- paste(participation, ":", bq(gnames), collapse = " + ")
      zint <- paste(treatment, ":", bq(gnames), collapse = " + ")
      gsum <- paste(bq(gnames), collapse = " + ")
      a2 <- fit_args(d)
      a2$formula <- as.formula(paste(outcome, "~", participation, "+", gsum, "+", pint, rhs_cov,
                                     "|", treatment, "+", gsum, "+", zint, rhs_cov))
      a2$diagnostics <- TRUE
      f <- do.call(iv_robust, a2)
      for (l in levs[-length(levs)]) {
        cn <- paste0(participation, ":", by, l)
        sub <- d[d[[by]] %in% c(l, ref), ]
        record(case, "estimatr", outcome, paste0(by, "=", l, " - ", by, "=", ref), participation,
               unname(f$coefficients[cn]), unname(f$std.error[cn]), unname(f$df[cn]), sub,
               treatment, 1, 0, weights)
        # estimatr's F is b'V^-1 b / q with V the robust variance of the instrument coefficients in
        # the first stage of `cn` (first_stage_ftest, compute_fstat: NA when chol(V) fails).
        # Without covariates that first stage is saturated and, under one-sided
        # non-compliance, exact in three of the four cells, so V is singular and estimatr's
        # value is NA or rounding noise, depending on the sign of a ~1e-34 eigenvalue. Record NA
        # (lotta: NaN) when V is singular to working precision (eigenvalue ratio <= 1e-12).
        a3 <- fit_args(d)
        a3$formula <- as.formula(paste0("I(", participation, " * ", bq(paste0(by, l)), ") ~ ",
                                        treatment, " + ", gsum, " + ", zint, rhs_cov))
        fs <- do.call(lm_robust, a3)
        inst <- c(treatment, paste0(treatment, ":", gnames))
        ev <- eigen(vcov(fs)[inst, inst], symmetric = TRUE, only.values = TRUE)$values
        fsf <- unname(f$diagnostic_first_stage_fstatistic[paste0(cn, ":value")])
        rows[[length(rows)]]$first_stage_f <<- if (min(ev) <= 1e-12 * max(ev)) NA else fsf
      }
    }
  }
}

run_case("dim_simple", "main", "y_bin", "dim", by = "gender")
run_case("dim_blocked", "main", "y_num", "dim", by = "gender", strata = "site")
run_case("dim_weighted", "main", "y_num", "dim", weights = "w")
run_case("dim_clustered", "clus", "y", "dim", cluster = "municipality")
run_case("dim_pairs", "pairs", "y", "dim", strata = "pair")
run_case("ols_hc2", "main", "y_bin", "ols", covariates = c("age", "educ_years", "educ"), by = "gender")
for (s in c("hc0", "hc1", "hc3"))
  run_case(paste0("ols_", s), "main", "y_num", "ols", se = s, covariates = c("age", "educ"))
run_case("ols_collinear", "main", "y_num", "ols", covariates = c("age", "x_collinear", "educ"))
run_case("ols_missing", "main", "y_miss", "ols", covariates = c("age", "educ"), by = "gender")
run_case("ols_weighted", "main", "y_num", "ols", covariates = c("age", "educ"), weights = "w", by = "gender")
run_case("lin_hc2", "main", "y_bin", "lin", covariates = c("age", "educ_years", "educ"), by = "gender")
run_case("lin_weighted_hc1", "main", "y_num", "lin", se = "hc1", covariates = c("age", "educ"), weights = "w")
run_case("fe_hc2", "main", "y_num", "fe", covariates = c("age", "educ"), strata = "site", by = "gender")
run_case("fe_hc1", "main", "y_bin", "fe", se = "hc1", covariates = c("age"), strata = "site")
for (s in c("cr0", "cr1", "cr2"))
  run_case(paste0("ols_", s), "clus", "y", "ols", se = s, covariates = c("x"), cluster = "municipality", by = "gender")
run_case("lin_cr2", "clus", "y", "lin", covariates = c("x"), cluster = "municipality")
run_case("iv_hc2", "main", "y_num", "ols", covariates = c("age", "educ"), participation = "took_part", by = "gender")
run_case("iv_hc0", "main", "y_bin", "ols", se = "hc0", participation = "took_part")
run_case("arms_dim", "arms", "y", "dim", treatment = "arm", control = "standard", by = "gender")
run_case("arms_lin", "arms", "y", "lin", covariates = c("x"), treatment = "arm", control = "standard", by = "gender")
run_case("arms_ols_hc3", "arms", "y", "ols", se = "hc3", covariates = c("x"), treatment = "arm", control = "standard")
run_case("dim_block_clustered", "bclus", "y", "dim", strata = "block", cluster = "cluster")
run_case("dim_blocked_weighted", "main", "y_num", "dim", strata = "site", weights = "w")
run_case("fe_cr2", "bclus", "y", "fe", covariates = c("x"), strata = "block", cluster = "cluster", by = "gender")
run_case("fe_cr1", "bclus", "y", "fe", se = "cr1", covariates = c("x"), strata = "block", cluster = "cluster")
run_case("fe_strata_combined", "main", "y_num", "fe", covariates = c("age"), strata = c("site", "gender"))
run_case("iv_cr2", "bclus", "y", "ols", covariates = c("x"), cluster = "cluster", participation = "took_part")
run_case("iv_diff_hc2_nocov", "main", "y_num", "ols", participation = "took_part", by = "gender")
run_case("iv_diff_hc1", "main", "y_bin", "ols", se = "hc1", covariates = c("age"), participation = "took_part", by = "gender")
run_case("iv_diff_hc3_multi_level_by", "main", "y_num", "ols", se = "hc3", covariates = c("age"), participation = "took_part", by = "educ")
run_case("iv_diff_cr2", "clus", "y", "ols", covariates = c("x"), cluster = "municipality", participation = "took_part", by = "gender")
run_case("iv_diff_cr1", "clus", "y", "ols", se = "cr1", covariates = c("x"), cluster = "municipality", participation = "took_part", by = "gender")
run_case("iv_diff_cr0", "clus", "y", "ols", se = "cr0", cluster = "municipality", participation = "took_part", by = "gender")
run_case("iv_diff_weighted_hc2", "main", "y_num", "ols", covariates = c("age", "educ"), weights = "w", participation = "took_part", by = "gender")
run_case("iv_diff_weighted_hc1", "main", "y_bin", "ols", se = "hc1", weights = "w", participation = "took_part", by = "gender")
run_case("dim_weighted_by", "main", "y_bin", "dim", weights = "w", by = "gender")
run_case("lin_hc3_multi_level_by", "main", "y_num", "lin", se = "hc3", covariates = c("age"), by = "educ")
# Issue 12: leverage-one observations (singleton strata under fixed effects, a covariate level
# held by one person) and a treatment effect that is not identified.
run_case("fe_singleton_strata_hc2", "lev", "y", "fe", covariates = c("x"), strata = "stratum", by = "gender")
run_case("fe_singleton_strata_hc3", "lev", "y", "fe", se = "hc3", covariates = c("x", "occ"), strata = "stratum")
run_case("ols_level_of_one_hc2", "lev", "y", "ols", covariates = c("x", "occ"), issue12 = TRUE)
run_case("ols_level_of_one_hc3", "lev", "y", "ols", se = "hc3", covariates = c("x", "occ"), issue12 = TRUE)
run_case("lin_unidentified_by_region", "unid", "y", "lin", covariates = c("age", "educ"), by = "region", issue12 = TRUE)
# Issue 12: weighted CR2 (estimatr's lm_robust(weights =, clusters =, se_type = "CR2"), checked
# against clubSandwich below).
run_case("ols_weighted_cr2", "wclus", "y", "ols", covariates = c("x"), cluster = "cluster", weights = "w_var", by = "gender")
run_case("ols_weighted_cr2_ipw", "wclus", "y", "ols", covariates = c("x"), cluster = "cluster", weights = "w_cl")
run_case("lin_weighted_cr2", "wclus", "y", "lin", covariates = c("x"), cluster = "cluster", weights = "w_var", by = "gender")
run_case("dim_weighted_cr2", "wclus", "y", "dim", cluster = "cluster", weights = "w_cl")
# Issue 12, item 4: missing covariates. Complete cases are lm_robust's and lm_lin's own NA
# handling; the indicator method is lm_robust/lm_lin on the data filled explicitly (d_missi).
run_case("ols_missing_covariates_complete", "miss", "y", "ols", covariates = c("x", "age", "occ"),
         by = "gender", missing_covariates = "complete")
run_case("lin_missing_covariates_complete", "miss", "y", "lin", covariates = c("x", "age", "occ"),
         by = "gender", missing_covariates = "complete")
run_case("lin_missing_covariates_indicator", "miss", "y", "lin", by = "gender",
         covariates = c("x", "x_missing", "age", "age_missing", "occ"),
         case_covariates = c("x", "age", "occ"), missing_covariates = "indicator",
         fit_dataset = "missi")
run_case("ols_missing_covariates_indicator_hc3", "miss", "y", "ols", se = "hc3",
         covariates = c("x", "x_missing", "age", "age_missing", "occ"),
         case_covariates = c("x", "age", "occ"), missing_covariates = "indicator",
         fit_dataset = "missi")
run_case("iv_missing_covariates_complete", "miss", "y", "ols", covariates = c("x", "occ"),
         participation = "took_part", by = "gender", missing_covariates = "complete")
# The same complete-case fit with the rows dropped beforehand (lm_lin centres on complete cases).
f_na <- lm_lin(y ~ z, covariates = ~ x + age + occ, data = d_miss)
f_cc <- lm_lin(y ~ z, covariates = ~ x + age + occ,
               data = d_miss[complete.cases(d_miss[c("y", "x", "age", "occ")]), ])
stopifnot(abs(f_na$coefficients[["z"]] - f_cc$coefficients[["z"]]) < 1e-12,
          abs(f_na$std.error[["z"]] - f_cc$std.error[["z"]]) < 1e-12)
# The fill value does not matter with the indicator in the model (docs/methods.md): filling x
# with 0 instead of its mean gives the same estimate and SE.
d_zero <- d_missi; d_zero$x[d_zero$x_missing == 1] <- 0
f_mean <- lm_lin(y ~ z, covariates = ~ x + x_missing + age + age_missing + occ, data = d_missi)
f_zero <- lm_lin(y ~ z, covariates = ~ x + x_missing + age + age_missing + occ, data = d_zero)
cat("indicator method, fill with the mean vs 0: z differs by",
    f_mean$coefficients[["z"]] - f_zero$coefficients[["z"]], "SE by",
    f_mean$std.error[["z"]] - f_zero$std.error[["z"]], "\n")
# estimatr without fixed effects on the same data (recorded for the closing note, not compared):
f_nofe <- lm_robust(y ~ z + x + occ, data = d_lev, se_type = "HC2")
cat("lm_robust HC2 with the `solo` level, no fixed effects: z SE", f_nofe$std.error[["z"]], "\n")
f_lin <- lm_lin(y ~ z, covariates = ~ age + educ, data = d_unid[d_unid$region == "r3", ])
cat("lm_lin in r3 (not identified): estimatr prints z =", f_lin$coefficients[["z"]], "\n")

# Independent checks of the same numbers with sandwich, clubSandwich and AER.
rec_other <- function(case, source, outcome, subgroup, term, est, se, df) {
  rows[[length(rows) + 1]] <<- data.frame(case = case, source = source, outcome = outcome,
    subgroup = subgroup, term = term, estimate = est, std_error = se, statistic = est / se,
    df = df, p_value = 2 * pt(-abs(est / se), df), conf_low = NA, conf_high = NA,
    n_treated = NA, n_control = NA, mean_treated = NA, mean_control = NA, stringsAsFactors = FALSE)
}
m <- lm(y_num ~ z + age + educ, data = d_main)
for (s in c("hc0", "hc1", "hc3")) {
  v <- vcovHC(m, type = toupper(s))
  rec_other(paste0("ols_", s), "sandwich", "y_num", "all", "z", coef(m)[["z"]], sqrt(v["z", "z"]), m$df.residual)
}
mc <- lm(y ~ z + x, data = d_clus)
ct <- coef_test(mc, vcov = "CR2", cluster = d_clus$municipality, test = "Satterthwaite")
rec_other("ols_cr2", "clubSandwich", "y", "all", "z", ct$beta[2], ct$SE[2], ct$df_Satt[2])
v1 <- vcovCL(mc, cluster = ~municipality, type = "HC1")
rec_other("ols_cr1", "sandwich", "y", "all", "z", coef(mc)[["z"]], sqrt(v1["z", "z"]), 6)
v0 <- vcovCL(mc, cluster = ~municipality, type = "HC0", cadjust = FALSE)
rec_other("ols_cr0", "sandwich", "y", "all", "z", coef(mc)[["z"]], sqrt(v0["z", "z"]), 6)
mw <- lm(y ~ z + x, data = d_wclus, weights = w_var)
ct <- coef_test(mw, vcov = "CR2", cluster = d_wclus$cluster, test = "Satterthwaite")
rec_other("ols_weighted_cr2", "clubSandwich", "y", "all", "z", ct$beta[2], ct$SE[2], ct$df_Satt[2])
mw <- lm(y ~ z + x, data = d_wclus, weights = w_cl)
ct <- coef_test(mw, vcov = "CR2", cluster = d_wclus$cluster, test = "Satterthwaite")
rec_other("ols_weighted_cr2_ipw", "clubSandwich", "y", "all", "z", ct$beta[2], ct$SE[2], ct$df_Satt[2])
iv <- ivreg(y_bin ~ took_part | z, data = d_main)
vi <- vcovHC(iv, type = "HC0")
rec_other("iv_hc0", "AER", "y_bin", "all", "took_part", coef(iv)[["took_part"]], sqrt(vi["took_part", "took_part"]), iv$df.residual)

write.csv(cases, file.path(out, "cases.csv"), row.names = FALSE)
expected <- do.call(rbind, lapply(rows, function(r) { if (is.null(r$first_stage_f)) r$first_stage_f <- NA; r }))
write.csv(format(expected, digits = 17), file.path(out, "expected.csv"), row.names = FALSE, na = "", quote = TRUE)
cat("wrote", nrow(expected), "expected rows for", nrow(cases), "cases\n")
