# Reference probabilities for the hypergeometric sampler of randomization-inference algorithm v3
# (`rng::Stream::hypergeometric`, tests/ri_v3.rs): R's dhyper (Loader's saddle-point form, an
# implementation independent of lotta's) for the cases the test draws, every value of the
# support with probability above 1e-15. Run from this folder: Rscript hypergeometric.R
options(scipen = 100)
cases <- data.frame(
  case = c("small", "stratum", "skewed", "large"),
  population = c(10, 3125, 400, 100000),
  successes = c(4, 1187, 9, 35000),
  sample = c(3, 1042, 350, 33000)
)
rows <- list()
for (i in seq_len(nrow(cases))) {
  N <- cases$population[i]; K <- cases$successes[i]; n <- cases$sample[i]
  x <- max(0, n - (N - K)):min(n, K)
  p <- dhyper(x, K, N - K, n)
  keep <- p > 1e-15
  rows[[i]] <- data.frame(case = cases$case[i], population = N, successes = K, sample = n,
                          x = x[keep], p = sprintf("%.17g", p[keep]))
}
out <- do.call(rbind, rows)
write.csv(out, "hypergeometric.csv", row.names = FALSE, quote = FALSE)
cat(R.version.string, "\n")
