# Reference values for src/dist.rs (tests/dist_reference.rs): R's own qt, pt, qnorm, pnorm, dt
# and pf over the degrees of freedom and probabilities lotta's intervals and p-values meet
# (df from 1 to 1e7, non-integer df as Welch and Bell-McCaffrey give, probabilities from 1e-10
# to 1 - 1e-10). Written with 17 significant digits so that every double round-trips.
# Run from the repository root:  Rscript tests/reference/dist/dist.R
# Writes tests/reference/dist/{qt,pt,norm,pf,pf_large}.csv.
options(digits = 17)
out <- "tests/reference/dist"
num <- function(x) sprintf("%.17g", x)
write <- function(frame, name) {
  write.csv(frame, file.path(out, name), row.names = FALSE, quote = FALSE)
}

dfs <- c(1, 1.5, 2, 2.5, 3, 3.7, 4, 5, 7.3, 10, 15, 20, 29.7, 30, 50, 100, 300, 1000, 5398,
         12345.6, 1e5, 299998, 4e5, 1e6, 3.3e6, 1e7)
ps <- c(1e-10, 1e-8, 1e-6, 1e-4, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.45,
        0.5, 0.55, 0.6, 0.7, 0.8, 0.9, 0.95, 0.975, 0.99, 0.995, 0.999, 0.9999, 1 - 1e-6,
        1 - 1e-8, 1 - 1e-10)

# Student t quantiles (Hill 1970, refined as in Hill 1981: R's qt).
g <- expand.grid(p = ps, df = dfs)
write(data.frame(p = num(g$p), df = num(g$df), qt = num(qt(g$p, g$df))), "qt.csv")

# Student t distribution function, density and the two-sided p-value estimatr reports,
# 2 * pt(|t|, df, lower.tail = FALSE).
ts <- c(-30, -4, -1.96, -0.5, 0, 1e-8, 0.01, 0.1, 0.5, 1, 1.5, 1.7, 1.75, 1.8, 1.96, 2, 2.5, 3,
        4, 5, 6, 8, 10, 20, 50, 100, 1000, 1e5)
g <- expand.grid(t = ts, df = dfs)
write(data.frame(t = num(g$t), df = num(g$df), pt = num(pt(g$t, g$df)),
                 p_two_sided = num(2 * pt(abs(g$t), g$df, lower.tail = FALSE)),
                 dt = num(dt(g$t, g$df))), "pt.csv")

# Standard normal quantile (Wichura's AS 241) and distribution function.
pn <- c(ps, 0.075, 0.925, 0.5 + 1e-10, 0.5 - 1e-10, 1e-300)
xs <- c(-37, -20, -10, -6.5, -5, -3, -2, -1.959963984540054, -1, -0.5, -1e-8, 0, 1e-8, 0.5,
        0.84, 1, 1.644853626951472, 2, 3, 5, 8, 8.3)
write(rbind(data.frame(kind = "qnorm", x = num(pn), value = num(qnorm(pn))),
            data.frame(kind = "pnorm", x = num(xs), value = num(pnorm(xs)))), "norm.csv")

# Upper tail of the F distribution (the balance table's joint test).
g <- expand.grid(f = c(0.01, 0.3, 1, 2, 3, 5, 10, 50), df1 = c(1, 2, 3, 5, 10, 30),
                 df2 = c(1, 2, 5, 10, 50, 100, 1000, 1e4, 1e5, 1e6, 1e7))
write(data.frame(f = num(g$f), df1 = num(g$df1), df2 = num(g$df2),
                 upper = num(pf(g$f, g$df1, g$df2, lower.tail = FALSE))), "pf.csv")

# Upper tail of F with both df large, df1 above and below df2: the incomplete beta function
# I_x(a, b) with a = df1/2 and b = df2/2 both large, across its mean (where its continued
# fraction must be taken on the side that converges; pbeta(0.7, 131, 110) is in this grid as
# pf(f, 262, 220) with f = 0.7 * 220 / (0.3 * 262)).
g <- expand.grid(x = c(0.05, 0.2, 0.4, 0.45, 0.5, 0.52, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.9),
                 df1 = c(20, 60, 262, 1000, 5000), df2 = c(20, 60, 220, 1000, 5000))
g$f <- g$x * g$df2 / ((1 - g$x) * g$df1)
write(data.frame(f = num(g$f), df1 = num(g$df1), df2 = num(g$df2),
                 upper = num(pf(g$f, g$df1, g$df2, lower.tail = FALSE))), "pf_large.csv")
