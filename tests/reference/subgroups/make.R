# Reference values for issue 15's subgroup analysis: differences against a chosen reference level
# (default: the first level in sorted order), all pairs, the 2 x 2 interaction contrast of a
# crossing, and the joint heterogeneity test (Wald F that all subgroup effects are equal).
# Run from the repository root:  Rscript tests/reference/subgroups/make.R
# Writes d_het.csv (the data) and expected.csv (one row per lotta row).
#
# The models, as lotta fits them (src/estimate/subgroups.rs):
#  - differences: y ~ z + g_1 + ... + z:g_1 + ... [+ x] (ols/dim) or lm_lin with the level
#    indicators as the first covariates (lin); g_l the indicator of every level but the reference;
#    the row `<level> - <reference>` is the z:g_l coefficient (estimatr lm_robust, same SE type);
#  - pairs: the same model with another level as the base;
#  - the 2 x 2 contrast: y ~ z * a * b [+ x] with a, b the indicators of the non-reference levels
#    of the two crossed columns: the z:a:b coefficient;
#  - the joint test: F = b'V^-1 b / q of the q differences with the same vcov, computed by
#    car::linearHypothesis(lm, ..., vcov. = sandwich::vcovHC(lm, "HC2"), test = "F") (df = the
#    residual df n - k) and, with clusters, clubSandwich::Wald_test(lm, constraints, vcov = "CR2",
#    test = "Naive-F") (df = G - 1, as estimatr's model F with clusters).
suppressPackageStartupMessages({
  library(estimatr); library(sandwich); library(clubSandwich); library(car)
})
Sys.setlocale("LC_COLLATE", "C")
out <- "tests/reference/subgroups"
options(digits = 17)
set.seed(20261129)
n <- 360
municipality <- sprintf("m%02d", rep(1:12, length.out = n))
gender <- ifelse(runif(n) < 0.5, "F", "M")
distance <- ifelse(runif(n) < 0.4, "far", "near")
age_band <- sample(c("16-24", "25-54", "55-64"), n, replace = TRUE, prob = c(0.3, 0.5, 0.2))
z <- sample(rep(0:1, n / 2))
x <- rnorm(n)
y <- 0.4 + 0.1 * z + 0.15 * z * (gender == "F") - 0.2 * z * (distance == "far") +
  0.25 * z * (gender == "F") * (distance == "far") + 0.2 * z * (age_band == "16-24") +
  0.3 * x + rep(rnorm(12, 0, 0.3), length.out = n) + rnorm(n)
d <- data.frame(id = sprintf("h%03d", 1:n), municipality, gender, distance, age_band, z, x, y)
write.csv(d, file.path(out, "d_het.csv"), row.names = FALSE)

rows <- list()
record <- function(case, subgroup, estimate, std_error, df, statistic, p_value, df_num) {
  rows[[length(rows) + 1]] <<- data.frame(case = case, subgroup = subgroup, term = "z",
    estimate = estimate, std_error = std_error, df = df, statistic = statistic,
    p_value = p_value, df_num = df_num)
}
bq <- function(v) paste0("`", v, "`")

# One subgroup variable (a column, or a crossing coded as a column of cell labels) with
# reference `ref`: the differences, the joint test, and (pairs) the other differences.
subgroup_case <- function(case, var, ref, estimator, covariates = character(), cluster = NULL,
                          pairs = FALSE, label = function(l) paste0(var, "=", l)) {
  levs <- sort(unique(d[[var]]))
  fit_with_base <- function(base) {
    dd <- d
    gn <- character()
    for (l in levs[levs != base]) {
      g <- paste0("g_", match(l, levs)); dd[[g]] <- as.numeric(dd[[var]] == l); gn <- c(gn, g)
    }
    se <- if (is.null(cluster)) "HC2" else "CR2"
    if (estimator == "lin") {
      f <- lm_lin(as.formula("y ~ z"), covariates = as.formula(paste("~", paste(c(gn, covariates), collapse = " + "))),
                  data = dd, se_type = se, clusters = if (is.null(cluster)) NULL else dd[[cluster]])
      terms <- paste0("z:", gn, "_c")
      # The same model with lm for car: z, centred covariates and their interactions.
      cv <- c(gn, covariates)
      for (v in cv) dd[[paste0(v, "_c")]] <- dd[[v]] - mean(dd[[v]])
      rhs <- paste(c("z", paste0(cv, "_c"), paste0("z:", cv, "_c")), collapse = " + ")
      lmf <- lm(as.formula(paste("y ~", rhs)), data = dd)
    } else {
      rhs <- paste(c("z", gn, paste0("z:", gn), covariates), collapse = " + ")
      f <- lm_robust(as.formula(paste("y ~", rhs)), data = dd, se_type = se,
                     clusters = if (is.null(cluster)) NULL else dd[[cluster]])
      terms <- paste0("z:", gn)
      lmf <- lm(as.formula(paste("y ~", rhs)), data = dd)
    }
    list(f = f, terms = terms, others = levs[levs != base], lm = lmf, data = dd)
  }
  m <- fit_with_base(ref)
  for (k in seq_along(m$terms)) {
    t <- m$terms[k]
    record(case, paste(label(m$others[k]), "-", label(ref)), unname(m$f$coefficients[t]),
           unname(m$f$std.error[t]), unname(m$f$df[t]), NA, NA, NA)
  }
  # The joint test.
  if (is.null(cluster)) {
    h <- car::linearHypothesis(m$lm, paste(m$terms, "= 0"), vcov. = sandwich::vcovHC(m$lm, type = "HC2"), test = "F")
    record(case, paste0(var, ": joint"), NA, NA, h$Res.Df[2], h$F[2], h[["Pr(>F)"]][2], h$Df[2])
    stopifnot(abs(h$Res.Df[2] - m$lm$df.residual) < 1e-12)
  } else {
    cons <- clubSandwich::constrain_zero(m$terms)
    w <- clubSandwich::Wald_test(m$lm, constraints = cons, vcov = "CR2", cluster = m$data[[cluster]], test = "Naive-F")
    record(case, paste0(var, ": joint"), NA, NA, w$df_denom, w$Fstat, w$p_val, w$df_num)
    stopifnot(abs(w$df_denom - (length(unique(d[[cluster]])) - 1)) < 1e-12)
  }
  if (pairs) {
    for (base in levs[levs != ref]) {
      mb <- fit_with_base(base)
      for (k in seq_along(mb$terms)) {
        l <- mb$others[k]
        if (l == ref || match(l, levs) < match(base, levs)) next
        t <- mb$terms[k]
        record(case, paste(label(l), "-", label(base)), unname(mb$f$coefficients[t]),
               unname(mb$f$std.error[t]), unname(mb$f$df[t]), NA, NA, NA)
      }
    }
  }
}

# A: one column, three levels, difference in means (y ~ z * g), HC2, default reference.
subgroup_case("dim_age_band", "age_band", "16-24", "dim")
# B: the same with a chosen reference, covariate x (ols), all pairs.
subgroup_case("ols_age_band_ref", "age_band", "25-54", "ols", covariates = "x", pairs = TRUE)
# C: Lin (2013) with x, HC2.
subgroup_case("lin_age_band", "age_band", "16-24", "lin", covariates = "x")
# D: clusters (12 municipalities), CR2, ols with x.
subgroup_case("ols_age_band_cr2", "age_band", "16-24", "ols", covariates = "x", cluster = "municipality")
# E: the crossing gender*distance (ols with x, HC2): cells `gender=F & distance=far`, ...; the
# reference cell M & near (chosen: reference = { gender = "M", distance = "near" }).
d$gender_distance <- paste0("gender=", d$gender, " & distance=", d$distance)
subgroup_case("ols_crossing", "gender_distance", "gender=M & distance=near", "ols", covariates = "x",
              label = function(l) l)
for (i in seq_along(rows)) if (rows[[i]]$subgroup == "gender_distance: joint") rows[[i]]$subgroup <- "gender*distance: joint"
# The 2 x 2 contrast: (gender=F - gender=M) x (distance=far - distance=near).
d$a <- as.numeric(d$gender == "F"); d$b <- as.numeric(d$distance == "far")
f <- lm_robust(y ~ z + a + b + a:b + z:a + z:b + z:a:b + x, data = d, se_type = "HC2")
record("ols_crossing", "(gender=F - gender=M) x (distance=far - distance=near)",
       unname(f$coefficients["z:a:b"]), unname(f$std.error["z:a:b"]), unname(f$df["z:a:b"]), NA, NA, NA)

expected <- do.call(rbind, rows)
write.csv(format(expected, digits = 17), file.path(out, "expected.csv"), row.names = FALSE)
