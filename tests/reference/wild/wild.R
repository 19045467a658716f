# The wild cluster bootstrap of reference.R (see its header for the sources and conventions),
# sourced by reference.R and by benches/wild.sh.

TIE <- 1e-9

cr1_se <- function(X, u, cl, j) {
  N <- nrow(X); k <- ncol(X); G <- length(unique(cl))
  A <- solve(crossprod(X))
  meat <- Reduce(`+`, lapply(split(seq_len(N), cl), function(r) {
    s <- crossprod(X[r, , drop = FALSE], u[r]); s %*% t(s)
  }))
  V <- G / (G - 1) * (N - 1) / (N - k) * A %*% meat %*% A
  sqrt(V[j, j])
}

# Naive: refit every draw. Returns |t*| for the null beta0 and the observed t.
naive_t <- function(X, y, cl, j, beta0, V, impose) {
  fit <- lm.fit(X, y)
  b <- fit$coefficients; u <- fit$residuals
  t_obs <- (b[j] - beta0) / cr1_se(X, u, cl, j)
  if (impose) {
    yr <- y - X[, j] * beta0
    fr <- lm.fit(X[, -j, drop = FALSE], yr)
    base <- X[, -j, drop = FALSE] %*% fr$coefficients + X[, j] * beta0
    res <- fr$residuals
    centre <- beta0
  } else {
    base <- fit$fitted.values; res <- u; centre <- b[j]
  }
  g_of <- match(cl, sort(unique(cl)))
  tstar <- apply(V, 2, function(v) {
    ystar <- base + res * v[g_of]
    f <- lm.fit(X, ystar)
    (f$coefficients[j] - centre) / cr1_se(X, f$residuals, cl, j)
  })
  list(t = unname(t_obs), tstar = tstar)
}

p_of <- function(t, tstar) sum(abs(tstar) > abs(t) * (1 + TIE) + TIE, na.rm = TRUE) / length(tstar)

# Fast: per draw (n0, n1, P, Q, R) with t*(delta) = (n0 + delta n1)/sqrt(c(P + 2 delta Q + delta^2 R)).
fast_setup <- function(X, y, cl, j, V, impose) {
  N <- nrow(X); k <- ncol(X)
  groups <- split(seq_len(N), cl)
  G <- length(groups)
  fit <- lm.fit(X, y)
  b <- fit$coefficients; u <- fit$residuals
  A <- solve(crossprod(X))
  a <- A[, j]; ajj <- a[j]
  H <- lapply(groups, function(r) crossprod(X[r, , drop = FALSE]))
  f <- lapply(groups, function(r) crossprod(X[r, , drop = FALSE], u[r]))
  W <- t(sapply(H, function(h) h %*% a))                  # G × k
  s0 <- sapply(f, function(v) sum(a * v))
  s1 <- as.vector(W %*% a) / ajj
  Z0 <- t(sapply(f, function(v) A %*% v))                 # G × k
  Z1 <- t(apply(W, 1, function(w) A %*% w)) / ajj
  c_ssc <- G / (G - 1) * (N - 1) / (N - k)
  n0 <- colSums(s0 * V); n1 <- colSums(s1 * V)
  E0 <- s0 * V - W %*% (t(Z0) %*% V)                       # G × B
  E1 <- s1 * V - W %*% (t(Z1) %*% V)
  list(coef = unname(b[j]), se = sqrt(c_ssc * sum(s0^2)), c = c_ssc, G = G,
       n0 = n0, n1 = n1, P = colSums(E0^2), Q = colSums(E0 * E1), R = colSums(E1^2),
       impose = impose)
}

fast_p <- function(s, beta0) {
  delta <- s$coef - beta0
  t <- delta / s$se
  tstar <- if (s$impose) {
    (s$n0 + delta * s$n1) / sqrt(s$c * (s$P + 2 * delta * s$Q + delta^2 * s$R))
  } else {
    s$n0 / sqrt(s$c * s$P)
  }
  p_of(t, tstar)
}

invert <- function(pfun, coef, se, G, alpha = 0.05) {
  step <- qt(1 - alpha / 2, G - 1) * se
  end <- function(side) {
    inside <- coef; h <- step; outside <- NA
    for (i in 0:60) {
      cand <- coef + side * h
      if (pfun(cand) <= alpha) { outside <- cand; break }
      inside <- cand; h <- 2 * h
    }
    if (is.na(outside)) return(side * Inf)
    while (abs(outside - inside) > 1e-8 * se) {
      mid <- (inside + outside) / 2
      if (mid == inside || mid == outside) break
      if (pfun(mid) > alpha) inside <- mid else outside <- mid
    }
    (inside + outside) / 2
  }
  c(end(-1), end(1))
}

sign_vectors <- function(G) {
  m <- 0:(2^G - 1)
  sapply(m, function(i) ifelse(bitwAnd(i, 2^(0:(G - 1))) > 0, -1, 1))  # G × 2^G
}

random_weights <- function(kind, G, B) {
  n <- G * B
  v <- switch(kind,
    webb = sample(c(-sqrt(1.5), -1, -sqrt(0.5), sqrt(0.5), 1, sqrt(1.5)), n, replace = TRUE),
    mammen = {
      p <- (sqrt(5) + 1) / (2 * sqrt(5))
      ifelse(runif(n) < p, -(sqrt(5) - 1) / 2, (sqrt(5) + 1) / 2)
    },
    normal = rnorm(n))
  matrix(v, G, B)
}

