/* vs-loss-sim.c: similarity and distance functions with their backward.
 *
 * These mirror sentence_transformers.util and the torch functions the
 * losses call, including their eps handling (see st-spec.md's notation)
 * and torch's subgradients at kinks: |x|' = sign(x) with sign(0) = 0, and
 * ‖x‖' = 0 at x = 0.
 */
#include "config.h"

#include <math.h>
#include <string.h>
#include <cblas.h>

#include "loss/vs-loss-private.h"

static inline double
sgn (double x)
{
  return (x > 0) - (x < 0);
}

void
vs_loss_normalize_forward (double       *y,
                           double       *norms,
                           const double *x,
                           gsize         n,
                           gsize         d,
                           double        eps)
{
  for (gsize i = 0; i < n; i++)
    {
      const double *xi = x + i * d;
      double s = 0;
      for (gsize k = 0; k < d; k++)
        s += xi[k] * xi[k];
      double r = sqrt (s);
      norms[i] = r;
      double inv = 1.0 / (r > eps ? r : eps);
      for (gsize k = 0; k < d; k++)
        y[i * d + k] = xi[k] * inv;
    }
}

void
vs_loss_normalize_backward (double       *dx,
                            const double *dy,
                            const double *y,
                            const double *norms,
                            gsize         n,
                            gsize         d,
                            double        eps)
{
  for (gsize i = 0; i < n; i++)
    {
      const double *dyi = dy + i * d;
      const double *yi = y + i * d;
      double *dxi = dx + i * d;
      if (norms[i] > eps)
        {
          /* y = x/‖x‖: dx = (dy - y (y·dy)) / ‖x‖ */
          double p = 0;
          for (gsize k = 0; k < d; k++)
            p += yi[k] * dyi[k];
          for (gsize k = 0; k < d; k++)
            dxi[k] += (dyi[k] - yi[k] * p) / norms[i];
        }
      else
        {
          /* the clamp is active: y = x/eps */
          for (gsize k = 0; k < d; k++)
            dxi[k] += dyi[k] / eps;
        }
    }
}

/* Σ_k (a_k − b_k + shift)²: squared euclidean distance of two rows, with
 * F.pairwise_distance's eps as shift (0 for cdist and the similarities) */
static double
sq_dist (const double *a,
         const double *b,
         gsize         d,
         double        shift)
{
  double s = 0;
  for (gsize k = 0; k < d; k++)
    {
      double t = a[k] - b[k] + shift;
      s += t * t;
    }
  return s;
}

/* Σ_k |a_k − b_k + shift|: manhattan distance of two rows */
static double
l1_dist (const double *a,
         const double *b,
         gsize         d,
         double        shift)
{
  double s = 0;
  for (gsize k = 0; k < d; k++)
    s += fabs (a[k] - b[k] + shift);
  return s;
}

static double
sim_eps (VsSim sim)
{
  return sim == VS_SIM_COS8 ? 1e-8 : 1e-12;
}

void
vs_loss_sim_matrix_forward (VsSim         sim,
                            double       *S,
                            const double *A,
                            gsize         n,
                            const double *B,
                            gsize         m,
                            gsize         d)
{
  switch (sim)
    {
    case VS_SIM_COS:
    case VS_SIM_COS8:
      {
        g_autofree double *na = g_new (double, n * d);
        g_autofree double *nb = g_new (double, m * d);
        g_autofree double *ra = g_new (double, n);
        g_autofree double *rb = g_new (double, m);
        vs_loss_normalize_forward (na, ra, A, n, d, sim_eps (sim));
        vs_loss_normalize_forward (nb, rb, B, m, d, sim_eps (sim));
        cblas_dgemm (CblasRowMajor, CblasNoTrans, CblasTrans, n, m, d,
                     1.0, na, d, nb, d, 0.0, S, m);
      }
      break;
    case VS_SIM_DOT:
      cblas_dgemm (CblasRowMajor, CblasNoTrans, CblasTrans, n, m, d,
                   1.0, A, d, B, d, 0.0, S, m);
      break;
    case VS_SIM_EUCLIDEAN:
      for (gsize i = 0; i < n; i++)
        for (gsize j = 0; j < m; j++)
          S[i * m + j] = -sqrt (sq_dist (A + i * d, B + j * d, d, 0.0));
      break;
    case VS_SIM_MANHATTAN:
      for (gsize i = 0; i < n; i++)
        for (gsize j = 0; j < m; j++)
          S[i * m + j] = -l1_dist (A + i * d, B + j * d, d, 0.0);
      break;
    case VS_SIM_ANGLE:
    default:
      g_assert_not_reached ();
    }
}

void
vs_loss_sim_matrix_backward (VsSim         sim,
                             double       *dA,
                             double       *dB,
                             const double *dS,
                             const double *A,
                             gsize         n,
                             const double *B,
                             gsize         m,
                             gsize         d)
{
  switch (sim)
    {
    case VS_SIM_COS:
    case VS_SIM_COS8:
      {
        double eps = sim_eps (sim);
        g_autofree double *na = g_new (double, n * d);
        g_autofree double *nb = g_new (double, m * d);
        g_autofree double *ra = g_new (double, n);
        g_autofree double *rb = g_new (double, m);
        g_autofree double *dna = g_new (double, n * d);
        g_autofree double *dnb = g_new (double, m * d);
        vs_loss_normalize_forward (na, ra, A, n, d, eps);
        vs_loss_normalize_forward (nb, rb, B, m, d, eps);
        /* S = na nbᵀ: dna = dS nb, dnb = dSᵀ na */
        cblas_dgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, n, d, m,
                     1.0, dS, m, nb, d, 0.0, dna, d);
        cblas_dgemm (CblasRowMajor, CblasTrans, CblasNoTrans, m, d, n,
                     1.0, dS, m, na, d, 0.0, dnb, d);
        vs_loss_normalize_backward (dA, dna, na, ra, n, d, eps);
        vs_loss_normalize_backward (dB, dnb, nb, rb, m, d, eps);
      }
      break;
    case VS_SIM_DOT:
      cblas_dgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, n, d, m,
                   1.0, dS, m, B, d, 1.0, dA, d);
      cblas_dgemm (CblasRowMajor, CblasTrans, CblasNoTrans, m, d, n,
                   1.0, dS, m, A, d, 1.0, dB, d);
      break;
    case VS_SIM_EUCLIDEAN:
      for (gsize i = 0; i < n; i++)
        for (gsize j = 0; j < m; j++)
          {
            double g = dS[i * m + j];
            if (g == 0)
              continue;
            double r = sqrt (sq_dist (A + i * d, B + j * d, d, 0.0));
            if (r == 0)
              continue;   /* torch.cdist: zero gradient at zero distance */
            for (gsize k = 0; k < d; k++)
              {
                /* S = -r, dr/da = (a-b)/r */
                double t = (A[i * d + k] - B[j * d + k]) / r;
                dA[i * d + k] -= g * t;
                dB[j * d + k] += g * t;
              }
          }
      break;
    case VS_SIM_MANHATTAN:
      for (gsize i = 0; i < n; i++)
        for (gsize j = 0; j < m; j++)
          {
            double g = dS[i * m + j];
            if (g == 0)
              continue;
            for (gsize k = 0; k < d; k++)
              {
                double t = sgn (A[i * d + k] - B[j * d + k]);
                dA[i * d + k] -= g * t;
                dB[j * d + k] += g * t;
              }
          }
      break;
    case VS_SIM_ANGLE:
    default:
      g_assert_not_reached ();
    }
}

/* pairwise_angle_sim: s = |Σ(a c + b d) + Σ(b c − a d)| / (‖x‖ ‖y‖) with
 * x = [a | b], y = [c | d]; returns T (the signed sum) through *t_out. */
static double
angle_forward (const double *x,
               const double *y,
               gsize         d,
               double       *t_out,
               double       *nx_out,
               double       *ny_out)
{
  gsize h = d / 2;
  double t = 0, sx = 0, sy = 0;
  for (gsize k = 0; k < h; k++)
    {
      double a = x[k], b = x[h + k], c = y[k], e = y[h + k];
      t += a * c + b * e + b * c - a * e;
    }
  for (gsize k = 0; k < d; k++)
    {
      sx += x[k] * x[k];
      sy += y[k] * y[k];
    }
  *t_out = t;
  *nx_out = sqrt (sx);
  *ny_out = sqrt (sy);
  return fabs (t) / (*nx_out * *ny_out);
}

void
vs_loss_sim_pairwise_forward (VsSim         sim,
                              double       *s,
                              const double *A,
                              const double *B,
                              gsize         n,
                              gsize         d)
{
  for (gsize i = 0; i < n; i++)
    {
      const double *a = A + i * d, *b = B + i * d;
      double v = 0;
      switch (sim)
        {
        case VS_SIM_COS:
        case VS_SIM_COS8:
          {
            double eps = sim_eps (sim), sa = 0, sb = 0, p = 0;
            for (gsize k = 0; k < d; k++)
              {
                sa += a[k] * a[k];
                sb += b[k] * b[k];
                p += a[k] * b[k];
              }
            v = p / (MAX (sqrt (sa), eps) * MAX (sqrt (sb), eps));
          }
          break;
        case VS_SIM_DOT:
          for (gsize k = 0; k < d; k++)
            v += a[k] * b[k];
          break;
        case VS_SIM_EUCLIDEAN:
          v = -sqrt (sq_dist (a, b, d, 0.0));
          break;
        case VS_SIM_MANHATTAN:
          v = -l1_dist (a, b, d, 0.0);
          break;
        case VS_SIM_ANGLE:
          {
            double t, nx, ny;
            v = angle_forward (a, b, d, &t, &nx, &ny);
          }
          break;
        default:
          g_assert_not_reached ();
        }
      s[i] = v;
    }
}

void
vs_loss_sim_pairwise_backward (VsSim         sim,
                               double       *dA,
                               double       *dB,
                               const double *ds,
                               const double *A,
                               const double *B,
                               gsize         n,
                               gsize         d)
{
  for (gsize i = 0; i < n; i++)
    {
      const double *a = A + i * d, *b = B + i * d;
      double *da = dA + i * d, *db = dB + i * d;
      double g = ds[i];
      if (g == 0)
        continue;
      switch (sim)
        {
        case VS_SIM_COS:
        case VS_SIM_COS8:
          {
            double eps = sim_eps (sim), sa = 0, sb = 0;
            for (gsize k = 0; k < d; k++)
              {
                sa += a[k] * a[k];
                sb += b[k] * b[k];
              }
            double ra = sqrt (sa), rb = sqrt (sb);
            double ca = MAX (ra, eps), cb = MAX (rb, eps);
            /* s = ua·ub, ua = a/ca: d ua = g ub, d ub = g ua */
            double pa = 0, pb = 0;
            for (gsize k = 0; k < d; k++)
              {
                double ua = a[k] / ca, ub = b[k] / cb;
                pa += ua * g * ub;
                pb += ub * g * ua;
              }
            for (gsize k = 0; k < d; k++)
              {
                double ua = a[k] / ca, ub = b[k] / cb;
                if (ra > eps)
                  da[k] += (g * ub - ua * pa) / ra;
                else
                  da[k] += g * ub / eps;
                if (rb > eps)
                  db[k] += (g * ua - ub * pb) / rb;
                else
                  db[k] += g * ua / eps;
              }
          }
          break;
        case VS_SIM_DOT:
          for (gsize k = 0; k < d; k++)
            {
              da[k] += g * b[k];
              db[k] += g * a[k];
            }
          break;
        case VS_SIM_EUCLIDEAN:
          {
            double r = sqrt (sq_dist (a, b, d, 0.0));
            if (r == 0)
              break;
            for (gsize k = 0; k < d; k++)
              {
                double t = (a[k] - b[k]) / r;
                da[k] -= g * t;
                db[k] += g * t;
              }
          }
          break;
        case VS_SIM_MANHATTAN:
          for (gsize k = 0; k < d; k++)
            {
              double t = sgn (a[k] - b[k]);
              da[k] -= g * t;
              db[k] += g * t;
            }
          break;
        case VS_SIM_ANGLE:
          {
            double t, nx, ny;
            double s = angle_forward (a, b, d, &t, &nx, &ny);
            gsize h = d / 2;
            double c0 = g * sgn (t) / (nx * ny);
            /* s = |T| / (nx ny): ds/dx = sign(T) dT/dx /(nx ny) - s x/nx² */
            for (gsize k = 0; k < h; k++)
              {
                double xa = a[k], xb = a[h + k], yc = b[k], yd = b[h + k];
                da[k] += c0 * (yc - yd);
                da[h + k] += c0 * (yd + yc);
                db[k] += c0 * (xa + xb);
                db[h + k] += c0 * (xb - xa);
              }
            for (gsize k = 0; k < d; k++)
              {
                da[k] -= g * s * a[k] / (nx * nx);
                db[k] -= g * s * b[k] / (ny * ny);
              }
          }
          break;
        default:
          g_assert_not_reached ();
        }
    }
}

void
vs_loss_dist_pairwise_forward (VsDist        dist,
                               double       *out,
                               const double *A,
                               const double *B,
                               gsize         n,
                               gsize         d)
{
  switch (dist)
    {
    case VS_DIST_COSINE8:
    case VS_DIST_COSINE12:
      vs_loss_sim_pairwise_forward (dist == VS_DIST_COSINE8 ? VS_SIM_COS8 : VS_SIM_COS,
                                    out, A, B, n, d);
      for (gsize i = 0; i < n; i++)
        out[i] = 1.0 - out[i];
      break;
    case VS_DIST_EUCLIDEAN:
      for (gsize i = 0; i < n; i++)
        out[i] = sqrt (sq_dist (A + i * d, B + i * d, d, 1e-6));
      break;
    case VS_DIST_MANHATTAN:
      for (gsize i = 0; i < n; i++)
        out[i] = l1_dist (A + i * d, B + i * d, d, 1e-6);
      break;
    default:
      g_assert_not_reached ();
    }
}

void
vs_loss_dist_pairwise_backward (VsDist        dist,
                                double       *dA,
                                double       *dB,
                                const double *dout,
                                const double *A,
                                const double *B,
                                gsize         n,
                                gsize         d)
{
  switch (dist)
    {
    case VS_DIST_COSINE8:
    case VS_DIST_COSINE12:
      {
        g_autofree double *neg = g_new (double, n);
        for (gsize i = 0; i < n; i++)
          neg[i] = -dout[i];
        vs_loss_sim_pairwise_backward (dist == VS_DIST_COSINE8 ? VS_SIM_COS8 : VS_SIM_COS,
                                       dA, dB, neg, A, B, n, d);
      }
      break;
    case VS_DIST_EUCLIDEAN:
      for (gsize i = 0; i < n; i++)
        {
          double r = sqrt (sq_dist (A + i * d, B + i * d, d, 1e-6));
          if (r == 0 || dout[i] == 0)
            continue;
          for (gsize k = 0; k < d; k++)
            {
              double t = (A[i * d + k] - B[i * d + k] + 1e-6) / r * dout[i];
              dA[i * d + k] += t;
              dB[i * d + k] -= t;
            }
        }
      break;
    case VS_DIST_MANHATTAN:
      for (gsize i = 0; i < n; i++)
        for (gsize k = 0; k < d; k++)
          {
            double t = sgn (A[i * d + k] - B[i * d + k] + 1e-6) * dout[i];
            dA[i * d + k] += t;
            dB[i * d + k] -= t;
          }
      break;
    default:
      g_assert_not_reached ();
    }
}

double
vs_loss_cross_entropy (const double *L,
                       double       *dL,
                       const gsize  *targets,
                       gsize         n,
                       gsize         m,
                       double        upstream)
{
  double total = 0;
  for (gsize i = 0; i < n; i++)
    {
      const double *row = L + i * m;
      double mx = -INFINITY;
      for (gsize j = 0; j < m; j++)
        mx = MAX (mx, row[j]);
      double z = 0;
      for (gsize j = 0; j < m; j++)
        z += isinf (row[j]) && row[j] < 0 ? 0.0 : exp (row[j] - mx);
      double lse = mx + log (z);
      total += lse - row[targets[i]];
      if (dL != NULL)
        for (gsize j = 0; j < m; j++)
          {
            double p = isinf (row[j]) && row[j] < 0 ? 0.0 : exp (row[j] - lse);
            dL[i * m + j] = upstream * (p - (j == targets[i] ? 1.0 : 0.0)) / n;
          }
    }
  return total / n;
}
