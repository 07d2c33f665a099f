// One GRU layer, one direction, over a whole sequence: forward and backward.
//
// torch's GRU on the CPU trains through autograd over each time step's
// small operations (a gate split, a dozen element-wise operations and their
// backward nodes per step); this kernel does each step's element-wise work in
// one pass over the batch and takes the weight gradients of all steps in one
// matrix product per weight (two for the recurrent one).  Every matrix product
// goes through ATen, so it runs on the BLAS that torch itself uses, whatever
// other library the process has loaded.  The loops stream a sequence's gates through
// memory, so the kernel keeps that traffic down: each step's input product is
// taken just before its gate loop, which reads it from cache; the recurrent
// side's gradient is stored only where it differs from the input side's (the
// new gate); the bias gradients are summed in the backward loop.
//
// The gates follow torch.nn.GRU:  r = sigmoid(Wir x + bir + Whr h + bhr),
// z = sigmoid(Wiz x + biz + Whz h + bhz), n = tanh(Win x + bin + r * (Whn h + bhn)),
// h' = (1 - z) * n + z * h.
//
// skcmim.gru builds this file (skcmim.gru.build_kernel) with GCC or Clang; it
// needs no compiler-specific flag: -fopenmp (or -fopenmp-simd) only where the
// compiler takes it.

#include <torch/extension.h>
#include <ATen/CPUFunctions.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

using at::Tensor;

namespace {

// Element-wise loops are compiled for AVX-512, AVX2 and the baseline, and
// the best one the CPU has is picked when the library loads (GCC's function
// multi-versioning, which needs glibc's ifunc), so the build never uses an
// instruction the CPU lacks; other compilers and C libraries build the
// baseline only.  Rows are spread over torch's threads (at::parallel_for):
// the loops stream the step's gates through memory, and one core's bandwidth
// does not keep up.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__)
#define SKCMIM_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SKCMIM_CLONES
#endif

// exp(x) for x in float range, to about 2 ulp: exp(x) = 2^k exp(r), r = x - k ln 2
// (Cephes' expf).  Written without library calls so the loops vectorise.
inline float exp_approx(float x) {
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  // round to nearest by the float magic number 1.5 * 2^23 (|x / ln 2| < 2^22 here)
  const float k = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = x - k * 0.693359375f + k * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float e = p * r * r + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(k) + 127) << 23;
  float scale;  // 2^k: memcpy is the portable bit cast (C++17), compiled to a register move
  std::memcpy(&scale, &bits, sizeof scale);
  return e * scale;
}

inline float sigmoid(float x) { return 1.0f / (1.0f + exp_approx(-x)); }

inline float tanh_approx(float x) { return 2.0f / (1.0f + exp_approx(-2.0f * x)) - 1.0f; }

// Gates of one step: gi (B, 3H) input parts and gh (B, 3H) recurrent parts,
// their biases b_ih and b_hh added here; writes gates (B, 4H) = r, z, n,
// Whn h + bhn and the new state.
SKCMIM_CLONES void step_forward(int64_t B, int64_t H, const float* gi, const float* gh, const float* b_ih,
                                const float* b_hh, const float* h, float* gates, float* h_next) {
  for (int64_t b = 0; b < B; ++b) {
    const float* gi_b = gi + b * 3 * H;
    const float* gh_b = gh + b * 3 * H;
    const float* h_b = h + b * H;
    float* g_b = gates + b * 4 * H;
    float* out_b = h_next + b * H;
#pragma omp simd
    for (int64_t j = 0; j < H; ++j) {
      const float r = sigmoid((gi_b[j] + b_ih[j]) + (gh_b[j] + b_hh[j]));
      const float z = sigmoid((gi_b[H + j] + b_ih[H + j]) + (gh_b[H + j] + b_hh[H + j]));
      const float hn = gh_b[2 * H + j] + b_hh[2 * H + j];
      const float n = tanh_approx((gi_b[2 * H + j] + b_ih[2 * H + j]) + r * hn);
      g_b[j] = r;
      g_b[H + j] = z;
      g_b[2 * H + j] = n;
      g_b[3 * H + j] = hn;
      out_b[j] = n + z * (h_b[j] - n);
    }
  }
}

// Backward of one step: the gradient of the step's output is the sum of
// carried (through the next step's recurrent product), output (from the layer's
// output at this step) and direct (z * gradient of the next step's output);
// writes the gradients of the gates' pre-activations, dgi (B, 3H) (the
// recurrent side's equal them but for the new gate's, written to dghn (B, H)),
// the new direct part into direct (in place), and adds the rows' sums of dgi
// and dghn to bias_sums (4H): the biases' gradients, with no second pass over
// the gradients.
SKCMIM_CLONES void step_backward(int64_t B, int64_t H, const float* carried, const float* output,
                                 const float* gates, const float* h_prev, float* dgi, float* dghn, float* direct,
                                 float* bias_sums) {
  for (int64_t b = 0; b < B; ++b) {
    const float* carried_b = carried + b * H;
    const float* output_b = output + b * H;
    const float* g_b = gates + b * 4 * H;
    const float* h_b = h_prev + b * H;
    float* dgi_b = dgi + b * 3 * H;
    float* dghn_b = dghn + b * H;
    float* direct_b = direct + b * H;
#pragma omp simd
    for (int64_t j = 0; j < H; ++j) {
      const float d = carried_b[j] + output_b[j] + direct_b[j];
      const float r = g_b[j], z = g_b[H + j], n = g_b[2 * H + j], hn = g_b[3 * H + j];
      const float dn = d * (1.0f - z) * (1.0f - n * n);
      const float dz = d * (h_b[j] - n) * z * (1.0f - z);
      const float dr = dn * hn * r * (1.0f - r);
      dgi_b[j] = dr;
      dgi_b[H + j] = dz;
      dgi_b[2 * H + j] = dn;
      dghn_b[j] = dn * r;
      direct_b[j] = d * z;
      bias_sums[j] += dr;
      bias_sums[H + j] += dz;
      bias_sums[2 * H + j] += dn;
      bias_sums[3 * H + j] += dn * r;
    }
  }
}

void check_inputs(const Tensor& x, const Tensor& h0, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                  const Tensor& b_hh) {
  for (const Tensor* t : {&x, &h0, &w_ih, &w_hh, &b_ih, &b_hh}) {
    TORCH_CHECK(t->device().is_cpu() && t->scalar_type() == at::kFloat && t->is_contiguous(),
                "fused GRU: tensors must be contiguous float32 CPU tensors");
  }
  TORCH_CHECK(x.dim() == 3 && h0.dim() == 2 && x.size(1) == h0.size(0), "fused GRU: x (T, B, E), h0 (B, H)");
  const int64_t H = h0.size(1);
  TORCH_CHECK(w_ih.dim() == 2 && w_ih.size(0) == 3 * H && w_ih.size(1) == x.size(2), "fused GRU: w_ih (3H, E)");
  TORCH_CHECK(w_hh.dim() == 2 && w_hh.size(0) == 3 * H && w_hh.size(1) == H, "fused GRU: w_hh (3H, H)");
  TORCH_CHECK(b_ih.dim() == 1 && b_ih.size(0) == 3 * H && b_hh.dim() == 1 && b_hh.size(0) == 3 * H,
              "fused GRU: biases (3H,)");
}

constexpr int64_t kRowsPerTask = 16;

// C (m x n) = A (m x k) M (+ C where accumulate), all row-major, M = B (k x n) or, with transpose_b, B^T
// (B n x k).  Through ATen's CPU kernels (at::cpu), which call torch's own BLAS: each step's products are
// small (a batch of rows by the gates), so the views are made on the spot and the dispatcher is skipped.
void gemm(bool transpose_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
          int64_t ldb, bool accumulate, float* c, int64_t ldc) {
  const auto options = at::TensorOptions().dtype(at::kFloat);
  const Tensor a_t = at::from_blob(const_cast<float*>(a), {m, k}, {lda, 1}, options);
  const Tensor b_t = transpose_b ? at::from_blob(const_cast<float*>(b), {n, k}, {ldb, 1}, options).t()
                                 : at::from_blob(const_cast<float*>(b), {k, n}, {ldb, 1}, options);
  Tensor c_t = at::from_blob(c, {m, n}, {ldc, 1}, options);
  if (accumulate) {
    at::cpu::addmm_(c_t, a_t, b_t);
  } else {
    at::cpu::mm_out(c_t, a_t, b_t);
  }
}

}  // namespace

// x (T, B, E), h0 (B, H).  Returns the states (T + 1, B, H), h0 first, and
// the gates (T, B, 4H) the backward pass needs; with keep_gates false (inference)
// each step's gates overwrite the last ones, and a (1, B, 4H) tensor is returned.
std::vector<Tensor> gru_forward(const Tensor& x, const Tensor& h0, const Tensor& w_ih, const Tensor& w_hh,
                                const Tensor& b_ih, const Tensor& b_hh, bool keep_gates) {
  check_inputs(x, h0, w_ih, w_hh, b_ih, b_hh);
  const int64_t T = x.size(0), B = x.size(1), H = h0.size(1);
  Tensor states = at::empty({T + 1, B, H}, x.options());
  states[0].copy_(h0);
  Tensor gates = at::empty({keep_gates ? T : 1, B, 4 * H}, x.options());
  Tensor gi = at::empty({B, 3 * H}, x.options());
  Tensor gh = at::empty({B, 3 * H}, x.options());
  const int64_t E = x.size(2);
  float* gi_t = gi.data_ptr<float>();
  float* gh_t = gh.data_ptr<float>();
  const float* x_all = x.data_ptr<float>();
  float* states_all = states.data_ptr<float>();
  float* gates_all = gates.data_ptr<float>();
  const float *w_i = w_ih.data_ptr<float>(), *w_h = w_hh.data_ptr<float>();
  const float *bias_i = b_ih.data_ptr<float>(), *bias_h = b_hh.data_ptr<float>();
  for (int64_t t = 0; t < T; ++t) {
    const float* h_t = states_all + t * B * H;
    float* next = states_all + (t + 1) * B * H;
    float* gates_t = gates_all + (keep_gates ? t : 0) * B * 4 * H;
    // the step's input part, one product per step rather than one for the sequence, so that the gate
    // loop reads it from cache
    gemm(true, B, 3 * H, E, x_all + t * B * E, E, w_i, E, false, gi_t, 3 * H);
    gemm(true, B, 3 * H, H, h_t, H, w_h, H, false, gh_t, 3 * H);
    at::parallel_for(0, B, kRowsPerTask, [&](int64_t b0, int64_t b1) {
      step_forward(b1 - b0, H, gi_t + b0 * 3 * H, gh_t + b0 * 3 * H, bias_i, bias_h, h_t + b0 * H,
                   gates_t + b0 * 4 * H, next + b0 * H);
    });
  }
  return {states, gates};
}

// Gradients of x, h0, w_ih, w_hh, b_ih, b_hh from those of the outputs
// (T, B, H) and of the last state (B, H).
std::vector<Tensor> gru_backward(const Tensor& grad_outputs, const Tensor& grad_last, const Tensor& x,
                                 const Tensor& states, const Tensor& gates, const Tensor& w_ih, const Tensor& w_hh) {
  TORCH_CHECK(grad_outputs.is_contiguous() && grad_last.is_contiguous() && states.is_contiguous() &&
                  gates.is_contiguous(),
              "fused GRU: contiguous gradients and saved tensors");
  const int64_t T = x.size(0), B = x.size(1), H = states.size(2);
  TORCH_CHECK(grad_outputs.sizes() == at::IntArrayRef({T, B, H}) && grad_last.sizes() == at::IntArrayRef({B, H}) &&
                  grad_outputs.scalar_type() == at::kFloat && grad_last.scalar_type() == at::kFloat,
              "fused GRU: gradients of the outputs (T, B, H) and of the last state (B, H), float32");
  Tensor dgi = at::empty({T, B, 3 * H}, x.options());
  Tensor dghn = at::empty({T, B, H}, x.options());
  // the bias gradients are summed per step and block of rows, each block into a row of its own: no two
  // threads share a row, and the sums do not depend on the number of threads
  const int64_t blocks = (B + kRowsPerTask - 1) / kRowsPerTask;
  Tensor bias_sums = at::zeros({T, blocks, 4 * H}, x.options());
  Tensor carried = grad_last.clone();
  Tensor direct = at::zeros({B, H}, x.options());
  float* carried_ptr = carried.data_ptr<float>();
  float* direct_ptr = direct.data_ptr<float>();
  const float* grad_out_all = grad_outputs.data_ptr<float>();
  const float* gates_all = gates.data_ptr<float>();
  const float* states_all = states.data_ptr<float>();
  float* dgi_all_ptr = dgi.data_ptr<float>();
  float* dghn_all_ptr = dghn.data_ptr<float>();
  float* sums_all = bias_sums.data_ptr<float>();
  const float* w_h = w_hh.data_ptr<float>();
  for (int64_t t = T - 1; t >= 0; --t) {
    const float* output_t = grad_out_all + t * B * H;
    const float* gates_t = gates_all + t * B * 4 * H;
    const float* h_prev = states_all + t * B * H;
    float* dgi_t = dgi_all_ptr + t * B * 3 * H;
    float* dghn_t = dghn_all_ptr + t * B * H;
    float* sums_t = sums_all + t * blocks * 4 * H;
    at::parallel_for(0, blocks, 1, [&](int64_t first, int64_t last) {
      for (int64_t block = first; block < last; ++block) {
        const int64_t b0 = block * kRowsPerTask, rows = std::min(kRowsPerTask, B - b0);
        step_backward(rows, H, carried_ptr + b0 * H, output_t + b0 * H, gates_t + b0 * 4 * H, h_prev + b0 * H,
                      dgi_t + b0 * 3 * H, dghn_t + b0 * H, direct_ptr + b0 * H, sums_t + block * 4 * H);
      }
    });
    // the recurrent side's gradient is dgi's for the reset and update gates, dghn for the new gate
    gemm(false, B, H, 2 * H, dgi_t, 3 * H, w_h, H, false, carried_ptr, H);
    gemm(false, B, H, H, dghn_t, H, w_h + 2 * H * H, H, true, carried_ptr, H);
  }
  const Tensor dh = carried.add_(direct);
  const Tensor dgi_all = dgi.view({T * B, 3 * H}), dghn_all = dghn.view({T * B, H});
  const Tensor x_all = x.reshape({T * B, x.size(2)});
  const Tensor h_all = states.narrow(0, 0, T).reshape({T * B, H});
  const Tensor dw_hh = at::cat({dgi_all.narrow(1, 0, 2 * H).t().mm(h_all), dghn_all.t().mm(h_all)});
  const Tensor sums = bias_sums.sum({0, 1});
  return {dgi_all.mm(w_ih).view_as(x), dh, dgi_all.t().mm(x_all), dw_hh, sums.narrow(0, 0, 3 * H),
          at::cat({sums.narrow(0, 0, 2 * H), sums.narrow(0, 3 * H, H)})};
}

// The kernel touches no Python object, so it lets other Python threads run meanwhile, as torch's own
// operators do.
PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("forward", &gru_forward, "GRU layer forward over a sequence", py::arg("x"), py::arg("h0"),
        py::arg("w_ih"), py::arg("w_hh"), py::arg("b_ih"), py::arg("b_hh"), py::arg("keep_gates"),
        py::call_guard<py::gil_scoped_release>());
  m.def("backward", &gru_backward, "GRU layer backward over a sequence", py::call_guard<py::gil_scoped_release>());
}
